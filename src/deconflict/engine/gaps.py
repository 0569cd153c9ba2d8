"""The three gaps between pieces, and the rule that turns gaps into a conflict.

All three gaps are signed: negative means the two overlap on that axis, zero means
they touch. A pair conflicts when every gap is below its minimum; with a zero minimum,
touching is therefore clear ("touching is not overlapping"). Polygons touching along an
edge measure a horizontal gap of 0 whether or not their interiors overlap, so for that
one case (zero horizontal minimum, two polygons) the interiors are tested directly.

Horizontal distances are measured in the `LocalPlane` centred on the new piece; see
`geo.projection` for why that is within 0.03 % of the geodesic, and `geo.pieces` for why
every deciding measurement stays inside the plane's trusted radius. The measurement
itself is in `exact` (all pairs of a check at once) and `plane_view` (one piece).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from deconflict.engine.table import Rows
from deconflict.geo.altitude import REFERENCE_CODES, margin_matrix
from deconflict.geo.pieces import Piece
from deconflict.geo.projection import MAX_RELATIVE_ERROR

MARGINS = np.asarray(margin_matrix(), dtype=np.float64)
"""Vertical margins between altitude references, indexed by their codes."""
PLANE_ERROR = 1.5 * MAX_RELATIVE_ERROR
"""Relative error of core distances measured in the plane, with room to spare."""
PLANE_SLACK_M = 2.0
TOUCH_TOLERANCE_M = 0.5
"""Polygons overlapping by less than this (in depth) touch rather than overlap: shared
edges are densified along geodesics and cut into pieces, which can leave centimetres
between two drawings of the same edge."""
REFERENCE_CODE = {ref: code for code, ref in enumerate(REFERENCE_CODES)}


@dataclass(frozen=True, slots=True)
class MinimaColumns:
    """Per-candidate minima (the party pair decides them) and whether the pair is checked."""

    horizontal: NDArray[np.float64]
    vertical: NDArray[np.float64]
    time: NDArray[np.float64]
    applies: NDArray[np.bool_]

    def take(self, mask: NDArray[np.bool_] | NDArray[np.int64]) -> MinimaColumns:
        """The subset selected by a boolean mask or positions."""
        return MinimaColumns(
            self.horizontal[mask], self.vertical[mask], self.time[mask], self.applies[mask]
        )


def time_gaps(piece: Piece, rows: Rows, shift: float = 0.0) -> NDArray[np.float64]:
    """Seconds between the windows; negative is the length of their overlap."""
    return np.maximum(piece.start + shift, rows.start) - np.minimum(piece.end + shift, rows.end)


def vertical_gaps(piece: Piece, rows: Rows, shift: float = 0.0) -> NDArray[np.float64]:
    """Metres between the bands, less the margin for comparing different references."""
    margin = MARGINS[REFERENCE_CODE[piece.reference], rows.reference]
    return (
        np.maximum(piece.lower + shift, rows.lower)
        - np.minimum(piece.upper + shift, rows.upper)
        - margin
    )


def _point_segment(
    px: NDArray, py: NDArray, ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Distance from each point p to segment ab, and the closest point of the segment."""
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    positive = length2 > 0
    t = np.where(positive, ((px - ax) * dx + (py - ay) * dy) / np.where(positive, length2, 1), 0)
    t = np.minimum(np.maximum(t, 0.0), 1.0)  # `np.clip`, whose wrapper costs more here
    cx, cy = ax + t * dx, ay + t * dy
    return np.hypot(cx - px, cy - py), cx, cy


def _cross(ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray, px: NDArray, py: NDArray) -> NDArray:
    return (bx - ax) * (py - ay) - (by - ay) * (px - ax)


def _endpoint_distances(
    q: tuple[Any, Any, Any, Any], ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray
) -> tuple[NDArray, ...]:
    """The four endpoint-to-segment distances between segment `q` and each (a, b)
    (qa and qb onto ab, then a and b onto q), stacked: one array operation for all four
    (a check's cost is the number of operations, hardly their length); the points and
    closest points they measure between, and which pairs cross."""
    n = len(ax)
    ends = np.empty((2, 4, n), dtype=np.float64)  # x and y of qa, qb, a, b
    ends[0, 0], ends[1, 0], ends[0, 1], ends[1, 1] = q
    ends[0, 2], ends[1, 2], ends[0, 3], ends[1, 3] = ax, ay, bx, by
    px, py = ends[0].reshape(-1), ends[1].reshape(-1)
    starts = ends[:, [2, 2, 0, 0]].reshape(2, -1)  # qa and qb onto ab, a and b onto q
    stops = ends[:, [3, 3, 1, 1]].reshape(2, -1)
    distance, cx, cy = _point_segment(px, py, starts[0], starts[1], stops[0], stops[1])
    # Which side of the other segment each end lies on: d3, d4 (qa, qb of ab), d1, d2.
    d3, d4, d1, d2 = _cross(starts[0], starts[1], stops[0], stops[1], px, py).reshape(4, n)
    crossing = (d1 * d2 < 0) & (d3 * d4 < 0)
    return distance.reshape(4, len(ax)), px, py, cx, cy, crossing, d1, d2


def segment_distances(
    q: tuple[Any, Any, Any, Any], ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray
) -> NDArray[np.float64]:
    """Planar distance from segment `q` to each segment (a, b); 0 where they cross.

    Written out because shapely would need a geometry per candidate, which costs more
    than the arithmetic.
    """
    return segment_closest(q, ax, ay, bx, by)[0]


