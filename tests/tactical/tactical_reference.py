"""The all-pairs reference for the tactical detector, and scene builders for its tests.

Independent of the pruning: every pair i < j of the cycle's aircraft goes through the
exact pair test (`pairs.pair_geometry`) with minima looked up per pair from the party
rule (not from the detector's matrices). The detector must return exactly these pairs,
with bit-for-bit the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from deconflict.engine.tactical.motion import kinematics
from deconflict.engine.tactical.pairs import pair_geometry
from deconflict.engine.tactical.state import TrackStates
from deconflict.geo.separation import Minima

CHUNK = 200_000


def all_pairs(
    states: TrackStates, rule: Callable[[str, str], Minima | None], look_ahead: float
) -> dict[str, NDArray]:
    """Every conflicting pair as sorted columns: i, j, time_to_loss, cpa_* and *_now."""
    n = len(states)
    kin = kinematics(states)
    first, second = np.triu_indices(n, 1)
    names = [states.party_of(k) for k in range(n)]
    out: dict[str, list[NDArray]] = {
        key: []
        for key in (
            "i",
            "j",
            "time_to_loss",
            "cpa_time",
            "cpa_horizontal",
            "cpa_vertical",
            "horizontal_now",
            "vertical_now",
        )
    }
    for start in range(0, len(first), CHUNK):
        i = first[start : start + CHUNK].astype(np.int64)
        j = second[start : start + CHUNK].astype(np.int64)
        h = np.zeros(len(i))
        v = np.zeros(len(i))
        watched = np.zeros(len(i), dtype=bool)
        for k, (a, b) in enumerate(zip(i.tolist(), j.tolist(), strict=True)):
            minima = rule(names[a], names[b])
            if minima is not None:
                h[k], v[k], watched[k] = minima.horizontal, minima.vertical, True
        i, j, h, v = i[watched], j[watched], h[watched], v[watched]
        geometry = pair_geometry(kin, i, j, h, v, look_ahead)
        hit = geometry.conflict
        out["i"].append(i[hit])
        out["j"].append(j[hit])
        for key in list(out)[2:]:
            out[key].append(getattr(geometry, key)[hit])
    return {key: np.concatenate(parts) if parts else np.empty(0) for key, parts in out.items()}


def assert_same(found: object, reference: dict[str, NDArray]) -> None:
    """The detector's result equals the reference exactly (pairs and every number)."""
    assert np.array_equal(found.i, reference["i"]), "pairs differ"  # type: ignore[attr-defined]
    assert np.array_equal(found.j, reference["j"]), "pairs differ"  # type: ignore[attr-defined]
    for key in list(reference)[2:]:
        assert np.array_equal(getattr(found, key), reference[key]), key
