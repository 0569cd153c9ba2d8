"""Merge partial messages per aircraft into complete position reports.

ADS-B splits what the detector needs over several messages: position and altitude in
one, velocity in another, the callsign in a third (SBS ``MSG,1``…``MSG,4``); recordings
leave cells empty when a field was not in that message. The merger remembers each
aircraft's latest value of every field and emits a report when a new position arrives
and the other fields are known and recent enough (`MAX_STALE_S`).

It also drops what would corrupt a track: values no aircraft could have
(`state.check_values`), and reports not later than the aircraft's previous one.
"""

from __future__ import annotations

from dataclasses import dataclass

from deconflict.engine.tactical.state import (
    IngestStats,
    PositionReport,
    Rejection,
    check_values,
)
from deconflict.geo.units import FOOT, KNOT

MAX_STALE_S = 10.0
"""Altitude or velocity older than this, when a position arrives, is not used."""
FEET_PER_MINUTE = FOOT / 60.0


@dataclass(slots=True)
class _Partial:
    """What is known of one aircraft: each value with the time it was received."""

    callsign: str | None = None
    alt: float | None = None
    alt_time: float = float("-inf")
    ground_speed: float | None = None
    track: float | None = None
    velocity_time: float = float("-inf")
    vertical_rate: float | None = None
    vertical_time: float = float("-inf")
    last_report: float = float("-inf")


class ReportMerger:
    """Per-aircraft memory of partial messages; `update` returns a report when complete."""

    def __init__(self, stats: IngestStats | None = None, max_stale: float = MAX_STALE_S) -> None:
        self.stats = stats if stats is not None else IngestStats()
        self.max_stale = max_stale
        self._known: dict[str, _Partial] = {}

    def update(
        self,
        time: float,
        aircraft: str,
        *,
        callsign: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        altitude_ft: float | None = None,
        ground_speed_kt: float | None = None,
        track_deg: float | None = None,
        vertical_rate_fpm: float | None = None,
    ) -> PositionReport | None:
        """Fold one message in; a report when it completes one (bad ones are counted).

        A message with any impossible value is dropped whole, before it is remembered:
        a NaN altitude must not poison the aircraft's next good positions.
        """
        reason = _check_fields(lat, lon, altitude_ft, ground_speed_kt, track_deg, vertical_rate_fpm)
        if reason is not None:
            self.stats.reject(reason)
            return None
        known = self._known.get(aircraft)
        if known is None:
            known = self._known[aircraft] = _Partial()
        if callsign:
            known.callsign = callsign
        if altitude_ft is not None:
            known.alt, known.alt_time = altitude_ft * FOOT, time
        if ground_speed_kt is not None and track_deg is not None:
            known.ground_speed, known.track = ground_speed_kt * KNOT, track_deg
            known.velocity_time = time
        if vertical_rate_fpm is not None:
            known.vertical_rate, known.vertical_time = vertical_rate_fpm * FEET_PER_MINUTE, time
        if lat is None or lon is None:
            return None
        oldest = time - self.max_stale
        if (
            known.alt is None
            or known.ground_speed is None
            or known.track is None
            or known.alt_time < oldest
            or known.velocity_time < oldest
        ):
            self.stats.reject(Rejection.INCOMPLETE)
            return None
        vertical = known.vertical_rate if known.vertical_time >= oldest else 0.0
        report = PositionReport(
            time,
            aircraft,
            lon,
            lat,
            known.alt,
            known.ground_speed,
            known.track,
            vertical if vertical is not None else 0.0,
            callsign=known.callsign,
        )
        reason = check_values(report)
        if reason is None and time <= known.last_report:
            reason = Rejection.DUPLICATE if time == known.last_report else Rejection.BACKWARDS
        if reason is not None:
            self.stats.reject(reason)
            return None
        known.last_report = time
        self.stats.accepted += 1
        return report


def _check_fields(
    lat: float | None,
    lon: float | None,
    altitude_ft: float | None,
    ground_speed_kt: float | None,
    track_deg: float | None,
    vertical_rate_fpm: float | None,
) -> Rejection | None:
    """`check_values` on whichever fields this message carries (others: harmless zeros)."""
    probe = PositionReport(
        0.0,
        "",
        lon if lon is not None else 0.0,
        lat if lat is not None else 0.0,
        altitude_ft * FOOT if altitude_ft is not None else 0.0,
        ground_speed_kt * KNOT if ground_speed_kt is not None else 0.0,
        track_deg if track_deg is not None else 0.0,
        vertical_rate_fpm * FEET_PER_MINUTE if vertical_rate_fpm is not None else 0.0,
    )
    return check_values(probe)
