"""SBS/BaseStation text lines (dump1090/readsb port 30003) into position reports.

A line is 22 comma-separated fields: ``MSG,type,session,aircraft,hex,flight,date_gen,
time_gen,date_log,time_log,callsign,altitude,ground_speed,track,lat,lon,vertical_rate,
squawk,alert,emergency,spi,on_ground``. Message types carry different fields:

    ===  ==========================  ============================================
    1    identification              callsign
    2    surface position            altitude, ground speed, track, lat, lon
    3    airborne position           altitude, lat, lon
    4    airborne velocity           ground speed, track, vertical rate
    5    surveillance altitude       altitude
    6    surveillance identity       altitude (squawk is not used here)
    7    air-to-air                  altitude
    8    all-call reply              nothing useful
    ===  ==========================  ============================================

All are merged per aircraft (`merge.ReportMerger`); a report comes out on each position.
Times are read as UTC unless `utc_offset_s` says the receiver writes local time (dump1090
uses the host's local time zone). Other record types (``SEL``, ``ID``, ``AIR``, ``STA``,
``CLK``) carry no position and are ignored without being counted as errors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from deconflict.engine.tactical.state import IngestStats, PositionReport, Rejection
from deconflict.feeds.merge import MAX_STALE_S, ReportMerger

FIELDS = 22
_OTHER_RECORDS = frozenset({"SEL", "ID", "AIR", "STA", "CLK"})


def _number(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def _time(date: str, clock: str) -> float:
    """``2021/10/07`` and ``12:00:00.123`` as POSIX seconds (UTC)."""
    day = datetime.strptime(date.strip(), "%Y/%m/%d").replace(tzinfo=UTC)
    hours, minutes, seconds = clock.strip().split(":")
    value = day.timestamp() + int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if not (0 <= int(hours) < 24 and 0 <= int(minutes) < 60 and 0.0 <= float(seconds) < 61.0):
        raise ValueError(f"bad time of day {clock!r}")
    return value


class SbsParser:
    """Parse SBS lines one at a time; `stats` counts what was refused and why."""

    def __init__(self, max_stale: float = MAX_STALE_S, utc_offset_s: float = 0.0) -> None:
        self.stats = IngestStats()
        self.merger = ReportMerger(self.stats, max_stale)
        self.utc_offset_s = utc_offset_s

    def feed(self, line: str) -> PositionReport | None:
        """One line in; a report out when it completes one (never raises on content)."""
        fields = line.rstrip("\r\n").split(",")
        kind = fields[0].strip().upper()
        if kind in _OTHER_RECORDS and len(fields) >= 2:
            return None
        if kind != "MSG" or len(fields) < FIELDS - 1:
            self.stats.reject(Rejection.MALFORMED)
            return None
        fields += [""] * (FIELDS - len(fields))
        try:
            message = int(fields[1])
            aircraft = fields[4].strip().lower()
            if not (1 <= message <= 8) or not aircraft:
                raise ValueError("no message type or aircraft")
            int(aircraft, 16)
            if fields[6].strip() and fields[7].strip():
                time = _time(fields[6], fields[7])
            else:
                time = _time(fields[8], fields[9])
            time -= self.utc_offset_s
            altitude = _number(fields[11]) if message in (2, 3, 5, 6, 7) else None
            speed = _number(fields[12]) if message in (2, 4) else None
            track = _number(fields[13]) if message in (2, 4) else None
            lat = _number(fields[14]) if message in (2, 3) else None
            lon = _number(fields[15]) if message in (2, 3) else None
            vertical = _number(fields[16]) if message == 4 else None
        except ValueError:
            self.stats.reject(Rejection.MALFORMED)
            return None
        if not math.isfinite(time) or (lat is None) != (lon is None):
            self.stats.reject(Rejection.MALFORMED)
            return None
        return self.merger.update(
            time,
            aircraft,
            callsign=fields[10].strip() or None if message == 1 else None,
            lat=lat,
            lon=lon,
            altitude_ft=altitude,
            ground_speed_kt=speed,
            track_deg=track,
            vertical_rate_fpm=vertical,
        )

    def parse(self, lines: Iterable[str]) -> Iterator[PositionReport]:
        """Every report from an iterable of lines (a file, a socket's line reader)."""
        for line in lines:
            if not line.strip():
                continue
            report = self.feed(line)
            if report is not None:
                yield report
