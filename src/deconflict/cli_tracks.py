"""Live-track commands: ``deconflict replay FILE`` and ``deconflict ingest sbs HOST:PORT``.

- ``replay``: a recording (the CSV(.gz) layout of `feeds.recording`) at real time or N×
  speed, with a progress bar. With ``--server`` and ``--token`` the reports go to the
  service (``POST /v1/tracks``), re-timed so that the recording's first report is now
  (at N× speed, N seconds of recording per second: positions then move N× faster than
  their reported speed, and the service refuses jumps above 1,500 m/s, so keep N ≤ 4);
  without them the detector runs here and prints the alerts.
- ``ingest sbs``: a receiver's SBS/BaseStation port (dump1090/readsb, 30003) to the
  service. It reconnects with backoff when the peer disconnects, refuses or stays
  silent, skips and counts garbage, and keeps what it could not send for the next try.

Module-level imports are argparse-level only: ``deconflict check`` must stay quick.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from deconflict.engine.tactical.alerts import AlertEvent
    from deconflict.engine.tactical.state import PositionReport

EXIT_OK, EXIT_FAILED = 0, 2
BATCH_REPORTS = 2_000
"""Reports per POST (well under the 1 MB body limit)."""
MAX_PENDING = 100_000
"""Reports kept while the service is unreachable; older ones are dropped beyond this."""


def add_commands(commands: Any) -> None:
    """Add ``replay`` and ``ingest`` to the ``deconflict`` subparsers."""
    replay = commands.add_parser(
        "replay",
        help="replay a recorded track file, to the service or through the detector here",
        description=(
            "Replay a recording (CSV or CSV.gz: timestamp, icao24, callsign, latitude, "
            "longitude, altitude, groundspeed, track, vertical_rate). With --server and "
            "--token, reports go to the service re-timed to now; otherwise the detector "
            "runs here and prints alerts."
        ),
    )
    replay.add_argument("file", type=Path, metavar="FILE")
    replay.add_argument(
        "--speed",
        type=float,
        help="N× real time (default: 1 with --server, as fast as possible offline; 0: fastest)",
    )
    replay.add_argument("--period", type=float, default=1.0, help="cycle period, seconds")
    replay.add_argument("--declarations", type=Path, nargs="*", default=[], metavar="GEOJSON")
    _server_options(replay)
    replay.set_defaults(module=__name__)
    ingest = commands.add_parser("ingest", help="feed live positions to the service")
    kinds = ingest.add_subparsers(dest="feed", required=True)
    sbs = kinds.add_parser(
        "sbs",
        help="read SBS/BaseStation text (dump1090/readsb port 30003) from HOST:PORT",
        description="Read an SBS/BaseStation feed and send positions to the service, "
        "reconnecting with backoff; bad lines are counted and skipped.",
    )
    sbs.add_argument("address", metavar="HOST:PORT")
    _server_options(sbs, required=True)
    sbs.add_argument("--utc-offset", type=float, default=0.0, help="receiver clock − UTC, s")
    sbs.add_argument("--interval", type=float, default=1.0, help="seconds between batches")
    sbs.add_argument("--silent", type=float, default=30.0, help="reconnect after N s silence")
    sbs.add_argument(
        "--max-connections", type=int, help="stop after this many connections (scripts, tests)"
    )
    sbs.set_defaults(module=__name__)


def _server_options(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument("--server", required=required, help="service URL, e.g. http://host:8000")
    parser.add_argument("--token", required=required, help="bearer token (deconflict token)")
    parser.add_argument("--own", action="store_true", help="the aircraft are your party's")


def report_json(report: PositionReport, shift: float = 0.0, own: bool = False) -> dict[str, Any]:
    """A report as ``POST /v1/tracks`` takes it."""
    body: dict[str, Any] = {
        "aircraft": report.aircraft,
        "time": round(report.time + shift, 3),
        "lon": report.lon,
        "lat": report.lat,
        "alt": report.alt,
        "ground_speed": report.ground_speed,
        "track": report.track,
        "vertical_rate": report.vertical_rate,
    }
    if report.callsign:
        body["callsign"] = report.callsign[:16]
    if own:
        body["own"] = True
    return body


class Poster:
    """Sends batches to ``POST /v1/tracks``; keeps what failed to send for the next try."""

    def __init__(self, server: str, token: str, err: Console) -> None:
        import httpx

        self.client = httpx.Client(
            base_url=server.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30.0,
        )
        self.err = err
        self.pending: list[dict[str, Any]] = []
        self.sent = self.accepted = self.dropped = 0
        self.refused: Counter[str] = Counter()
        self.failures = 0

    def add(self, reports: Iterable[dict[str, Any]]) -> None:
        self.pending.extend(reports)
        if len(self.pending) > MAX_PENDING:
            self.dropped += len(self.pending) - MAX_PENDING
            del self.pending[: len(self.pending) - MAX_PENDING]

    def flush(self) -> bool:
        """Send what is pending; False if the service could not be reached (kept)."""
        import httpx

        while self.pending:
            batch = self.pending[:BATCH_REPORTS]
            try:
                answer = self.client.post("/v1/tracks", json=batch)
            except httpx.HTTPError as error:
                self._failed(f"cannot reach the service: {error}")
                return False
            if answer.status_code >= 500 or answer.status_code == 429:
                self._failed(f"the service answered {answer.status_code}")
                return False
            del self.pending[: len(batch)]
            self.sent += len(batch)
            if answer.status_code != 200:
                self.refused[f"http_{answer.status_code}"] += len(batch)
                self.err.print(f"refused: {escape(answer.text[:300])}", highlight=False)
                continue
            body = answer.json()
            self.accepted += int(body.get("accepted", 0))
            self.refused.update({str(k): int(v) for k, v in body.get("reasons", {}).items()})
            self.failures = 0
        return True

    def _failed(self, why: str) -> None:
        self.failures += 1
        if self.failures in (1, 10) or self.failures % 100 == 0:
            self.err.print(f"[yellow]{escape(why)}[/] (kept {len(self.pending)} reports)")

    def close(self) -> None:
        self.client.close()


class Clock:
    """Recording time → wall time at `speed` (0: no pacing), from the first report on."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.origin: tuple[float, float] | None = None

    def wall(self, t: float) -> float:
        if self.origin is None:
            self.origin = (t, time.time())
        t0, wall0 = self.origin
        return wall0 + (t - t0) / self.speed if self.speed > 0 else wall0

    def pace(self, t: float) -> None:
        delay = self.wall(t) - time.time()
        if self.speed > 0 and delay > 0:
            time.sleep(delay)


