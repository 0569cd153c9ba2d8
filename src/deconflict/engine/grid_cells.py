"""The grid's cells: which cells of which level a 4D box covers, as sortable keys.

`grid_index` stores and asks; this module says where. A level is a cell size in degrees
(with a cell height in metres that goes with it) and a cell duration; each box goes on
the finest level on which it spans at most `SPAN` cells per axis. A cell is one int64
key ordering cells by level, then x, then time, then y, then altitude, so that the
cells of a box that share x and time are one contiguous run of keys.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

CELL_SIZES: tuple[float, ...] = (0.05, 0.2, 0.8, 3.2, 25.6, 400.0)
"""Cell sizes in degrees of lon and lat, finest first; the last is larger than the Earth."""
HEIGHT_PER_DEGREE_M = 10_000.0
"""A level's cell height: its size in degrees times this (0.05° ≈ 5 km wide, 500 m tall).
Airspace volumes are flat, a tenth as tall as wide or less, so a drone's area sits in
low cells and a jet's leg at altitude in cells of its own, and a probe at one height
skips the stored boxes at another (the boxes of a check at 10^6 are mostly drones near
the ground, which a route at altitude passes over). A box too tall for a level's cells
goes up a level, like a box too wide."""
CELL_HEIGHTS: tuple[float, ...] = tuple(size * HEIGHT_PER_DEGREE_M for size in CELL_SIZES)
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
HEIGHTS = SIZES * HEIGHT_PER_DEGREE_M
DURATIONS = np.array([duration for _, duration in LEVELS], dtype=np.float64)
LEVEL_BITS, XY_BITS, T_BITS, Z_BITS = 6, 13, 24, 7
"""Bits of a key: 6 + 13 + 24 + 13 + 7 = 63. 2^12 cells of the finest size reach past
180°, 2^23 of the shortest duration past 400 years, 2^6 of the lowest height past 30 km."""
XY_HALF, T_HALF, Z_HALF = 1 << (XY_BITS - 1), 1 << (T_BITS - 1), 1 << (Z_BITS - 1)
"""Cell numbers are clipped to ±these: clipping is monotonic, so a box and a probe that
meet still share a cell, and far-off times and heights merely share the edge cells."""
LEVEL_SHIFT = 2 * XY_BITS + T_BITS + Z_BITS
Y_SHIFT = Z_BITS
T_SHIFT = Z_BITS + XY_BITS
X_SHIFT = Z_BITS + XY_BITS + T_BITS
RANGE_COLUMNS = [0, 4, 1, 5, 3, 7, 2, 6]
"""Box columns in the order of a cell range: lon min/max, lat min/max, start/end,
lower/upper."""
_RANGE_LOW = np.array([-XY_HALF] * 4 + [-T_HALF] * 2 + [-Z_HALF] * 2, dtype=np.float64)
_RANGE_HIGH = np.array([XY_HALF - 1] * 4 + [T_HALF - 1] * 2 + [Z_HALF - 1] * 2, dtype=np.float64)
_STEPS = np.column_stack([SIZES] * 4 + [DURATIONS] * 2 + [HEIGHTS] * 2)
"""Each level's cell steps in the order of a cell range."""


def encode(
    level: NDArray[np.int64],
    x: NDArray[np.int64],
    t: NDArray[np.int64],
    y: NDArray[np.int64],
    z: NDArray[np.int64] | int,
) -> NDArray[np.int64]:
    """One int64 per cell: level, x, t, y, z (each offset to be non-negative)."""
    key = (level << XY_BITS) | (x + XY_HALF)
    key = (key << T_BITS) | (t + T_HALF)
    key = (key << XY_BITS) | (y + XY_HALF)
    return (key << Z_BITS) | (z + Z_HALF)


def decode(keys: NDArray[np.int64]) -> tuple[NDArray[np.int64], ...]:
    """(x, t, y, z) of encoded keys."""
    z = (keys & ((1 << Z_BITS) - 1)) - Z_HALF
    y = ((keys >> Y_SHIFT) & ((1 << XY_BITS) - 1)) - XY_HALF
    t = ((keys >> T_SHIFT) & ((1 << T_BITS) - 1)) - T_HALF
    x = ((keys >> X_SHIFT) & ((1 << XY_BITS) - 1)) - XY_HALF
    return x, t, y, z


