"""The exact pair test: are two aircraft closer than H *and* V at the same moment?

For a pair (i, j) under the `motion` model, with ``D = P_j − P_i`` and ``W = V_j − V_i``
(ECEF), the horizontal distance at time ``t`` is measured in the tangent plane whose
normal ``û`` is the mean of the two aircraft's verticals::

    h(t)² = |D + W·t|² − ((D + W·t)·û)² = a·t² + b·t + c

a quadratic in ``t``; the vertical distance ``|z + w·t|`` (altitude difference and its
rate) is linear. ``h < H`` holds on one open interval of ``t`` (or never, or always when
the velocities are equal), ``|z + w·t| < V`` on another; the pair is in predicted
conflict when the intersection of the two with ``[0, look-ahead]`` is not empty.
Strict inequalities: at exactly H or V the pair is clear (touching is not overlapping).

Error of ``h`` against the geodesic distance between the two aircraft extrapolated along
their geodesics (tested in `tests/tactical/test_pairs.py` against `pyproj.Geod`):

- at ``t = 0``: the chord differs from the arc by ``d³/24R²`` (1 mm at 10 km) and ``D``
  is perpendicular to ``û`` up to the ellipsoid's flattening: within 0.01 % + 0.1 m up
  to 200 km;
- at ``t > 0``: each aircraft's straight line rises ``s²/2R`` above the ground after
  flying ``s``, and the tilt of ``û`` against the vertical where the two meet (up to
  ``d/2R``) leaks that height into ``h``: below 10 m for the distances 300 s of flight
  at 300 m/s can cover, 0.1 % of 5 NM.

Written out rather than taken from a library: none solves "both below their minima at the
same moment" for linear motion in closed form over arrays of pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deconflict.engine.tactical.motion import Kinematics

CUTOFF_SLACK_M = 1_000.0
"""Pairs whose current distance exceeds both flown distances plus H plus this are clear.

Physically a no-op (they cannot come within H), it bounds how far apart a flagged pair
can be, which is what makes the pruning's margins provable (`detector`)."""


@dataclass(frozen=True, slots=True)
class PairGeometry:
    """Per pair: the two intervals, the CPA and the distances now (columns)."""

    conflict: NDArray[np.bool_]
    time_to_loss: NDArray[np.float64]
    """Seconds from now to the first moment both distances are below their minima
    (0 when they already are); meaningful where `conflict`."""
    loss_end: NDArray[np.float64]
    """When that stops (may exceed the look-ahead, or be infinite)."""
    cpa_time: NDArray[np.float64]
    """Moment of least horizontal distance within [0, look-ahead]."""
    cpa_horizontal: NDArray[np.float64]
    cpa_vertical: NDArray[np.float64]
    horizontal_now: NDArray[np.float64]
    vertical_now: NDArray[np.float64]


def vertical_window(
    kin: Kinematics, i: NDArray[np.int64], j: NDArray[np.int64], vertical: NDArray[np.float64]
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray[np.bool_]]:
    """``z``, ``w`` and the open interval ``(t3, t4)`` where ``|z + w·t| < V``, and whether
    it exists at all. One function for `pair_geometry` and the detector's prefilter, so
    both compute it with the same operations and agree bit for bit."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        z = kin.alt[j] - kin.alt[i]
        w = kin.vs[j] - kin.vs[i]
        climbing = w != 0.0
        safe_w = np.where(climbing, w, 1.0)
        ta = (-vertical - z) / safe_w
        tb = (vertical - z) / safe_w
        t3 = np.where(climbing, np.minimum(ta, tb), -np.inf)
        t4 = np.where(climbing, np.maximum(ta, tb), np.inf)
        vertical_ever = climbing | (np.abs(z) < vertical)
    return z, w, t3, t4, vertical_ever


def vertically_possible(
    kin: Kinematics,
    i: NDArray[np.int64],
    j: NDArray[np.int64],
    vertical: NDArray[np.float64],
    look_ahead: float,
) -> NDArray[np.bool_]:
    """False where `pair_geometry` cannot find a conflict for the vertical reason alone
    (its ``lo ≥ t3`` and ``hi ≤ t4``, so ``lo < T`` and ``hi > 0`` need these): a cheap
    necessary condition that spares most non-conflicting candidates the quadratic."""
    _, _, t3, t4, ever = vertical_window(kin, i, j, vertical)
    return ever & (t3 < look_ahead) & (t4 > 0.0)


def pair_geometry(
    kin: Kinematics,
    i: NDArray[np.int64],
    j: NDArray[np.int64],
    horizontal: NDArray[np.float64],
    vertical: NDArray[np.float64],
    look_ahead: float,
) -> PairGeometry:
    """The exact test for pairs (i[k], j[k]) with minima (horizontal[k], vertical[k]).

    Only elementwise IEEE arithmetic (no reductions, no transcendental functions), so a
    pair gets bit-for-bit the same answer wherever it sits in the arrays: the pruned
    detector and an all-pairs reference agree exactly.
    """
    dx, dy, dz = kin.px[j] - kin.px[i], kin.py[j] - kin.py[i], kin.pz[j] - kin.pz[i]
    wx, wy, wz = kin.vx[j] - kin.vx[i], kin.vy[j] - kin.vy[i], kin.vz[j] - kin.vz[i]
    ux, uy, uz = kin.ux[i] + kin.ux[j], kin.uy[i] + kin.uy[j], kin.uz[i] + kin.uz[j]
    norm = np.sqrt(ux * ux + uy * uy + uz * uz)
    ux, uy, uz = ux / norm, uy / norm, uz / norm
    du = dx * ux + dy * uy + dz * uz
    wu = wx * ux + wy * uy + wz * uz
    dd = dx * dx + dy * dy + dz * dz
    a = np.maximum(wx * wx + wy * wy + wz * wz - wu * wu, 0.0)
    b = 2.0 * (dx * wx + dy * wy + dz * wz - du * wu)
    c = np.maximum(dd - du * du, 0.0)

    moving = a > 0.0
    safe_a = np.where(moving, a, 1.0)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        h2 = horizontal * horizontal
        disc = b * b - 4.0 * a * (c - h2)
        root = np.sqrt(np.maximum(disc, 0.0))
        t1 = np.where(moving, (-b - root) / (2.0 * safe_a), -np.inf)
        t2 = np.where(moving, (-b + root) / (2.0 * safe_a), np.inf)
        horizontal_ever = np.where(moving, disc > 0.0, c < h2)

        z, w, t3, t4, vertical_ever = vertical_window(kin, i, j, vertical)

    lo = np.maximum(t1, t3)
    hi = np.minimum(t2, t4)
    reach = (kin.speed[i] + kin.speed[j]) * look_ahead + horizontal + CUTOFF_SLACK_M
    near = dd <= reach * reach
    conflict = near & horizontal_ever & vertical_ever & (lo < hi) & (hi > 0.0) & (lo < look_ahead)

    cpa = np.where(moving, np.clip(-b / (2.0 * safe_a), 0.0, look_ahead), 0.0)
    return PairGeometry(
        conflict,
        np.maximum(lo, 0.0),
        hi,
        cpa,
        np.sqrt(np.maximum(a * cpa * cpa + b * cpa + c, 0.0)),
        np.abs(z + w * cpa),
        np.sqrt(c),
        np.abs(z),
    )