def segment_closest(
    q: tuple[Any, Any, Any, Any], ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`segment_distances`, and the closest points: n × 2 × 2 (on q, on ab); where the
    segments cross, both are the crossing point.

    Where q is a point (a circle's core: most new pieces), only its distance to each
    segment is measured, a third of the operations; each pair is measured by one rule
    or the other whatever the others are, so a pair's numbers never depend on which
    other pairs a check has.
    """
    n = len(ax)
    qax, qay, qbx, qby = (np.broadcast_to(c, (n,)) for c in q)
    point = (qax == qbx) & (qay == qby)
    if point.all():
        return _point_closest(qax, qay, ax, ay, bx, by)
    if not point.any():
        return _segment_closest((qax, qay, qbx, qby), ax, ay, bx, by)
    distance = np.empty(n, dtype=np.float64)
    points = np.empty((n, 2, 2), dtype=np.float64)
    p, s = point, ~point
    distance[p], points[p] = _point_closest(qax[p], qay[p], ax[p], ay[p], bx[p], by[p])
    distance[s], points[s] = _segment_closest(
        (qax[s], qay[s], qbx[s], qby[s]), ax[s], ay[s], bx[s], by[s]
    )
    return distance, points


def _point_closest(
    px: NDArray, py: NDArray, ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`segment_closest` where q is the point p."""
    distance, cx, cy = _point_segment(px, py, ax, ay, bx, by)
    points = np.empty((len(ax), 2, 2), dtype=np.float64)
    points[:, 0, 0], points[:, 0, 1], points[:, 1, 0], points[:, 1, 1] = px, py, cx, cy
    return distance, points


def _segment_closest(
    q: tuple[Any, Any, Any, Any], ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`segment_closest` by the four end-to-segment distances."""
    distance, px, py, cx, cy, crossing, d1, d2 = _endpoint_distances(q, ax, ay, bx, by)
    n = len(ax)
    which = np.argmin(distance, axis=0)
    at = which * n + np.arange(n)
    on_q = which < 2  # the point is an end of q, the closest point is on ab
    points = np.empty((n, 2, 2), dtype=np.float64)
    points[:, 0, 0] = np.where(on_q, px[at], cx[at])
    points[:, 0, 1] = np.where(on_q, py[at], cy[at])
    points[:, 1, 0] = np.where(on_q, cx[at], px[at])
    points[:, 1, 1] = np.where(on_q, cy[at], py[at])
    if crossing.any():
        t = d1[crossing] / (d1[crossing] - d2[crossing])  # along ab, where q's line cuts it
        x = ax[crossing] + t * (bx[crossing] - ax[crossing])
        y = ay[crossing] + t * (by[crossing] - ay[crossing])
        points[crossing, :, 0] = x[:, None]
        points[crossing, :, 1] = y[:, None]
    return np.where(crossing, 0.0, distance.min(axis=0)), points


def conflicting(
    gaps: tuple[NDArray, NDArray, NDArray], interiors: NDArray, minima: MinimaColumns
) -> NDArray[np.bool_]:
    """Which pairs conflict: below every minimum at once (strictly: touching is clear)."""
    horizontal, vertical, time = gaps
    close = (horizontal < minima.horizontal) | (
        (minima.horizontal == 0.0) & (horizontal == 0.0) & interiors
    )
    return minima.applies & close & (vertical < minima.vertical) & (time < minima.time)


def segment_chain_closest(
    q: tuple[NDArray, NDArray, NDArray, NDArray],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    counts: NDArray[np.int64],
    closed: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Planar distance from each segment q[i] to chain i, and the closest points (n × 2
    × 2, on q then on the chain). Chain i is `counts[i]` vertices laid one chain after
    another in `x`, `y`: a capsule's core (two vertices) or, where `closed[i]`, the ring
    of a polygon without holes (its last vertex repeating the first). The distance is 0
    where they meet: q crosses an edge, or lies inside a closed chain (then the closest
    points are q's first end twice).

    The segment-to-segment arithmetic over every edge at once: shapely would need a
    geometry per polygon in each pair's plane, which costs more than all the edges.
    """
    edges = counts - 1
    ends = np.cumsum(counts)
    start = np.ones(len(x), dtype=bool)
    start[ends - 1] = False  # no edge from a chain's last vertex
    a = np.flatnonzero(start)
    pair = np.repeat(np.arange(len(counts)), edges)
    qe = tuple(c[pair] for c in q)
    distance, points = segment_closest(qe, x[a], y[a], x[a + 1], y[a + 1])
    first = ends - counts - np.arange(len(counts))  # each chain's first edge
    nearest = np.minimum.reduceat(distance, first)
    at = np.flatnonzero(distance == nearest[pair])
    at = at[np.concatenate([[True], pair[at][1:] != pair[at][:-1]])]  # one per chain
    closest = points[at]
    if closed.any():
        # Inside: an odd number of edges cross the ray east of q's first end (even-odd).
        qx, qy = qe[0], qe[1]
        ya, yb = y[a], y[a + 1]
        straddle = (ya > qy) != (yb > qy)
        rise = np.where(straddle, yb - ya, 1.0)
        crossing = straddle & (qx < x[a] + (qy - ya) * (x[a + 1] - x[a]) / rise)
        inside = closed & (np.add.reduceat(crossing.astype(np.int64), first) % 2 == 1)
        nearest[inside] = 0.0
        closest[inside] = np.stack([q[0][inside], q[1][inside]], axis=1)[:, None, :]
    return nearest, closest
