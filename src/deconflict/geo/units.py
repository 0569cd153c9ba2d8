"""Quantities at the edges: lengths, altitudes, speeds, durations and instants.

Inputs written by people carry units ("5 NM", "FL250", "1500 ft", "420 kt", "PT30M");
inside, everything is metres, metres per second, seconds and POSIX seconds (UTC).
A bare number means the SI unit. Each parser raises `UnitError` with the value it could
not read, so the reader can say which field of which feature is wrong.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.errors import UnitError

FOOT = 0.3048
NAUTICAL_MILE = 1852.0
KNOT = NAUTICAL_MILE / 3600.0

LENGTH_UNITS: dict[str, float] = {
    "m": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "km": 1000.0,
    "ft": FOOT,
    "feet": FOOT,
    "foot": FOOT,
    "nm": NAUTICAL_MILE,
    "nmi": NAUTICAL_MILE,
    "mi": 1609.344,
}
SPEED_UNITS: dict[str, float] = {
    "m/s": 1.0,
    "mps": 1.0,
    "km/h": 1000.0 / 3600.0,
    "kmh": 1000.0 / 3600.0,
    "kt": KNOT,
    "kts": KNOT,
    "knot": KNOT,
    "knots": KNOT,
    "mph": 1609.344 / 3600.0,
}
DURATION_UNITS: dict[str, float] = {
    "s": 1.0,
    "sec": 1.0,
    "min": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "d": 86400.0,
}

EARLIEST = 0.0
"""1970-01-01T00:00:00Z: plans are never dated before the POSIX epoch."""
LATEST = 32503680000.0
"""3000-01-01T00:00:00Z: later instants are typos (and would not print in RFC 3339)."""

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z/]+)?\s*$")
_FLIGHT_LEVEL = re.compile(r"^\s*FL\s*(\d{1,3})\s*$", re.IGNORECASE)
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def _finite(value: float | int | str, text: Any) -> float:
    """`value` as a finite float; huge integers and NaN/inf are refused, not crashed on."""
    try:
        number = float(value)
    except OverflowError:
        raise UnitError(f"{text!r} is too large") from None
    if not math.isfinite(number):
        raise UnitError(f"{text!r} is not a finite number")
    return number


def _quantity(value: Any, units: dict[str, float], kind: str, examples: str) -> float:
    """Read `value` as a bare number (SI) or "number unit", or {"value", "units"}."""
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a {kind} (expected e.g. {examples})")
    if isinstance(value, int | float):
        return _finite(value, value)
    if isinstance(value, dict) and "value" in value:
        unit = str(value.get("units", value.get("unit", ""))).strip().lower()
        if unit not in units:
            raise UnitError(f"unknown {kind} unit {unit!r} (known: {', '.join(sorted(units))})")
        return round(_quantity(value["value"], units, kind, examples) * units[unit], 6)
    if isinstance(value, str):
        match = _QUANTITY.match(value)
        if match:
            number = _finite(match.group(1), value)
            unit = (match.group(2) or "").lower()
            if not unit:
                return number
            if unit in units:
                # Rounded to the micrometre so that "1500 ft" reads 457.2, not 457.20000000000005.
                return round(number * units[unit], 6)
            raise UnitError(
                f"unknown {kind} unit {match.group(2)!r} in {value!r} "
                f"(known: {', '.join(sorted(units))})"
            )
    raise UnitError(f"{value!r} is not a {kind} (expected e.g. {examples})")


def parse_length(value: Any) -> float:
    """A horizontal length in metres: ``5000``, ``"5 NM"``, ``"2.5 km"``, ``"1500 ft"``.

    >>> parse_length("5 NM")
    9260.0
    """
    return _quantity(value, LENGTH_UNITS, "length", '"5 NM", "2.5 km", 300')


def parse_altitude(value: Any) -> tuple[float, AltitudeReference | None]:
    """An altitude in metres, and the reference the notation implies (if any).

    A flight level is a pressure altitude in hundreds of feet, so it implies the
    standard-pressure reference; other notations leave the reference to the feature.

    >>> parse_altitude("FL250")
    (7620.0, <AltitudeReference.STD: 'STD'>)
    >>> parse_altitude("1500 ft")
    (457.2, None)
    """
    if isinstance(value, str):
        match = _FLIGHT_LEVEL.match(value)
        if match:
            return round(int(match.group(1)) * 100 * FOOT, 6), AltitudeReference.STD
    return _quantity(value, LENGTH_UNITS, "altitude", '"FL250", "1500 ft", 300'), None


def parse_speed(value: Any) -> float:
    """A speed in m/s: ``"420 kt"``, ``"250 km/h"``, ``12`` (m/s).

    >>> round(parse_speed("360 kt"), 3)
    185.2
    """
    return _quantity(value, SPEED_UNITS, "speed", '"420 kt", "250 km/h", 12')


def parse_duration(value: Any) -> float:
    """A duration in seconds: ``300``, ``"5 min"``, ``"2 h"`` or ISO 8601 ``"PT5M"``.

    >>> parse_duration("PT1H30M")
    5400.0
    """
    if isinstance(value, str):
        match = _ISO_DURATION.match(value.strip().upper())
        if match and any(match.groupdict().values()):
            parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
            return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
    return _quantity(value, DURATION_UNITS, "duration", '"5 min", "PT30M", 300')


def parse_time(value: Any) -> float:
    """An instant as POSIX seconds, from an RFC 3339 string that states its UTC offset.

    A time without an offset is refused: a duty officer in another time zone would read
    it differently, which is exactly the mistake this service exists to prevent.

    >>> parse_time("2026-11-25T06:00:00Z")
    1795586400.0
    """
    if not isinstance(value, str):
        raise UnitError(f"{value!r} is not a time (expected RFC 3339, e.g. 2026-11-25T06:00:00Z)")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise UnitError(
            f"{value!r} is not a time (expected RFC 3339, e.g. 2026-11-25T06:00:00Z)"
        ) from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise UnitError(f"{value!r} has no UTC offset (write e.g. 2026-11-25T06:00:00Z)")
    posix = instant.timestamp()
    if not (EARLIEST <= posix < LATEST):
        raise UnitError(f"{value!r} is outside the years 1970–2999 UTC")
    return posix


def format_time(posix: float) -> str:
    """RFC 3339 in UTC with a Z, to the second when whole (the inverse of `parse_time`)."""
    instant = datetime.fromtimestamp(posix, UTC)
    if instant.microsecond == 0:
        return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    return instant.isoformat().replace("+00:00", "Z")
