"""A multi-level space-time grid: the engine's 4D index, updated in place.

Why not an R-tree: a new operation is probed with one box per piece, and routes have a
dozen pieces whose boxes span tens of kilometres and kilometres of altitude; a 4D
R*-tree (libspatialindex) answers each such box in 0.2–0.8 ms at a million stored plans,
most of it walking nodes that overlap in space but not in time. Hashing boxes into grid
cells of lon × lat × time × altitude answers the same question with a few sorted-array
searches and one vectorised box test.

Each box lives on the finest level where it spans at most `SPAN` cells per axis, so
small plans sit in small cells and a year-long zone in a few big ones; a probe visits
every level. All levels share one sorted array of cell keys with offsets into one array
of entries (built in one vectorised pass). A key orders cells by level, then x, then
time, then y, then altitude, so the cells of one probe box that share x and time are one
contiguous run: a probe looks up each (x, time) column of its cells once, not each cell
(`_locate`), and drops the cells of the run at other heights by their keys.

Every entry (a box in a cell) carries a float32 copy of its box, rounded outwards, in
cell order: the candidates of a probe are runs of neighbouring entries, so testing
their boxes reads memory in order instead of gathering each box from a table of a
million (which cost most of a large probe's time), and a float32 box is half the bytes.
The test is conservative (it may keep a box a few float32 units away); `query_pairs`
then tests the few kept boxes exactly, unless the caller's own exact check follows.

Boxes inserted since the last build wait in a small dictionary of cells, merged in when
it grows. Deletion marks the id dead, empties its box (NaN) and its entries (+inf):
probes never return it, and the next merge drops it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from deconflict.engine.grid_cells import (
    LEVEL_SHIFT,
    XY_HALF,
    Y_SHIFT,
    Z_BITS,
    Z_HALF,
    cell_components,
    cell_ranges,
    decode,
    encode,
    expand_flat,
    level_of,
    sorted_cells,
)

MAX_PROBE_COLUMNS = 20_000
"""A probe box with more (x, time) columns on a level scans that level's cells instead."""
FILTER_HEIGHTS_AT = 64
"""A probe's cells at other heights are dropped before their entries are read when it
meets more cells than this; below, reading their few entries costs less than sorting
them out (the entries' own box test drops them either way)."""
MERGE_AT = 4096
"""Inserted boxes kept in the dictionary before it is merged into the sorted arrays."""
TIME_ORIGIN = 1_767_225_600.0
"""Entries hold times as float32 seconds from here (2026-01-01): to the hundredth of a
second within a few days of it, coarser further off (only more boxes kept, never fewer)."""
_EMPTY = np.empty(0, dtype=np.int64)
_ALL_TRUE = np.frombuffer(b"\x01" * 8, dtype=np.uint64)[0]
"""Eight `True` bytes read as one uint64: a row of eight comparisons that all hold."""
_Z_MASK = (1 << Z_BITS) - 1


def _rounded(values: NDArray[np.float64], towards: float) -> NDArray[np.float32]:
    """float32 copies of `values`, each moved one unit towards `towards` (±inf) after
    rounding to nearest: never on the wrong side of the value."""
    out = values.astype(np.float32)
    return np.nextafter(out, np.float32(towards), out=out)


_SHIFT = np.array([0.0, 0.0, 0.0, TIME_ORIGIN, 0.0, 0.0, 0.0, -TIME_ORIGIN])
"""Subtracted from a row of (lows, -highs) or (highs, -lows): times from `TIME_ORIGIN`."""


def entry_rows(boxes: NDArray[np.float64]) -> NDArray[np.float32]:
    """What an entry stores of each box: (lows, -highs), rounded down."""
    return _rounded(np.concatenate([boxes[:, :4], -boxes[:, 4:]], axis=1) - _SHIFT, -np.inf)


def probe_rows(boxes: NDArray[np.float64]) -> NDArray[np.float32]:
    """What a probe compares entries with: (highs, -lows), rounded up. An entry's box
    meets the probe box (closed boxes) if every column of its row is ≤ the probe's."""
    return _rounded(np.concatenate([boxes[:, 4:], -boxes[:, :4]], axis=1) - _SHIFT, np.inf)