def cell_numbers(
    values: NDArray[np.float64], step: NDArray | float, half: int
) -> NDArray[np.int64]:
    return np.minimum(np.maximum(np.floor(values / step), -half), half - 1).astype(np.int64)


def cell_ranges(boxes: NDArray[np.float64], level: NDArray[np.int64] | int) -> NDArray[np.int64]:
    """Cell index ranges (x0, x1, y0, y1, t0, t1, z0, z1), inclusive, of each box on its
    level."""
    cells = np.floor(boxes[:, RANGE_COLUMNS] / _STEPS[level])
    np.maximum(cells, _RANGE_LOW, out=cells)
    return np.minimum(cells, _RANGE_HIGH, out=cells).astype(np.int64)


PACKED_BITS = 63
"""Bits of a non-negative int64: what a packed cell and box number may use."""


def cell_components(ranges: NDArray[np.int64], axes: int = 4) -> tuple[NDArray[np.int64], ...]:
    """(x, t, y, z, range number) of every cell of each range, range by range
    (vectorised); with `axes=3`, the cells of x, t and y only (z = 0)."""
    nx = ranges[:, 1] - ranges[:, 0] + 1
    ny = ranges[:, 3] - ranges[:, 2] + 1
    nt = ranges[:, 5] - ranges[:, 4] + 1
    nz = ranges[:, 7] - ranges[:, 6] + 1 if axes == 4 else np.ones_like(nx)
    counts = nx * ny * nt * nz
    owner = np.repeat(np.arange(len(ranges)), counts)
    local = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    nz_r, ny_r, nt_r = nz[owner], ny[owner], nt[owner]
    z = ranges[owner, 6] + local % nz_r if axes == 4 else np.zeros_like(local)
    local //= nz_r
    y = ranges[owner, 2] + local % ny_r
    local //= ny_r
    t = ranges[owner, 4] + local % nt_r
    x = ranges[owner, 0] + local // nt_r
    return x, t, y, z, owner


