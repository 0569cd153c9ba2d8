"""The grid's cells: which cells of which level a 4D box covers, as sortable keys.

`grid_index` stores and asks; this module says where. Each box goes on the finest level
(a cell size in degrees and a duration) on which it spans at most `SPAN` cells per axis.
A cell is one int64 key ordering cells by level, then x, then time, then y, so that the
cells of a box that share x and time are one contiguous run of keys.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

CELL_SIZES: tuple[float, ...] = (0.05, 0.2, 0.8, 3.2, 25.6, 400.0)
"""Cell sizes in degrees of lon and lat, finest first; the last is larger than the Earth."""
CELL_DURATIONS: tuple[float, ...] = (1800.0, 7200.0, 28800.0, 2 * 86400.0, 32 * 86400.0)
"""Cell durations in seconds, finest first; the last holds anything a volume may last."""
LEVELS: tuple[tuple[float, float], ...] = tuple(
    (size, duration) for size in CELL_SIZES for duration in CELL_DURATIONS
)
"""Every (cell size, cell duration) pair. A box's size and duration are graded apart:
a 50 km route leg flown in ten minutes sits in big short cells, a small drone area
booked for hours in small long ones, so that a probe meets few boxes far from it in
either space or time. Steps of four keep the cells of a box near its own size."""
SPAN = 3
"""A box goes on the finest level where it covers at most this many cells per axis."""

SIZES = np.array([size for size, _ in LEVELS], dtype=np.float64)
DURATIONS = np.array([duration for _, duration in LEVELS], dtype=np.float64)
XY_BITS, T_BITS = 15, 27
XY_HALF, T_HALF = 1 << (XY_BITS - 1), 1 << (T_BITS - 1)
"""Cell numbers are clipped to ±these: clipping is monotonic, so a box and a probe that
meet still share a cell, and far-off times merely share the edge cells."""
LEVEL_SHIFT = 2 * XY_BITS + T_BITS
_RANGE_COLUMNS = [0, 4, 1, 5, 3, 7]
"""Box columns in the order of a cell range: lon min/max, lat min/max, start/end."""
_RANGE_LOW = np.array([-XY_HALF] * 4 + [-T_HALF] * 2, dtype=np.float64)
_RANGE_HIGH = np.array([XY_HALF - 1] * 4 + [T_HALF - 1] * 2, dtype=np.float64)
_STEPS = np.column_stack([SIZES] * 4 + [DURATIONS] * 2)
"""Each level's cell steps in the order of a cell range."""


def encode(
    level: NDArray[np.int64], x: NDArray[np.int64], t: NDArray[np.int64], y: NDArray[np.int64]
) -> NDArray[np.int64]:
    """One int64 per cell: 6 bits of level, 15 of x, 27 of t, 15 of y (offset positive)."""
    key = (level << XY_BITS) | (x + XY_HALF)
    key = (key << T_BITS) | (t + T_HALF)
    return (key << XY_BITS) | (y + XY_HALF)


def decode(keys: NDArray[np.int64]) -> tuple[NDArray[np.int64], ...]:
    """(x, t, y) of encoded keys."""
    y = (keys & ((1 << XY_BITS) - 1)) - XY_HALF
    t = ((keys >> XY_BITS) & ((1 << T_BITS) - 1)) - T_HALF
    x = ((keys >> (XY_BITS + T_BITS)) & ((1 << XY_BITS) - 1)) - XY_HALF
    return x, t, y


def cell_numbers(
    values: NDArray[np.float64], step: NDArray | float, half: int
) -> NDArray[np.int64]:
    return np.minimum(np.maximum(np.floor(values / step), -half), half - 1).astype(np.int64)


def cell_ranges(boxes: NDArray[np.float64], level: NDArray[np.int64] | int) -> NDArray[np.int64]:
    """Cell index ranges (x0, x1, y0, y1, t0, t1), inclusive, of each box on its level."""
    cells = np.floor(boxes[:, _RANGE_COLUMNS] / _STEPS[level])
    return np.clip(cells, _RANGE_LOW, _RANGE_HIGH, out=cells).astype(np.int64)


PACKED_BITS = 63
"""Bits of a non-negative int64: what a packed cell and box number may use."""