def meets(entries: NDArray[np.float32], probes: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Row by row, whether every column of `entries` is ≤ that of `probes` (n × 8 each)."""
    below = np.less_equal(entries, probes)
    return below.view(np.uint64)[:, 0] == _ALL_TRUE


def _runs(first: NDArray[np.int64], last: NDArray[np.int64]) -> tuple[NDArray, NDArray]:
    """The positions first[i] … last[i] - 1 of every run, and the run of each."""
    lengths = last - first
    run = np.repeat(np.arange(len(first)), lengths)
    return np.arange(len(run)) + np.repeat(first - np.cumsum(lengths) + lengths, lengths), run


class SpaceTimeIndex:
    """Ids of 4D boxes ``(lon_min, lat_min, lower, start, lon_max, lat_max, upper, end)``."""

    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.int64)
        self._starts = np.zeros(1, dtype=np.int64)
        self._ids = np.empty(0, dtype=np.int64)
        self._entries = np.empty((0, 8), dtype=np.float32)
        """Each entry's box as `entry_rows` writes it, in the order of `_ids`."""
        self._levels = np.empty(0, dtype=np.int64)
        """The levels that hold any box: a probe visits only these."""
        self._plans: dict[int, tuple[NDArray[np.int64], NDArray[np.int64]]] = {}
        """For m probe boxes: every (level, box number) pair to ask, kept per m."""
        self._recent: dict[int, list[int]] = {}
        self._recent_levels: set[int] = set()
        self._boxes = np.zeros((0, 8), dtype=np.float64)
        self._live = np.zeros(0, dtype=bool)
        self._count = 0
        self._pending = 0

    def __len__(self) -> int:
        return self._count

    def _grow(self, top: int) -> None:
        if top < len(self._boxes):
            return
        size = max(top + 1, 2 * len(self._boxes), 1024)
        boxes = np.zeros((size, 8), dtype=np.float64)
        boxes[: len(self._boxes)] = self._boxes
        live = np.zeros(size, dtype=bool)
        live[: len(self._live)] = self._live
        self._boxes, self._live = boxes, live

    def bulk_load(self, ids: NDArray[np.int64], boxes: NDArray[np.float64]) -> None:
        """Replace the contents with `boxes` (n × 8), in one vectorised pass."""
        self.__init__()  # type: ignore[misc]
        ids = np.asarray(ids, dtype=np.int64)
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 8)
        if len(ids):
            self._grow(int(ids.max()))
            self._boxes[ids] = boxes
            self._live[ids] = True
        self._count = len(ids)
        self._rebuild(ids, boxes)

    def _rebuild(
        self, ids: NDArray[np.int64] | None = None, boxes: NDArray[np.float64] | None = None
    ) -> None:
        """Sort every live box (or `ids` with their `boxes`, all live) into the cells."""
        if ids is None or boxes is None:
            ids = np.flatnonzero(self._live).astype(np.int64)
            boxes = self._boxes[ids]
        level = level_of(boxes)
        keys, owner = sorted_cells(cell_ranges(boxes, level), level)
        self._ids = ids[owner]
        self._entries = entry_rows(boxes)[owner]
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else _EMPTY
        self._keys = keys[first]
        self._starts = np.append(first, len(keys)).astype(np.int64)
        self._levels = np.unique(level)
        self._plans = {}
        self._recent, self._recent_levels = {}, set()
        self._pending = 0

    def insert(self, ids: NDArray[np.int64], boxes: NDArray[np.float64]) -> None:
        """Add boxes, keeping what is there."""
        ids = np.asarray(ids, dtype=np.int64)
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 8)
        if not len(ids):
            return
        self._grow(int(ids.max()))
        self._boxes[ids] = boxes
        self._live[ids] = True
        self._count += len(ids)
        self._pending += len(ids)
        if self._pending > max(MERGE_AT, self._count // 8):
            self._rebuild()
            return
        level = level_of(boxes)
        keys, owner = expand_flat(cell_ranges(boxes, level), level)
        for key, ident in zip(keys.tolist(), ids[owner].tolist(), strict=True):
            self._recent.setdefault(key, []).append(ident)
        self._recent_levels.update(level.tolist())

    def delete(self, ids: NDArray[np.int64], boxes: NDArray[np.float64] | None = None) -> None:
        """Remove boxes: they are never returned again and leave the cells at the next
        merge. (`boxes` is accepted for symmetry with `insert`; the stored ones are used.)"""
        ids = np.asarray(ids, dtype=np.int64)
        ids = ids[self._live[ids]]
        self._count -= len(ids)
        self._forget(ids, self._boxes[ids])
        self._live[ids] = False
        self._boxes[ids] = np.nan  # meets nothing: a probe need not read `_live` as well

    def _forget(self, ids: NDArray[np.int64], boxes: NDArray[np.float64]) -> None:
        """Empty the sorted entries of `ids` (their `boxes`): no probe meets +inf."""
        if not len(ids) or not len(self._keys):
            return
        level = level_of(boxes)
        x, t, y, z, owner = cell_components(cell_ranges(boxes, level))
        keys = encode(level[owner], x, t, y, z)
        at = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        found = self._keys[at] == keys
        at, owner = at[found], owner[found]
        entries, run = _runs(self._starts[at], self._starts[at + 1])
        mine = self._ids[entries] == ids[owner[run]]
        self._entries[entries[mine]] = np.inf

    def _column_cells(
        self, ranges: NDArray[np.int64], level: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(cell positions, range number) of the occupied cells inside each range
        (x0, x1, y0, y1, t0, t1, z0, z1 on `level`): each (x, t) column's run of keys,
        less (if many) the cells of the run at other heights."""
        nx = ranges[:, 1] - ranges[:, 0] + 1
        nt = ranges[:, 5] - ranges[:, 4] + 1
        columns = nx * nt
        small = np.flatnonzero(columns <= MAX_PROBE_COLUMNS)
        counts = columns[small]
        which = np.repeat(small, counts)
        local = np.arange(len(which)) - np.repeat(np.cumsum(counts) - counts, counts)
        x = ranges[which, 0] + local // nt[which]
        t = ranges[which, 4] + local % nt[which]
        column = encode(level[which], x, t, -XY_HALF, -Z_HALF)  # y and z bits all 0
        low = ((ranges[:, 2] + XY_HALF) << Y_SHIFT) | (ranges[:, 6] + Z_HALF)
        high = ((ranges[:, 3] + XY_HALF) << Y_SHIFT) | (ranges[:, 7] + Z_HALF)
        found_lo, found_hi = self._locate(column + low[which], column + high[which])
        cells, run = _runs(found_lo, found_hi)
        owner = which[run]
        if len(cells) > FILTER_HEIGHTS_AT:
            z = (self._keys[cells] & _Z_MASK) - Z_HALF
            keep = (z >= ranges[owner, 6]) & (z <= ranges[owner, 7])
            cells, owner = cells[keep], owner[keep]
        for number in np.flatnonzero(columns > MAX_PROBE_COLUMNS).tolist():
            inside = self._cells_inside(ranges[number], int(level[number]))
            cells = np.concatenate([cells, inside])
            owner = np.concatenate([owner, np.full(len(inside), number)])
        return cells, owner

    def _sorted_candidates(
        self, boxes: NDArray[np.float64], rows: NDArray[np.int64], level: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(ids, probe row) of every entry in the sorted cells that some probe box touches
        and whose float32 box meets it; probe box `rows[i]` is asked on `level[i]`."""
        cells, owner = self._column_cells(cell_ranges(boxes[rows], level), level)
        entries, run = _runs(self._starts[cells], self._starts[cells + 1])
        probe = rows[owner[run]]
        hit = meets(self._entries[entries], probe_rows(boxes)[probe])
        return self._ids[entries[hit]], probe[hit]

    def _locate(
        self, lo: NDArray[np.int64], hi: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """For each column, the position of its first cell key ≥ `lo` and of the first
        key > `hi`.

        Both bounds of all columns are searched in one call, in key order: consecutive
        binary searches then end near each other and share the cache lines that a
        million cells' keys spread over tens of megabytes (measured: faster at 10^6
        than plain searches, and than a cached fence with a window scan).
        """
        bounds = np.empty(2 * len(lo), dtype=np.int64)
        bounds[0::2], bounds[1::2] = lo - 1, hi  # "left" of lo is "right" of lo - 1
        order = np.argsort(bounds)
        found = np.empty(len(bounds), dtype=np.int64)
        found[order] = np.searchsorted(self._keys, bounds[order], side="right")
        return found[0::2], found[1::2]

    def _cells_inside(self, ranges: NDArray[np.int64], level: int) -> NDArray[np.int64]:
        """Positions of the occupied cells of `level` inside `ranges`: how a huge probe is
        answered without listing its cells."""
        low = int(np.searchsorted(self._keys, level << LEVEL_SHIFT))
        high = int(np.searchsorted(self._keys, (level + 1) << LEVEL_SHIFT))
        x, t, y, z = decode(self._keys[low:high])
        inside = (
            (x >= ranges[0])
            & (x <= ranges[1])
            & (y >= ranges[2])
            & (y <= ranges[3])
            & (t >= ranges[4])
            & (t <= ranges[5])
            & (z >= ranges[6])
            & (z <= ranges[7])
        )
        return low + np.flatnonzero(inside)

    def _recent_candidates(
        self, boxes: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(ids, probe row) of every id in the dictionary's cells that a probe box touches
        and whose box meets it (tested exactly: they are few)."""
        pairs: list[tuple[int, int]] = []
        recent = self._recent
        for level in sorted(self._recent_levels):
            ranges = cell_ranges(boxes, level)
            cells = np.prod(ranges[:, 1:6:2] - ranges[:, 0:6:2] + 1, axis=1)
            small = cells <= MAX_PROBE_COLUMNS
            rows = np.flatnonzero(small)
            keys, owner = expand_flat(ranges[rows], np.full(len(rows), level, dtype=np.int64))
            pairs.extend(
                (ident, row)
                for key, row in zip(keys.tolist(), rows[owner].tolist(), strict=True)
                for ident in recent.get(key, ())
            )
            for number in np.flatnonzero(~small).tolist():
                recent_keys = np.fromiter(recent, np.int64, len(recent))
                x, t, y, _ = decode(recent_keys)
                r = ranges[number]
                inside = (
                    ((recent_keys >> LEVEL_SHIFT) == level)
                    & (x >= r[0])
                    & (x <= r[1])
                    & (y >= r[2])
                    & (y <= r[3])
                    & (t >= r[4])
                    & (t <= r[5])
                )
                for key in recent_keys[inside].tolist():
                    pairs.extend((ident, number) for ident in recent[key])
        if not pairs:
            return _EMPTY, _EMPTY
        both = np.asarray(pairs, dtype=np.int64)
        ids, owner = both[:, 0], both[:, 1]
        hit = _meet_exactly(self._boxes[ids], boxes[owner])
        return ids[hit], owner[hit]

    def query_pairs(
        self, boxes: NDArray[np.float64], *, exact: bool = True
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(probe box number, live id) of every stored box meeting one of `boxes` (m × 8),
        each pair once, ordered by probe box and then id.

        All boxes and levels are answered together in a few vectorised steps: the cost of
        a probe hardly grows with the number of pieces a declaration has. With
        `exact=False` the float32 test of the entries is the last: a few pairs whose
        boxes are apart by less than float32 rounding (centimetres, milliseconds) may be
        returned too, for a caller whose own exact test follows anyway.
        """
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 8)
        ids_parts, owner_parts = [], []
        if len(self._keys) and len(boxes):
            m = len(boxes)
            plan = self._plans.get(m)
            if plan is None:
                plan = self._plans[m] = (
                    np.repeat(self._levels, m),
                    np.tile(np.arange(m, dtype=np.int64), len(self._levels)),
                )
            level, rows = plan
            ids, owner = self._sorted_candidates(boxes, rows, level)
            ids_parts.append(ids)
            owner_parts.append(owner)
        if self._recent:
            ids, owner = self._recent_candidates(boxes)
            ids_parts.append(ids)
            owner_parts.append(owner)
        if not ids_parts:
            return _EMPTY, _EMPTY
        ids, owner = np.concatenate(ids_parts), np.concatenate(owner_parts)
        pair = owner * len(self._boxes) + ids
        pair.sort()  # box-major; then duplicates (a box in several cells) are neighbours
        if len(pair) > 1:
            distinct = np.empty(len(pair), dtype=bool)
            distinct[0] = True
            np.not_equal(pair[1:], pair[:-1], out=distinct[1:])
            pair = pair[distinct]
        owner, ids = np.divmod(pair, len(self._boxes))
        if exact:
            hit = _meet_exactly(self._boxes[ids], boxes[owner])
            owner, ids = owner[hit], ids[hit]
        return owner, ids

    def query_each(self, boxes: NDArray[np.float64]) -> list[NDArray[np.int64]]:
        """For each of `boxes` (m × 8), the distinct live ids of stored boxes meeting it."""
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 8)
        owner, ids = self.query_pairs(boxes)
        return np.split(ids, np.searchsorted(owner, np.arange(1, len(boxes))))

    def query(self, boxes: NDArray[np.float64]) -> NDArray[np.int64]:
        """Distinct ids of stored boxes meeting any of `boxes`."""
        parts = self.query_each(boxes)
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)


def _meet_exactly(stored: NDArray[np.float64], probe: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Row by row, whether closed boxes meet (touching meets; NaN meets nothing)."""
    return ((stored[:, :4] <= probe[:, 4:]) & (stored[:, 4:] >= probe[:, :4])).all(axis=1)
