"""One detection cycle: every pair of live aircraft in predicted loss of separation.

Two steps. Pruning: each aircraft's straight-line path over the look-ahead gets an
Earth-centred box (plus an altitude interval), grown by margins that make it safe, and a
grid join (`grid`) lists the pairs whose boxes meet. Exact: `pairs.pair_geometry` on
those candidates only. The result is identical to running the exact test on all n²/2
pairs (tests/tactical compare every cycle of a recorded replay and random scenes).

Why the margins are safe. A flagged pair has ``|D| ≤ S_i + S_j + H + C`` (the cutoff in
`pairs`, ``S = speed·T``) and, at some t, ``h(t) < H``. The full 3-D distance is
``|E| ≤ h + |E·û|``, and ``|E·û| ≤ |D·û| + t·(|V_i·û| + |V_j·û|) ≤ θ·(|D| + (S_i+S_j)/2)``
where θ, the angle between the two verticals, is at most ``1.01·|D|/ρ`` (ρ = 6,335 km,
the smallest radius of curvature of WGS84; 1.01 covers chord against arc up to 2,000
km). So ``|E| < H + (1.515/ρ)·(S_i+S_j+H+C)² ≤ H + m_i + m_j`` with
``m = (3.03/ρ)·(S + (H+C)/2)²`` by ``(x+y)² ≤ 2x² + 2y²``. Each box, grown by ``H/2 + m``
(with the largest H of any party pair), therefore meets the other's whenever the pair
is flagged. Vertically, each altitude interval over [0, T] grows by V/2.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deconflict.engine.tactical.grid import Mapper, box_pairs
from deconflict.engine.tactical.motion import Kinematics, kinematics
from deconflict.engine.tactical.pairs import (
    CUTOFF_SLACK_M,
    PairGeometry,
    pair_geometry,
    vertically_possible,
)
from deconflict.engine.tactical.state import TrackStates
from deconflict.geo.projection import WGS84_A, WGS84_E2
from deconflict.geo.separation import Minima
from deconflict.geo.units import FOOT, NAUTICAL_MILE

DEFAULT_MINIMA = Minima(horizontal=5 * NAUTICAL_MILE, vertical=1000 * FOOT)
DEFAULT_LOOK_AHEAD_S = 300.0
MAX_LOOK_AHEAD_S = 600.0
"""Longer look-aheads are not state-based prediction any more (and void the margins)."""
SMALLEST_RADIUS_M = WGS84_A * (1.0 - WGS84_E2)
"""Meridional radius of curvature at the equator: the ellipsoid bends no faster."""
PAIR_CHUNK = 32_768
"""Candidate pairs measured at once: keeps the exact step's temporaries in cache."""

ALL_PAIRS_BELOW = 64
"""With this few aircraft every pair goes to the exact test: cheaper than building boxes
(the exact test decides either way, so the result is the same)."""

_POOLS: dict[int, ThreadPoolExecutor] = {}
"""Thread pools by size, shared by detectors (threads are idle between cycles)."""

MinimaRule = Callable[[str, str], Minima | None]
"""(party_a, party_b) → the minima that apply, or None when the pair is not watched."""


def rule_from(
    minima: MinimaRule | Mapping[tuple[str, str], Minima] | None, default: Minima
) -> MinimaRule:
    """A rule from a mapping keyed by party pairs (either order), a callable, or None."""
    if minima is None:
        return lambda a, b: default
    if callable(minima):
        return minima
    table = dict(minima)

    def lookup(a: str, b: str) -> Minima | None:
        if (a, b) in table:
            return table[(a, b)]
        return table.get((b, a), default)

    return lookup


@dataclass(frozen=True, slots=True)
class PredictedConflicts:
    """Pairs in predicted loss of separation at one cycle, as columns sorted by (i, j).

    ``i`` and ``j`` are positions in the cycle's `TrackStates` (i < j).
    """

    now: float
    i: NDArray[np.int64]
    j: NDArray[np.int64]
    horizontal_minimum: NDArray[np.float64]
    vertical_minimum: NDArray[np.float64]
    time_to_loss: NDArray[np.float64]
    cpa_time: NDArray[np.float64]
    cpa_horizontal: NDArray[np.float64]
    cpa_vertical: NDArray[np.float64]
    horizontal_now: NDArray[np.float64]
    vertical_now: NDArray[np.float64]
    candidates: int
    """How many pairs the pruning passed to the exact test (for benchmarks)."""

    def __len__(self) -> int:
        return len(self.i)


def _upper_quartile(values: NDArray[np.float64]) -> float:
    """The 75th percentile, near enough for a cell size (a partition, not a sort)."""
    k = (3 * len(values)) // 4
    return float(np.partition(values, k)[k])


