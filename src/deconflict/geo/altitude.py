"""Altitude references and the margin needed to compare across them.

Two bands are only comparable in the same reference. Converting between them exactly
needs a geoid model (WGS84 ellipsoid ↔ mean sea level) or the day's pressure
(standard-pressure flight levels ↔ true altitude), neither of which a planning hub
knows. So, rather than convert, a comparison across references *shrinks the vertical
gap* by a fixed margin that covers the difference: a conflict may be reported that a
conversion would have cleared, but none is missed. The margins are stated here, once.
"""

from __future__ import annotations

from enum import StrEnum


class AltitudeReference(StrEnum):
    """What an altitude is measured from."""

    W84 = "W84"
    """Height above the WGS84 ellipsoid (ASTM F3548, GNSS)."""
    AMSL = "AMSL"
    """Above mean sea level (the geoid)."""
    STD = "STD"
    """Pressure altitude on the standard 1013.25 hPa setting: flight levels."""

    @classmethod
    def parse(cls, text: str) -> AltitudeReference:
        """Accept the usual spellings: WGS84/W84, AMSL/MSL, STD/FL/pressure."""
        key = text.strip().upper()
        aliases = {
            "W84": cls.W84,
            "WGS84": cls.W84,
            "WGS-84": cls.W84,
            "HAE": cls.W84,
            "AMSL": cls.AMSL,
            "MSL": cls.AMSL,
            "STD": cls.STD,
            "FL": cls.STD,
            "PRESSURE": cls.STD,
        }
        if key not in aliases:
            raise ValueError(f"unknown altitude reference {text!r} (known: W84, AMSL, STD)")
        return aliases[key]


GEOID_MARGIN_M = 110.0
"""Largest |geoid undulation| on Earth (EGM2008 spans about -107 m to +86 m)."""

PRESSURE_MARGIN_M = 300.0
"""About 1,000 ft: pressure altitude vs true altitude for QNH within ±33 hPa of standard.

Cold-temperature error is not covered; planners flying flight levels next to altitudes
should agree on larger vertical minima.
"""

_ORDER = {AltitudeReference.W84: 0, AltitudeReference.AMSL: 1, AltitudeReference.STD: 2}
_MARGINS = {
    (AltitudeReference.W84, AltitudeReference.AMSL): GEOID_MARGIN_M,
    (AltitudeReference.AMSL, AltitudeReference.STD): PRESSURE_MARGIN_M,
    (AltitudeReference.W84, AltitudeReference.STD): GEOID_MARGIN_M + PRESSURE_MARGIN_M,
}


def reference_margin(a: AltitudeReference, b: AltitudeReference) -> float:
    """Metres to subtract from a vertical gap measured between references `a` and `b`."""
    if a == b:
        return 0.0
    key = (a, b) if _ORDER[a] < _ORDER[b] else (b, a)
    return _MARGINS[key]


REFERENCE_CODES: tuple[AltitudeReference, ...] = tuple(AltitudeReference)
"""Stable small-integer codes for vectorised tables (index into this tuple)."""


def margin_matrix() -> list[list[float]]:
    """`reference_margin` as a table indexed by `REFERENCE_CODES` positions."""
    return [[reference_margin(a, b) for b in REFERENCE_CODES] for a in REFERENCE_CODES]
