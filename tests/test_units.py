"""Units at the edges: every quantity people write is read into SI, or refused clearly."""

from __future__ import annotations

import math

import pytest

from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.errors import InputError, UnitError
from deconflict.geo.units import (
    format_time,
    parse_altitude,
    parse_duration,
    parse_length,
    parse_speed,
    parse_time,
)


@pytest.mark.parametrize(
    ("text", "metres"),
    [
        (5000, 5000.0),
        (2.5, 2.5),
        ("300", 300.0),
        ("5 NM", 9260.0),
        ("5nm", 9260.0),
        ("2 nmi", 3704.0),
        ("2.5 km", 2500.0),
        ("1500 ft", 457.2),
        ("1 mi", 1609.344),
        ("12 m", 12.0),
        ("1e3 m", 1000.0),
        ({"value": 3, "units": "NM"}, 5556.0),
        ({"value": "10", "unit": "ft"}, 3.048),
    ],
)
def test_parse_length(text: object, metres: float) -> None:
    assert parse_length(text) == pytest.approx(metres, abs=1e-6)


@pytest.mark.parametrize(
    ("text", "metres", "reference"),
    [
        ("FL250", 7620.0, AltitudeReference.STD),
        ("fl 100", 3048.0, AltitudeReference.STD),
        ("FL005", 152.4, AltitudeReference.STD),
        ("1500 ft", 457.2, None),
        (300, 300.0, None),
        ("-100 m", -100.0, None),
    ],
)
def test_parse_altitude(text: object, metres: float, reference: AltitudeReference | None) -> None:
    value, implied = parse_altitude(text)
    assert value == pytest.approx(metres, abs=1e-6)
    assert implied is reference


@pytest.mark.parametrize(
    ("text", "metres_per_second"),
    [
        (12, 12.0),
        ("420 kt", 420 * 1852 / 3600),
        ("360 knots", 185.2),
        ("250 km/h", 250 / 3.6),
        ("10 m/s", 10.0),
        ("60 mph", 26.8224),
    ],
)
def test_parse_speed(text: object, metres_per_second: float) -> None:
    assert parse_speed(text) == pytest.approx(metres_per_second, abs=1e-6)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (300, 300.0),
        ("5 min", 300.0),
        ("2 h", 7200.0),
        ("1 d", 86400.0),
        ("PT30M", 1800.0),
        ("PT1H30M", 5400.0),
        ("P1DT2H", 93600.0),
        ("pt45s", 45.0),
        ("PT0.5S", 0.5),
        ("P2D", 172800.0),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "posix"),
    [
        ("2026-11-25T06:00:00Z", 1795586400.0),
        ("2026-11-25T06:00:00z", 1795586400.0),
        ("2026-11-25T06:00:00+00:00", 1795586400.0),
        ("2026-11-25T08:30:00+02:30", 1795586400.0),
        ("2026-11-24T23:00:00-07:00", 1795586400.0),
        ("2026-11-25T06:00:00.250Z", 1795586400.25),
        ("1970-01-01T00:00:00Z", 0.0),
    ],
)
def test_parse_time_rfc3339_with_offset(text: str, posix: float) -> None:
    assert parse_time(text) == posix


@pytest.mark.parametrize("posix", [0.0, 1795586400.0, 1795586400.25, 1_800_000_123.0])
def test_format_time_round_trips(posix: float) -> None:
    text = format_time(posix)
    assert text.endswith("Z")
    assert parse_time(text) == posix


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-25T06:00:00",  # naive: which time zone?
        "2026-11-25 06:00",
        "25/11/2026 06:00Z",
        "tomorrow",
        "",
        "1969-12-31T23:59:59Z",  # before the epoch
        "3000-01-01T00:00:00Z",  # a typo, not a plan
        1795586400,
        None,
    ],
)
def test_parse_time_refuses_naive_and_malformed(text: object) -> None:
    with pytest.raises(UnitError):
        parse_time(text)


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_length, "12 furlongs"),
        (parse_length, "5 NM NM"),
        (parse_length, "NM 5"),
        (parse_length, True),
        (parse_length, math.inf),
        (parse_length, math.nan),
        (parse_length, "1e999 m"),
        (parse_length, 10**400),
        (parse_length, {"value": 5, "units": "leagues"}),
        (parse_length, [5, "NM"]),
        (parse_altitude, "FL1000"),
        (parse_altitude, "3000 hPa"),
        (parse_speed, "420 kts/h"),
        (parse_speed, "Mach 2"),
        (parse_duration, "PT"),
        (parse_duration, "P"),
        (parse_duration, "5 fortnights"),
        (parse_duration, "PT5X"),
    ],
)
def test_unknown_or_malformed_units_raise(parse: object, text: object) -> None:
    with pytest.raises(UnitError) as caught:
        parse(text)  # type: ignore[operator]
    assert isinstance(caught.value, InputError)
    assert str(caught.value)
