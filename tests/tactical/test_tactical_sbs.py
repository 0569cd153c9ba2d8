"""SBS/BaseStation lines: merged per aircraft, bad lines counted and skipped."""

from __future__ import annotations

import gzip
import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.engine.tactical.state import Rejection
from deconflict.feeds.sbs import SbsParser
from deconflict.geo.units import FOOT, KNOT

PARIS = Path("/work/shared/data/paris_2021.csv.gz")
DAY = "2021/10/07"


def msg(kind: int, hex_id: str, clock: str, **values: str) -> str:
    fields = ["MSG", str(kind), "1", "1", hex_id, "1", DAY, clock, DAY, clock] + [""] * 12
    names = ["callsign", "altitude", "speed", "track", "lat", "lon", "vertical"]
    for offset, name in enumerate(names):
        fields[10 + offset] = values.get(name, "")
    fields[21] = "0"
    return ",".join(fields)


def test_position_velocity_and_callsign_are_merged() -> None:
    parser = SbsParser()
    lines = [
        msg(1, "4CA2D6", "12:00:00.000", callsign="RYR123 "),
        msg(4, "4CA2D6", "12:00:00.500", speed="420", track="90", vertical="-640"),
        msg(5, "4CA2D6", "12:00:00.700", altitude="35000"),
        msg(3, "4CA2D6", "12:00:01.000", altitude="35025", lat="48.85", lon="2.35"),
    ]
    (report,) = parser.parse(lines)
    assert report.aircraft == "4ca2d6" and report.callsign == "RYR123"
    assert report.time == datetime(2021, 10, 7, 12, 0, 1, tzinfo=UTC).timestamp()
    assert report.alt == pytest.approx(35025 * FOOT)
    assert report.ground_speed == pytest.approx(420 * KNOT)
    assert report.vertical_rate == pytest.approx(-640 * FOOT / 60)
    assert (report.lon, report.lat, report.track) == (2.35, 48.85, 90.0)
    assert parser.stats.accepted == 1 and parser.stats.total_rejected == 0


def test_a_position_without_a_recent_velocity_is_incomplete() -> None:
    parser = SbsParser()
    lines = [
        msg(4, "abc123", "12:00:00.000", speed="300", track="10", vertical="0"),
        msg(3, "abc123", "12:00:30.000", altitude="1000", lat="48.0", lon="2.0"),
    ]
    assert list(parser.parse(lines)) == []
    assert parser.stats.rejected == {Rejection.INCOMPLETE: 1}


BAD = [
    "garbage",
    "MSG,3,1,1",
    "MSG,x,1,1,abc123,1,2021/10/07,12:00:01.000,2021/10/07,12:00:01.000,,1000,,,48,2,,,,,,0",
    "MSG,3,1,1,zzzzzz,1,2021/10/07,12:00:01.000,2021/10/07,12:00:01.000,,1000,,,48,2,,,,,,0",
    "MSG,3,1,1,abc123,1,2021/13/07,12:00:01.000,2021/13/07,12:00:01.000,,1000,,,48,2,,,,,,0",
    "MSG,3,1,1,abc123,1,2021/10/07,25:00:01.000,2021/10/07,25:00:01.000,,1000,,,48,2,,,,,,0",
    "MSG,3,1,1,abc123,1,2021/10/07,12:00:01.000,2021/10/07,12:00:01.000,,1e3x,,,48,2,,,,,,0",
    "MSG,3,1,1,abc123,1,2021/10/07,12:00:01.000,2021/10/07,12:00:01.000,,1000,,,48,,,,,,,0",
]
VALUES = [
    ("nan", "48", "2", Rejection.ALTITUDE),
    ("1000", "nan", "2", Rejection.POSITION),
    ("1000", "95", "2", Rejection.POSITION),
    ("1000", "48", "inf", Rejection.POSITION),
    ("900000", "48", "2", Rejection.ALTITUDE),
]


def test_malformed_lines_are_counted_not_raised() -> None:
    parser = SbsParser()
    assert list(parser.parse(BAD)) == []
    assert parser.stats.rejected == {Rejection.MALFORMED: len(BAD)}


@pytest.mark.parametrize(("altitude", "lat", "lon", "reason"), VALUES)
def test_impossible_values_are_counted(altitude: str, lat: str, lon: str, reason) -> None:
    parser = SbsParser()
    lines = [
        msg(4, "abc123", "12:00:00.000", speed="300", track="10", vertical="0"),
        msg(3, "abc123", "12:00:01.000", altitude=altitude, lat=lat, lon=lon),
        msg(3, "abc123", "12:00:02.000", altitude="1000", lat="48", lon="2"),
    ]
    reports = list(parser.parse(lines))
    assert [r.time % 60 for r in reports] == [2.0]  # the bad value did not stick
    assert parser.stats.rejected == {reason: 1}


def test_abusive_speeds_and_rates_are_counted() -> None:
    parser = SbsParser()
    lines = [
        msg(4, "abc123", "12:00:00.000", speed="9000", track="10", vertical="0"),
        msg(4, "abc123", "12:00:00.100", speed="300", track="10", vertical="99999"),
    ]
    assert list(parser.parse(lines)) == []
    assert parser.stats.rejected == {Rejection.SPEED: 1, Rejection.VERTICAL_RATE: 1}


def test_duplicates_and_time_going_backwards_are_counted() -> None:
    parser = SbsParser()
    velocity = msg(4, "abc123", "12:00:00.000", speed="300", track="10", vertical="0")
    at = [
        msg(3, "abc123", c, altitude="1000", lat="48", lon="2")
        for c in ("12:00:02", "12:00:02", "12:00:01")
    ]
    assert len(list(parser.parse([velocity, *at]))) == 1
    assert parser.stats.rejected == {Rejection.DUPLICATE: 1, Rejection.BACKWARDS: 1}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("MSG,0123456789.:/-abcdefn ")), max_size=90)))
def test_arbitrary_text_never_raises(lines: list[str]) -> None:
    parser = SbsParser()
    for _ in parser.parse(lines):
        pass


@pytest.mark.skipif(not PARIS.exists(), reason="recordings not available")
def test_a_recording_written_as_sbs_reads_back() -> None:
    """Rows of the Paris recording as MSG,4 + MSG,3 lines give the same reports."""
    from deconflict.feeds.recording import Recording

    expected = list(itertools.islice(Recording(PARIS), 2000))
    lines = []
    with gzip.open(PARIS, "rt") as handle:
        next(handle)
        for row in itertools.islice(handle, 3000):
            t, icao, _, lat, lon, alt, speed, track, vertical = row.strip().split(",")
            clock = datetime.fromtimestamp(int(t) / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]
            if speed:
                lines.append(msg(4, icao, clock, speed=speed, track=track, vertical=vertical))
            lines.append(msg(3, icao, clock, altitude=alt, lat=lat, lon=lon))
    parsed = list(SbsParser().parse(lines))
    assert len(parsed) > 1500
    for got, want in zip(parsed, expected, strict=False):
        assert (got.aircraft, got.time, got.lon, got.lat) == (
            want.aircraft,
            want.time,
            want.lon,
            want.lat,
        )
        assert got.alt == pytest.approx(want.alt)
        assert got.ground_speed == pytest.approx(want.ground_speed)
