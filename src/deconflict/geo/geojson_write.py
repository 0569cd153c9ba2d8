"""GeoJSON out: a declaration as the features `geojson` reads back (docs/geojson.md).

Kept apart from the reader: writing needs none of its parsing, and the service writes
every stored declaration through here.
"""

from __future__ import annotations

from typing import Any

from deconflict.geo.declaration import Declaration
from deconflict.geo.outline import Circle, Outline, PolygonOutline
from deconflict.geo.units import format_time


def _outline_geometry(outline: Outline) -> tuple[dict[str, Any], dict[str, Any]]:
    if isinstance(outline, PolygonOutline):
        rings = [list(map(list, outline.shell)), *(list(map(list, h)) for h in outline.holes)]
        return {"type": "Polygon", "coordinates": rings}, {}
    if isinstance(outline, Circle):
        return {"type": "Point", "coordinates": list(outline.center)}, {"radius": outline.radius}
    return {"type": "LineString", "coordinates": list(map(list, outline.path))}, {
        "buffer": outline.radius
    }


def write_declaration(declaration: Declaration) -> list[dict[str, Any]]:
    """GeoJSON features for a declaration, one per volume (routes stay one LineString)."""
    base = {
        **declaration.properties,
        "party": declaration.party,
        "kind": str(declaration.kind),
        "priority": declaration.priority,
    }
    if declaration.route is not None:
        route = declaration.route
        return [
            {
                "type": "Feature",
                "id": declaration.id,
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[p.lon, p.lat, p.alt] for p in route.waypoints],
                },
                "properties": {
                    **base,
                    "times": [format_time(p.time) for p in route.waypoints],
                    "half_width": route.half_width,
                    "vertical_half_width": route.vertical_half_width,
                    "time_buffer": route.time_buffer,
                    "altitude_reference": str(route.reference),
                },
            }
        ]
    features = []
    for volume in declaration.volumes:
        geometry, extra = _outline_geometry(volume.outline)
        features.append(
            {
                "type": "Feature",
                "id": declaration.id,
                "geometry": geometry,
                "properties": {
                    **base,
                    **extra,
                    "altitude_lower": volume.band.lower,
                    "altitude_upper": volume.band.upper,
                    "altitude_reference": str(volume.band.reference),
                    "start": format_time(volume.window.start),
                    "end": format_time(volume.window.end),
                },
            }
        )
    return features
