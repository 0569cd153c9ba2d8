"""A multi-level space-time grid: the engine's 4D index, updated in place.

Why not an R-tree: a new operation is probed with one box per piece, and routes have a
dozen pieces whose boxes span tens of kilometres and kilometres of altitude; a 4D
R*-tree (libspatialindex) answers each such box in 0.2–0.8 ms at a million stored plans,
most of it walking nodes that overlap in space but not in time. Hashing boxes into grid
cells of lon × lat × time answers the same question with one sorted-array search and one
vectorised box test (altitude is tested there, exactly).

Each box lives on the finest level where it spans at most `SPAN` cells per axis, so
small plans sit in small cells and a year-long zone in a few big ones; a probe visits
every level. Cells are kept as a sorted key array with offsets (built in one vectorised
pass), plus a small dictionary of boxes inserted since, merged in when it grows.
Deletion marks the id dead: probes never return it, and the next merge drops it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

LEVELS: tuple[tuple[float, float], ...] = (
    (0.05, 1800.0),
    (0.4, 4 * 3600.0),
    (3.2, 2 * 86400.0),
    (25.6, 32 * 86400.0),
    (400.0, 4096 * 86400.0),
)
"""(cell size in degrees of lon and lat, cell duration in seconds), finest first. The
last level holds anything (its cells are larger than the Earth and than 11 years)."""
SPAN = 3
"""A box goes on the finest level where it covers at most this many cells per axis."""
MAX_PROBE_CELLS = 20_000
MERGE_AT = 4096
"""Inserted boxes kept in the dictionary before it is merged into the sorted arrays."""

_X, _Y = 1 << 47, 1 << 31
_EMPTY = np.empty(0, dtype=np.int64)
_OFFSET_XY, _OFFSET_T = 1 << 15, 1 << 29


def _key(x: NDArray[np.int64], y: NDArray[np.int64], t: NDArray[np.int64]) -> NDArray[np.int64]:
    """One int64 per cell: 16 bits of x, 16 of y, 31 of t (all offset to be positive)."""
    return (x + _OFFSET_XY) * _X + (y + _OFFSET_XY) * _Y + (t + _OFFSET_T)


def _ranges(boxes: NDArray[np.float64], size: float, duration: float) -> NDArray[np.int64]:
    """Cell index ranges (x0, x1, y0, y1, t0, t1), inclusive, of each box (n × 6)."""
    out = np.empty((len(boxes), 6), dtype=np.int64)
    out[:, 0] = np.floor(boxes[:, 0] / size)
    out[:, 1] = np.floor(boxes[:, 4] / size)
    out[:, 2] = np.floor(boxes[:, 1] / size)
    out[:, 3] = np.floor(boxes[:, 5] / size)
    out[:, 4] = np.floor(boxes[:, 3] / duration)
    out[:, 5] = np.floor(boxes[:, 7] / duration)
    return out


def _expand(ranges: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """All cell keys of each range, and which range each key came from (vectorised)."""
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
    return _key(x, y, t), owner


class _Level:
    """One grid level: sorted cell keys with the ids in each, plus recent inserts."""

    def __init__(self, size: float, duration: float) -> None:
        self.size, self.duration = size, duration
        self.keys = np.empty(0, dtype=np.int64)
        self.starts = np.zeros(1, dtype=np.int64)
        self.ids = np.empty(0, dtype=np.int64)
        self.recent: dict[int, list[int]] = {}

    def build(self, ids: NDArray[np.int64], boxes: NDArray[np.float64]) -> None:
        keys, owner = _expand(_ranges(boxes, self.size, self.duration))
        order = np.argsort(keys, kind="stable")
        keys, members = keys[order], ids[owner[order]]
        self.keys, first = np.unique(keys, return_index=True)
        self.starts = np.append(first, len(keys)).astype(np.int64)
        self.ids = members
        self.recent = {}

    def add(self, ident: int, box: NDArray[np.float64]) -> None:
        keys, _ = _expand(_ranges(box[None, :], self.size, self.duration))
        for key in keys.tolist():
            self.recent.setdefault(key, []).append(ident)

    def candidates(self, boxes: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(ids, which probe box) for every id in a cell some probe box touches."""
        if not len(self.keys) and not self.recent:
            return _EMPTY, _EMPTY
        ranges = _ranges(boxes, self.size, self.duration)
        cells = np.prod(ranges[:, 1::2] - ranges[:, 0::2] + 1, axis=1)
        small = cells <= MAX_PROBE_CELLS
        ids_parts: list[NDArray[np.int64]] = []
        owner_parts: list[NDArray[np.int64]] = []
        keys, key_owner = _expand(ranges[small]) if small.any() else (np.empty(0, np.int64),) * 2
        key_owner = np.flatnonzero(small)[key_owner] if small.any() else key_owner
        if len(self.keys):
            where = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            found = self.keys[where] == keys
            hit, hit_owner = where[found], key_owner[found]
            for number in np.flatnonzero(~small).tolist():  # huge probes: test occupied cells
                inside = np.flatnonzero(_inside(self.keys, ranges[number]))
                hit = np.concatenate([hit, inside])
                hit_owner = np.concatenate([hit_owner, np.full(len(inside), number)])
            if len(hit):
                lengths = self.starts[hit + 1] - self.starts[hit]
                offsets = np.repeat(self.starts[hit] - np.cumsum(lengths) + lengths, lengths)
                ids_parts.append(self.ids[np.arange(int(lengths.sum())) + offsets])
                owner_parts.append(np.repeat(hit_owner, lengths))
        if self.recent:
            pairs = [
                (ident, box)
                for key, box in zip(keys.tolist(), key_owner.tolist(), strict=True)
                for ident in self.recent.get(key, ())
            ]
            for number in np.flatnonzero(~small).tolist():
                recent_keys = np.fromiter(self.recent, np.int64, len(self.recent))
                for key in recent_keys[_inside(recent_keys, ranges[number])].tolist():
                    pairs.extend((ident, number) for ident in self.recent[key])
            if pairs:
                both = np.asarray(pairs, dtype=np.int64)
                ids_parts.append(both[:, 0])
                owner_parts.append(both[:, 1])
        if not ids_parts:
            return _EMPTY, _EMPTY
        return np.concatenate(ids_parts), np.concatenate(owner_parts)


