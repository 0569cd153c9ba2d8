"""Volumes: an outline, an altitude band and a time window — a 4D box of airspace."""

from __future__ import annotations

from dataclasses import dataclass

from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.errors import InputError
from deconflict.geo.outline import Outline
from deconflict.geo.units import format_time

MIN_ALTITUDE_M = -500.0
MAX_ALTITUDE_M = 30_000.0
MAX_DURATION_S = 7 * 86400.0
"""No operation is planned for more than a week at once: a longer window is a mistake."""
MAX_VALIDITY_S = 366 * 86400.0
"""Zones and lines may stand for a year; longer, and they should be re-declared."""


@dataclass(frozen=True, slots=True)
class AltitudeBand:
    """``[lower, upper]`` in metres above `reference`."""

    lower: float
    upper: float
    reference: AltitudeReference = AltitudeReference.W84

    def __post_init__(self) -> None:
        # Micrometres: unit conversions and sums (FL10 + 100 ft) must not leave 1e-13 m of
        # noise that turns two touching bands into overlapping ones.
        object.__setattr__(self, "lower", round(self.lower, 6))
        object.__setattr__(self, "upper", round(self.upper, 6))
        for name, value in (("altitude_lower", self.lower), ("altitude_upper", self.upper)):
            if not (MIN_ALTITUDE_M <= value <= MAX_ALTITUDE_M):
                raise InputError(
                    f"altitude {value:g} m is outside {MIN_ALTITUDE_M:g} m … {MAX_ALTITUDE_M:g} m",
                    field=name,
                )
        if self.lower >= self.upper:
            raise InputError(
                f"lower altitude {self.lower:g} m is not below upper altitude {self.upper:g} m",
                field="altitude_lower",
            )

    def shifted(self, metres: float) -> AltitudeBand:
        """The same band moved up (or down, if negative) by `metres`."""
        return AltitudeBand(self.lower + metres, self.upper + metres, self.reference)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """``[start, end)`` in POSIX seconds, UTC: the end instant itself is free."""

    start: float
    end: float

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InputError(
                f"end {format_time(self.end)} is not after start {format_time(self.start)}",
                field="end",
            )
        if self.end - self.start > MAX_VALIDITY_S:
            raise InputError(
                f"the window lasts {(self.end - self.start) / 86400:.0f} days; "
                "at most 366 are allowed",
                field="end",
            )

    def shifted(self, seconds: float) -> TimeWindow:
        """The same window moved later (or earlier, if negative) by `seconds`."""
        return TimeWindow(self.start + seconds, self.end + seconds)


@dataclass(frozen=True, slots=True)
class Volume:
    """A 4D box: where (outline), how high (band) and when (window)."""

    outline: Outline
    band: AltitudeBand
    window: TimeWindow
