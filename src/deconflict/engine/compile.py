"""Declarations into pieces: the unit the index stores and the exact check measures.

`compile_pieces` cuts one declaration (what a check does with the new one); `compile_many`
cuts many into table columns at once (what building the airspace does). They give the
same pieces: `compile_many` does the arithmetic of `geo.pieces` for circles and
corridors (nearly every stored piece) in arrays, with the same geodesic calls, and hands
polygons and large circles to `pieces_of` itself. Only the index boxes may differ, in the
last bits of their slack, which the boxes' metres of margin absorb.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj.enums import GeodIntermediateFlag

from deconflict.geo.altitude import REFERENCE_CODES
from deconflict.geo.declaration import Declaration
from deconflict.geo.outline import Circle, Corridor, PolygonOutline
from deconflict.geo.pieces import (
    _EARTH_R,
    EDGE_STEP_M,
    MAX_PIECE_REACH_M,
    SEGMENT_STEP_M,
    SMALL_CIRCLE_M,
    WGS84,
    Piece,
    PieceKind,
    pieces_of,
)
from deconflict.geo.projection import MAX_RELATIVE_ERROR
from deconflict.geo.volume import Volume

_REFERENCE_CODE = {ref: code for code, ref in enumerate(REFERENCE_CODES)}
_SHAPES: dict[type, int] = {Circle: 0, Corridor: 1, PolygonOutline: 2}
_OTHER = 3
_VOLUMES, _BAND, _WINDOW, _OUTLINE = map(attrgetter, ("volumes", "band", "window", "outline"))
_LOWER, _UPPER, _REFERENCE = map(attrgetter, ("lower", "upper", "reference"))
_START, _END = attrgetter("start"), attrgetter("end")
_RADIUS, _CENTER, _PATH = attrgetter("radius"), attrgetter("center"), attrgetter("path")
_HOLES = attrgetter("holes")
_NO_AZIMUTHS = GeodIntermediateFlag.AZIS_DISCARD


def compile_pieces(declaration: Declaration) -> list[Piece]:
    """All pieces of all volumes, each tagged with its volume's position."""
    pieces: list[Piece] = []
    for number, volume in enumerate(declaration.volumes):
        pieces.extend(pieces_of(volume, number))
    return pieces


@dataclass(frozen=True, slots=True)
class PieceColumns:
    """Pieces of many declarations as table columns; `owner` is the declaration's position
    in the compiled sequence. Pieces come in declaration, volume and piece order."""

    owner: NDArray[np.int64]
    volume: NDArray[np.int64]
    kind: NDArray[np.int64]
    reference: NDArray[np.int64]
    ax: NDArray[np.float64]
    ay: NDArray[np.float64]
    bx: NDArray[np.float64]
    by: NDArray[np.float64]
    radius: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    start: NDArray[np.float64]
    end: NDArray[np.float64]
    polygons: NDArray[np.object_]
    bounds: NDArray[np.float64]
    """Index boxes (n × 8): lon_min, lat_min, lower, start, lon_max, lat_max, upper, end."""

    def __len__(self) -> int:
        return len(self.owner)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: a bulk build makes millions of objects that
    all survive, and each full collection would walk every one of them again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _degree_margins(metres: NDArray, max_abs_lat: NDArray) -> tuple[NDArray, NDArray]:
    """`geo.pieces.degree_margins` over arrays."""
    dlat = metres / 110_574.0
    cos_lat = np.cos(np.radians(np.minimum(max_abs_lat + dlat, 89.9)))
    return metres / (111_320.0 * cos_lat), dlat


def _grown(
    lon_min: NDArray, lat_min: NDArray, lon_max: NDArray, lat_max: NDArray, metres: NDArray
) -> NDArray[np.float64]:
    """`geo.pieces._box` over arrays: (n × 4) lon/lat boxes grown by `metres`."""
    dlon, dlat = _degree_margins(metres, np.maximum(np.abs(lat_min), np.abs(lat_max)))
    return np.column_stack([lon_min - dlon, lat_min - dlat, lon_max + dlon, lat_max + dlat])


