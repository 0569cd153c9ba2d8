"""A 4D box index (lon, lat, altitude, time) that updates in place.

Backed by libspatialindex's R*-tree (the `rtree` package): bulk-loaded when built
from many boxes, then insert and delete one at a time without a rebuild. Touching
boxes count as intersecting, so the index may return a few extra candidates but
never drops one; the exact check decides.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from rtree import index as rtree_index


def _properties() -> rtree_index.Property:
    properties = rtree_index.Property()
    properties.dimension = 4
    properties.variant = rtree_index.RT_Star
    return properties


class SpaceTimeIndex:
    """Ids of 4D boxes ``(lon_min, lat_min, lower, start, lon_max, lat_max, upper, end)``."""

    def __init__(self) -> None:
        self._tree = rtree_index.Index(properties=_properties())
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def bulk_load(self, ids: NDArray[np.int64], boxes: NDArray[np.float64]) -> None:
        """Replace the contents with `boxes` (n × 8), packed in one pass (fast for millions)."""
        mins = np.ascontiguousarray(boxes[:, :4])
        maxs = np.ascontiguousarray(boxes[:, 4:])
        if len(ids):
            self._tree = rtree_index.Index(
                (np.ascontiguousarray(ids, dtype=np.int64), mins, maxs), properties=_properties()
            )
        else:
            self._tree = rtree_index.Index(properties=_properties())
        self._count = len(ids)

    def insert(self, ids: NDArray[np.int64], boxes: NDArray[np.float64]) -> None:
        """Add boxes one by one, keeping what is there."""
        for ident, box in zip(ids.tolist(), boxes.tolist(), strict=True):
            self._tree.insert(ident, box)
        self._count += len(ids)

    def delete(self, ids: NDArray[np.int64], boxes: NDArray[np.float64]) -> None:
        """Remove boxes; each must be given with the box it was stored under."""
        for ident, box in zip(ids.tolist(), boxes.tolist(), strict=True):
            self._tree.delete(ident, box)
        self._count -= len(ids)

    def query(self, boxes: NDArray[np.float64]) -> NDArray[np.int64]:
        """Distinct ids of stored boxes intersecting any of `boxes` (m × 8)."""
        if self._count == 0 or len(boxes) == 0:
            return np.empty(0, dtype=np.int64)
        ids, _ = self._tree.intersection_v(
            np.ascontiguousarray(boxes[:, :4]), np.ascontiguousarray(boxes[:, 4:])
        )
        ids = np.asarray(ids, dtype=np.int64)
        return np.unique(ids) if len(boxes) > 1 else ids

    def query_each(self, boxes: NDArray[np.float64]) -> list[NDArray[np.int64]]:
        """For each of `boxes` (m × 8), the ids of stored boxes intersecting it."""
        if self._count == 0 or len(boxes) == 0:
            return [np.empty(0, dtype=np.int64) for _ in range(len(boxes))]
        ids, counts = self._tree.intersection_v(
            np.ascontiguousarray(boxes[:, :4]), np.ascontiguousarray(boxes[:, 4:])
        )
        ids = np.asarray(ids, dtype=np.int64)
        return np.split(ids, np.cumsum(counts)[:-1])