class Detector:
    """Predicted losses of separation among live tracks, pruned to ~N log N per cycle."""

    def __init__(
        self,
        minima: MinimaRule | Mapping[tuple[str, str], Minima] | None = None,
        *,
        default: Minima = DEFAULT_MINIMA,
        look_ahead: float = DEFAULT_LOOK_AHEAD_S,
        threads: int = 1,
    ) -> None:
        if not (0.0 < look_ahead <= MAX_LOOK_AHEAD_S):
            raise ValueError(f"look-ahead {look_ahead:g} s is outside (0, {MAX_LOOK_AHEAD_S:g}]")
        self.rule = rule_from(minima, default)
        self.look_ahead = look_ahead
        self.all_pairs_below = ALL_PAIRS_BELOW
        """Fewer aircraft than this skip the grid (tests set 0 to exercise it always)."""
        self.threads = threads
        """Threads that run the chunks of the grid join and of the exact test (numpy
        releases the GIL in them); the result is the same for any number."""
        self._matrices: dict[tuple[str, ...], tuple[NDArray, NDArray, NDArray]] = {}

    def _mapper(self) -> Mapper:
        if self.threads <= 1:
            return map
        pool = _POOLS.get(self.threads)
        if pool is None:
            pool = _POOLS[self.threads] = ThreadPoolExecutor(self.threads, "tactical")
        return pool.map

    def minima_matrices(
        self, parties: tuple[str, ...]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
        """H, V and "watched" as party × party matrices (cached per list of parties)."""
        found = self._matrices.get(parties)
        if found is None:
            n = len(parties)
            h, v, watched = np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n), dtype=bool)
            for a, name_a in enumerate(parties):
                for b, name_b in enumerate(parties):
                    minima = self.rule(name_a, name_b)
                    if minima is not None:
                        h[a, b], v[a, b], watched[a, b] = minima.horizontal, minima.vertical, True
            found = self._matrices[parties] = (h, v, watched)
        return found

    def candidates(
        self, states: TrackStates, kin: Kinematics
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Pairs whose safe boxes meet (a superset of the conflicting pairs)."""
        h, v, watched = self.minima_matrices(states.parties)
        if not watched.any() or len(kin) < 2:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        if len(kin) < self.all_pairs_below:
            i, j = np.triu_indices(len(kin), k=1)
            keep = watched[states.party[i], states.party[j]]
            return i[keep].astype(np.int64), j[keep].astype(np.int64)
        h_max, v_max = float(h[watched].max()), float(v[watched].max())
        t = self.look_ahead
        reach = kin.speed * t + (h_max + CUTOFF_SLACK_M) / 2.0
        grow = h_max / 2.0 + 3.03 / SMALLEST_RADIUS_M * reach * reach + 1.0
        low = np.empty((len(kin), 4))
        high = np.empty((len(kin), 4))
        for d, (p, vel) in enumerate(((kin.px, kin.vx), (kin.py, kin.vy), (kin.pz, kin.vz))):
            end = p + vel * t
            low[:, d] = np.minimum(p, end) - grow
            high[:, d] = np.maximum(p, end) + grow
        alt_end = kin.alt + kin.vs * t
        low[:, 3] = np.minimum(kin.alt, alt_end) - v_max / 2.0 - 1.0
        high[:, 3] = np.maximum(kin.alt, alt_end) + v_max / 2.0 + 1.0
        extent = high - low
        # Cells about the size of a typical box (tuned on bench/tactical.py's traffic).
        horizontal = _upper_quartile(
            np.maximum(np.maximum(extent[:, 0], extent[:, 1]), extent[:, 2])
        )
        horizontal_cell = float(np.clip(1.25 * horizontal, 2e3, 5e5))
        vertical_cell = float(np.clip(2.0 * _upper_quartile(extent[:, 3]), 300.0, 3e4))
        cell = np.array([horizontal_cell] * 3 + [vertical_cell])
        i, j = box_pairs(low, high, cell, self._mapper())
        keep = watched[states.party[i], states.party[j]]
        return i[keep], j[keep]

    def detect(self, states: TrackStates) -> PredictedConflicts:
        """All pairs in predicted loss of separation within the look-ahead from `states.now`."""
        kin = kinematics(states)
        i, j = self.candidates(states, kin)
        return self.measure(states, kin, i, j)

    def measure(
        self,
        states: TrackStates,
        kin: Kinematics,
        i: NDArray[np.int64],
        j: NDArray[np.int64],
    ) -> PredictedConflicts:
        """The exact test on the given pairs (i < j), keeping those in predicted conflict."""
        h, v, watched = self.minima_matrices(states.parties)
        look_ahead = self.look_ahead

        def chunk(start: int) -> tuple[NDArray, NDArray, NDArray, NDArray, PairGeometry]:
            ci, cj = i[start : start + PAIR_CHUNK], j[start : start + PAIR_CHUNK]
            pa, pb = states.party[ci], states.party[cj]
            ok = watched[pa, pb]
            ok[ok] = vertically_possible(kin, ci[ok], cj[ok], v[pa[ok], pb[ok]], look_ahead)
            ci, cj, pa, pb = ci[ok], cj[ok], pa[ok], pb[ok]
            hh, vv = h[pa, pb], v[pa, pb]
            geometry = pair_geometry(kin, ci, cj, hh, vv, look_ahead)
            hit = geometry.conflict
            kept = PairGeometry(*(getattr(geometry, n)[hit] for n in PairGeometry.__slots__))
            return ci[hit], cj[hit], hh[hit], vv[hit], kept

        parts = list(self._mapper()(chunk, range(0, len(i), PAIR_CHUNK)))
        if not parts:
            empty = np.empty(0)
            none = np.empty(0, dtype=np.int64)
            return PredictedConflicts(states.now, none, none, *([empty] * 8), candidates=0)
        g = [part[4] for part in parts]

        def joined(name: str) -> NDArray[np.float64]:
            return np.concatenate([getattr(x, name) for x in g])

        return PredictedConflicts(
            states.now,
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
            np.concatenate([p[3] for p in parts]),
            joined("time_to_loss"),
            joined("cpa_time"),
            joined("cpa_horizontal"),
            joined("cpa_vertical"),
            joined("horizontal_now"),
            joined("vertical_now"),
            candidates=len(i),
        )
