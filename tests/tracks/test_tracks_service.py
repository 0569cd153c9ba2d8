"""/v1/tracks, /v1/alerts and /v1/tracks/stream over HTTP, on SQLite and PostgreSQL:
bad input counted (never a 500), attribution, need-to-know, alerts from the server's
own cycle, and the stream with Last-Event-ID resume."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import httpx
from live_server import READ, Service
from service_helpers import (
    CENTRE,
    assert_problem,
    box_ring,
    iso,
    later,
    make_party,
    moved,
    op,
)
from tracks_helpers import head_on

POLL_S = 0.2
DEADLINE_S = 30.0


def good(aircraft: str, when: float, **extra: Any) -> dict[str, Any]:
    lon, lat = moved(CENTRE, 45.0, 1000.0)
    return {
        "aircraft": aircraft,
        "time": when,
        "lon": lon,
        "lat": lat,
        "alt": 1500.0,
        "ground_speed": 80.0,
        "track": 45.0,
        "vertical_rate": 0.0,
        **extra,
    }


def test_a_batch_counts_and_explains_every_bad_report(service: Service) -> None:
    red = service.client("red")
    now = time.time()
    batch: list[Any] = [
        good("a00001", now),
        good("a00001", now),  # duplicate
        good("a00001", now - 1),  # backwards
        good("a00002", now, lon=math.nan),
        good("a00003", now, lat=91.0),
        good("a00004", now, ground_speed=5000.0),
        good("a00005", now, alt=1e7),
        good("a00006", now - 3600),  # stale
        good("a00007", now + 600),  # future
        good("a00008", now, colour="red"),  # unknown field
        good("a00009", iso(now)),  # RFC 3339 time is fine
        {"aircraft": "a00010"},
        "not a report",
        None,
        good("bad id with spaces", now),
        good("a00011", now, operation="nobody-knows"),
    ]
    answer = red.post(
        "/v1/tracks",
        content=json.dumps(batch),  # json.dumps writes NaN, as a sloppy feeder would
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["accepted"] == 2
    assert body["reasons"] == {
        "altitude": 1,
        "backwards": 1,
        "duplicate": 1,
        "future": 1,
        "malformed": 5,
        "operation": 1,
        "position": 2,
        "speed": 1,
        "stale": 1,
    }
    assert body["rejected"] == len(batch) - 2
    assert [e["index"] for e in body["errors"]] == list(range(1, 10)) + list(range(11, 16))


def test_bodies_that_are_not_batches_get_problems(service: Service) -> None:
    red = service.client("red")
    assert_problem(red.post("/v1/tracks", json={"aircraft": "a"}), 422)
    assert_problem(
        red.post("/v1/tracks", content=b"[{", headers={"Content-Type": "application/json"}), 422
    )
    assert_problem(red.post("/v1/tracks", json=[{}] * 10_001), 422)
    assert_problem(
        red.post(
            "/v1/tracks", content=b"x" * 2_000_000, headers={"Content-Type": "application/json"}
        ),
        413,
    )
    assert_problem(service.client("red", (READ,)).post("/v1/tracks", json=[]), 403)
    assert_problem(service.client(authenticated=False).post("/v1/tracks", json=[]), 401)
    assert_problem(service.client(authenticated=False).get("/v1/tracks"), 401)


def test_attribution_and_need_to_know(service: Service) -> None:
    admin = service.admin()
    far_away = {"type": "Polygon", "coordinates": [box_ring(10.0, 50.0, 1.0)]}
    make_party(admin, "red")
    make_party(admin, "blue", area_of_interest=far_away)
    make_party(admin, "green")
    red, blue, green = service.client("red"), service.client("blue"), service.client("green")
    answer = red.post(
        "/v1/operations",
        json=op(
            "red-1",
            "red",
            callsign="RED 1",
            transponder="a0a0a0",
            start=later(0.25),  # within the hour: it may claim aircraft already
            end=later(2),
        ),
    )
    assert answer.status_code == 201, answer.text
    now = time.time()
    batch = [
        good("a0a0a0", now),  # by transponder
        good("c0ffee", now, callsign="RED1"),  # by callsign, spaces ignored
        good("beef01", now, operation="red-1"),  # by operation id
        good("f00d01", now, own=True, callsign="RED9"),  # red's, without an operation
        good("dead01", now, callsign="ZZZ"),  # nobody's
    ]
    answer = green.post("/v1/tracks", json=batch[:2] + batch[4:])
    assert answer.json()["accepted"] == 3
    assert red.post("/v1/tracks", json=batch[2:4]).json()["accepted"] == 2
    seen = {t["aircraft"]: t for t in red.get("/v1/tracks").json()["tracks"]}
    assert {a: (t["party"], t["operation"]) for a, t in seen.items()} == {
        "a0a0a0": ("red", "red-1"),
        "c0ffee": ("red", "red-1"),
        "beef01": ("red", "red-1"),
        "f00d01": ("red", None),
        "dead01": (None, None),
    }
    assert all(t["live"] for t in seen.values())
    # Blue looks elsewhere: none of it is in its area of interest.
    assert blue.get("/v1/tracks").json()["tracks"] == []
    # Green sees red's aircraft at volumes detail (no callsign, no operation), the
    # aircraft its own feed reported in full, and the unknown one.
    seen = {t["aircraft"]: t for t in green.get("/v1/tracks").json()["tracks"]}
    assert seen["f00d01"]["callsign"] is None and seen["f00d01"]["operation"] is None
    assert seen["a0a0a0"]["operation"] == "red-1" and seen["a0a0a0"]["detail"] == "full"
    assert seen["dead01"]["callsign"] == "ZZZ"
    far = green.get("/v1/tracks", params={"bbox": "10,50,11,51"}).json()["tracks"]
    assert far == []
    assert_problem(green.get("/v1/tracks", params={"bbox": "1,2,3"}), 422)


def _wait_for(condition: Any, feed: Any) -> Any:
    """Feed fresh reports until the server's own cycle produces what `condition` finds."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        feed()
        found = condition()
        if found:
            return found
        time.sleep(POLL_S)
    raise AssertionError("the server's tactical cycle did not produce the alert in time")


