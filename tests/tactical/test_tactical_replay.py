"""Real traffic: the Paris recording replayed cycle by cycle, pruned against all pairs."""

from __future__ import annotations

from pathlib import Path

import pytest
from tactical_reference import all_pairs, assert_same

from deconflict.engine.tactical.detector import DEFAULT_MINIMA, Detector
from deconflict.engine.tactical.state import Rejection, Tracks
from deconflict.feeds.recording import Recording
from deconflict.feeds.replay import cycles

DATA = Path("/work/shared/data")
PARIS = DATA / "paris_2021.csv.gz"

pytestmark = pytest.mark.skipif(not PARIS.exists(), reason="recordings not available")


def test_every_cycle_of_the_paris_recording_equals_all_pairs() -> None:
    """About 10,800 one-second cycles over three hours of traffic around Paris."""
    recording = Recording(PARIS)
    tracks = Tracks()
    detector = Detector()
    checked = conflicts = most = 0
    aircraft_with_conflicts: set[str] = set()
    for now in cycles(recording, tracks):
        states = tracks.snapshot(now)
        found = detector.detect(states)
        assert_same(found, all_pairs(states, lambda a, b: DEFAULT_MINIMA, 300.0))
        checked += 1
        conflicts += len(found)
        most = max(most, len(states))
        aircraft_with_conflicts.update(states.aircraft[found.i].tolist())
    assert checked > 10_000
    assert most > 30  # busy enough to mean something
    assert conflicts > 1000
    assert len(aircraft_with_conflicts) > 20
    stats = recording.stats
    assert stats.accepted > 200_000
    assert set(stats.rejected) <= {Rejection.INCOMPLETE, Rejection.ALTITUDE}
    # The reader dropped impossible values; a few positions still jump kilometres at once.
    assert set(tracks.stats.rejected) <= {Rejection.JUMP}
    assert tracks.stats.total_rejected < 20


def test_predictions_come_true_in_the_recording() -> None:
    """Pairs predicted to lose separation within 30 s mostly do, in the recording itself."""
    tracks = Tracks()
    detector = Detector(look_ahead=30.0)
    later: dict[float, set[tuple[str, str]]] = {}
    actual: dict[float, set[tuple[str, str]]] = {}
    cut = Detector(look_ahead=1.0)
    for now in cycles(Recording(PARIS), tracks):
        if now % 10:
            continue
        fresh = tracks.snapshot(now, max_age=2.0)
        lost = cut.detect(fresh)
        actual[now] = {
            tuple(sorted((fresh.aircraft[i], fresh.aircraft[j])))
            for i, j, t in zip(lost.i, lost.j, lost.time_to_loss, strict=True)
            if t == 0.0
        }
        states = tracks.snapshot(now, max_age=2.0)
        found = detector.detect(states)
        later[now] = {
            tuple(sorted((states.aircraft[i], states.aircraft[j])))
            for i, j, t in zip(found.i, found.j, found.time_to_loss, strict=True)
            if 20.0 <= t <= 30.0
        }
    hits = total = 0
    for now, predicted in later.items():
        seen = actual.get(now + 30.0, set()) | actual.get(now + 20.0, set())
        total += len(predicted)
        hits += len(predicted & seen)
    assert total > 20
    assert hits / total > 0.5, (hits, total)
