"""The space-time grid answers exactly what a test of every stored box answers.

Boxes sit on a coarse lattice of positions, sizes, altitudes and times, so that many
touch (a face of one on a face of another) in space, in altitude and in time: touching
boxes meet, as the engine's widened probes need. Sizes, heights and durations run from a
fraction of the finest cell to several of the coarsest, so every level is used (a tall
box goes up a level like a wide one), and boxes are stored in bulk, inserted one batch
at a time (kept aside, or merged at once), deleted, and some put back with new boxes.
Without the exact last step (`exact=False`, what the engine asks) the answer may hold
a few more pairs, each within float32 rounding of meeting.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import deconflict.engine.grid_cells as grid_cells
import deconflict.engine.grid_index as grid_index
from deconflict.engine.grid_index import SpaceTimeIndex

T0 = 1_767_225_600.0
SPANS_DEG = (0.0, 0.01, 0.05, 0.1, 0.4, 2.0, 30.0)
SPANS_S = (0.0, 600.0, 1800.0, 7200.0, 86400.0, 40 * 86400.0)
THICKNESSES_M = (0.0, 100.0, 300.0, 500.0, 1000.0, 2000.0, 5000.0, 15000.0, 30000.0)
SLACK = (1e-5, 1e-5, 0.01, 1.0)
"""More than float32 rounding (of 20–50°, 30 km, 40 days from the index's time origin)."""


@st.composite
def boxes(draw: st.DrawFn) -> tuple[float, ...]:
    """A box whose corners are multiples of 0.01°, 100 m and 10 min from a few origins."""
    lon = 20.0 + draw(st.integers(0, 40)) * 0.01 + draw(st.sampled_from([0.0, 0.4, 3.0]))
    lat = 40.0 + draw(st.integers(0, 40)) * 0.01
    low = draw(st.sampled_from([-5, 0, 5, 10, 20, 50, 100, 290])) * 100.0
    low += draw(st.integers(0, 10)) * 100.0
    start = T0 + draw(st.integers(0, 30)) * 600.0
    width = draw(st.sampled_from(SPANS_DEG))
    height = draw(st.sampled_from(SPANS_DEG))
    thick = draw(st.sampled_from(THICKNESSES_M))
    duration = draw(st.sampled_from(SPANS_S))
    return (lon, lat, low, start, lon + width, lat + height, low + thick, start + duration)


def brute(
    stored: dict[int, tuple[float, ...]], probes: np.ndarray, slack: tuple = (0.0,) * 4
) -> set[tuple[int, int]]:
    """Every (probe, id) whose closed boxes meet (with the probe grown by `slack` on each
    axis), box by box."""
    found = set()
    for number, probe in enumerate(probes.tolist()):
        for ident, box in stored.items():
            if all(
                box[k] <= probe[k + 4] + slack[k] and box[k + 4] >= probe[k] - slack[k]
                for k in range(4)
            ):
                found.add((number, ident))
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.lists(boxes(), min_size=0, max_size=40),
    later=st.lists(boxes(), min_size=0, max_size=15),
    probes=st.lists(boxes(), min_size=1, max_size=8),
    deleted=st.sets(st.integers(0, 54), max_size=10),
    replaced=st.lists(boxes(), max_size=3),
    merge=st.booleans(),
    packed=st.booleans(),
    exact=st.booleans(),
    heights=st.booleans(),
)
def test_query_pairs_equals_testing_every_box(
    first: list,
    later: list,
    probes: list,
    deleted: set[int],
    replaced: list,
    merge: bool,
    packed: bool,
    exact: bool,
    heights: bool,
) -> None:
    """`packed`: cells sorted packed with their box numbers, or (as when the boxes' cell
    numbers span too much for that) keys argsorted; `heights`: a probe's cells at other
    heights dropped by their keys, or left to the entries' box test."""
    with (
        mock.patch.object(grid_index, "MERGE_AT", 0 if merge else 10**9),
        mock.patch.object(grid_cells, "PACKED_BITS", 63 if packed else 0),
        mock.patch.object(grid_index, "FILTER_HEIGHTS_AT", 0 if heights else 10**9),
    ):
        index = SpaceTimeIndex()
        ids = np.arange(len(first), dtype=np.int64)
        index.bulk_load(ids, np.array(first, dtype=np.float64).reshape(-1, 8))
        more = np.arange(len(first), len(first) + len(later), dtype=np.int64)
        index.insert(more, np.array(later, dtype=np.float64).reshape(-1, 8))
        stored = dict(enumerate(first + later))
        gone = np.array(sorted(i for i in deleted if i in stored), dtype=np.int64)
        index.delete(gone, np.array([stored[i] for i in gone.tolist()]).reshape(-1, 8))
        for i in gone.tolist():
            del stored[i]
        back = gone[: len(replaced)]  # deleted, then stored again with another box
        index.insert(back, np.array(replaced[: len(back)]).reshape(-1, 8))
        stored.update(zip(back.tolist(), replaced, strict=False))
        asked = np.array(probes, dtype=np.float64)
        owner, found = index.query_pairs(asked, exact=exact)
    pairs = list(zip(owner.tolist(), found.tolist(), strict=True))
    assert pairs == sorted(set(pairs)), "each pair once, ordered by probe and id"
    if exact:
        assert set(pairs) == brute(stored, asked)
    else:
        assert brute(stored, asked) <= set(pairs) <= brute(stored, asked, SLACK)
    assert len(index) == len(stored)


def test_boxes_touching_on_each_axis_meet_and_a_gap_of_one_unit_does_not() -> None:
    base = (20.0, 40.0, 0.0, T0, 20.1, 40.1, 1000.0, T0 + 3600.0)
    index = SpaceTimeIndex()
    index.bulk_load(np.array([0]), np.array([base]))
    for axis, step in ((0, 0.1), (1, 0.1), (2, 1000.0), (3, 3600.0)):
        touching = list(base)
        touching[axis] += step
        touching[axis + 4] += step
        apart = list(touching)
        apart[axis] += 1e-9 if axis < 2 else 1.0
        owner, found = index.query_pairs(np.array([touching, apart]))
        assert owner.tolist() == [0] and found.tolist() == [0], axis