def _inside(keys: NDArray[np.int64], ranges: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Which encoded cell keys fall inside the cell ranges (x0, x1, y0, y1, t0, t1)."""
    x = keys // _X - _OFFSET_XY
    y = (keys % _X) // _Y - _OFFSET_XY
    t = keys % _Y - _OFFSET_T
    return (
        (x >= ranges[0])
        & (x <= ranges[1])
        & (y >= ranges[2])
        & (y <= ranges[3])
        & (t >= ranges[4])
        & (t <= ranges[5])
    )


class SpaceTimeIndex:
    """Ids of 4D boxes ``(lon_min, lat_min, lower, start, lon_max, lat_max, upper, end)``."""

    def __init__(self) -> None:
        self._levels = [_Level(size, duration) for size, duration in LEVELS]
        self._boxes = np.zeros((0, 8), dtype=np.float64)
        self._live = np.zeros(0, dtype=bool)
        self._count = 0
        self._recent = 0

    def __len__(self) -> int:
        return self._count

    def _level_of(self, boxes: NDArray[np.float64]) -> NDArray[np.int64]:
        """The finest level where each box spans at most `SPAN` cells per axis."""
        level = np.full(len(boxes), len(LEVELS) - 1, dtype=np.int64)
        for number in range(len(LEVELS) - 2, -1, -1):
            size, duration = LEVELS[number]
            r = _ranges(boxes, size, duration)
            fits = (
                (r[:, 1] - r[:, 0] < SPAN) & (r[:, 3] - r[:, 2] < SPAN) & (r[:, 5] - r[:, 4] < SPAN)
            )
            level[fits] = number
        return level

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
        self._rebuild()

    def _rebuild(self) -> None:
        ids = np.flatnonzero(self._live).astype(np.int64)
        boxes = self._boxes[ids]
        level = self._level_of(boxes)
        for number, grid in enumerate(self._levels):
            chosen = level == number
            grid.build(ids[chosen], boxes[chosen])
        self._recent = 0

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
        self._recent += len(ids)
        if self._recent > max(MERGE_AT, self._count // 8):
            self._rebuild()
            return
        for ident, box, number in zip(
            ids.tolist(), boxes, self._level_of(boxes).tolist(), strict=True
        ):
            self._levels[number].add(ident, box)

    def delete(self, ids: NDArray[np.int64], boxes: NDArray[np.float64]) -> None:
        """Remove boxes: they are never returned again and leave the cells at the next merge."""
        ids = np.asarray(ids, dtype=np.int64)
        self._count -= int(self._live[ids].sum())
        self._live[ids] = False

    def query_each(self, boxes: NDArray[np.float64]) -> list[NDArray[np.int64]]:
        """For each of `boxes` (m × 8), the distinct live ids of stored boxes meeting it.

        All boxes are answered together, level by level, in a few vectorised steps: the
        cost of a probe hardly grows with the number of pieces a declaration has.
        """
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 8)
        ids_parts, owner_parts = [], []
        for grid in self._levels:
            ids, owner = grid.candidates(boxes)
            ids_parts.append(ids)
            owner_parts.append(owner)
        ids, owner = np.concatenate(ids_parts), np.concatenate(owner_parts)
        pair = np.unique(owner * len(self._boxes) + ids)  # distinct (box, id), box-major
        owner, ids = np.divmod(pair, len(self._boxes)) if len(self._boxes) else (pair, pair)
        stored, probe = self._boxes[ids], boxes[owner]
        hit = (
            self._live[ids]
            & (stored[:, 0] <= probe[:, 4])
            & (stored[:, 4] >= probe[:, 0])
            & (stored[:, 1] <= probe[:, 5])
            & (stored[:, 5] >= probe[:, 1])
            & (stored[:, 2] <= probe[:, 6])
            & (stored[:, 6] >= probe[:, 2])
            & (stored[:, 3] <= probe[:, 7])
            & (stored[:, 7] >= probe[:, 3])
        )
        ids, owner = ids[hit], owner[hit]
        return np.split(ids, np.searchsorted(owner, np.arange(1, len(boxes))))

    def query(self, boxes: NDArray[np.float64]) -> NDArray[np.int64]:
        """Distinct ids of stored boxes meeting any of `boxes`."""
        parts = self.query_each(boxes)
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)
