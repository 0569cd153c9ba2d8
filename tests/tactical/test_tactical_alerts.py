"""Alerts open, update and close with hysteresis, and keep their id."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from deconflict.engine.tactical.alerts import (
    AlertKind,
    AlertSink,
    AlertTracker,
    CollectingSink,
    EventType,
    Finding,
    Severity,
    conflict_findings,
)
from deconflict.engine.tactical.detector import Detector
from deconflict.engine.tactical.state import Tracks
from deconflict.feeds.recording import Recording
from deconflict.feeds.replay import cycles

PARIS = Path("/work/shared/data/paris_2021.csv.gz")
POINT = {"type": "Point", "coordinates": [2.0, 48.0]}


def _finding(severity: Severity = Severity.WARNING, key: str = "a") -> Finding:
    return Finding(
        ("separation", key, "z"), AlertKind.PREDICTED_LOSS, severity, (key, "z"), ("p", "q"), POINT
    )


def _run(tracker: AlertTracker, pattern: str, severity: Severity = Severity.WARNING) -> list:
    """'x' = the finding is there this cycle, '.' = it is not."""
    events = []
    for now, mark in enumerate(pattern):
        events += tracker.update(float(now), [_finding(severity)] if mark == "x" else [])
    return [(e.type, e.time) for e in events]


def test_opens_after_k_cycles_and_closes_after_m_clear_ones() -> None:
    tracker = AlertTracker(open_after=2, close_after=3)
    assert _run(tracker, "x.x.xx..x...") == [(EventType.OPENED, 5.0), (EventType.CLOSED, 11.0)]


def test_a_single_blip_never_opens() -> None:
    assert _run(AlertTracker(open_after=2), "x.x.x.x.") == []


def test_severe_findings_open_at_once() -> None:
    tracker = AlertTracker(open_after=3)
    assert _run(tracker, "x", Severity.CRITICAL) == [(EventType.OPENED, 0.0)]


def test_id_is_stable_and_updates_are_emitted_on_change() -> None:
    sink = CollectingSink()
    tracker = AlertTracker(sink, open_after=1, close_after=1)
    tracker.update(0.0, [_finding(Severity.ADVISORY)])
    tracker.update(1.0, [_finding(Severity.ADVISORY)])
    tracker.update(2.0, [_finding(Severity.WARNING)])
    tracker.update(3.0, [])
    types = [e.type for e in sink.events]
    assert types == [EventType.OPENED, EventType.UPDATED, EventType.CLOSED]
    assert len({e.alert.id for e in sink.events}) == 1
    closed = sink.events[-1].alert
    assert (closed.opened_at, closed.closed_at, closed.worst) == (0.0, 3.0, Severity.WARNING)


def test_the_sink_protocol_is_one_method() -> None:
    sink: AlertSink = CollectingSink()
    assert callable(sink.send)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        AlertTracker(open_after=0)


@pytest.mark.skipif(not PARIS.exists(), reason="recordings not available")
def test_an_hour_of_paris_traffic_gives_calm_alerts() -> None:
    sink = CollectingSink()
    tracker = AlertTracker(sink, open_after=2, close_after=5)
    tracks = Tracks()
    detector = Detector()
    for now in itertools.islice(cycles(Recording(PARIS), tracks), 3600):
        states = tracks.snapshot(now)
        tracker.update(now, conflict_findings(states, detector.detect(states)))
    opened = [e for e in sink.events if e.type is EventType.OPENED]
    closed = [e for e in sink.events if e.type is EventType.CLOSED]
    assert len(opened) > 10
    ids = [e.alert.id for e in opened]
    assert len(ids) == len(set(ids))
    assert {e.alert.id for e in closed} <= set(ids)
    for event in opened:
        geometry = event.alert.geometry
        assert geometry["type"] == "LineString" and len(geometry["coordinates"]) == 2
        assert event.alert.aircraft[0] < event.alert.aircraft[1]
    # Hysteresis: a pair's alert lasts at least close_after cycles once it has opened.
    opened_at = {e.alert.id: e.time for e in opened}
    assert all(e.time - opened_at[e.alert.id] >= 5.0 for e in closed)