def expand_flat(
    ranges: NDArray[np.int64], level: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The keys of each range's cells in x, time and y with z = 0 (a cell column of any
    height), and which range each key came from: the cells of boxes kept aside after a
    build, which a probe looks up one by one."""
    x, t, y, _, owner = cell_components(ranges, axes=3)
    return encode(level[owner], x, t, y, 0), owner


Encoder = Callable[
    [NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    NDArray[np.int64],
]
"""(box numbers, x, t, y, z) → one int64 per cell."""


def expand_all(ranges: NDArray[np.int64], code: Encoder) -> NDArray[np.int64]:
    """The cells of every box as `code` writes them (`code(boxes, x, t, y, z)`).

    Nearly every box spans at most `SPAN` cells per axis, so its cells are listed offset
    by offset, each pass over the boxes that still reach that far (most span one or two
    cells per axis, so the deeper passes are short), which makes far fewer temporaries
    than listing them box by box; the rest go box by box.
    """
    spans = ranges[:, 1::2] - ranges[:, 0::2]  # x, y, t, z
    small = np.flatnonzero((spans < SPAN).all(axis=1))
    parts = []
    for dx in range(SPAN):
        in_x = small[spans[small, 0] >= dx]
        for dy in range(SPAN):
            in_y = in_x[spans[in_x, 1] >= dy]
            for dt in range(SPAN):
                in_t = in_y[spans[in_y, 2] >= dt]
                for dz in range(SPAN):
                    chosen = in_t[spans[in_t, 3] >= dz]
                    r = ranges[chosen]
                    parts.append(
                        code(chosen, r[:, 0] + dx, r[:, 4] + dt, r[:, 2] + dy, r[:, 6] + dz)
                    )
    large = np.flatnonzero((spans >= SPAN).any(axis=1))
    x, t, y, z, owner = cell_components(ranges[large])
    parts.append(code(large[owner], x, t, y, z))
    return np.concatenate(parts)


def sorted_cells(
    ranges: NDArray[np.int64], level: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The cell keys of all boxes in key order, and the box of each.

    Sorting the keys and moving the boxes along is the build's largest step. When the
    boxes' cell numbers span few enough values (a region and a season or so: nearly
    always), each cell is written as (level's rank, x, t, y, z, box number) with just the
    bits those spans need, in one int64, in the keys' order; a plain sort of those (much
    faster than `argsort` and two gathers) then gives both. Otherwise keys are argsorted.
    """
    levels = np.unique(level)
    low = ranges.min(axis=0) if len(ranges) else np.zeros(8, dtype=np.int64)
    high = ranges.max(axis=0) if len(ranges) else np.zeros(8, dtype=np.int64)
    x0, y0, t0, z0 = int(low[0]), int(low[2]), int(low[4]), int(low[6])
    bits = [
        max(len(levels) - 1, 0).bit_length(),
        (int(high[1]) - x0).bit_length(),
        (int(high[5]) - t0).bit_length(),
        (int(high[3]) - y0).bit_length(),
        (int(high[7]) - z0).bit_length(),
        max(len(ranges) - 1, 0).bit_length(),
    ]
    if sum(bits) > PACKED_BITS:
        keys = expand_all(ranges, lambda boxes, x, t, y, z: encode(level[boxes], x, t, y, z))
        boxes = expand_all(ranges, lambda boxes, x, t, y, z: boxes)
        order = np.argsort(keys)  # the order of boxes within a cell does not matter
        return keys[order], boxes[order]
    rank = np.searchsorted(levels, level)
    _, x_bits, t_bits, y_bits, z_bits, box_bits = bits

    def code(
        boxes: NDArray[np.int64],
        x: NDArray[np.int64],
        t: NDArray[np.int64],
        y: NDArray[np.int64],
        z: NDArray[np.int64],
    ) -> NDArray[np.int64]:
        packed = (rank[boxes] << x_bits) | (x - x0)
        packed = (packed << t_bits) | (t - t0)
        packed = (packed << y_bits) | (y - y0)
        packed = (packed << z_bits) | (z - z0)
        return (packed << box_bits) | boxes

    packed = expand_all(ranges, code)
    packed.sort()
    boxes = packed & ((1 << box_bits) - 1)
    packed >>= box_bits
    z = (packed & ((1 << z_bits) - 1)) + z0
    packed >>= z_bits
    y = (packed & ((1 << y_bits) - 1)) + y0
    packed >>= y_bits
    t = (packed & ((1 << t_bits) - 1)) + t0
    packed >>= t_bits
    x = (packed & ((1 << x_bits) - 1)) + x0
    packed >>= x_bits
    return encode(levels[packed], x, t, y, z), boxes


def _finest(
    low: NDArray[np.float64], high: NDArray[np.float64], steps: NDArray[np.float64], half: NDArray
) -> NDArray[np.int64]:
    """Per row, the first row of `steps` (one step per column) on which every column's
    cells from `low` to `high` are fewer than `SPAN` apart (the last row if none)."""
    count = len(steps)
    if len(low) <= 4096:  # all steps at once: a handful of array operations
        step = steps[:-1, None, :]
        span = cell_numbers(high[None], step, half) - cell_numbers(low[None], step, half)
        fits = np.all(span < SPAN, axis=2)
        return np.where(fits.any(axis=0), np.argmax(fits, axis=0), count - 1)
    finest = np.full(len(low), count - 1, dtype=np.int64)  # step by step: less memory
    for number in range(count - 2, -1, -1):
        span = cell_numbers(high, steps[number], half) - cell_numbers(low, steps[number], half)
        finest[np.all(span < SPAN, axis=1)] = number
    return finest


_SPACE_STEPS = np.column_stack([CELL_SIZES, CELL_SIZES, CELL_HEIGHTS])
_SPACE_HALF = np.array([XY_HALF, XY_HALF, Z_HALF])
_TIME_STEPS = np.array(CELL_DURATIONS)[:, None]


def level_of(boxes: NDArray[np.float64]) -> NDArray[np.int64]:
    """The level of each box: the finest size (with its height) and the finest duration
    on which it spans at most `SPAN` cells per axis."""
    space = _finest(boxes[:, 0:3], boxes[:, 4:7], _SPACE_STEPS, _SPACE_HALF)
    time = _finest(boxes[:, 3:4], boxes[:, 7:8], _TIME_STEPS, T_HALF)
    return space * len(CELL_DURATIONS) + time