def _components(
    ranges: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(x, t, y, range number) of every cell of each range, box by box (vectorised)."""
    nx = ranges[:, 1] - ranges[:, 0] + 1
    ny = ranges[:, 3] - ranges[:, 2] + 1
    nt = ranges[:, 5] - ranges[:, 4] + 1
    counts = nx * ny * nt
    owner = np.repeat(np.arange(len(ranges)), counts)
    local = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    nx_r, ny_r = nx[owner], ny[owner]
    x = ranges[owner, 0] + local % nx_r
    y = ranges[owner, 2] + (local // nx_r) % ny_r
    t = ranges[owner, 4] + local // (nx_r * ny_r)
    return x, t, y, owner


def expand(
    ranges: NDArray[np.int64], level: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """All cell keys of each range, and which range each key came from (vectorised)."""
    x, t, y, owner = _components(ranges)
    return encode(level[owner], x, t, y), owner


Encoder = Callable[
    [NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    NDArray[np.int64],
]
"""(box numbers, x, t, y) → one int64 per cell."""


def expand_all(ranges: NDArray[np.int64], code: Encoder) -> NDArray[np.int64]:
    """The cells of every box as `code` writes them (`code(boxes, x, t, y)`).

    Nearly every box spans at most `SPAN` cells per axis, so its cells are listed offset
    by offset (27 passes over the boxes), which makes far fewer temporaries than listing
    them box by box; the rest go box by box.
    """
    nx = ranges[:, 1] - ranges[:, 0]
    ny = ranges[:, 3] - ranges[:, 2]
    nt = ranges[:, 5] - ranges[:, 4]
    small = (nx < SPAN) & (ny < SPAN) & (nt < SPAN)
    parts = []
    for dx in range(SPAN):
        for dy in range(SPAN):
            for dt in range(SPAN):
                chosen = np.flatnonzero(small & (nx >= dx) & (ny >= dy) & (nt >= dt))
                r = ranges[chosen]
                parts.append(code(chosen, r[:, 0] + dx, r[:, 4] + dt, r[:, 2] + dy))
    large = np.flatnonzero(~small)
    x, t, y, owner = _components(ranges[large])
    parts.append(code(large[owner], x, t, y))
    return np.concatenate(parts)


def sorted_cells(
    ranges: NDArray[np.int64], level: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The cell keys of all boxes in key order, and the box of each.

    Sorting the keys and moving the boxes along is the build's largest step. When the
    boxes' cell numbers span few enough values (a region and a season or so: nearly
    always), each cell is written as (level's rank, x, t, y, box number) with just the
    bits those spans need, in one int64, in the keys' order; a plain sort of those (much
    faster than `argsort` and two gathers) then gives both. Otherwise keys are argsorted.
    """
    levels = np.unique(level)
    low = ranges.min(axis=0) if len(ranges) else np.zeros(6, dtype=np.int64)
    high = ranges.max(axis=0) if len(ranges) else np.zeros(6, dtype=np.int64)
    x0, t0, y0 = int(low[0]), int(low[4]), int(low[2])
    bits = [
        max(len(levels) - 1, 0).bit_length(),
        (int(high[1]) - x0).bit_length(),
        (int(high[5]) - t0).bit_length(),
        (int(high[3]) - y0).bit_length(),
        max(len(ranges) - 1, 0).bit_length(),
    ]
    if sum(bits) > PACKED_BITS:
        keys = expand_all(ranges, lambda boxes, x, t, y: encode(level[boxes], x, t, y))
        boxes = expand_all(ranges, lambda boxes, x, t, y: boxes)
        order = np.argsort(keys)  # the order of boxes within a cell does not matter
        return keys[order], boxes[order]
    rank = np.searchsorted(levels, level)
    _, x_bits, t_bits, y_bits, box_bits = bits

    def code(
        boxes: NDArray[np.int64], x: NDArray[np.int64], t: NDArray[np.int64], y: NDArray[np.int64]
    ) -> NDArray[np.int64]:
        packed = (rank[boxes] << x_bits) | (x - x0)
        packed = (packed << t_bits) | (t - t0)
        packed = (packed << y_bits) | (y - y0)
        return (packed << box_bits) | boxes

    packed = expand_all(ranges, code)
    packed.sort()
    boxes = packed & ((1 << box_bits) - 1)
    packed >>= box_bits
    y = (packed & ((1 << y_bits) - 1)) + y0
    packed >>= y_bits
    t = (packed & ((1 << t_bits) - 1)) + t0
    packed >>= t_bits
    x = (packed & ((1 << x_bits) - 1)) + x0
    packed >>= x_bits
    return encode(levels[packed], x, t, y), boxes


def _finest(
    low: NDArray[np.float64], high: NDArray[np.float64], steps: tuple[float, ...], half: int
) -> NDArray[np.int64]:
    """Per row, the first of `steps` on which every column's cells from `low` to `high`
    are fewer than `SPAN` apart (the last step if none)."""
    if len(low) <= 4096:  # all steps at once: a handful of array operations
        step = np.asarray(steps[:-1], dtype=np.float64)[:, None, None]
        span = cell_numbers(high[None], step, half) - cell_numbers(low[None], step, half)
        fits = np.all(span < SPAN, axis=2)
        return np.where(fits.any(axis=0), np.argmax(fits, axis=0), len(steps) - 1)
    finest = np.full(len(low), len(steps) - 1, dtype=np.int64)  # step by step: less memory
    for number in range(len(steps) - 2, -1, -1):
        span = cell_numbers(high, steps[number], half) - cell_numbers(low, steps[number], half)
        finest[np.all(span < SPAN, axis=1)] = number
    return finest


def level_of(boxes: NDArray[np.float64]) -> NDArray[np.int64]:
    """The level of each box: the finest size and the finest duration on which it spans
    at most `SPAN` cells per axis."""
    space = _finest(boxes[:, 0:2], boxes[:, 4:6], CELL_SIZES, XY_HALF)
    time = _finest(boxes[:, 3:4], boxes[:, 7:8], CELL_DURATIONS, T_HALF)
    return space * len(CELL_DURATIONS) + time