def _intermediate(
    ends: NDArray[np.float64], counts: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`Geod.npts` of many geodesics (ends: n × 4 lon_a, lat_a, lon_b, lat_b; `counts`
    points each), concatenated.

    The same computation as `npts` (which calls `inv_intermediate` and zips the result
    into tuples), writing straight into one array: two and a half times faster, and the
    very same points.
    """
    total = int(counts.sum())
    lons, lats = np.empty(total, dtype=np.float64), np.empty(total, dtype=np.float64)
    stops = np.cumsum(counts)
    intermediate = WGS84.inv_intermediate
    for (lon_a, lat_a, lon_b, lat_b), start, stop in zip(
        ends.tolist(), (stops - counts).tolist(), stops.tolist(), strict=True
    ):
        intermediate(
            lon_a,
            lat_a,
            lon_b,
            lat_b,
            stop - start,
            flags=_NO_AZIMUTHS,
            out_lons=lons[start:stop],
            out_lats=lats[start:stop],
            return_back_azimuth=False,
        )
    return lons, lats


def _corridor_segments(
    pairs: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """`geo.pieces.segment_pieces` of many path edges (n × 4: lon_a, lat_a, lon_b, lat_b).

    Returns which edge each segment comes from and the segments (lon_a, lat_a, lon_b,
    lat_b, length), in edge order. Edges longer than `SEGMENT_STEP_M` are cut at the
    points `segment_pieces` cuts them at (`_intermediate` gives `Geod.npts`'s points).
    """
    _, _, length = WGS84.inv(pairs[:, 0], pairs[:, 1], pairs[:, 2], pairs[:, 3])
    length = np.asarray(length, dtype=np.float64)
    cuts = np.ceil(length / SEGMENT_STEP_M).astype(np.int64) - 1
    long_edges = np.flatnonzero(cuts > 0)
    counts = np.where(cuts > 0, cuts + 1, 1)
    edge = np.repeat(np.arange(len(pairs)), counts)
    segments = np.empty((int(counts.sum()), 5), dtype=np.float64)
    first = np.cumsum(counts) - counts
    short = cuts <= 0
    segments[first[short], :4] = pairs[short]
    segments[first[short], 4] = length[short]
    if len(long_edges):
        ends = pairs[long_edges]
        lons, lats = _intermediate(ends, cuts[long_edges])
        # Each long edge: its start, its intermediate points, its end.
        lengths = cuts[long_edges] + 2
        xy = np.empty((int(lengths.sum()), 2), dtype=np.float64)
        last = np.cumsum(lengths) - 1
        inner = np.ones(len(xy), dtype=bool)
        inner[last], inner[last - lengths + 1] = False, False
        xy[last - lengths + 1], xy[last] = ends[:, 0:2], ends[:, 2:4]
        xy[inner, 0], xy[inner, 1] = lons, lats
        # Each long edge of k segments has k + 1 points; segment i joins points i, i + 1.
        lengths = counts[long_edges]
        point_first = np.cumsum(lengths + 1) - (lengths + 1)
        local = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        a = np.repeat(point_first, lengths) + local
        rows = np.repeat(first[long_edges], lengths) + local
        segments[rows, 0:2] = xy[a]
        segments[rows, 2:4] = xy[a + 1]
        _, _, part = WGS84.inv(xy[a, 0], xy[a, 1], xy[a + 1, 0], xy[a + 1, 1])
        segments[rows, 4] = part
    return edge, segments


def _simple_polygons(
    shells: list[tuple[int, tuple[tuple[float, float], ...]]],
) -> tuple[dict[int, int], NDArray[np.object_]]:
    """Densify polygon shells as `geo.pieces` does, for many at once; those small enough
    to stay whole (one piece each) are returned as {volume: position} and their
    densified polygons. The others are left to `pieces_of`, which cuts them.
    """
    if not shells:
        return {}, np.empty(0, dtype=object)
    sizes = np.array([len(shell) for _, shell in shells], dtype=np.int64)
    xy = np.fromiter(
        chain.from_iterable(chain.from_iterable(shell for _, shell in shells)),
        np.float64,
        2 * int(sizes.sum()),
    ).reshape(-1, 2)
    ring_first = np.cumsum(sizes) - sizes
    a = np.flatnonzero(np.isin(np.arange(len(xy)), ring_first + sizes - 1, invert=True))
    b = a + 1
    _, _, length = WGS84.inv(xy[a, 0], xy[a, 1], xy[b, 0], xy[b, 1])
    cuts = np.ceil(np.asarray(length) / EDGE_STEP_M).astype(np.int64) - 1
    # The densified ring: its first point, then per edge its middle points and its end.
    per_edge = np.maximum(cuts, 0) + 1
    ring_of_edge = np.repeat(np.arange(len(shells)), sizes - 1)
    out_sizes = 1 + np.bincount(ring_of_edge, weights=per_edge, minlength=len(shells)).astype(
        np.int64
    )
    out_first = np.cumsum(out_sizes) - out_sizes
    edge_out = out_first[ring_of_edge] + 1 + (np.cumsum(per_edge) - per_edge)
    edge_out -= (np.cumsum(per_edge) - per_edge)[ring_first[ring_of_edge] - ring_of_edge]
    out = np.empty((int(out_sizes.sum()), 2), dtype=np.float64)
    out[out_first] = xy[ring_first]
    out[edge_out + per_edge - 1] = xy[b]
    long_edges = np.flatnonzero(cuts > 0)
    if len(long_edges):
        ab = np.column_stack([xy[a[long_edges]], xy[b[long_edges]]])
        # From the smaller end, as `geo.pieces` does, so that shared edges match exactly.
        backwards = (ab[:, 0] > ab[:, 2]) | ((ab[:, 0] == ab[:, 2]) & (ab[:, 1] > ab[:, 3]))
        ab[backwards] = ab[backwards][:, [2, 3, 0, 1]]
        counts = cuts[long_edges]
        lons, lats = _intermediate(ab, counts)
        local = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        flipped = np.repeat(backwards, counts)
        source = np.repeat(np.cumsum(counts) - counts, counts) + np.where(
            flipped, np.repeat(counts, counts) - 1 - local, local
        )
        out[np.repeat(edge_out[long_edges], counts) + local] = np.column_stack(
            [lons[source], lats[source]]
        )
    rings = shapely.linearrings(out, indices=np.repeat(np.arange(len(shells)), out_sizes))
    polygons = shapely.polygons(rings)
    # `geo.pieces._polygon_pieces` keeps a polygon whole when its box's half-diagonal is
    # within the limit; the few that are not go to `pieces_of` (which also tries harder).
    lon_min, lat_min, lon_max, lat_max = shapely.bounds(polygons).T
    lon0, lat0 = (lon_min + lon_max) / 2.0, (lat_min + lat_max) / 2.0
    corners_lon = np.column_stack([lon_min, lon_min, lon_max, lon_max]).ravel()
    corners_lat = np.column_stack([lat_min, lat_max, lat_min, lat_max]).ravel()
    _, _, reach = WGS84.inv(np.repeat(lon0, 4), np.repeat(lat0, 4), corners_lon, corners_lat)
    half_diagonal = np.asarray(reach).reshape(-1, 4).max(axis=1) * 1.001
    whole = np.flatnonzero(half_diagonal <= MAX_PIECE_REACH_M * (1.0 - 2.0 * MAX_RELATIVE_ERROR))
    simple = {shells[i][0]: k for k, i in enumerate(whole.tolist())}
    return simple, polygons[whole]


SMALL_BATCH = 32
"""Fewer declarations than this are cut one by one: the bulk path's fixed cost (some
fifty array operations) exceeds what it saves on a handful."""


def _columns_one_by_one(declarations: Sequence[Declaration]) -> PieceColumns:
    """`compile_many` through `compile_pieces`: the path for a few declarations."""
    pieces = [(owner, p) for owner, d in enumerate(declarations) for p in compile_pieces(d)]
    ints = np.array(
        [(owner, p.volume, p.kind, _REFERENCE_CODE[p.reference]) for owner, p in pieces],
        dtype=np.int64,
    ).reshape(-1, 4)
    floats = np.array(
        [(*p.segment, p.radius, p.lower, p.upper, p.start, p.end) for _, p in pieces],
        dtype=np.float64,
    ).reshape(-1, 9)
    bounds = np.array(  # `boxes.piece_box`, which imports this module
        [(*p.bbox[:2], p.lower, p.start, *p.bbox[2:], p.upper, p.end) for _, p in pieces],
        dtype=np.float64,
    ).reshape(-1, 8)
    polygons = np.empty(len(pieces), dtype=object)
    polygons[:] = [p.polygon if p.kind is PieceKind.POLYGON else None for _, p in pieces]
    return PieceColumns(
        *(ints[:, i] for i in range(4)), *(floats[:, i] for i in range(9)), polygons, bounds
    )


def compile_many(declarations: Sequence[Declaration]) -> PieceColumns:
    """The pieces of all `declarations` as columns, computed in bulk (see the module)."""
    if len(declarations) < SMALL_BATCH:
        return _columns_one_by_one(declarations)
    # Attributes are read by `map` over `attrgetter`s, column by column: the loop then
    # runs in C, several times faster than a Python loop over a million volumes.
    per_declaration = list(map(_VOLUMES, declarations))
    lengths = np.fromiter(map(len, per_declaration), np.int64, len(per_declaration))
    volumes: list[Volume] = list(chain.from_iterable(per_declaration))
    n = len(volumes)
    bands, windows = list(map(_BAND, volumes)), list(map(_WINDOW, volumes))
    outlines = list(map(_OUTLINE, volumes))
    head = np.empty((n, 7), dtype=np.float64)  # owner, number, lower, upper, ref, start, end
    head[:, 0] = np.repeat(np.arange(len(per_declaration)), lengths)
    head[:, 1] = np.arange(n) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    head[:, 2] = np.fromiter(map(_LOWER, bands), np.float64, n)
    head[:, 3] = np.fromiter(map(_UPPER, bands), np.float64, n)
    head[:, 4] = np.fromiter(map(_REFERENCE_CODE.__getitem__, map(_REFERENCE, bands)), int, n)
    head[:, 5] = np.fromiter(map(_START, windows), np.float64, n)
    head[:, 6] = np.fromiter(map(_END, windows), np.float64, n)
    shape = np.array([_SHAPES.get(t, _OTHER) for t in map(type, outlines)], dtype=np.int64)
    per_volume = np.zeros(n, dtype=np.int64)
    fallback: list[int] = []

    at = np.flatnonzero(shape == _SHAPES[Circle])
    chosen = [outlines[i] for i in at.tolist()]
    radius = np.fromiter(map(_RADIUS, chosen), np.float64, len(chosen))
    centre = np.fromiter(chain.from_iterable(map(_CENTER, chosen)), np.float64, 2 * len(chosen))
    small = radius <= SMALL_CIRCLE_M
    circle = np.column_stack([at, centre.reshape(-1, 2), radius])[small].reshape(-1, 4)
    per_volume[at[small]] = 1
    fallback += at[~small].tolist()

    at = np.flatnonzero(shape == _SHAPES[Corridor])
    chosen = [outlines[i] for i in at.tolist()]
    paths = list(map(_PATH, chosen))
    points = np.fromiter(map(len, paths), np.int64, len(paths))
    xy = np.fromiter(
        chain.from_iterable(chain.from_iterable(paths)), np.float64, 2 * int(points.sum())
    ).reshape(-1, 2)
    last = np.cumsum(points) - 1
    a = np.flatnonzero(~np.isin(np.arange(len(xy)), last))  # every point but a path's last
    corridor_of = np.repeat(np.arange(len(paths)), points - 1)
    edge = np.empty((len(a), 6), dtype=np.float64)  # volume, lon_a, lat_a, lon_b, lat_b, radius
    edge[:, 0] = at[corridor_of]
    edge[:, 1:3], edge[:, 3:5] = xy[a], xy[a + 1]
    edge[:, 5] = np.fromiter(map(_RADIUS, chosen), np.float64, len(chosen))[corridor_of]

    at = np.flatnonzero(shape == _SHAPES[PolygonOutline])
    chosen = [outlines[i] for i in at.tolist()]
    holes = np.fromiter(map(bool, map(_HOLES, chosen)), bool, len(chosen))
    shells = [
        (i, outline.shell)
        for i, outline, h in zip(at.tolist(), chosen, holes, strict=True)
        if not h
    ]
    fallback += at[holes].tolist()
    simple, simple_polygons = _simple_polygons(shells)
    per_volume[list(simple)] = 1
    fallback += [i for i, _ in shells if i not in simple]

    fallback += np.flatnonzero(shape == _OTHER).tolist()
    others: dict[int, list[Piece]] = {}
    for i in sorted(fallback):  # large circles, polygons with holes or to cut, others
        others[i] = pieces_of(volumes[i], int(head[i, 1]))
        per_volume[i] = len(others[i])
    edge_volume = edge[:, 0].astype(np.int64)
    edge_of, segments = _corridor_segments(edge[:, 1:5])
    segment_volume = edge_volume[edge_of]
    np.add.at(per_volume, segment_volume, 1)

    total = int(per_volume.sum())
    first = np.cumsum(per_volume) - per_volume
    volume_of = np.repeat(np.arange(len(per_volume)), per_volume)
    ints = np.zeros((total, 2), dtype=np.int64)  # kind, unused
    floats = np.zeros((total, 5), dtype=np.float64)  # ax, ay, bx, by, radius
    bounds = np.empty((total, 8), dtype=np.float64)
    polygons = np.empty(total, dtype=object)

    if len(circle):
        rows = first[circle[:, 0].astype(np.int64)]
        lon, lat, radius = circle[:, 1], circle[:, 2], circle[:, 3]
        floats[rows] = np.column_stack([lon, lat, lon, lat, radius])
        box = _grown(lon, lat, lon, lat, radius + 10.0)
        bounds[rows, 0:2], bounds[rows, 4:6] = box[:, 0:2], box[:, 2:4]
    if len(segments):
        # Segments are in volume order: each takes the next row of its volume.
        starts = np.flatnonzero(np.r_[True, segment_volume[1:] != segment_volume[:-1]])
        run = np.repeat(starts, np.diff(np.r_[starts, len(segment_volume)]))
        rows = first[segment_volume] + np.arange(len(segment_volume)) - run
        lon_a, lat_a, lon_b, lat_b, length = segments.T
        radius = edge[edge_of, 5]
        floats[rows] = np.column_stack([lon_a, lat_a, lon_b, lat_b, radius])
        max_abs_lat = np.maximum(np.abs(lat_a), np.abs(lat_b))
        tan_lat = np.tan(np.radians(np.minimum(max_abs_lat, 89.0)))
        bulge = length * length * (np.abs(tan_lat) + 1.0) / (8.0 * _EARTH_R) + 10.0
        box = _grown(
            np.minimum(lon_a, lon_b),
            np.minimum(lat_a, lat_b),
            np.maximum(lon_a, lon_b),
            np.maximum(lat_a, lat_b),
            radius + bulge,
        )
        bounds[rows, 0:2], bounds[rows, 4:6] = box[:, 0:2], box[:, 2:4]
    if simple:
        rows = first[np.fromiter(simple, np.int64, len(simple))]
        ints[rows, 0] = int(PieceKind.POLYGON)
        polygons[rows] = simple_polygons
        lon_min, lat_min, lon_max, lat_max = shapely.bounds(simple_polygons).T
        max_abs_lat = np.maximum(np.abs(lat_min), np.abs(lat_max))
        tan_lat = np.tan(np.radians(np.minimum(max_abs_lat, 89.0)))
        bulge = EDGE_STEP_M * EDGE_STEP_M * (np.abs(tan_lat) + 1.0) / (8.0 * _EARTH_R) + 10.0
        box = _grown(lon_min, lat_min, lon_max, lat_max, bulge)
        bounds[rows, 0:2], bounds[rows, 4:6] = box[:, 0:2], box[:, 2:4]
    for at, pieces in others.items():
        for row, piece in enumerate(pieces, start=int(first[at])):
            ints[row, 0] = int(piece.kind)
            floats[row] = (*piece.segment, piece.radius)
            lon_min, lat_min, lon_max, lat_max = piece.bbox
            bounds[row, 0:2], bounds[row, 4:6] = (lon_min, lat_min), (lon_max, lat_max)
            polygons[row] = piece.polygon if piece.kind is PieceKind.POLYGON else None

    per_piece = head[volume_of]
    bounds[:, 2], bounds[:, 3] = per_piece[:, 2], per_piece[:, 5]
    bounds[:, 6], bounds[:, 7] = per_piece[:, 3], per_piece[:, 6]
    return PieceColumns(
        per_piece[:, 0].astype(np.int64),
        per_piece[:, 1].astype(np.int64),
        ints[:, 0],
        per_piece[:, 4].astype(np.int64),
        *(floats[:, i] for i in range(5)),
        per_piece[:, 2],
        per_piece[:, 3],
        per_piece[:, 5],
        per_piece[:, 6],
        polygons,
        bounds,
    )
