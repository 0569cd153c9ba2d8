"""``deconflict ingest sbs HOST:PORT``: a receiver's SBS/BaseStation port to the service.

A feed is a TCP socket that never ends on purpose: a receiver restarts, the network
drops, a misconfigured peer sends binary (Beast) frames or nothing at all. So the reader
reconnects with exponential backoff (`BACKOFF_S` up to `MAX_BACKOFF_S`, reset after a
connection that delivered data), treats silence longer than ``--silent`` as a dead
connection, decodes bytes leniently (invalid UTF-8 becomes a garbled line, counted
by the parser as malformed), and drops over-long lines (`MAX_LINE_BYTES`) unread.
Positions are sent in batches every ``--interval`` seconds; what cannot be sent is kept
(up to `cli_tracks.MAX_PENDING`) and sent when the service answers again.
"""

from __future__ import annotations

import argparse
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from deconflict.cli_tracks import Poster
    from deconflict.engine.tactical.state import PositionReport

BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
MAX_LINE_BYTES = 4096
"""SBS lines are about 150 bytes; anything this long without a newline is not SBS."""
POLL_S = 0.2


def parse_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


class Counts:
    """What the reader saw, for the summary line."""

    def __init__(self) -> None:
        self.connections = self.failed_connects = self.silent = 0
        self.lines = self.oversized = 0


def _read_connection(
    sock: socket.socket,
    args: argparse.Namespace,
    feed: Callable[[str], PositionReport | None],
    poster: Poster,
    counts: Counts,
) -> bool:
    """Read one connection until the peer closes, errs or falls silent; whether any
    data came (which resets the backoff)."""
    from deconflict.cli_tracks import report_json

    sock.settimeout(POLL_S)
    pending = b""
    got_data = False
    last_data = last_flush = time.monotonic()
    reports: list[dict[str, Any]] = []
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            chunk = None
        except OSError:
            break
        now = time.monotonic()
        if chunk == b"":
            break
        if chunk:
            got_data, last_data = True, now
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if len(pending) > MAX_LINE_BYTES:
                counts.oversized += 1
                pending = b""
            for raw in lines:
                if len(raw) > MAX_LINE_BYTES:
                    counts.oversized += 1
                    continue
                line = raw.decode("utf-8", errors="replace").strip()
                if not line:
                    continue
                counts.lines += 1
                report = feed(line)
                if report is not None:
                    reports.append(report_json(report, own=args.own))
        if now - last_flush >= args.interval:
            poster.add(reports)
            reports = []
            poster.flush()
            last_flush = now
        if now - last_data > args.silent:
            counts.silent += 1
            break
    poster.add(reports)
    poster.flush()
    return got_data


def ingest_sbs(args: argparse.Namespace, out: Console, err: Console, poster: Poster) -> int:
    from deconflict.feeds.sbs import SbsParser

    try:
        host, port = parse_address(args.address)
    except ValueError as error:
        err.print(f"[bold red]error:[/] {escape(str(error))}")
        return 2
    parser = SbsParser(utc_offset_s=args.utc_offset)
    counts = Counts()
    backoff = BACKOFF_S
    try:
        while args.max_connections is None or counts.connections < args.max_connections:
            try:
                sock = socket.create_connection((host, port), timeout=10.0)
            except OSError as error:
                counts.failed_connects += 1
                if counts.failed_connects in (1, 10) or counts.failed_connects % 100 == 0:
                    err.print(f"[yellow]cannot connect to {host}:{port}[/]: {escape(str(error))}")
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                poster.flush()
                continue
            counts.connections += 1
            with sock:
                if _read_connection(sock, args, parser.feed, poster, counts):
                    backoff = BACKOFF_S
            if args.max_connections is None or counts.connections < args.max_connections:
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
    except KeyboardInterrupt:
        pass
    finally:
        poster.flush()
        poster.close()
    stats = parser.stats
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(stats.rejected.items())) or "none"
    out.print(
        f"{counts.connections} connections ({counts.silent} fell silent), "
        f"{counts.lines:,} lines, {stats.accepted:,} positions; skipped: {skipped}; "
        f"over-long lines {counts.oversized}",
        highlight=False,
    )
    refused = ", ".join(f"{k} {v}" for k, v in sorted(poster.refused.items())) or "none"
    out.print(
        f"sent {poster.sent:,}, accepted {poster.accepted:,}; refused: {refused}; "
        f"unsent {len(poster.pending):,}",
        highlight=False,
    )
    return 0
