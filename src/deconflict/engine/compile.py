"""Declarations into pieces: the unit the index stores and the exact check measures.

`compile_pieces` cuts one declaration (what a check does with the new one); `compile_many`
cuts many into table columns at once (what building the airspace does). They give the
same pieces: `compile_many` does the arithmetic of `geo.pieces` for circles and
corridors (nearly every stored piece) in arrays (`compile_arrays`), with the same
geodesic calls, and hands polygons and large circles to `pieces_of` itself. Only the
index boxes may differ, in the last bits of their slack, which the boxes' metres of
margin absorb.
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

from deconflict.engine.compile_arrays import (
    bulges,
    corridor_segments,
    grown_boxes,
    simple_polygons,
)
from deconflict.geo.altitude import REFERENCE_CODES
from deconflict.geo.declaration import Declaration
from deconflict.geo.outline import Circle, Corridor, PolygonOutline
from deconflict.geo.pieces import (
    EDGE_STEP_M,
    SMALL_CIRCLE_M,
    Piece,
    PieceKind,
    pieces_of,
)
from deconflict.geo.volume import Volume

_REFERENCE_CODE = {ref: code for code, ref in enumerate(REFERENCE_CODES)}
_SHAPES: dict[type, int] = {Circle: 0, Corridor: 1, PolygonOutline: 2}
_OTHER = 3
_VOLUMES, _BAND, _WINDOW, _OUTLINE = map(attrgetter, ("volumes", "band", "window", "outline"))
_LOWER, _UPPER, _REFERENCE = map(attrgetter, ("lower", "upper", "reference"))
_START, _END = attrgetter("start"), attrgetter("end")
_RADIUS, _CENTER, _PATH = attrgetter("radius"), attrgetter("center"), attrgetter("path")
_HOLES = attrgetter("holes")


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
    simple, whole_polygons = simple_polygons(shells)
    per_volume[list(simple)] = 1
    fallback += [i for i, _ in shells if i not in simple]

    fallback += np.flatnonzero(shape == _OTHER).tolist()
    others: dict[int, list[Piece]] = {}
    for i in sorted(fallback):  # large circles, polygons with holes or to cut, others
        others[i] = pieces_of(volumes[i], int(head[i, 1]))
        per_volume[i] = len(others[i])
    edge_volume = edge[:, 0].astype(np.int64)
    edge_of, segments = corridor_segments(edge[:, 1:5])
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
        box = grown_boxes(lon, lat, lon, lat, radius + 10.0)
        bounds[rows, 0:2], bounds[rows, 4:6] = box[:, 0:2], box[:, 2:4]
    if len(segments):
        # Segments are in volume order: each takes the next row of its volume.
        starts = np.flatnonzero(np.r_[True, segment_volume[1:] != segment_volume[:-1]])
        run = np.repeat(starts, np.diff(np.r_[starts, len(segment_volume)]))
        rows = first[segment_volume] + np.arange(len(segment_volume)) - run
        lon_a, lat_a, lon_b, lat_b, length = segments.T
        radius = edge[edge_of, 5]
        floats[rows] = np.column_stack([lon_a, lat_a, lon_b, lat_b, radius])
        bulge = bulges(length, np.maximum(np.abs(lat_a), np.abs(lat_b)))
        box = grown_boxes(
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
        polygons[rows] = whole_polygons
        lon_min, lat_min, lon_max, lat_max = shapely.bounds(whole_polygons).T
        bulge = bulges(
            np.full(len(rows), EDGE_STEP_M), np.maximum(np.abs(lat_min), np.abs(lat_max))
        )
        box = grown_boxes(lon_min, lat_min, lon_max, lat_max, bulge)
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