def test_the_servers_cycle_raises_alerts_for_both_parties(service: Service) -> None:
    red, blue = service.client("red"), service.client("blue")
    t0 = time.time()
    west, east = head_on(t0, separation_m=30_000.0)

    def feed() -> None:
        now = time.time()
        red.post("/v1/tracks", json=[{**west.report(now), "own": True}])
        blue.post("/v1/tracks", json=[{**east.report(now), "own": True}])

    def open_alerts() -> list[dict[str, Any]]:
        return list(red.get("/v1/alerts").json()["alerts"])

    (alert,) = _wait_for(open_alerts, feed)
    assert alert["kind"] in ("predicted_loss", "loss")
    assert alert["parties"] == ["red", "blue"] and alert["aircraft"] == ["aaa001", "bbb002"]
    assert blue.get("/v1/alerts").json()["alerts"][0]["id"] == alert["id"]
    assert service.client("green").get("/v1/alerts").json()["alerts"] == []
    assert service.admin().get("/v1/alerts").json()["alerts"][0]["id"] == alert["id"]

    # The stream replays what came after Last-Event-ID, then goes on live.
    with red.stream(
        "GET", "/v1/tracks/stream", headers={"Last-Event-ID": "0"}, params={"tracks": True}
    ) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        events = _read_events(answer, until=lambda e: "tracks" in {x["event"] for x in e})
    alerts = [e for e in events if e["event"] == "alert"]
    assert alerts[0]["data"]["type"] == "opened" and alerts[0]["data"]["alert"]["id"] == alert["id"]
    first_id = int(alerts[0]["id"])
    (tracks,) = [e for e in events if e["event"] == "tracks"][:1]
    assert {t["aircraft"] for t in tracks["data"]["tracks"]} >= {"aaa001"}
    with red.stream(
        "GET",
        "/v1/tracks/stream",
        headers={"Last-Event-ID": str(first_id)},
        params={"tracks": False},
    ) as answer:
        resumed = _read_events(answer, until=lambda e: True, keep_alive_ends=True)
    assert all(int(e["id"]) > first_id for e in resumed if e["event"] == "alert")
    assert_problem(red.get("/v1/tracks/stream", headers={"Last-Event-ID": "x"}), 422)


def _read_events(
    answer: httpx.Response, until: Any, keep_alive_ends: bool = False
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in answer.iter_lines():
        if line.startswith(": keep-alive") and keep_alive_ends:
            return events
        if not line:
            if "event" in current:
                events.append(current)
                if until(events):
                    return events
            current = {}
            continue
        name, _, value = line.partition(": ")
        if name == "data":
            current["data"] = json.loads(value)
        elif name in ("event", "id"):
            current[name] = value
    return events


def test_a_silent_aircraft_is_shown_as_not_live(service: Service) -> None:
    red = service.client("red")
    now = time.time()
    answer = red.post("/v1/tracks", json=[good("0ld001", now - 40.0), good("a11ve1", now)])
    assert answer.json()["accepted"] == 2, answer.text
    default = {t["aircraft"] for t in red.get("/v1/tracks").json()["tracks"]}
    assert default == {"a11ve1"}  # the cycle's view: at most 20 s old
    longer = red.get("/v1/tracks", params={"max_age": 60}).json()["tracks"]
    assert {t["aircraft"]: t["live"] for t in longer} == {"0ld001": False, "a11ve1": True}
