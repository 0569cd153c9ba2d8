"""Horizontal outlines: polygons, circles and corridors, validated on construction.

Every outline is a *core* plus a *radius*: a polygon is its own core with radius 0, a
circle is a point with its radius, a corridor (a route leg, a deconfliction line) is a
polyline with its half-width. Distances between outlines are then distances between
cores minus both radii, which is exact for these shapes and cheap to vectorise.

Polygon edges follow geodesics (as airspace boundaries do), not straight lines in
degrees; `geo.pieces` densifies them so that this holds to well under a metre.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry import Polygon as ShapelyPolygon
from shapely.validation import explain_validity

from deconflict.geo.errors import InputError
from deconflict.geo.geodesic_edges import densify_polygon

MAX_ABS_LATITUDE = 85.0
"""Outlines reaching closer to a pole are refused: the local planes are not trusted there."""

MAX_RADIUS_M = 2_000_000.0
"""A circle larger than this is not an airspace volume but a typo."""

MAX_HALF_WIDTH_M = 50_000.0
"""Widest corridor half-width (route or deconfliction line) that is plausible."""

ANTIMERIDIAN_MARGIN_DEG = 2.0
"""Outlines this close to ±180° longitude are refused (see `check_longitudes`)."""

Coordinate = tuple[float, float]


def check_coordinate(lon: float, lat: float, field: str) -> None:
    """Refuse positions outside WGS84 ranges, too near a pole, or near the antimeridian.

    Why refuse rather than support the antimeridian: every index and plane in the engine
    works in unwrapped longitudes, and shapes on both sides of ±180° would need splitting
    everywhere. No party in view operates there; a clear error beats a missed conflict.
    """
    if not (-180.0 <= lon <= 180.0) or not (-90.0 <= lat <= 90.0):
        raise InputError(f"position ({lon}, {lat}) is outside WGS84 ranges", field=field)
    if abs(lat) > MAX_ABS_LATITUDE:
        raise InputError(
            f"position ({lon}, {lat}) is beyond {MAX_ABS_LATITUDE}° latitude: polar areas "
            "are not supported",
            field=field,
        )
    if abs(lon) > 180.0 - ANTIMERIDIAN_MARGIN_DEG:
        raise InputError(
            f"position ({lon}, {lat}) is within {ANTIMERIDIAN_MARGIN_DEG}° of the antimeridian: "
            "areas crossing or touching ±180° longitude are not supported",
            field=field,
        )


def _check_extent_degrees(radius_m: float, lat: float, lon: float, field: str) -> None:
    """A radius around a point must not reach a pole or the antimeridian either."""
    import math

    dlat = radius_m / 110_574.0
    if abs(lat) + dlat > MAX_ABS_LATITUDE:
        raise InputError(
            f"the area reaches beyond {MAX_ABS_LATITUDE}° latitude: polar areas are not supported",
            field=field,
        )
    cos_lat = math.cos(math.radians(min(abs(lat) + dlat, 89.0)))
    if abs(lon) + radius_m / (111_320.0 * cos_lat) > 180.0 - ANTIMERIDIAN_MARGIN_DEG:
        raise InputError(
            "the area reaches the antimeridian (±180° longitude), which is not supported",
            field=field,
        )


@dataclass(frozen=True, slots=True)
class PolygonOutline:
    """A simple polygon (holes allowed) in lon/lat; edges are geodesics."""

    shell: tuple[Coordinate, ...]
    holes: tuple[tuple[Coordinate, ...], ...] = ()

    radius: float = 0.0

    def __post_init__(self) -> None:
        for ring_no, ring in enumerate((self.shell, *self.holes)):
            field = "geometry.coordinates" + (f"[{ring_no}]" if ring_no else "")
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise InputError(
                    "a polygon ring needs at least 4 positions, the last equal to the first",
                    field=field,
                )
            for lon, lat in ring:
                check_coordinate(lon, lat, field)
        for (lon_a, _), (lon_b, _) in zip(self.shell, self.shell[1:], strict=False):
            if abs(lon_b - lon_a) > 180.0:
                raise InputError(
                    "an edge crosses the antimeridian, which is not supported",
                    field="geometry.coordinates",
                )
        shape = self.shape
        if not shape.is_valid:
            raise InputError(
                f"the polygon is invalid: {explain_validity(shape)}", field="geometry.coordinates"
            )
        if shape.area <= 0.0:
            raise InputError("the polygon has no area", field="geometry.coordinates")
        drawn = densify_polygon(shape)
        if not drawn.is_valid:  # simple in degrees, not along its geodesic edges
            raise InputError(
                "the polygon crosses itself once its edges are followed as geodesics "
                f"({explain_validity(drawn)}): two sides run too close together there; "
                "add vertices along them, or widen the gap",
                field="geometry.coordinates",
            )

    @property
    def shape(self) -> ShapelyPolygon:
        """The polygon as a shapely geometry in lon/lat degrees."""
        return ShapelyPolygon(self.shell, self.holes)


@dataclass(frozen=True, slots=True)
class Circle:
    """All points within `radius` metres (geodesic) of `center`."""

    center: Coordinate
    radius: float

    def __post_init__(self) -> None:
        check_coordinate(*self.center, "geometry.coordinates")
        if not (0.0 < self.radius <= MAX_RADIUS_M):
            raise InputError(
                f"radius {self.radius:g} m is out of range "
                f"(0 < radius ≤ {MAX_RADIUS_M / 1000:g} km)",
                field="radius",
            )
        _check_extent_degrees(self.radius, self.center[1], self.center[0], "radius")


@dataclass(frozen=True, slots=True)
class Corridor:
    """All points within `radius` metres of a geodesic polyline: a route leg or a line."""

    path: tuple[Coordinate, ...]
    radius: float

    def __post_init__(self) -> None:
        if len(self.path) < 2:
            raise InputError("a line needs at least 2 positions", field="geometry.coordinates")
        for lon, lat in self.path:
            check_coordinate(lon, lat, "geometry.coordinates")
            _check_extent_degrees(self.radius, lat, lon, "geometry.coordinates")
        for (lon_a, _), (lon_b, _) in zip(self.path, self.path[1:], strict=False):
            if abs(lon_b - lon_a) > 180.0:
                raise InputError(
                    "a segment crosses the antimeridian, which is not supported",
                    field="geometry.coordinates",
                )
        if not (0.0 < self.radius <= MAX_HALF_WIDTH_M):
            raise InputError(
                f"half-width {self.radius:g} m is out of range (0 < half-width ≤ "
                f"{MAX_HALF_WIDTH_M / 1000:g} km)",
                field="buffer",
            )


Outline = PolygonOutline | Circle | Corridor


def outline_shape(outline: Outline) -> shapely.Geometry:
    """The core of an outline as a shapely geometry in lon/lat (no radius applied)."""
    if isinstance(outline, PolygonOutline):
        return outline.shape
    if isinstance(outline, Circle):
        return shapely.Point(outline.center)
    return shapely.LineString(outline.path)
