"""`deconflict ingest sbs` end to end: recorded positions (paris_2021) written as SBS
lines to a real TCP socket, read by the command, sent to a real server; the peer sends
garbage, disconnects, falls silent, and the command carries on."""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from live_server import Service

from deconflict.cli import main
from deconflict.engine.tactical.state import PositionReport
from deconflict.feeds.recording import Recording
from deconflict.feeds.sbs import SbsParser
from deconflict.geo.units import FOOT, KNOT

PARIS = Path("/work/shared/data/paris_2021.csv.gz")
SPAN_S = 30.0
BUSIEST_S = 262 * 30.0
"""The recording's busiest half-minute (35 aircraft), 2 h 11 min in."""


def recorded(span: float = SPAN_S, after: float = BUSIEST_S) -> list[PositionReport]:
    """`span` seconds of the Paris recording, from `after` seconds into it."""
    first = None
    found = []
    for report in Recording(PARIS):
        first = report.time if first is None else first
        if report.time > first + after + span:
            break
        if report.time >= first + after:
            found.append(report)
    return found


def sbs_lines(reports: list[PositionReport], shift: float) -> list[str]:
    """Each report as the three SBS messages a receiver sends (identity, velocity,
    position), at its time + `shift` (UTC)."""
    lines = []
    for r in reports:
        moment = datetime.fromtimestamp(r.time + shift, UTC)
        day, clock = moment.strftime("%Y/%m/%d"), moment.strftime("%H:%M:%S.%f")[:-3]
        head = ["MSG", "", "1", "1", r.aircraft.upper(), "1", day, clock, day, clock]
        fields = {
            1: {10: r.callsign or ""},
            4: {
                12: f"{r.ground_speed / KNOT:.1f}",
                13: f"{r.track:.1f}",
                16: f"{r.vertical_rate * 60 / FOOT:.0f}",
            },
            3: {11: f"{r.alt / FOOT:.0f}", 14: f"{r.lat:.6f}", 15: f"{r.lon:.6f}"},
        }
        for kind in (1, 4, 3):
            row = [*head, *([""] * 12)]
            row[1] = str(kind)
            for index, value in fields[kind].items():
                row[index] = value
            lines.append(",".join(row))
    return lines


@contextmanager
def feeder(sessions: list[Callable[[socket.socket], None]]) -> Iterator[int]:
    """A TCP server on a free port; the k-th connection is handed to sessions[k]."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            for session in sessions:
                connection, _ = server.accept()
                with connection:
                    session(connection)
        except BaseException as error:  # shown by the test, not lost in the thread
            failures.append(error)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.close()
        thread.join(timeout=10)
        if failures:
            raise failures[0]


def _send(lines: list[str]) -> Callable[[socket.socket], None]:
    def session(connection: socket.socket) -> None:
        connection.sendall(("\r\n".join(lines) + "\r\n").encode())

    return session


def _ingest(service: Service, port: int, connections: int, *extra: str) -> int:
    token = service.token("coalition")
    return main(
        [
            "ingest",
            "sbs",
            f"127.0.0.1:{port}",
            "--server",
            service.url,
            "--token",
            token,
            "--max-connections",
            str(connections),
            "--interval",
            "0.2",
            *extra,
        ]
    )


def _expected(lines: list[str]) -> dict[str, PositionReport]:
    """The latest position of each aircraft, as the library reads the same lines."""
    latest: dict[str, PositionReport] = {}
    for report in SbsParser().parse(lines):
        latest[report.aircraft] = report
    return latest


def test_recorded_positions_through_a_socket_that_breaks(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = recorded()
    shift = time.time() - 2.0 - reports[-1].time  # the recording's last second: now
    lines = sbs_lines(reports, shift)
    half = len(lines) // 2
    garbage = [
        "\x00\x01\x02 binary noise",
        "MSG,3,not,enough",
        "MSG,3,1,1,ZZZZZZ,1,2021/10/07,12:00:00.000,2021/10/07,12:00:00.000,,1,,,91,0,,,,,,0",
        "x" * 10_000,
    ]

    def first(connection: socket.socket) -> None:
        connection.sendall(b"\xff\xfe\xfd\n")  # not UTF-8
        _send(garbage + lines[:half])(connection)
        connection.sendall(b"MSG,3,1,1,4CA")  # cut mid-line by the disconnect

    with feeder([first, _send(lines[half:])]) as port:
        assert _ingest(service, port, 2) == 0
    printed = capsys.readouterr().out
    assert "2 connections" in printed and "over-long lines 1" in printed

    expected = _expected(lines)
    assert len(expected) > 20
    answer = service.admin().get("/v1/tracks", params={"max_age": 120})
    stored = {t["aircraft"]: t for t in answer.json()["tracks"]}
    assert set(stored) == set(expected)
    for aircraft, report in expected.items():
        got = stored[aircraft]
        assert got["lon"] == pytest.approx(report.lon, abs=1e-6)
        assert got["lat"] == pytest.approx(report.lat, abs=1e-6)
        assert got["alt"] == pytest.approx(report.alt, abs=0.5)
        assert got["party"] is None  # nobody declared these aircraft


def test_a_silent_peer_and_a_refused_connection_are_survived(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    start = recorded(5.0, after=0.0)
    reports = [r for r in start if r.aircraft == start[0].aircraft]
    shift = time.time() - 1.0 - reports[-1].time
    lines = sbs_lines(reports, shift)

    def silent(connection: socket.socket) -> None:
        connection.settimeout(30)
        connection.recv(1)  # sends nothing, until the reader gives up (--silent) and closes

    def reset(connection: socket.socket) -> None:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    with feeder([silent, reset, _send(lines)]) as port:
        assert _ingest(service, port, 3, "--silent", "0.5") == 0
    printed = capsys.readouterr().out
    # (A reset can reach the reader before its connect returns: then it counts as a
    # failed connect, and the third connection is the listening socket's backlog.)
    assert re.search(r"3 connections \([12] fell silent\)", printed), printed
    (track,) = service.admin().get("/v1/tracks").json()["tracks"]
    assert track["aircraft"] == reports[-1].aircraft
    assert track["lat"] == pytest.approx(reports[-1].lat, abs=1e-6)


def test_bad_address_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ingest", "sbs", "nowhere", "--server", "http://127.0.0.1:9", "--token", "t"])
    assert code == 2
    assert "is not HOST:PORT" in capsys.readouterr().err
