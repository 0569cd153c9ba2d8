"""Suggestions: every one clears the conflict, and delays and climbs are the smallest that do.

For random conflicting pairs (circles, polygons and routes against other parties'
operations and zones, minima including zeros, bands in different references), every
returned suggestion's declaration is checked against the same airspace, and the
suggestion one unit smaller (a second, a metre) must still conflict.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from deconflict.engine import Airspace, check
from deconflict.engine.resolution import (
    MAX_DELAY_S,
    OFFSET_PRECISION_M,
    SuggestionKind,
    smallest_free_shift,
)
from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.errors import InputError
from deconflict.geo.separation import Minima, SeparationPolicy
from engine_helpers import (
    GEOD,
    HOUR,
    T0,
    airspace,
    azimuths,
    band,
    centers,
    circle,
    distance,
    moved,
    polygon,
    ring_around,
    route,
    window,
)

MAX_MARGIN_M = 410.0  # W84 vs STD: the largest reference margin


# --- random conflicting pairs --------------------------------------------------------------


references = st.sampled_from(list(AltitudeReference))


@st.composite
def bands(draw: st.DrawFn, low: int = 0) -> object:
    lower = draw(st.integers(low, 24)) * 250.0
    return band(lower, lower + draw(st.integers(1, 8)) * 250.0, draw(references))


@st.composite
def windows(draw: st.DrawFn) -> object:
    start = T0 + draw(st.integers(0, 24)) * 300.0 + draw(st.sampled_from([0.0, 0.25, 0.5]))
    return window(start, start + draw(st.integers(1, 24)) * 300.0)


@st.composite
def operations(draw: st.DrawFn, ident: str, party: str, spot: tuple[float, float]) -> Declaration:
    shape = draw(st.sampled_from(["circle", "polygon", "route"]))
    if shape == "circle":
        return circle(
            ident,
            party,
            spot,
            draw(st.floats(200.0, 20_000.0)),
            altitude=draw(bands()),
            time=draw(windows()),
        )
    if shape == "polygon":
        n = draw(st.integers(3, 7))
        radii = draw(st.lists(st.floats(1_000.0, 20_000.0), min_size=n, max_size=n))
        return polygon(
            ident,
            party,
            ring_around(spot, radii, draw(azimuths)),
            altitude=draw(bands()),
            time=draw(windows()),
        )
    heading = draw(azimuths)
    points = [moved(spot, heading + 180.0, draw(st.floats(1_000.0, 40_000.0)))]
    for _ in range(draw(st.integers(1, 2))):
        points.append(
            moved(
                points[-1], heading + draw(st.floats(-60, 60)), draw(st.floats(5_000.0, 40_000.0))
            )
        )
    time = T0 + draw(st.integers(0, 24)) * 300.0
    speed = draw(st.floats(80.0, 250.0))
    waypoints = []
    for k, p in enumerate(points):
        if k:
            time += math.ceil(distance(points[k - 1], p) / speed)
        waypoints.append((p[0], p[1], draw(st.integers(4, 24)) * 250.0, time))
    return route(
        ident,
        party,
        waypoints,
        half_width=draw(st.floats(200.0, 5_000.0)),
        vertical_half_width=draw(st.sampled_from([50.0, 150.0, 300.0])),
        time_buffer=draw(st.sampled_from([0.0, 120.0, 600.0])),
        reference=draw(references),
    )


@st.composite
def conflicting_pairs(draw: st.DrawFn) -> tuple[SeparationPolicy, Declaration, list[Declaration]]:
    origin = draw(centers(max_abs_lat=75.0, max_abs_lon=150.0))
    minima = Minima(
        draw(st.sampled_from([0.0, 1_000.0, 9_260.0])),
        draw(st.sampled_from([0.0, 150.0, 300.0])),
        draw(st.sampled_from([0.0, 300.0, 900.0])),
    )
    new = draw(operations("new", "red", origin))
    stored = []
    for i in range(draw(st.integers(1, 3))):
        spot = moved(origin, draw(azimuths), draw(st.floats(0.0, 15_000.0)))
        other = draw(operations(f"other{i}", "blue", spot))
        if draw(st.integers(0, 3)) == 0:  # sometimes a zone instead
            other = Declaration(other.id, other.party, Kind.ZONE, other.volumes)
        stored.append(other)
    return SeparationPolicy(minima), new, stored


def conflicts(space: Airspace, declaration: Declaration) -> bool:
    return not space.check(declaration).clear


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(pair=conflicting_pairs())
def test_suggestions_clear_the_conflict_and_are_minimal(
    pair: tuple[SeparationPolicy, Declaration, list[Declaration]],
) -> None:
    policy, new, stored = pair
    report = check(new, stored, policy)
    assume(report.conflicts)
    space = airspace(*stored, policy=policy)
    kinds = [s.kind for s in report.suggestions]
    assert len(kinds) == len(set(kinds)), "one suggestion of each kind at most"
    # Every stored declaration ends within hours: a delay of at most a day always exists.
    assert SuggestionKind.DELAY in kinds
    # Climbing above everything stored (with its minimum and any reference margin) clears
    # it; if that fits under the ceiling, some altitude suggestion must exist.
    top = max(v.band.upper for d in stored for v in d.volumes)
    climb = (
        top + policy.default.vertical + MAX_MARGIN_M + 1.0 - min(v.band.lower for v in new.volumes)
    )
    if max(v.band.upper for v in new.volumes) + climb <= 30_000.0:
        assert SuggestionKind.ALTITUDE in kinds
    for suggestion in report.suggestions:
        assert space.check(suggestion.declaration).clear, suggestion.description
        amount = suggestion.amount
        if suggestion.kind is SuggestionKind.DELAY:
            assert 0 < amount <= MAX_DELAY_S
            assert amount == int(amount), "whole seconds"
            assert suggestion.declaration.start == new.start + amount
            assert conflicts(space, new.shifted(seconds=amount - 1.0)), "a second less"
        elif suggestion.kind is SuggestionKind.ALTITUDE:
            assert amount != 0 and abs(amount) == int(abs(amount)), "whole metres"
            lower = min(v.band.lower for v in suggestion.declaration.volumes)
            assert lower == min(v.band.lower for v in new.volumes) + amount
            step = math.copysign(abs(amount) - 1.0, amount)
            assert conflicts(space, new.shifted(metres=step)), "a metre less, same way"
        else:
            assert suggestion.kind is SuggestionKind.OFFSET
            assert new.route is not None
            assert 0 < abs(amount) <= 50_000.0


# --- the pieces of the solution ------------------------------------------------------------


@pytest.mark.parametrize(
    ("intervals", "limit", "expected"),
    [
        ([], 100.0, 0.0),
        ([(-5.0, 10.5)], 100.0, 11.0),
        ([(-5.0, 10.0)], 100.0, 10.0),  # open interval: its end is free
        ([(-5.0, 10.5), (10.2, 11.3)], 100.0, 12.0),  # chained
        ([(-5.0, 10.5), (11.0, 20.0)], 100.0, 11.0),  # 11 is the free start of the next
        ([(-5.0, 10.5), (12.0, 20.0)], 100.0, 11.0),
        ([(2.0, 4.0)], 100.0, 0.0),  # not blocked now
        ([(-1.0, 150.0)], 100.0, None),  # beyond the limit
    ],
)
def test_smallest_free_shift(
    intervals: list[tuple[float, float]], limit: float, expected: float | None
) -> None:
    assert smallest_free_shift(intervals, limit) == expected


def test_delay_is_exact_to_the_second() -> None:
    """Blue holds the airspace until T0 + 1 h 00 min 00.4 s, with a 10 min time minimum:
    red (starting at T0 + 30 min) must wait 40 min 00.4 s → 2401 s."""
    center = (10.0, 45.0)
    blue = circle("blue", "blue", center, 5_000.0, time=window(T0, T0 + HOUR + 0.4))
    red = circle("red", "red", center, 5_000.0, time=window(T0 + 1800.0, T0 + 2 * HOUR))
    report = check(red, [blue], SeparationPolicy(Minima(time=600.0)))
    (delay,) = [s for s in report.suggestions if s.kind is SuggestionKind.DELAY]
    assert delay.amount == 2401.0
    assert delay.declaration.start == T0 + 1800.0 + 2401.0


def test_altitude_shift_is_exact_and_counts_reference_margins() -> None:
    """Blue at 0–1000 m AMSL, red at 500–1500 m W84 with a 300 m vertical minimum: climbing
    needs red's floor at 1000 + 300 + 110 (geoid margin) = 1410 m → +910 m; descending
    needs its top at -410 m, below the floor of -500 m + 1000 m band: impossible."""
    center = (10.0, 45.0)
    blue = circle(
        "blue", "blue", center, 5_000.0, altitude=band(0.0, 1000.0, AltitudeReference.AMSL)
    )
    red = circle("red", "red", center, 5_000.0, altitude=band(500.0, 1500.0))
    report = check(red, [blue], SeparationPolicy(Minima(vertical=300.0)))
    (shift,) = [s for s in report.suggestions if s.kind is SuggestionKind.ALTITUDE]
    assert shift.amount == 910.0
    assert shift.declaration.volumes[0].band.lower == 1410.0


def test_altitude_shift_goes_down_when_that_is_nearer() -> None:
    center = (10.0, 45.0)
    blue = circle("blue", "blue", center, 5_000.0, altitude=band(1000.0, 5000.0))
    red = circle("red", "red", center, 5_000.0, altitude=band(500.0, 1200.0))
    report = check(red, [blue], SeparationPolicy())
    (shift,) = [s for s in report.suggestions if s.kind is SuggestionKind.ALTITUDE]
    assert shift.amount == -200.0


def test_no_altitude_suggestion_when_the_neighbour_spans_the_whole_band() -> None:
    center = (10.0, 45.0)
    wall = circle("wall", "blue", center, 5_000.0, altitude=band(-500.0, 30_000.0))
    red = circle("red", "red", center, 2_000.0, altitude=band(1000.0, 2000.0))
    report = check(red, [wall], SeparationPolicy())
    assert report.conflicts
    kinds = {s.kind for s in report.suggestions}
    assert SuggestionKind.ALTITUDE not in kinds
    assert SuggestionKind.DELAY in kinds


def test_route_gets_a_lateral_offset_that_is_nearly_the_smallest() -> None:
    """A 100 km route due east (half-width 1 km) straight through a 3 km zone: the nearest
    clear parallel track is 4 km to either side; the search refines to 50 m."""
    start = (10.0, 45.0)
    end = moved(start, 90.0, 100_000.0)
    middle = moved(start, 90.0, 50_000.0)
    flight = route("flight", "red", [(*start, 1000.0, T0), (*end, 1000.0, T0 + 600.0)])
    zone = circle("zone", "blue", middle, 3_000.0, kind=Kind.ZONE, time=window(T0, T0 + 4 * HOUR))
    report = check(flight, [zone], SeparationPolicy())
    (offset,) = [s for s in report.suggestions if s.kind is SuggestionKind.OFFSET]
    assert 4_000.0 <= abs(offset.amount) <= 4_000.0 + OFFSET_PRECISION_M
    space = airspace(zone)
    assert space.check(offset.declaration).clear
    assert offset.declaration.route is not None
    moved_start = offset.declaration.route.waypoints[0]
    assert distance(start, (moved_start.lon, moved_start.lat)) == pytest.approx(abs(offset.amount))
    # Right of an eastbound track is south.
    side = GEOD.inv(start[0], start[1], moved_start.lon, moved_start.lat)[0]
    assert math.cos(math.radians(side)) == pytest.approx(
        -1.0 if offset.amount > 0 else 1.0, abs=1e-3
    )
    # The search's precision nearer the zone, it conflicts again.
    nearer = math.copysign(abs(offset.amount) - OFFSET_PRECISION_M, offset.amount)
    assert not space.check(flight.offset(nearer)).clear


def test_no_offset_for_an_operation_that_is_not_a_route() -> None:
    center = (10.0, 45.0)
    blue = circle("blue", "blue", center, 5_000.0)
    red = circle("red", "red", center, 5_000.0)
    report = check(red, [blue], SeparationPolicy())
    assert SuggestionKind.OFFSET not in {s.kind for s in report.suggestions}
    with pytest.raises(ValueError):
        red.offset(1000.0)


def test_delay_past_a_chain_of_neighbours() -> None:
    """Three blue operations back to back with 5 min breaks; a 10 min minimum: red must
    wait until 10 min after the last one ends."""
    center = (10.0, 45.0)
    blues = [
        circle(
            f"b{k}", "blue", center, 3_000.0, time=window(T0 + k * 2100.0, T0 + k * 2100.0 + 1800.0)
        )
        for k in range(3)
    ]
    red = circle("red", "red", center, 3_000.0, time=window(T0, T0 + 600.0))
    report = check(red, blues, SeparationPolicy(Minima(time=600.0)))
    (delay,) = [s for s in report.suggestions if s.kind is SuggestionKind.DELAY]
    assert delay.declaration.start == T0 + 2 * 2100.0 + 1800.0 + 600.0


def test_shifted_route_keeps_its_shape() -> None:
    """`Declaration.shifted` on a route moves its waypoints, so legs keep their own windows."""
    start, end = (10.0, 45.0), moved((10.0, 45.0), 90.0, 30_000.0)
    flight = route("f", "red", [(*start, 1000.0, T0), (*end, 2000.0, T0 + 300.0)], time_buffer=60.0)
    later = flight.shifted(seconds=100.0, metres=50.0)
    (leg,) = later.volumes
    assert (leg.window.start, leg.window.end) == (T0 + 40.0, T0 + 460.0)
    assert (leg.band.lower, leg.band.upper) == (950.0, 2150.0)
    with pytest.raises(InputError):
        flight.shifted(metres=30_000.0)


def test_route_near_the_floor_gets_the_smallest_climb() -> None:
    """A route at -400 m with a 300 m vertical half-width flies the band -500…-100 m
    (clamped); blue holds -500…1000 m. Climbing 1700 m (waypoints at 1300 m, band from
    1000 m) clears it; 1699 m does not."""
    start = (10.0, 45.0)
    end = moved(start, 90.0, 30_000.0)
    flight = route(
        "flight",
        "red",
        [(*start, -400.0, T0), (*end, -400.0, T0 + 300.0)],
        vertical_half_width=300.0,
    )
    blue = circle(
        "blue", "blue", moved(start, 90.0, 15_000.0), 5_000.0, altitude=band(-500.0, 1000.0)
    )
    space = airspace(blue)
    assert conflicts(space, flight.shifted(metres=1699.0))
    assert not conflicts(space, flight.shifted(metres=1700.0))
    report = check(flight, [blue], SeparationPolicy())
    shifts = [s.amount for s in report.suggestions if s.kind is SuggestionKind.ALTITUDE]
    assert shifts == [1700.0]