def _alert_line(event: AlertEvent) -> str:
    from deconflict.geo.units import format_time

    alert = event.alert
    who = " / ".join(alert.aircraft)
    parties = ", ".join(p or "unknown" for p in alert.parties)
    details = alert.details
    text = f"{format_time(event.time)}  {event.type:<7} {alert.kind:<16} {alert.severity.name:<8}"
    text += f" {who} ({parties})"
    if "cpa_horizontal" in details:
        text += (
            f"  loss in {details['time_to_loss']:.0f} s, CPA {details['cpa_horizontal']:.0f} m /"
            f" {details['cpa_vertical']:.0f} m at +{details['cpa_time']:.0f} s"
        )
    elif details.get("declaration"):
        text += f"  {details['declaration']}"
    return text


def replay(args: argparse.Namespace, out: Console, err: Console) -> int:
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    from deconflict.engine.tactical import AlertTracker, ConformanceMonitor, Detector, Tracks
    from deconflict.engine.tactical.alerts import conflict_findings, deviation_findings
    from deconflict.engine.tactical.state import MAX_AGE_S
    from deconflict.feeds.recording import Recording, RecordingError
    from deconflict.feeds.replay import cycles
    from deconflict.geo.geojson_files import read_files

    online = bool(args.server and args.token)
    if bool(args.server) != bool(args.token):
        err.print("[bold red]error:[/] --server and --token go together")
        return EXIT_FAILED
    if not args.file.exists():
        err.print(f"[bold red]error:[/] no such file {escape(str(args.file))}")
        return EXIT_FAILED
    speed = args.speed if args.speed is not None else (1.0 if online else 0.0)
    if online and speed <= 0:
        err.print("[bold red]error:[/] to a server, replay at a speed above 0 (re-timed to now)")
        return EXIT_FAILED
    recording = Recording(args.file)
    tracks = Tracks()
    declarations = read_files(args.declarations).declarations if args.declarations else ()
    detector, monitor, alerts = Detector(), ConformanceMonitor(declarations), AlertTracker()
    poster = Poster(args.server, args.token, err) if online else None
    events = 0
    started = time.monotonic()
    clock = Clock(speed)
    batch: list[dict[str, Any]] = []
    shown = 0.0

    def collect(reports: Iterable[PositionReport]) -> Iterable[PositionReport]:
        for report in reports:
            if poster is not None:
                batch.append(report_json(report, clock.wall(report.time) - report.time, args.own))
            yield report

    progress = Progress(
        TextColumn("replaying"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[status]}"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    try:
        with progress:
            task = progress.add_task("replay", total=1.0, status="")
            idle = MAX_AGE_S + (alerts.close_after + 1) * args.period
            for now in cycles(collect(recording), tracks, args.period, idle_after=idle):
                clock.pace(now)
                if poster is not None:
                    poster.add(batch)
                    batch.clear()
                    poster.flush()
                else:
                    states = tracks.snapshot(now)
                    findings = []
                    if len(states) > 1:
                        findings = conflict_findings(states, detector.detect(states))
                    if len(states) and declarations:
                        findings += deviation_findings(monitor.check(states))
                    for event in alerts.update(now, findings):
                        events += 1
                        out.print(escape(_alert_line(event)), highlight=False, soft_wrap=True)
                if time.monotonic() - shown > 0.2:
                    shown = time.monotonic()
                    status = f"{recording.stats.accepted:,} reports"
                    progress.update(task, completed=recording.progress(), status=status)
    except RecordingError as error:
        err.print(f"[bold red]error:[/] {escape(str(error))}")
        return EXIT_FAILED
    finally:
        if poster is not None:
            poster.add(batch)
            poster.flush()
            poster.close()
    elapsed = max(time.monotonic() - started, 1e-9)
    stats = recording.stats
    rejected = ", ".join(f"{k} {v}" for k, v in sorted(stats.rejected.items())) or "none"
    out.print(
        f"{stats.accepted:,} reports in {elapsed:.1f} s ({stats.accepted / elapsed:,.0f}/s);"
        f" skipped: {rejected}",
        highlight=False,
    )
    if poster is not None:
        refused = ", ".join(f"{k} {v}" for k, v in sorted(poster.refused.items())) or "none"
        out.print(
            f"sent {poster.sent:,}, accepted {poster.accepted:,}; refused: {refused}",
            highlight=False,
        )
        return EXIT_OK if not poster.pending else EXIT_FAILED
    out.print(f"{events} alert events", highlight=False)
    return EXIT_OK


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    if args.command == "replay":
        return replay(args, out, err)
    if args.command == "ingest" and args.feed == "sbs":
        from deconflict.cli_sbs import ingest_sbs

        return ingest_sbs(args, out, err, Poster(args.server, args.token, err))
    return EXIT_FAILED
