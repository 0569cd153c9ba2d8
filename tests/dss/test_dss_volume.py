"""The standard's Volume4D read as the hub's volumes: the rules that need no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from dss_helpers import volume4d

from deconflict.geo.volume import MAX_VALIDITY_S
from deconflict.model.dss import DssBadRequest, check_base_url
from deconflict.model.dss_volume import OutsideAirspace, parse_volume4d

NOW = 1_900_000_000.0
YEAR = 365 * 86400.0


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (NOW - 2 * YEAR, NOW + 2 * YEAR),  # around now: from now on
        (NOW + 86400, NOW + 3 * YEAR),  # all ahead: from its start
        (NOW - 3 * YEAR, NOW - YEAR),  # all past: its last stretch
    ],
)
def test_a_long_query_is_cut_to_the_hubs_horizon(start: float, end: float) -> None:
    area = volume4d(start=start, end=end)
    window = parse_volume4d(area, "a", now=NOW, complete=False, query=True).window
    assert window.end - window.start <= MAX_VALIDITY_S
    assert start <= window.start < window.end <= end
    if start <= NOW <= end:
        assert window.start <= NOW
    if end < NOW:
        assert window.end == end


def test_an_open_query_reaches_the_horizon_a_subscription_a_day() -> None:
    area = {"volume": volume4d()["volume"]}
    query = parse_volume4d(area, "a", now=NOW, complete=False, query=True).window
    subscription = parse_volume4d(area, "a", now=NOW, complete=False).window
    assert (query.start, query.end) == (NOW, NOW + MAX_VALIDITY_S)
    assert (subscription.start, subscription.end) == (NOW, NOW + 86400)


def test_altitudes_of_areas_are_clamped_and_of_entities_bounded() -> None:
    wide = volume4d(lower=-3000, upper=60_000, start=NOW, end=NOW + 60)
    band = parse_volume4d(wide, "a", now=NOW, complete=False).band
    assert (band.lower, band.upper) == (-500, 30_000)
    with pytest.raises(DssBadRequest):
        parse_volume4d(wide, "a", now=NOW, complete=True)
    with pytest.raises(OutsideAirspace):
        parse_volume4d(volume4d(lower=40_000, upper=50_000), "a", now=NOW, complete=False)
    with pytest.raises(DssBadRequest):
        parse_volume4d(volume4d(upper=100_001), "a", now=NOW, complete=False)


def test_times_name_their_offset() -> None:
    """'Z', or another explicit offset for the same instant (as InterUSS's DSS takes it);
    never a local time without one."""
    area = volume4d(start=NOW, end=NOW + 60)
    zulu = parse_volume4d(area, "a", now=NOW, complete=True).window
    end = datetime.fromtimestamp(NOW + 60, UTC).astimezone(timezone(timedelta(hours=-5)))
    area["time_end"] = {"value": end.isoformat(), "format": "RFC3339"}
    assert parse_volume4d(area, "a", now=NOW, complete=True).window == zulu
    area["time_end"] = {"value": end.replace(tzinfo=None).isoformat(), "format": "RFC3339"}
    with pytest.raises(DssBadRequest, match="offset"):
        parse_volume4d(area, "a", now=NOW, complete=True)


@pytest.mark.parametrize(
    ("url", "http", "good"),
    [
        ("https://uss.example.com", False, True),
        ("https://uss.example.com:8443/utm/v2", False, True),
        ("https://[2001:db8::1]/utm", False, True),
        ("http://localhost:8074", True, True),
        ("http://localhost:8074", False, False),
        ("https://uss.example.com/", False, False),
        ("https://uss.example.com:99999", False, False),
        ("https://[2001:db8::1/utm", False, False),
        ("ftp://uss.example.com", False, False),
        ("https://uss.example.com#part", False, False),
        ("//uss.example.com", False, False),
    ],
)
def test_base_urls(url: str, http: bool, good: bool) -> None:
    if good:
        assert check_base_url(url, "uss_base_url", http=http) == url
    else:
        with pytest.raises(DssBadRequest):
            check_base_url(url, "uss_base_url", http=http)
