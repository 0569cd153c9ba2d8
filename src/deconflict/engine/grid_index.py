"""A multi-level space-time grid: the engine's 4D index, updated in place.

Why not an R-tree: a new operation is probed with one box per piece, and routes have a
dozen pieces whose boxes span tens of kilometres and kilometres of altitude; a 4D
R*-tree (libspatialindex) answers each such box in 0.2–0.8 ms at a million stored plans,
most of it walking nodes that overlap in space but not in time. Hashing boxes into grid
cells of lon × lat × time answers the same question with a few sorted-array searches and
one vectorised box test (altitude is tested there, exactly).

Each box lives on the finest level where it spans at most `SPAN` cells per axis, so
small plans sit in small cells and a year-long zone in a few big ones; a probe visits
every level. All levels share one sorted array of cell keys with offsets into one array
of ids (built in one vectorised pass). A key orders cells by level, then x, then time,
then y, so the cells of one probe box that share x and time are one contiguous run: a
probe looks up each (x, time) column of its cells once, not each cell (`_locate`).
Boxes inserted since the last build wait in a small dictionary of cells, merged in when
it grows. Deletion marks the id dead and its box empty (NaN): probes never return it,
and the next merge drops it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from deconflict.engine.grid_cells import (
    LEVEL_SHIFT,
    XY_HALF,
    cell_ranges,
    decode,
    encode,
    expand,
    level_of,
    sorted_cells,
)

MAX_PROBE_COLUMNS = 20_000
"""A probe box with more (x, time) columns on a level scans that level's cells instead."""
MERGE_AT = 4096
"""Inserted boxes kept in the dictionary before it is merged into the sorted arrays."""
_EMPTY = np.empty(0, dtype=np.int64)


class SpaceTimeIndex:
    """Ids of 4D boxes ``(lon_min, lat_min, lower, start, lon_max, lat_max, upper, end)``."""

    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.int64)
        self._starts = np.zeros(1, dtype=np.int64)
        self._ids = np.empty(0, dtype=np.int64)
        self._levels = np.empty(0, dtype=np.int64)
        """The levels that hold any box: a probe visits only these."""
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
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else _EMPTY
        self._keys = keys[first]
        self._starts = np.append(first, len(keys)).astype(np.int64)
        self._levels = np.unique(level)
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
        keys, owner = expand(cell_ranges(boxes, level), level)
        for key, ident in zip(keys.tolist(), ids[owner].tolist(), strict=True):
            self._recent.setdefault(key, []).append(ident)
        self._recent_levels.update(level.tolist())

    def delete(self, ids: NDArray[np.int64], boxes: NDArray[np.float64]) -> None:
        """Remove boxes: they are never returned again and leave the cells at the next merge."""
        ids = np.asarray(ids, dtype=np.int64)
        self._count -= int(self._live[ids].sum())
        self._live[ids] = False
        self._boxes[ids] = np.nan  # meets nothing: a probe need not read `_live` as well

    def _sorted_candidates(
        self, boxes: NDArray[np.float64], rows: NDArray[np.int64], level: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(ids, probe row) of every id in the sorted cells some probe box touches; probe
        box `rows[i]` is asked on `level[i]`."""
        ranges = cell_ranges(boxes[rows], level)
        nx = ranges[:, 1] - ranges[:, 0] + 1
        nt = ranges[:, 5] - ranges[:, 4] + 1
        columns = nx * nt
        small = np.flatnonzero(columns <= MAX_PROBE_COLUMNS)
        counts = columns[small]
        which = np.repeat(small, counts)
        local = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        x = ranges[which, 0] + local // nt[which]
        t = ranges[which, 4] + local % nt[which]
        column = encode(level[which], x, t, np.full(len(x), -XY_HALF))  # y bits all 0
        found_lo, found_hi = self._locate(
            column + (ranges[which, 2] + XY_HALF), column + (ranges[which, 3] + XY_HALF)
        )
        first, last = self._starts[found_lo], self._starts[found_hi]
        owner = which
        for number in np.flatnonzero(columns > MAX_PROBE_COLUMNS).tolist():
            cells = self._cells_inside(ranges[number], int(level[number]))
            first = np.concatenate([first, self._starts[cells]])
            last = np.concatenate([last, self._starts[cells + 1]])
            owner = np.concatenate([owner, np.full(len(cells), number)])
        lengths = last - first
        filled = lengths > 0
        first, lengths, owner = first[filled], lengths[filled], owner[filled]
        offsets = np.repeat(first - np.cumsum(lengths) + lengths, lengths)
        ids = self._ids[np.arange(int(lengths.sum())) + offsets]
        return ids, rows[np.repeat(owner, lengths)]

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
        x, t, y = decode(self._keys[low:high])
        inside = (
            (x >= ranges[0])
            & (x <= ranges[1])
            & (y >= ranges[2])
            & (y <= ranges[3])
            & (t >= ranges[4])
            & (t <= ranges[5])
        )
        return low + np.flatnonzero(inside)

    def _recent_candidates(
        self, boxes: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(ids, probe row) of every id in the dictionary's cells that a probe box touches."""
        pairs: list[tuple[int, int]] = []
        for level in sorted(self._recent_levels):
            ranges = cell_ranges(boxes, level)
            cells = np.prod(ranges[:, 1::2] - ranges[:, 0::2] + 1, axis=1)
            small = cells <= MAX_PROBE_COLUMNS
            rows = np.flatnonzero(small)
            keys, owner = expand(ranges[rows], np.full(len(rows), level, dtype=np.int64))
            recent = self._recent
            pairs.extend(
                (ident, row)
                for key, row in zip(keys.tolist(), rows[owner].tolist(), strict=True)
                for ident in recent.get(key, ())
            )
            for number in np.flatnonzero(~small).tolist():
                recent_keys = np.fromiter(recent, np.int64, len(recent))
                x, t, y = decode(recent_keys)
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
        return both[:, 0], both[:, 1]

    def query_pairs(
        self, boxes: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(probe box number, live id) of every stored box meeting one of `boxes` (m × 8),
        each pair once, ordered by probe box and then id.

        All boxes and levels are answered together in a few vectorised steps: the cost of
        a probe hardly grows with the number of pieces a declaration has. The exact box
        test runs before duplicates (a box in several cells) are removed, so that the
        sort only sees the few ids that really meet a probe box.
        """
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 8)
        ids_parts, owner_parts = [], []
        if len(self._keys) and len(boxes):
            m = len(boxes)
            level = np.repeat(self._levels, m)
            rows = np.tile(np.arange(m, dtype=np.int64), len(self._levels))
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
        stored, probe = self._boxes[ids], boxes[owner]
        hit = ((stored[:, :4] <= probe[:, 4:]) & (stored[:, 4:] >= probe[:, :4])).all(axis=1)
        pair = owner[hit] * len(self._boxes) + ids[hit]
        pair.sort()  # box-major; then duplicates (a box in several cells) are neighbours
        if len(pair) > 1:
            distinct = np.empty(len(pair), dtype=bool)
            distinct[0] = True
            np.not_equal(pair[1:], pair[:-1], out=distinct[1:])
            pair = pair[distinct]
        owner, ids = np.divmod(pair, len(self._boxes))
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
