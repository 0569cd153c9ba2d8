"""Declarations stored as their own GeoJSON: the format users write is the format kept.

Reading one back means parsing and validating it again, so parsed declarations are
cached per (id, version): versions never change once written, so the cache can never
be stale, and a fresh process simply starts with it empty.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import shapely

from deconflict.geo.declaration import Declaration
from deconflict.geo.footprint import footprint
from deconflict.geo.geojson import read_collection
from deconflict.geo.geojson_write import write_declaration

_CACHE_SIZE = 200_000
_cache: OrderedDict[tuple[str, int], Declaration] = OrderedDict()


def to_document(declaration: Declaration) -> dict[str, Any]:
    """The declaration as a GeoJSON FeatureCollection."""
    return {"type": "FeatureCollection", "features": write_declaration(declaration)}


def cached(ident: str, version: int) -> Declaration | None:
    """The parsed declaration if it is in the cache (so its document need not be read)."""
    return _cache.get((ident, version))


def from_document(ident: str, version: int, document: dict[str, Any]) -> Declaration:
    """Parse a stored declaration (cached by id and version)."""
    key = (ident, version)
    found = _cache.get(key)
    if found is not None:
        _cache.move_to_end(key)
        return found
    (declaration,) = read_collection(document).declarations
    _cache[key] = declaration
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return declaration


def footprint_wkt(declaration: Declaration | shapely.Geometry) -> str:
    """The horizontal footprint (of a declaration, or one already made) as WKT, for area
    queries and GIS."""
    area = footprint(declaration) if isinstance(declaration, Declaration) else declaration
    return shapely.to_wkt(area, rounding_precision=7)
