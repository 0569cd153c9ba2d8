"""Segment-to-segment distances and closest points, against shapely.

The engine measures capsule pairs (circles, corridors, route legs) with its own array
arithmetic (`gaps.segment_closest`), closest points included, rather than building
geometries, and a capsule against a polygon the same way over the polygon's edges
(`gaps.segment_chain_closest`). Ends and vertices sit on a small integer lattice, so
that segments often touch at an end, touch an end to a middle, cross, run along each
other or shrink to points, lie inside a polygon, on its boundary or along an edge.
"""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.engine.gaps import segment_chain_closest, segment_closest, segment_distances

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


@st.composite
def polygons(draw: st.DrawFn) -> shapely.Polygon:
    """A valid polygon without holes on the lattice: a star of 3–8 arms around a point
    (concave as often as not), or a rectangle (edges along the lattice's lines)."""
    cx, cy = draw(lattice), draw(lattice)
    if draw(st.booleans()):
        w, h = draw(st.integers(1, 8)) * 250.0, draw(st.integers(1, 8)) * 250.0
        return shapely.box(cx, cy, cx + w, cy + h)
    arms = draw(st.integers(3, 8))
    radii = draw(st.lists(st.integers(1, 8), min_size=arms, max_size=arms))
    angles = np.linspace(0.0, 2 * np.pi, arms, endpoint=False)
    ring = [
        (round(cx + r * 250.0 * np.cos(a)), round(cy + r * 250.0 * np.sin(a)))
        for r, a in zip(radii, angles, strict=True)
    ]
    polygon = shapely.Polygon(ring)
    return polygon if polygon.is_valid and polygon.area > 0 else shapely.box(cx, cy, cx + 1, cy + 1)


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(segments, polygons()), min_size=1, max_size=8))
def test_segment_chain_closest_agrees_with_shapely(pairs: list[tuple]) -> None:
    q = tuple(np.array(c, dtype=np.float64) for c in zip(*(s for s, _ in pairs), strict=True))
    shapes = np.array([p for _, p in pairs], dtype=object)
    vertices = shapely.get_coordinates(shapes)
    counts = shapely.get_num_coordinates(shapes)
    closed = np.ones(len(counts), dtype=bool)
    distance, points = segment_chain_closest(q, vertices[:, 0], vertices[:, 1], counts, closed)
    lines = shapely.linestrings(np.array([s for s, _ in pairs]).reshape(-1, 2, 2))
    expected = shapely.distance(lines, shapes)
    np.testing.assert_allclose(distance, expected, rtol=1e-12, atol=1e-9)
    # The closest points: on the segment, and on the polygon (its boundary, or inside
    # where they meet), as far apart as the distance.
    np.testing.assert_allclose(
        shapely.distance(lines, shapely.points(points[:, 0])), 0.0, atol=1e-9
    )
    np.testing.assert_allclose(
        shapely.distance(shapes, shapely.points(points[:, 1])), 0.0, atol=1e-9
    )
    apart = np.hypot(*(points[:, 0] - points[:, 1]).T)
    np.testing.assert_allclose(apart, distance, rtol=1e-12, atol=1e-9)


def test_a_segment_inside_a_polygon_is_zero_apart_at_its_first_end() -> None:
    square = shapely.box(0.0, 0.0, 1000.0, 1000.0)
    vertices = shapely.get_coordinates(square)
    q = (np.array([200.0]), np.array([300.0]), np.array([400.0]), np.array([300.0]))
    distance, points = segment_chain_closest(
        q, vertices[:, 0], vertices[:, 1], np.array([5]), np.array([True])
    )
    assert distance.tolist() == [0.0]
    assert points.tolist() == [[[200.0, 300.0], [200.0, 300.0]]]


@settings(max_examples=200, deadline=None)
@given(q=segments, others=st.lists(segments, min_size=1, max_size=6), shape=polygons())
def test_open_chains_of_two_vertices_are_the_segments(
    q: tuple, others: list[tuple], shape: shapely.Polygon
) -> None:
    """Capsule cores (open chains) and a ring measured in one pass give what each gives
    alone: the segments' own arithmetic, shapely's distance to the polygon."""
    ax, ay, bx, by = np.array(others, dtype=np.float64).T
    ring = shapely.get_coordinates(shape)
    x = np.concatenate([np.stack([ax, bx], axis=1).reshape(-1), ring[:, 0]])
    y = np.concatenate([np.stack([ay, by], axis=1).reshape(-1), ring[:, 1]])
    counts = np.array([2] * len(others) + [len(ring)])
    closed = np.arange(len(counts)) == len(others)
    qs = tuple(np.full(len(counts), c) for c in q)
    distance, points = segment_chain_closest(qs, x, y, counts, closed)
    alone, alone_points = segment_closest(q, ax, ay, bx, by)
    assert np.array_equal(distance[:-1], alone)
    assert np.array_equal(points[:-1], alone_points)
    line = shapely.LineString([q[:2], q[2:]])
    np.testing.assert_allclose(distance[-1], shapely.distance(line, shape), atol=1e-9)


points = st.tuples(lattice, lattice).map(lambda p: (*p, *p))


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(st.one_of(points, segments), segments), min_size=1, max_size=10))
def test_each_pair_is_measured_alike_whatever_else_is_measured_with_it(pairs: list) -> None:
    """Points (circle cores) are measured by a shorter rule than segments; a pair's
    numbers must not depend on the other pairs of a call (an indexed check and the
    brute-force one measure the same pair among different others)."""
    q = tuple(np.array(c, dtype=np.float64) for c in zip(*(a for a, _ in pairs), strict=True))
    ax, ay, bx, by = np.array([b for _, b in pairs], dtype=np.float64).T
    distance, points = segment_closest(q, ax, ay, bx, by)
    for i in range(len(pairs)):
        alone, alone_points = segment_closest(
            tuple(c[i : i + 1] for c in q),
            ax[i : i + 1],
            ay[i : i + 1],
            bx[i : i + 1],
            by[i : i + 1],
        )
        assert distance[i] == alone[0]
        assert np.array_equal(points[i], alone_points[0])
