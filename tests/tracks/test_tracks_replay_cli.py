"""`deconflict replay`: offline through the detector here, and to a real server."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest
from live_server import Service

from deconflict.cli import main
from deconflict.engine.tactical import AlertTracker, Detector, Tracks
from deconflict.engine.tactical.alerts import conflict_findings
from deconflict.engine.tactical.state import MAX_AGE_S
from deconflict.feeds.recording import Recording
from deconflict.feeds.replay import cycles

PARIS = Path("/work/shared/data/paris_2021.csv.gz")


def excerpt(path: Path, after_s: float, span_s: float) -> Path:
    """`span_s` seconds of the Paris recording from `after_s` in, as a CSV.gz file."""
    with gzip.open(PARIS, "rt", encoding="utf-8") as source:
        header = next(source)
        first = None
        rows = []
        for line in source:
            stamp = float(line.split(",", 1)[0]) / 1000.0
            first = stamp if first is None else first
            if stamp > first + after_s + span_s:
                break
            if stamp >= first + after_s:
                rows.append(line)
    with gzip.open(path, "wt", encoding="utf-8") as target:
        target.write(header)
        target.writelines(rows)
    return path


def test_offline_replay_prints_the_alerts_the_library_finds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = excerpt(tmp_path / "busy.csv.gz", 7800.0, 300.0)
    assert main(["replay", str(recording)]) == 0
    printed = capsys.readouterr().out.splitlines()
    tracks, detector, alerts = Tracks(), Detector(), AlertTracker()
    expected = []
    idle = MAX_AGE_S + (alerts.close_after + 1) * 1.0
    for now in cycles(Recording(recording), tracks, idle_after=idle):
        states = tracks.snapshot(now)
        if len(states) > 1:
            expected += alerts.update(now, conflict_findings(states, detector.detect(states)))
        else:
            expected += alerts.update(now, [])
    assert expected, "the excerpt should hold some alerts"
    lines = [line for line in printed if " opened " in line or " closed " in line]
    assert len(lines) == sum(1 for e in expected if str(e.type) in ("opened", "closed"))
    assert printed[-1] == f"{len(expected)} alert events"
    assert "reports in" in printed[-2]


def test_replay_to_a_server_is_retimed_to_now(
    service: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = excerpt(tmp_path / "short.csv.gz", 7860.0, 12.0)
    before = time.time()
    token = service.token("coalition")
    code = main(
        ["replay", str(recording), "--speed", "4", "--server", service.url, "--token", token]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "refused: none" in printed, printed
    seen = service.admin().get("/v1/tracks", params={"max_age": 60}).json()["tracks"]
    aircraft = {r.aircraft for r in Recording(recording)}
    assert {t["aircraft"] for t in seen} == aircraft
    assert all(t["time"] >= time.strftime("%Y", time.gmtime(before)) for t in seen)


def test_a_missing_file_and_half_the_server_options_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(tmp_path / "nothing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    recording = excerpt(tmp_path / "tiny.csv.gz", 0.0, 2.0)
    assert main(["replay", str(recording), "--server", "http://127.0.0.1:9"]) == 2
    assert "go together" in capsys.readouterr().err
    not_a_recording = tmp_path / "bad.csv"
    not_a_recording.write_text("a,b,c\n1,2,3\n")
    assert main(["replay", str(not_a_recording)]) == 2
    assert "lacks the column" in capsys.readouterr().err
