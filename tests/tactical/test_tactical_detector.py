"""The pruned detector returns exactly what the all-pairs reference returns."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tactical_reference import all_pairs, assert_same

from deconflict.engine.tactical.detector import DEFAULT_MINIMA, Detector, rule_from
from deconflict.engine.tactical.state import states_from_columns
from deconflict.geo.separation import Minima
from deconflict.geo.units import FOOT, NAUTICAL_MILE


def _scene(seed: int, n: int, lat0: float, spread_km: float, fast: bool, parties: int):
    """Aircraft clustered around (10°E, lat0): close enough that many pairs conflict."""
    rng = np.random.default_rng(seed)
    dlat = spread_km / 111.0
    dlon = spread_km / (111.0 * np.cos(np.radians(lat0)))
    lat = np.clip(lat0 + rng.uniform(-dlat, dlat, n), -84.9, 84.9)
    lon = 10.0 + rng.uniform(-dlon, dlon, n)
    alt = rng.choice([3000.0, 3300.0, 6000.0, 9000.0, 10_000.0], n) + rng.normal(0, 150, n)
    speed = rng.uniform(0.0, 1500.0 if fast else 260.0, n)
    speed[rng.random(n) < 0.1] = 0.0  # hovering or stopped
    vertical = rng.normal(0.0, 8.0, n) * (rng.random(n) < 0.5)
    party = [f"p{k}" for k in rng.integers(0, parties, n)]
    time = rng.uniform(-20.0, 0.0, n)  # reports up to 20 s old at the cycle
    return states_from_columns(
        0.0,
        [f"a{k}" for k in range(n)],
        party,
        lon,
        lat,
        alt,
        speed,
        rng.uniform(0.0, 360.0, n),
        vertical,
        time=time,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 80),
    lat0=st.floats(-84.0, 84.0),
    spread_km=st.floats(1.0, 400.0),
    fast=st.booleans(),
    parties=st.integers(1, 3),
    look_ahead=st.sampled_from([30.0, 120.0, 300.0, 600.0]),
)
def test_pruned_equals_all_pairs_on_random_scenes(
    seed: int, n: int, lat0: float, spread_km: float, fast: bool, parties: int, look_ahead: float
) -> None:
    minima = {
        ("p0", "p1"): Minima(10 * NAUTICAL_MILE, 2000 * FOOT),
        ("p2", "p2"): Minima(3 * NAUTICAL_MILE, 500 * FOOT),
    }
    detector = Detector(minima, look_ahead=look_ahead)
    detector.all_pairs_below = 0  # the grid join even for a handful of aircraft
    states = _scene(seed, n, lat0, spread_km, fast, parties)
    assert_same(
        detector.detect(states), all_pairs(states, rule_from(minima, DEFAULT_MINIMA), look_ahead)
    )


def test_pruned_equals_all_pairs_on_a_dense_terminal_area() -> None:
    states = _scene(7, 1500, 49.0, 60.0, fast=False, parties=2)
    detector = Detector()
    found = detector.detect(states)
    reference = all_pairs(states, lambda a, b: DEFAULT_MINIMA, 300.0)
    assert len(found) > 1000  # the scene is dense enough to mean something
    assert found.candidates < len(states) * (len(states) - 1) // 2 / 5
    assert_same(found, reference)


def test_a_rule_returning_none_leaves_the_pair_unwatched() -> None:
    states = _scene(3, 300, 45.0, 30.0, fast=False, parties=2)

    def rule(a: str, b: str) -> Minima | None:
        return None if a == b else DEFAULT_MINIMA

    found = Detector(rule).detect(states)
    assert len(found) > 0
    assert all(states.party[i] != states.party[j] for i, j in zip(found.i, found.j, strict=True))
    assert_same(found, all_pairs(states, rule, 300.0))


def test_wider_minima_for_one_party_pair_find_more() -> None:
    states = _scene(5, 400, 30.0, 80.0, fast=False, parties=2)
    base = Detector().detect(states)
    wide = Detector({("p1", "p0"): Minima(10 * NAUTICAL_MILE, 2000 * FOOT)}).detect(states)
    pairs_base = set(zip(base.i.tolist(), base.j.tolist(), strict=True))
    pairs_wide = set(zip(wide.i.tolist(), wide.j.tolist(), strict=True))
    assert pairs_base < pairs_wide
    mixed = [(i, j) for i, j in pairs_wide - pairs_base if states.party[i] != states.party[j]]
    assert len(mixed) == len(pairs_wide - pairs_base)


def test_no_aircraft_and_one_aircraft_give_no_pairs() -> None:
    for n in (0, 1):
        states = _scene(1, n, 0.0, 10.0, fast=False, parties=1)
        assert len(Detector().detect(states)) == 0


def test_threads_change_nothing_but_the_time() -> None:
    states = _scene(11, 3000, 49.0, 150.0, fast=False, parties=3)
    one, two = Detector().detect(states), Detector(threads=2).detect(states)
    assert len(one) > 1000
    for name in ("i", "j", "time_to_loss", "cpa_time", "cpa_horizontal", "cpa_vertical"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name
    assert one.candidates == two.candidates


def test_a_few_aircraft_skip_the_grid_with_the_same_answer() -> None:
    states = _scene(5, 40, -33.0, 30.0, fast=True, parties=2)
    direct, gridded = Detector(), Detector()
    gridded.all_pairs_below = 0
    a, b = direct.detect(states), gridded.detect(states)
    assert len(a) > 10 and a.candidates == 40 * 39 // 2 > b.candidates
    assert np.array_equal(a.i, b.i) and np.array_equal(a.j, b.j)
    assert np.array_equal(a.cpa_time, b.cpa_time)
