"""All intersecting pairs among n axis-aligned boxes in k dimensions, by a uniform grid.

Each box is entered in every grid cell it touches; boxes sharing a cell are candidate
pairs; a pair is kept once, in the one cell that holds the low corner of the two boxes'
intersection (so no de-duplication pass is needed), and only if the boxes really
intersect. Which cell that is is decided first, from one byte per entry (the
dimensions in which the cell is its box's lowest), before any coordinate is read.
Cost is O(n·c + p) for c cells per box and p pairs per shared cell, plus a sort
of the n·c entries: ~N log N when the cell is about the size of a typical box.

Why hand-written: shapely's STRtree and `rtree` are 2-D or need a Python call per box;
this join runs every second over 10^5 moving boxes in 4 dimensions (3 Earth-centred
axes and altitude), rebuilt from scratch each cycle, entirely in numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

Mapper = Callable[..., Iterable[Any]]
"""`map` or `concurrent.futures.Executor.map`: how independent chunks are run."""

MAX_PAIRS_PER_CHUNK = 16_384
"""Candidate pairs tested at once: small enough that the gathered rows stay in cache."""


def _entries(
    low_cell: NDArray[np.int64], high_cell: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(box, cell coordinates) for every cell each box touches."""
    n, k = low_cell.shape
    span = high_cell - low_cell + 1
    count = np.prod(span, axis=1)
    owner = np.repeat(np.arange(n, dtype=np.int64), count)
    starts = np.cumsum(count) - count
    rank = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(starts, count)
    cells = np.empty((len(owner), k), dtype=np.int64)
    spans = span[owner]
    for d in range(k):
        cells[:, d] = low_cell[owner, d] + rank % spans[:, d]
        rank //= spans[:, d]
    return owner, cells


def box_pairs(
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    cell: NDArray[np.float64],
    mapper: Mapper = map,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs (i, j), i < j, whose closed boxes ``[low, high]`` (n × k) intersect.

    `cell` is the grid's cell size per dimension. Returned sorted by (i, j). `mapper`
    runs the chunks (`map`, or a thread pool's: numpy releases the GIL in them).
    """
    n, k = low.shape
    if n < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    low_cell = np.floor(low / cell).astype(np.int64)
    high_cell = np.floor(high / cell).astype(np.int64)
    owner, cells = _entries(low_cell, high_cell)
    # In which dimensions each entry's cell is its box's lowest: a pair is reported in
    # the cell where the intersection's low corner lies, max(low_i, low_j) per
    # dimension, i.e. where each dimension is the lowest of one box or the other.
    corner = np.zeros(len(owner), dtype=np.uint8)
    for d in range(k):
        corner |= (cells[:, d] == low_cell[owner, d]).astype(np.uint8) << d
    origin = cells.min(axis=0)
    extent = cells.max(axis=0) - origin + 1
    if float(np.prod(extent.astype(np.float64))) >= 2.0**62:
        raise ValueError("grid too fine for the spread of the boxes: cell keys overflow")
    key = np.zeros(len(owner), dtype=np.int64)
    for d in range(k):
        key = key * extent[d] + (cells[:, d] - origin[d])
    order = np.argsort(key, kind="stable")  # stable: owners ascend within a cell
    key, owner, corner = key[order], owner[order].astype(np.int32), corner[order]
    boundary = np.flatnonzero(np.diff(key)) + 1
    group_start = np.concatenate([[0], boundary])
    group_end = np.concatenate([boundary, [len(key)]])
    size = group_end - group_start
    # For the entry at sorted position q in a group ending at e: partners q+1 … e-1.
    end_of = np.repeat(group_end, size)
    partners = end_of - np.arange(len(key)) - 1
    bounds = _outward_float32(np.concatenate([low, -high], axis=1))
    firsts: list[NDArray[np.int32]] = []
    seconds: list[NDArray[np.int32]] = []
    cumulative = np.cumsum(partners)
    limits = np.searchsorted(
        cumulative, np.arange(MAX_PAIRS_PER_CHUNK, int(cumulative[-1]), MAX_PAIRS_PER_CHUNK)
    )
    ranges = zip(np.concatenate([[0], limits]), np.concatenate([limits, [len(key)]]), strict=True)

    def chunk(bounds_q: tuple[int, int]) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
        return _pairs_in(int(bounds_q[0]), int(bounds_q[1]), partners, owner, corner, bounds)

    for i, j in mapper(chunk, ranges):
        firsts.append(i)
        seconds.append(j)
    i = np.concatenate(firsts).astype(np.int64)
    j = np.concatenate(seconds).astype(np.int64)
    order = np.argsort(i * n + j)
    return i[order], j[order]


def _outward_float32(bounds: NDArray[np.float64]) -> NDArray[np.float32]:
    """``(low…, −high…)`` in single precision, each value rounded down (so every box can
    only grow, by under a metre at Earth-centred coordinates): half the bytes per row."""
    single = bounds.astype(np.float32)
    above = single.astype(np.float64) > bounds
    single[above] = np.nextafter(single[above], np.float32(-np.inf))
    return single


def _pairs_in(
    lo_q: int,
    hi_q: int,
    partners: NDArray[np.int64],
    owner: NDArray[np.int32],
    corner: NDArray[np.uint8],
    bounds: NDArray[np.float32],
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """The kept pairs whose first entry sits at sorted positions [lo_q, hi_q).

    First the cheap test, on one byte per entry: is this cell the one that reports the
    pair (`corner` bits of the two cover every dimension)? Most pairs sharing a cell
    fail it. Then the boxes: `bounds` holds each box as one row ``(low…, −high…)``, so
    one row gather per box serves all dimensions.
    """
    count = partners[lo_q:hi_q]
    first = np.repeat(np.arange(lo_q, hi_q, dtype=np.int32), count)
    starts = (np.cumsum(count) - count).astype(np.int32)
    second = first + 1 + np.arange(len(first), dtype=np.int32) - np.repeat(starts, count)
    k = bounds.shape[1] // 2
    here = (corner[first] | corner[second]) == (1 << k) - 1
    i, j = owner[first[here]], owner[second[here]]
    a, b = bounds[i], bounds[j]
    # low_i ≤ high_j  ⇔  low_i ≤ −(−high_j); both directions at once with the halves swapped.
    keep = (a[:, 0] <= -b[:, k]) & (b[:, 0] <= -a[:, k])
    for d in range(1, k):  # columns one by one: numpy reduces a short axis slowly
        keep &= (a[:, d] <= -b[:, k + d]) & (b[:, d] <= -a[:, k + d])
    return i[keep], j[keep]
