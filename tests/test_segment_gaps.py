"""Segment-to-segment distances and closest points, against shapely.

The engine measures capsule pairs (circles, corridors, route legs) with its own array
arithmetic (`gaps.segment_closest`), closest points included, rather than building
geometries. Ends sit on a small integer lattice, so that segments often touch at an end,
touch an end to a middle, cross, run along each other or shrink to points.
"""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.engine.gaps import segment_closest, segment_distances

lattice = st.integers(-4, 4).map(lambda v: v * 250.0)
segments = st.tuples(lattice, lattice, lattice, lattice)


@settings(max_examples=300, deadline=None)
@given(q=segments, others=st.lists(segments, min_size=1, max_size=12))
def test_segment_closest_agrees_with_shapely(q: tuple, others: list[tuple]) -> None:
    ax, ay, bx, by = np.array(others, dtype=np.float64).T
    distance, points = segment_closest(q, ax, ay, bx, by)
    assert np.array_equal(distance, segment_distances(q, ax, ay, bx, by))
    line_q = shapely.LineString([q[:2], q[2:]])
    lines = shapely.linestrings(np.array(others).reshape(-1, 2, 2))
    expected = shapely.distance(line_q, lines)
    np.testing.assert_allclose(distance, expected, rtol=1e-12, atol=1e-9)
    # The closest points lie on their segments, as far apart as the distance.
    on_q = shapely.distance(line_q, shapely.points(points[:, 0]))
    on_other = shapely.distance(lines, shapely.points(points[:, 1]))
    np.testing.assert_allclose(on_q, 0.0, atol=1e-9)
    np.testing.assert_allclose(on_other, 0.0, atol=1e-9)
    apart = np.hypot(*(points[:, 0] - points[:, 1]).T)
    np.testing.assert_allclose(apart, distance, rtol=1e-12, atol=1e-9)


def test_touching_segments_are_zero_apart_and_meet_where_they_touch() -> None:
    q = (0.0, 0.0, 1000.0, 0.0)
    ax, ay, bx, by = (
        np.array(v)
        for v in (
            [1000.0, 500.0, 200.0],
            [0.0, 0.0, -300.0],
            [1000.0, 500.0, 800.0],
            [700.0, 400.0, 300.0],
        )
    )
    distance, points = segment_closest(q, ax, ay, bx, by)
    assert distance.tolist() == [0.0, 0.0, 0.0]  # end to end, end on a middle, crossing
    np.testing.assert_allclose(points[:, 0], [[1000.0, 0.0], [500.0, 0.0], [500.0, 0.0]])
    np.testing.assert_allclose(points[:, 1], points[:, 0])
