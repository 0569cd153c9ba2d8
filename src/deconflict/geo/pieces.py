"""Cut volumes into pieces small enough for the local planes to be exact.

The engine measures every distance in a `LocalPlane` centred on a piece of the new
operation; `projection` bounds the error only within `MAX_REACH_M` of that centre. So no
piece may reach further than `MAX_PIECE_REACH_M` from its centre, and minima may not
exceed `MAX_MINIMUM_M`: together they keep every measurement that decides a conflict
inside the trusted radius.

- Polygons: edges densified along geodesics (≤ `EDGE_STEP_M`), then, when large, cut
  by a grid of cells about 100 km wide.
- Circles: a point with a radius while small; large ones become a circumscribed
  geodesic polygon (never smaller than the circle), then are cut like polygons.
- Corridors: split along the geodesic into capsules of ≤ `SEGMENT_STEP_M`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import shapely

from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.geodesic_edges import EDGE_STEP_M, WGS84, densify_polygon
from deconflict.geo.outline import Circle, Corridor, PolygonOutline
from deconflict.geo.projection import MAX_REACH_M, MAX_RELATIVE_ERROR, LocalPlane
from deconflict.geo.volume import Volume

MAX_PIECE_REACH_M = 100_000.0
MAX_MINIMUM_M = MAX_REACH_M - MAX_PIECE_REACH_M
"""Largest horizontal minimum: 100 km, far above any agreed separation (5–20 NM)."""
SEGMENT_STEP_M = 50_000.0
SMALL_CIRCLE_M = 60_000.0
CELL_M = 100_000.0
EARTH_RADIUS_M = 6_371_000.0
"""Mean Earth radius: enough for bounds (bulges, a circle's circumscribed polygon)."""


class PieceKind(IntEnum):
    """How a piece's core is stored: a segment (maybe a point) or a polygon."""

    CAPSULE = 0
    POLYGON = 1


@dataclass(frozen=True, slots=True)
class Piece:
    """One small 4D part of a volume; `volume` is its index in the declaration."""

    kind: PieceKind
    segment: tuple[float, float, float, float]
    """Capsule core ``(lon_a, lat_a, lon_b, lat_b)``; a == b for a circle. Unused for polygons."""
    polygon: shapely.Polygon | None
    """Polygon core in lon/lat degrees, densified along geodesics."""
    radius: float
    center: tuple[float, float]
    bbox: tuple[float, float, float, float]
    """Conservative ``(lon_min, lat_min, lon_max, lat_max)`` including the radius."""
    lower: float
    upper: float
    reference: AltitudeReference
    start: float
    end: float
    volume: int


def degree_margins(metres: float, max_abs_lat: float) -> tuple[float, float]:
    """Degrees of longitude and latitude that surely cover `metres` up to a latitude."""
    dlat = metres / 110_574.0
    cos_lat = math.cos(math.radians(min(max_abs_lat + dlat, 89.9)))
    return metres / (111_320.0 * cos_lat), dlat


def bulge_m(length: float, max_abs_lat: float) -> float:
    """How far a geodesic of `length` can stray from the straight line in lon/lat, + slack."""
    tan_lat = math.tan(math.radians(min(max_abs_lat, 89.0)))
    return length * length * (abs(tan_lat) + 1.0) / (8.0 * EARTH_RADIUS_M) + 10.0


def _box(
    lon_min: float, lat_min: float, lon_max: float, lat_max: float, metres: float
) -> tuple[float, float, float, float]:
    """A lon/lat box grown by `metres` on every side (never less, at any latitude in it)."""
    dlon, dlat = degree_margins(metres, max(abs(lat_min), abs(lat_max)))
    return lon_min - dlon, lat_min - dlat, lon_max + dlon, lat_max + dlat


def _grid_cells(polygon: shapely.Polygon) -> list[shapely.Polygon]:
    """Cells about `CELL_M` wide (never wider) covering the polygon's bounds.

    One column width for every row (the narrowest the highest latitude needs), so cells
    of neighbouring rows share their corners and every cut is shared whole by the two
    pieces either side of it.
    """
    lon_min, lat_min, lon_max, lat_max = polygon.bounds
    dlat = CELL_M / 111_694.0  # the longest degree of latitude: cells are never taller
    highest = max(abs(lat_min), abs(lat_max))
    dlon = CELL_M / (111_320.0 * math.cos(math.radians(min(highest, 89.0))))
    rows = max(1, math.ceil((lat_max - lat_min) / dlat))
    columns = max(1, math.ceil((lon_max - lon_min) / dlon))
    return [
        shapely.box(
            lon_min + i * dlon,
            lat_min + j * dlat,
            lon_max if i == columns - 1 else lon_min + (i + 1) * dlon,
            lat_max if j == rows - 1 else lat_min + (j + 1) * dlat,
        )
        for j in range(rows)
        for i in range(columns)
    ]


CUT_STEP_DEG = 0.02
"""Cut edges get a vertex at every multiple of this (about 2 km): see `_densify_cuts`."""


def _densify_cuts(piece: shapely.Polygon) -> shapely.Polygon:
    """Give long (cut) edges vertices on a global lattice of `CUT_STEP_DEG`.

    A cut runs along a parallel or a meridian, straight in degrees, while the local
    planes draw every edge as a chord between its vertices; a 100 km chord strays
    hundreds of metres from the parallel at high latitude. With vertices every ~2 km,
    taken from one lattice, the pieces either side of a cut draw it the same way and no
    sliver of the polygon is left out of both.
    """
    ring = np.asarray(piece.exterior.coords)
    out = [ring[:1]]
    for (x0, y0), (x1, y1) in itertools.pairwise(ring.tolist()):
        if max(abs(x1 - x0), abs(y1 - y0)) > CUT_STEP_DEG:
            if abs(y1 - y0) <= abs(x1 - x0):
                lattice = _lattice(x0, x1)
                points = [(x, y0 + (y1 - y0) * (x - x0) / (x1 - x0)) for x in lattice]
            else:
                lattice = _lattice(y0, y1)
                points = [(x0 + (x1 - x0) * (y - y0) / (y1 - y0), y) for y in lattice]
            if points:
                out.append(np.asarray(points))
        out.append(np.array([[x1, y1]]))
    return shapely.Polygon(np.concatenate(out), [h.coords for h in piece.interiors])


def _lattice(a: float, b: float) -> list[float]:
    """Multiples of `CUT_STEP_DEG` strictly between a and b, in the direction a → b."""
    low, high = min(a, b), max(a, b)
    first, last = math.floor(low / CUT_STEP_DEG) + 1, math.ceil(high / CUT_STEP_DEG) - 1
    values = [k * CUT_STEP_DEG for k in range(first, last + 1)]
    values = [v for v in values if low < v < high]
    return values if a <= b else values[::-1]


def _polygon_pieces(polygon: shapely.Polygon) -> list[shapely.Polygon]:
    """The densified polygon, cut into grid cells when it reaches too far."""
    polygon = densify_polygon(polygon)
    limit = MAX_PIECE_REACH_M * (1.0 - 2.0 * MAX_RELATIVE_ERROR)  # the plane may understate
    if _box_half_diagonal(polygon) <= limit or _polygon_reach(polygon) <= limit:
        return [polygon]
    parts = shapely.intersection(polygon, np.array(_grid_cells(polygon), dtype=object))
    pieces: list[shapely.Polygon] = []
    for part in shapely.get_parts(parts[~shapely.is_empty(parts)]):
        if isinstance(part, shapely.Polygon) and part.area > 0.0:
            pieces.append(_densify_cuts(part))
    return pieces


def _polygon_center(polygon: shapely.Polygon) -> tuple[float, float]:
    lon_min, lat_min, lon_max, lat_max = polygon.bounds
    return (lon_min + lon_max) / 2.0, (lat_min + lat_max) / 2.0


def _box_half_diagonal(polygon: shapely.Polygon) -> float:
    """An upper bound of the reach: from the box centre to its farthest corner."""
    lon_min, lat_min, lon_max, lat_max = polygon.bounds
    lon0, lat0 = _polygon_center(polygon)
    _, _, lengths = WGS84.inv(
        [lon0] * 4,
        [lat0] * 4,
        [lon_min, lon_min, lon_max, lon_max],
        [lat_min, lat_max, lat_min, lat_max],
    )
    return float(max(lengths)) * 1.001


def _polygon_reach(polygon: shapely.Polygon) -> float:
    center = _polygon_center(polygon)
    coords = np.asarray(polygon.exterior.coords)
    x, y = LocalPlane(*center).forward(coords[:, 0], coords[:, 1])
    return float(np.max(np.hypot(x, y)))


def circle_polygon(circle: Circle, sagitta: float = 0.2, margin: float = 0.1) -> shapely.Polygon:
    """A geodesic polygon that contains the circle, and exceeds it by at most about
    `sagitta` + `margin` (a coarser polygon, for drawing and area tests, takes a larger
    `sagitta`, and a margin for the sag of its longer edges drawn straight in lon/lat:
    the vertex count falls with the square root of `sagitta`).

    The vertices sit on a larger circle so that the geodesic edges between them (whose
    midpoints are the polygon's closest points to the centre) still reach the radius:
    on a sphere the in-radius ``ρ`` and circum-radius ``ρ'`` of a regular n-gon satisfy
    ``tan ρ = tan ρ' · cos(π/n)``. The ellipsoid's departure from that is far below the
    0.1 m slack added.
    """
    n = max(64, math.ceil(math.pi / math.sqrt(2.0 * sagitta / circle.radius)))
    inner = circle.radius / EARTH_RADIUS_M
    outer = math.atan(math.tan(inner) / math.cos(math.pi / n)) * EARTH_RADIUS_M + margin
    azimuths = np.linspace(0.0, 360.0, n, endpoint=False)
    lon0, lat0 = circle.center
    lons, lats, _ = WGS84.fwd(np.full(n, lon0), np.full(n, lat0), azimuths, np.full(n, outer))
    ring = np.column_stack([lons, lats])
    return shapely.Polygon(np.vstack([ring[::-1], ring[-1:]]))


def segment_pieces(path: tuple[tuple[float, float], ...]) -> list[tuple[float, ...]]:
    """Split a geodesic polyline into segments no longer than `SEGMENT_STEP_M`.

    Returns ``(lon_a, lat_a, lon_b, lat_b, length_m)`` per segment.
    """
    segments: list[tuple[float, ...]] = []
    for (lon_a, lat_a), (lon_b, lat_b) in itertools.pairwise(path):
        _, _, length = WGS84.inv(lon_a, lat_a, lon_b, lat_b)
        n = math.ceil(length / SEGMENT_STEP_M) - 1
        if n <= 0:
            segments.append((lon_a, lat_a, lon_b, lat_b, length))
            continue
        points = [(lon_a, lat_a), *WGS84.npts(lon_a, lat_a, lon_b, lat_b, n), (lon_b, lat_b)]
        for (xa, ya), (xb, yb) in itertools.pairwise(points):
            _, _, part = WGS84.inv(xa, ya, xb, yb)
            segments.append((float(xa), float(ya), float(xb), float(yb), part))
    return segments


def pieces_of(volume: Volume, number: int = 0) -> list[Piece]:
    """Cut one volume into pieces, each reaching at most `MAX_PIECE_REACH_M` from its centre."""
    band, window, outline = volume.band, volume.window, volume.outline
    common = {
        "lower": band.lower,
        "upper": band.upper,
        "reference": band.reference,
        "start": window.start,
        "end": window.end,
        "volume": number,
    }
    pieces: list[Piece] = []
    if isinstance(outline, Circle) and outline.radius <= SMALL_CIRCLE_M:
        lon, lat = outline.center
        bbox = _box(lon, lat, lon, lat, outline.radius + 10.0)
        pieces.append(
            Piece(
                PieceKind.CAPSULE,
                (lon, lat, lon, lat),
                None,
                outline.radius,
                (lon, lat),
                bbox,
                **common,
            )
        )
    elif isinstance(outline, Corridor):
        for lon_a, lat_a, lon_b, lat_b, length in segment_pieces(outline.path):
            # The midpoint in degrees, not on the geodesic: it only centres the local plane,
            # and is within the bulge (metres) of the true one.
            center = ((lon_a + lon_b) / 2.0, (lat_a + lat_b) / 2.0)
            margin = outline.radius + bulge_m(length, max(abs(lat_a), abs(lat_b)))
            bbox = _box(
                min(lon_a, lon_b), min(lat_a, lat_b), max(lon_a, lon_b), max(lat_a, lat_b), margin
            )
            pieces.append(
                Piece(
                    PieceKind.CAPSULE,
                    (lon_a, lat_a, lon_b, lat_b),
                    None,
                    outline.radius,
                    center,
                    bbox,
                    **common,
                )
            )
    else:
        core = outline.shape if isinstance(outline, PolygonOutline) else circle_polygon(outline)
        for part in _polygon_pieces(core):
            lon_min, lat_min, lon_max, lat_max = part.bounds
            margin = bulge_m(EDGE_STEP_M, max(abs(lat_min), abs(lat_max)))
            bbox = _box(lon_min, lat_min, lon_max, lat_max, margin)
            pieces.append(
                Piece(
                    PieceKind.POLYGON,
                    (0.0, 0.0, 0.0, 0.0),
                    part,
                    0.0,
                    _polygon_center(part),
                    bbox,
                    **common,
                )
            )
    return pieces
