"""The exact pair test: distances against pyproj.Geod, intervals against sampling."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from deconflict.engine.tactical.motion import Kinematics, kinematics, positions_at
from deconflict.engine.tactical.pairs import pair_geometry
from deconflict.engine.tactical.state import states_from_columns
from deconflict.geo.units import FOOT, NAUTICAL_MILE

GEOD = Geod(ellps="WGS84")
H, V = 5 * NAUTICAL_MILE, 1000 * FOOT
ONE = np.array([0])
TWO = np.array([1])


def _two(lon, lat, alt, speed, track, vertical, time=(0.0, 0.0)):
    return states_from_columns(
        0.0, ["a", "b"], ["x", "y"], lon, lat, alt, speed, track, vertical, time=list(time)
    )


def _measure(states, look_ahead=300.0, h=H, v=V):
    return pair_geometry(kinematics(states), ONE, TWO, np.array([h]), np.array([v]), look_ahead)


@settings(max_examples=300, deadline=None)
@given(
    lon=st.floats(-170.0, 170.0),
    lat=st.floats(-84.0, 84.0),
    azimuth=st.floats(0.0, 360.0),
    distance=st.floats(10.0, 200_000.0),
)
def test_distance_now_matches_the_geodesic(lon, lat, azimuth, distance) -> None:
    """At t = 0, within 0.1 % or 1 m of pyproj.Geod (DESIGN.md), in fact far closer."""
    lon_b, lat_b, _ = GEOD.fwd(lon, lat, azimuth, distance)
    states = _two([lon, lon_b], [lat, lat_b], [1000.0, 1000.0], [0, 0], [0, 0], [0, 0])
    found = float(_measure(states).horizontal_now[0])
    assert abs(found - distance) <= max(1e-4 * distance, 0.1)


@settings(max_examples=300, deadline=None)
@given(
    lon=st.floats(-170.0, 170.0),
    lat=st.floats(-80.0, 80.0),
    track=st.floats(0.0, 360.0),
    speed=st.floats(0.0, 300.0),
    t=st.floats(0.0, 300.0),
    azimuth=st.floats(0.0, 360.0),
    offset=st.floats(0.0, 100_000.0),
)
def test_distance_later_matches_geodesic_extrapolation(
    lon, lat, track, speed, t, azimuth, offset
) -> None:
    """An aircraft flying along its geodesic for t s, against a fixed one: within 0.1 %
    of the distance plus 10 m (the straight line's rise and the plane's tilt)."""
    lon_a, lat_a, _ = GEOD.fwd(lon, lat, track, speed * t)
    lon_b, lat_b, _ = GEOD.fwd(lon_a, lat_a, azimuth, offset)
    _, _, truth = GEOD.inv(lon_a, lat_a, lon_b, lat_b)
    states = _two([lon, lon_b], [lat, lat_b], [0.0, 0.0], [speed, 0.0], [track, 0.0], [0, 0])
    kin = kinematics(states)
    dx = kin.px[1] - kin.px[0] - kin.vx[0] * t
    dy = kin.py[1] - kin.py[0] - kin.vy[0] * t
    dz = kin.pz[1] - kin.pz[0] - kin.vz[0] * t
    u = np.array([kin.ux[0] + kin.ux[1], kin.uy[0] + kin.uy[1], kin.uz[0] + kin.uz[1]])
    u /= np.linalg.norm(u)
    e = np.array([dx, dy, dz])
    model = float(np.sqrt(max(e @ e - (e @ u) ** 2, 0.0)))
    assert abs(model - truth) <= 1e-3 * truth + 10.0


def _sampled(kin: Kinematics, h: float, v: float, look_ahead: float, steps: int = 3001):
    """Both distances on a fine time grid, straight from the vectors (no quadratic)."""
    t = np.linspace(0.0, look_ahead, steps)
    e = np.stack(
        [
            kin.px[1] - kin.px[0] + (kin.vx[1] - kin.vx[0]) * t,
            kin.py[1] - kin.py[0] + (kin.vy[1] - kin.vy[0]) * t,
            kin.pz[1] - kin.pz[0] + (kin.vz[1] - kin.vz[0]) * t,
        ]
    )
    u = np.array([kin.ux[0] + kin.ux[1], kin.uy[0] + kin.uy[1], kin.uz[0] + kin.uz[1]])
    u /= np.linalg.norm(u)
    horizontal = np.sqrt(np.maximum((e * e).sum(0) - (u @ e) ** 2, 0.0))
    vertical = np.abs(kin.alt[1] - kin.alt[0] + (kin.vs[1] - kin.vs[0]) * t)
    return t, horizontal, vertical


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-80.0, 80.0),
    azimuth=st.floats(0.0, 360.0),
    distance=st.floats(0.0, 120_000.0),
    speeds=st.tuples(st.floats(0.0, 300.0), st.floats(0.0, 300.0)),
    tracks=st.tuples(st.floats(0.0, 360.0), st.floats(0.0, 360.0)),
    alts=st.tuples(st.floats(0.0, 12_000.0), st.floats(-3000.0, 3000.0)),
    rates=st.tuples(st.floats(-30.0, 30.0), st.floats(-30.0, 30.0)),
)
def test_interval_agrees_with_sampling(lat, azimuth, distance, speeds, tracks, alts, rates) -> None:
    lon_b, lat_b, _ = GEOD.fwd(20.0, lat, azimuth, distance)
    states = _two([20.0, lon_b], [lat, lat_b], [alts[0], alts[0] + alts[1]], speeds, tracks, rates)
    g = _measure(states)
    t, horizontal, vertical = _sampled(kinematics(states), H, V, 300.0)
    both = (horizontal < H - 1e-6) & (vertical < V - 1e-6)
    if both.any():
        assert g.conflict[0]
        first = t[np.argmax(both)]
        assert g.time_to_loss[0] <= first + 1e-6
        assert first - g.time_to_loss[0] <= 300.0 / 3000 + 1e-6
    if g.conflict[0]:
        # Just after the first moment, both hold (up to a hair of rounding).
        moment = min(g.time_to_loss[0] + 1e-3, 300.0, (g.time_to_loss[0] + g.loss_end[0]) / 2)
        _, h_at, v_at = _sampled(kinematics(states), H, V, moment, steps=2)
        assert h_at[-1] < H + 1e-3 and v_at[-1] < V + 1e-3
    lowest = int(np.argmin(horizontal))
    assert g.cpa_horizontal[0] <= horizontal[lowest] + 1e-6
    assert (
        abs(g.cpa_time[0] - t[lowest]) <= 0.2 or abs(g.cpa_horizontal[0] - horizontal[lowest]) < 1.0
    )


def test_head_on_on_the_equator() -> None:
    """100 km apart, 250 m/s each, same level: loss at (100 km − H)/500 m/s, CPA at 200 s."""
    lon_b, _, _ = GEOD.fwd(0.0, 0.0, 90.0, 100_000.0)
    states = _two([0.0, lon_b], [0.0, 0.0], [3000.0, 3000.0], [250.0, 250.0], [90.0, 270.0], [0, 0])
    g = _measure(states)
    assert g.conflict[0]
    assert abs(g.time_to_loss[0] - (100_000.0 - H) / 500.0) < 0.05
    assert abs(g.cpa_time[0] - 200.0) < 0.05
    assert g.cpa_horizontal[0] < 1.0 and g.cpa_vertical[0] == 0.0
    assert abs(g.horizontal_now[0] - 100_000.0) < 1.1  # the chord: d³/24R² short


def test_losses_beyond_the_look_ahead_are_not_reported() -> None:
    lon_b, _, _ = GEOD.fwd(0.0, 0.0, 90.0, 100_000.0)
    states = _two([0.0, lon_b], [0.0, 0.0], [3000.0, 3000.0], [250.0, 250.0], [90.0, 270.0], [0, 0])
    assert not _measure(states, look_ahead=180.0).conflict[0]
    assert _measure(states, look_ahead=182.0).conflict[0]


def test_horizontal_and_vertical_must_hold_at_the_same_moment() -> None:
    """Crossing tracks where the horizontal loss (around 200 s) comes after the vertical
    gap has opened (the climber leaves the level after 100 s): no conflict."""
    lon_b, _, _ = GEOD.fwd(0.0, 0.0, 90.0, 100_000.0)
    states = _two(
        [0.0, lon_b], [0.0, 0.0], [3000.0, 3000.0], [250.0, 250.0], [90.0, 270.0], [0.0, 5.0]
    )
    g = _measure(states)
    assert not g.conflict[0]
    assert g.cpa_horizontal[0] < 1.0  # yet they pass right above each other


def test_touching_is_clear() -> None:
    """Exactly V apart on the same spot: clear; a millimetre less: conflict."""
    states = _two([5.0, 5.0], [45.0, 45.0], [0.0, V], [0, 0], [0, 0], [0, 0])
    assert not _measure(states).conflict[0]
    states = _two([5.0, 5.0], [45.0, 45.0], [0.0, V - 1e-3], [0, 0], [0, 0], [0, 0])
    assert _measure(states).conflict[0]


def test_stale_reports_are_carried_to_the_cycle_time() -> None:
    """A report 20 s old at 200 m/s east is 4 km further east at the cycle."""
    states = _two(
        [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [200.0, 0.0], [90.0, 0.0], [0, 0], (-20.0, 0.0)
    )
    assert abs(_measure(states).horizontal_now[0] - 4000.0) < 0.5
    lon, lat, _ = positions_at(states, 0.0, np.array([0]))
    _, _, distance = GEOD.inv(0.0, 0.0, float(lon[0]), float(lat[0]))
    assert abs(distance - 4000.0) < 0.5


def test_pair_order_does_not_change_the_verdict() -> None:
    rng = np.random.default_rng(11)
    n = 200
    states = states_from_columns(
        0.0,
        [str(k) for k in range(n)],
        ["x"] * n,
        rng.uniform(0, 1, n),
        rng.uniform(50, 51, n),
        rng.uniform(2000, 4000, n),
        rng.uniform(50, 250, n),
        rng.uniform(0, 360, n),
        rng.normal(0, 5, n),
    )
    kin = kinematics(states)
    i, j = np.triu_indices(n, 1)
    h, v = np.full(len(i), H), np.full(len(i), V)
    forward = pair_geometry(kin, i, j, h, v, 300.0)
    backward = pair_geometry(kin, j, i, h, v, 300.0)
    assert forward.conflict.sum() > 0
    same = forward.conflict == backward.conflict
    assert same.mean() > 0.999  # rounding may flip a pair exactly at a boundary
    both = forward.conflict & backward.conflict
    assert np.allclose(forward.time_to_loss[both], backward.time_to_loss[both], atol=1e-6)
