"""Footprints: the horizontal outline of a declaration as one lon/lat polygon.

For what the engine does not need but people and GIS do: drawing on a map, listing by
area, "does this touch my area of interest". Circles and corridors are drawn as
polygons that contain them (never smaller), so an area test on footprints never misses.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from pyproj import Geod

from deconflict.geo.declaration import Declaration
from deconflict.geo.outline import Circle, Corridor, Outline, PolygonOutline
from deconflict.geo.pieces import circle_polygon, segment_pieces
from deconflict.geo.projection import MAX_RELATIVE_ERROR, LocalPlane

WGS84 = Geod(ellps="WGS84")
_QUAD_SEGS = 8
_DRAWN_EDGE_M = 2_000.0
"""Longest edge of a corridor's drawing: a straight lon/lat edge this long sags at most
about 0.5 m below the curve it joins, up to 80° of latitude (`pieces.bulge_m`'s bound
without its slack)."""
_EDGE_SAG_M = 1.0
"""Outward margin for that sag."""
_CIRCLE_SAGITTA_M = 2.0
"""How far a footprint's circle may exceed the circle: a tenth of the vertices the
engine's own polygons need (0.2 m), so a tenth of the work and of the stored WKT."""


def outline_footprint(outline: Outline) -> shapely.Geometry:
    """One outline as a lon/lat polygon containing it."""
    if isinstance(outline, PolygonOutline):
        return outline.shape
    if isinstance(outline, Circle):
        return circle_polygon(outline, _CIRCLE_SAGITTA_M, margin=_CIRCLE_SAGITTA_M)
    return _corridor_polygon(outline)


def outline_area_m2(outline: Outline) -> float:
    """The area an outline encloses on the WGS84 ellipsoid, in m²: polygons with their
    geodesic edges (holes taken out), circles as π r², corridors as their footprint's
    area. Why geodesic: an area limit must not depend on where on Earth it is drawn."""
    if isinstance(outline, Circle):
        return math.pi * outline.radius**2
    shape = outline.shape if isinstance(outline, PolygonOutline) else _corridor_polygon(outline)
    area, _ = WGS84.geometry_area_perimeter(shape)
    return abs(area)


def _corridor_polygon(corridor: Corridor) -> shapely.Geometry:
    # Grown so that the drawing contains the corridor: by a buffer's chord deficit (its
    # arcs are polygons), by the plane's distance error, and by the sag of a lon/lat
    # edge (`_DRAWN_EDGE_M` long) below the curve it stands for.
    chord = math.cos(math.pi / (4 * _QUAD_SEGS))
    radius = corridor.radius * (1.0 + MAX_RELATIVE_ERROR) / chord + _EDGE_SAG_M
    parts = []
    for lon_a, lat_a, lon_b, lat_b, _ in segment_pieces(corridor.path):
        plane = LocalPlane((lon_a + lon_b) / 2.0, (lat_a + lat_b) / 2.0)
        x, y = plane.forward([lon_a, lon_b], [lat_a, lat_b])
        core = shapely.LineString(np.column_stack([x, y]))
        if core.length == 0:
            core = shapely.Point(x[0], y[0])
        # Short edges before mapping back: a long straight side (up to 50 km) drawn
        # straight in lon/lat strays tens of metres from the corridor's edge above 60°.
        buffered = shapely.segmentize(
            shapely.buffer(core, radius, quad_segs=_QUAD_SEGS), _DRAWN_EDGE_M
        )

        def back(coords: np.ndarray, plane: LocalPlane = plane) -> np.ndarray:
            lon, lat = plane.inverse(coords[:, 0], coords[:, 1])
            return np.column_stack([lon, lat])

        parts.append(shapely.transform(buffered, back))
    return shapely.union_all(parts)


def footprint(declaration: Declaration) -> shapely.Geometry:
    """The union of all volumes' outlines (all times, all altitudes)."""
    return shapely.union_all([outline_footprint(v.outline) for v in declaration.volumes])
