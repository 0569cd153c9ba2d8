"""A live track as the hub keeps it: the latest accepted report of one aircraft.

Attribution is the hub's: `party` and `operation` come from the operation the aircraft
was matched to (by operation id, transponder address or callsign), or from the
reporting party when it says the aircraft is its own; "" when unknown. `source` is the
party whose feed reported it (it always sees what it reported).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TrackState:
    """SI units: metres, metres per second, degrees; POSIX seconds (UTC)."""

    aircraft: str
    party: str
    operation: str
    source: str
    callsign: str | None
    time: float
    lon: float
    lat: float
    alt: float
    ground_speed: float
    track: float
    vertical_rate: float
    reference: str
    jumps: int = 0
    """Reports refused in a row as jumps (see `engine.tactical.state`)."""
    received_at: float = 0.0
