"""Recorded tracks in CSV, optionally gzipped, streamed as position reports in time order.

Layout (the recordings in the project's shared data): ``timestamp`` (ms since the epoch,
UTC), ``icao24``, ``callsign``, ``latitude``, ``longitude`` (degrees), ``altitude``
(barometric, feet), ``groundspeed`` (knots), ``track`` (degrees true), ``vertical_rate``
(feet/minute); an empty cell means "not in this message" and is filled from the
aircraft's earlier rows (`merge`). Columns are found by name, so their order may vary.

Streaming: one row at a time from `csv.reader` over the (decompressed) file, so a
recording larger than memory replays. Rows must come in time order (the recordings are
sorted); a row earlier than the previous one is counted as `Rejection.BACKWARDS`.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from deconflict.engine.tactical.state import IngestStats, PositionReport, Rejection
from deconflict.feeds.merge import MAX_STALE_S, ReportMerger

COLUMNS = (
    "timestamp",
    "icao24",
    "callsign",
    "latitude",
    "longitude",
    "altitude",
    "groundspeed",
    "track",
    "vertical_rate",
)


class RecordingError(ValueError):
    """The file is not a recording at all (missing columns): nothing can be replayed."""


def _number(text: str) -> float | None:
    """A cell as a float, None when empty; ValueError when not a number."""
    text = text.strip()
    return float(text) if text else None


class Recording:
    """Iterate over the reports of a recorded CSV(.gz) file; `stats` counts bad rows."""

    def __init__(self, path: str | Path, max_stale: float = MAX_STALE_S) -> None:
        self.path = Path(path)
        self.stats = IngestStats()
        self.max_stale = max_stale
        self._raw: BinaryIO | None = None

    def _open(self) -> TextIO:
        self._raw = self.path.open("rb")
        stream: BinaryIO = self._raw
        if self.path.suffix == ".gz":
            stream = gzip.GzipFile(fileobj=self._raw, mode="rb")  # type: ignore[assignment]
        return io.TextIOWrapper(stream, encoding="utf-8", newline="")

    def progress(self) -> float:
        """How much of the file has been read, from 0 to 1 (of its bytes on disk, so a
        progress bar needs no counting pass over a compressed file)."""
        if self._raw is None:
            return 0.0
        if self._raw.closed:
            return 1.0
        size = self.path.stat().st_size
        return min(1.0, self._raw.tell() / size) if size else 1.0

    def __iter__(self) -> Iterator[PositionReport]:
        try:
            with self._open() as handle:
                yield from read_rows(csv.reader(handle), self.stats, self.max_stale)
        finally:
            if self._raw is not None:
                self._raw.close()


def read_rows(
    rows: Iterator[list[str]], stats: IngestStats, max_stale: float = MAX_STALE_S
) -> Iterator[PositionReport]:
    """Reports from CSV rows (the first is the header), bad rows counted in `stats`."""
    header = next(rows, None)
    if header is None:
        raise RecordingError("the recording is empty (no header row)")
    names = [name.strip().lower() for name in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise RecordingError(f"the recording lacks the column(s) {', '.join(missing)}")
    at = [names.index(c) for c in COLUMNS]
    width = max(at) + 1
    merger = ReportMerger(stats, max_stale)
    latest = -math.inf
    for row in rows:
        if len(row) < width:
            stats.reject(Rejection.MALFORMED)
            continue
        try:
            time = float(row[at[0]]) / 1000.0
            aircraft = row[at[1]].strip().lower()
            lat, lon, alt, speed, track, vertical = (_number(row[k]) for k in at[3:])
        except ValueError:
            stats.reject(Rejection.MALFORMED)
            continue
        if not aircraft or not math.isfinite(time):
            stats.reject(Rejection.MALFORMED)
            continue
        if time < latest:
            stats.reject(Rejection.BACKWARDS)
            continue
        latest = time
        report = merger.update(
            time,
            aircraft,
            callsign=row[at[2]].strip() or None,
            lat=lat,
            lon=lon,
            altitude_ft=alt,
            ground_speed_kt=speed,
            track_deg=track,
            vertical_rate_fpm=vertical,
        )
        if report is not None:
            yield report
