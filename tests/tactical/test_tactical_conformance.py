"""Conformance on a real firefighting flight (calfire 2020, N429DF over 4 h 20 min)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import shapely

from deconflict.engine.tactical.alerts import (
    AlertKind,
    AlertTracker,
    CollectingSink,
    EventType,
    deviation_findings,
)
from deconflict.engine.tactical.conformance import (
    Axis,
    ConformanceMonitor,
    Deviation,
    DeviationKind,
)
from deconflict.engine.tactical.state import PositionReport, Tracks
from deconflict.feeds.recording import Recording
from deconflict.feeds.replay import cycles
from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.outline import Circle, Corridor, PolygonOutline
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume

CALFIRE = Path("/work/shared/data/calfire_2020.csv.gz")
AIRCRAFT = "a51d5f"
PERIOD, MAX_AGE = 5.0, 30.0

pytestmark = pytest.mark.skipif(not CALFIRE.exists(), reason="recordings not available")


@pytest.fixture(scope="module")
def flight() -> list[PositionReport]:
    """The longest stretch of N429DF without a gap of 30 min."""
    reports = [r for r in Recording(CALFIRE) if r.aircraft == AIRCRAFT]
    flights: list[list[PositionReport]] = [[reports[0]]]
    for before, after in itertools.pairwise(reports):
        if after.time - before.time > 1800:
            flights.append([])
        flights[-1].append(after)
    return max(flights, key=len)


def _operation(
    flight: list[PositionReport],
    *,
    shift_deg: float = 0.0,
    end: float | None = None,
    upper: float | None = None,
    reference: AltitudeReference = AltitudeReference.STD,
) -> Declaration:
    hull = shapely.MultiPoint([(r.lon + shift_deg, r.lat) for r in flight]).convex_hull
    shell = tuple((float(x), float(y)) for x, y in hull.buffer(0.05, quad_segs=4).exterior.coords)
    alts = [r.alt for r in flight]
    band = AltitudeBand(min(alts) - 150.0, upper or max(alts) + 150.0, reference)
    window = TimeWindow(flight[0].time - 120.0, end or flight[-1].time + 120.0)
    volume = Volume(PolygonOutline(shell), band, window)
    return Declaration("fire-1", "calfire", Kind.OPERATION, (volume,))


def _replay(
    flight: list[PositionReport], monitor: ConformanceMonitor, party: str = "calfire"
) -> Iterator[tuple[float, int, list[Deviation]]]:
    tracks = Tracks()
    tracks.attribute(AIRCRAFT, party, "fire-1")
    for now in cycles(flight, tracks, PERIOD):
        states = tracks.snapshot(now, MAX_AGE)
        yield now, len(states), monitor.check(states)


def test_a_flight_inside_its_operation_raises_nothing(flight) -> None:
    monitor = ConformanceMonitor([_operation(flight)])
    seen = 0
    for _, visible, deviations in _replay(flight, monitor):
        seen += visible
        assert deviations == []
    assert seen > 1000


def test_a_shifted_volume_is_left_from_the_first_cycle(flight) -> None:
    monitor = ConformanceMonitor([_operation(flight, shift_deg=0.5)])
    sink = CollectingSink()
    tracker = AlertTracker(sink)
    first_visible = None
    for now, visible, deviations in _replay(flight, monitor):
        if visible:
            first_visible = first_visible or now
            assert [d.axis for d in deviations] == [Axis.POSITION]
            assert deviations[0].excess > 10_000.0  # 0.5° of longitude is ~46 km
        tracker.update(now, deviation_findings(deviations))
    opened = [e for e in sink.events if e.type is EventType.OPENED]
    assert opened and opened[0].alert.kind is AlertKind.NON_CONFORMANCE
    assert opened[0].time == first_visible + PERIOD  # open_after = 2 cycles
    assert opened[0].alert.parties == ("calfire", "calfire")
    assert opened[0].alert.geometry["type"] == "Point"


def test_overstaying_the_time_window_raises_an_alert_just_after_its_end(flight) -> None:
    middle = flight[len(flight) // 2].time
    end = middle + 300.0
    monitor = ConformanceMonitor([_operation(flight, end=end)])
    sink = CollectingSink()
    tracker = AlertTracker(sink)
    visible_after: list[float] = []
    for now, visible, deviations in _replay(flight, monitor):
        late = now >= end + monitor.tolerance.time
        if visible:
            assert bool(deviations) == late, now
            if late:
                visible_after.append(now)
                assert deviations[0].axis is Axis.TIME
                assert deviations[0].excess == pytest.approx(now - end - 60.0, abs=1e-6)
        tracker.update(now, deviation_findings(deviations))
    opened = [e for e in sink.events if e.type is EventType.OPENED]
    assert len(opened) >= 1
    # The second consecutive visible cycle after end + tolerance opens it.
    consecutive = next(b for a, b in itertools.pairwise(visible_after) if b - a == PERIOD)
    assert opened[0].time == consecutive


def test_climbing_above_the_band_is_an_altitude_deviation(flight) -> None:
    upper = float(np.median([r.alt for r in flight]))
    monitor = ConformanceMonitor([_operation(flight, upper=upper)])
    tracks = Tracks()
    tracks.attribute(AIRCRAFT, "calfire", "fire-1")
    high = low = 0
    for now in cycles(flight, tracks, PERIOD):
        states = tracks.snapshot(now, MAX_AGE)
        if not len(states):
            continue
        alt = states.alt[0] + states.vertical_rate[0] * (now - states.time[0])
        deviations = monitor.check(states)
        if alt > upper + 60.0 + 1e-6:
            high += 1
            assert [d.axis for d in deviations] == [Axis.ALTITUDE]
            assert deviations[0].excess == pytest.approx(alt - upper - 60.0, abs=1e-6)
        elif alt < upper + 60.0 - 1e-6:
            low += 1
            assert deviations == []
    assert high > 100 and low > 100


def test_a_volume_in_another_reference_gets_the_reference_margin(flight) -> None:
    """Barometric reports against a WGS84 band: 410 m more leeway before an alert."""
    upper = float(np.percentile([r.alt for r in flight], 25)) - 300.0
    std = ConformanceMonitor([_operation(flight, upper=upper)])
    w84 = ConformanceMonitor([_operation(flight, upper=upper, reference=AltitudeReference.W84)])
    count_std = sum(len(d) for _, _, d in _replay(flight, std))
    count_w84 = sum(len(d) for _, _, d in _replay(flight, w84))
    assert 0 < count_w84 < count_std


def _zone(flight: list[PositionReport], kind: Kind) -> Declaration:
    r = flight[len(flight) // 3]
    window = TimeWindow(flight[0].time - 60.0, flight[-1].time + 60.0)
    band = AltitudeBand(-400.0, 20_000.0, AltitudeReference.STD)
    if kind is Kind.ZONE:
        outline: Circle | Corridor = Circle((r.lon, r.lat), 3000.0)
    else:
        outline = Corridor(((r.lon - 0.3, r.lat), (r.lon + 0.3, r.lat)), 500.0)
    return Declaration(f"{kind.value}-1", "bravo", kind, (Volume(outline, band, window),))


@pytest.mark.parametrize("kind", [Kind.ZONE, Kind.LINE])
def test_another_partys_zone_or_line_is_an_incursion(flight, kind: Kind) -> None:
    zone = _zone(flight, kind)
    monitor = ConformanceMonitor([_operation(flight), zone])
    incursions = [d for _, _, found in _replay(flight, monitor, party="alpha") for d in found]
    assert len(incursions) > 0
    assert {d.kind for d in incursions} == {DeviationKind.INCURSION}
    assert {(d.declaration, d.owner, d.party) for d in incursions} == {(zone.id, "bravo", "alpha")}
    # The owner's own aircraft may fly there.
    own = ConformanceMonitor([zone])
    assert all(found == [] for _, _, found in _replay(flight, own, party="bravo"))
