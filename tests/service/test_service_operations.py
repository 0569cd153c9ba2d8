"""Operations over HTTP, on both backends: lifecycle, conflicts, what-if, priority,
idempotency, optimistic concurrency, changes that keep or worsen a conflict, late notice,
search and pagination."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
from live_server import Service
from service_helpers import (
    CENTRE,
    assert_problem,
    box_ring,
    collection,
    iso,
    later,
    make_agreement,
    make_party,
    moved,
    op,
    parse_iso,
    polygon_feature,
    route_feature,
    unique,
)


def parties(service: Service, *names: str, **agreement: Any) -> dict[str, httpx.Client]:
    """Create the parties (and, if given, the agreement of the first two); their clients."""
    admin = service.admin()
    for name in names:
        make_party(admin, name)
    if agreement:
        make_agreement(admin, names[0], names[1], **agreement)
    return {"admin": admin, **{name: service.client(name) for name in names}}


def shifted(text: str, seconds: float) -> str:
    return iso(parse_iso(text) + seconds)


# --- lifecycle -------------------------------------------------------------------------


def test_submit_get_activate_end_and_history(service: Service) -> None:
    c = parties(service, "red", "blue")
    red, blue = c["red"], c["blue"]
    ident = unique("red-op")
    before = time.time()
    answer = red.post("/v1/operations", json=op(ident, "red", callsign="RED 1"))
    after = time.time()
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert answer.headers["location"] == f"/v1/operations/{ident}"
    assert answer.headers["etag"] == '"1"'
    assert (body["id"], body["party"], body["version"], body["state"]) == (
        ident,
        "red",
        1,
        "accepted",
    )
    assert body["replayed"] is False and body["conflicts"] == [] and body["overridden"] == []
    assert before - 1 <= parse_iso(body["submitted_at"]) <= after + 1
    assert body["geojson"]["features"][0]["properties"]["callsign"] == "RED 1"

    got = red.get(f"/v1/operations/{ident}")
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    assert got.json()["geojson"] == body["geojson"]

    activated = red.post(f"/v1/operations/{ident}:activate", headers={"If-Match": '"1"'})
    assert activated.status_code == 200, activated.text
    assert (activated.json()["state"], activated.json()["version"]) == ("activated", 2)
    assert activated.headers["etag"] == '"2"'

    # While it flies, another party cannot take its airspace.
    assert_problem(blue.post("/v1/operations", json=op(unique("blue-op"), "blue")), 409)

    ended = red.post(f"/v1/operations/{ident}:end", params={"version": 2})
    assert ended.status_code == 200, ended.text
    assert (ended.json()["state"], ended.json()["version"]) == ("ended", 3)

    # Ended: the airspace is free at once, and the operation cannot come back.
    assert blue.post("/v1/operations", json=op(unique("blue-op"), "blue")).status_code == 201
    for verb in ("activate", "cancel", "end"):
        problem = assert_problem(red.post(f"/v1/operations/{ident}:{verb}"), 409)
        assert problem["type"].endswith("/invalid-transition")

    history = red.get(f"/v1/operations/{ident}/history")
    assert history.status_code == 200
    versions = history.json()["versions"]
    assert [(v["version"], v["state"]) for v in versions] == [
        (1, "accepted"),
        (2, "activated"),
        (3, "ended"),
    ]
    assert all(v["geojson"]["features"][0]["id"] == ident for v in versions)


def test_cancel_frees_the_airspace_and_is_final(service: Service) -> None:
    c = parties(service, "red", "blue")
    red, blue = c["red"], c["blue"]
    ident = unique("red-op")
    assert red.post("/v1/operations", json=op(ident, "red")).status_code == 201
    assert_problem(blue.post("/v1/operations", json=op(unique("blue"), "blue")), 409)
    cancelled = red.post(f"/v1/operations/{ident}:cancel", headers={"If-Match": '"1"'})
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    assert blue.post("/v1/operations", json=op(unique("blue"), "blue")).status_code == 201
    assert_problem(red.post(f"/v1/operations/{ident}:activate"), 409)
    changed = red.put(f"/v1/operations/{ident}", json=op(ident, "red"), params={"version": 2})
    assert_problem(changed, 409)
    listed = red.get("/v1/operations", params={"state": "cancelled"}).json()["operations"]
    assert [o["id"] for o in listed] == [ident]


def test_an_existing_id_is_refused_alike_whoever_holds_it(service: Service) -> None:
    c = parties(service, "red", "blue")
    ident = unique("op")
    assert c["red"].post("/v1/operations", json=op(ident, "red")).status_code == 201
    again = assert_problem(c["red"].post("/v1/operations", json=op(ident, "red", lon=40)), 409)
    assert again["type"].endswith("/already-exists") and again["pointer"] == "/features/0/id"
    # Blue asks for red's id far outside anything it may see: the same answer word for
    # word, which names neither red nor anything of red's operation.
    theirs = assert_problem(c["blue"].post("/v1/operations", json=op(ident, "blue", lon=40)), 409)
    assert theirs == again and "red" not in json.dumps(theirs)


def test_a_zone_id_of_another_party_is_refused_as_taken(service: Service) -> None:
    c = parties(service, "red", "blue")
    ident = unique("zone")
    zone = {"geojson": collection(polygon_feature(ident, "red", box_ring(36.0, 34.0, 0.1)))}
    assert c["red"].post("/v1/zones", json=zone).status_code == 201
    blues = {"geojson": collection(polygon_feature(ident, "blue", box_ring(38.0, 30.0, 0.1)))}
    posted = assert_problem(c["blue"].post("/v1/zones", json=blues), 409)
    assert posted["type"].endswith("/already-exists")
    assert posted["pointer"] == "/geojson/features/0/id" and "red" not in json.dumps(posted)
    mine = {"geojson": collection(polygon_feature(ident, "red", box_ring(36.0, 34.0, 0.2)))}
    own = assert_problem(c["red"].post("/v1/zones", json=mine), 412)  # yours: give a version
    assert "version" in own["detail"]
    # Changing it is changing another party's object: not found, as for operations.
    changed = c["blue"].put(f"/v1/zones/{ident}", json=blues, params={"version": 1})
    assert_problem(changed, 404)
    free = unique("zone")
    fresh = {"geojson": collection(polygon_feature(free, "blue", box_ring(38.0, 30.0, 0.1)))}
    assert c["blue"].post("/v1/zones", json=fresh).status_code == 201


def test_a_route_occupies_each_leg_only_during_its_own_window(service: Service) -> None:
    c = parties(service, "red", "blue")
    t0 = time.time() + 2 * 3600
    a, m, b = (36.0, 34.0), (36.2, 34.0), (36.4, 34.0)
    times = [iso(round(t0)), iso(round(t0 + 1800)), iso(round(t0 + 3600))]
    route = route_feature(
        unique("route"), "red", [[*a, 500], [*m, 500], [*b, 500]], times, callsign="R7"
    )
    answer = c["red"].post("/v1/operations", json=collection(route))
    assert answer.status_code == 201, answer.text
    assert answer.json()["geojson"]["features"][0]["geometry"]["type"] == "LineString"
    late_window = {"start": iso(round(t0 + 2400)), "end": iso(round(t0 + 4800))}
    # At the first waypoint after the first leg is flown: free.
    at_a = op(unique("blue-a"), "blue", lon=a[0], lat=a[1], radius=500, **late_window)
    assert c["blue"].post("/v1/operations", json=at_a).status_code == 201
    # At the last waypoint while the second leg is flown: taken.
    at_b = op(unique("blue-b"), "blue", lon=b[0], lat=b[1], radius=500, **late_window)
    problem = assert_problem(c["blue"].post("/v1/operations", json=at_b), 409)
    assert [x["other"] for x in problem["conflicts"]] == [route["id"]]


# --- conflicts and suggestions ----------------------------------------------------------


def test_a_conflict_is_refused_with_conflicts_and_working_suggestions(service: Service) -> None:
    c = parties(service, "red", "blue", horizontal="1 km", vertical="100 m")
    red_id = unique("red")
    assert c["red"].post("/v1/operations", json=op(red_id, "red")).status_code == 201
    start, end = later(2), later(3)
    plan = op(unique("blue"), "blue", start=start, end=end)
    answer = c["blue"].post("/v1/operations", json=plan)
    problem = assert_problem(answer, 409)
    assert problem["type"].endswith("/conflict")
    (conflict,) = problem["conflicts"]
    assert conflict["other"] == red_id and conflict["other_party"] == "red"
    assert conflict["other_kind"] == "operation"
    assert conflict["minima"] == {"horizontal_m": 1000.0, "vertical_m": 100.0, "time_s": 0.0}
    assert conflict["min_horizontal_gap_m"] == 0.0 and conflict["encounters"] >= 1
    for member in ("first", "worst"):
        assert {"start", "end", "position", "horizontal_gap_m"} <= set(conflict[member])
    kinds = {s["kind"]: s for s in problem["suggestions"]}
    assert kinds, "a refusal comes with suggestions"
    for suggestion in problem["suggestions"]:
        assert suggestion["kind"] in ("delay", "altitude", "offset")
        assert isinstance(suggestion["amount"], float | int) and suggestion["text"]
    # Nothing was written.
    assert c["blue"].get(f"/v1/operations/{plan['features'][0]['id']}").status_code == 404
    # The suggestions are verified: following one is accepted.
    if "delay" in kinds:
        seconds = kinds["delay"]["amount"]
        delayed = op(
            unique("blue"), "blue", start=shifted(start, seconds), end=shifted(end, seconds)
        )
        assert c["blue"].post("/v1/operations", json=delayed).status_code == 201
    if "altitude" in kinds:
        metres = kinds["altitude"]["amount"]
        moved_up = op(
            unique("blue"), "blue", start=start, end=end, lower=metres, upper=1000 + metres
        )
        assert c["blue"].post("/v1/operations", json=moved_up).status_code == 201


def test_what_if_answers_several_plans_without_writing(service: Service) -> None:
    c = parties(service, "red", "blue")
    red_op = unique("red")
    assert c["red"].post("/v1/operations", json=op(red_op, "red")).status_code == 201
    zone = collection(polygon_feature(unique("zone"), "red", box_ring(38.0, 34.0, 0.05)))
    assert c["red"].post("/v1/zones", json={"geojson": zone}).status_code == 201
    plans = [
        op(unique("p-conflict"), "blue"),
        op(unique("p-clear"), "blue", lon=37.0),
        op(unique("p-zone"), "blue", lon=38.0),
    ]
    answer = c["blue"].post("/v1/operations:check", json={"plans": plans})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["id"] for r in results] == [p["features"][0]["id"] for p in plans]
    assert [r["would_be"] for r in results] == ["rejected", "accepted", "pending"]
    assert [r["clear"] for r in results] == [False, True, False]
    assert results[0]["conflicts"][0]["other"] == red_op and results[0]["suggestions"]
    assert results[1]["conflicts"] == [] and results[1]["suggestions"] == []
    assert results[2]["conflicts"][0]["other_kind"] == "zone"
    for plan in plans:
        assert c["blue"].get(f"/v1/operations/{plan['features'][0]['id']}").status_code == 404
    listed = c["admin"].get("/v1/operations").json()["operations"]
    assert [o["id"] for o in listed] == [red_op]
    # Plans are checked for their own party only.
    foreign = c["blue"].post("/v1/operations:check", json={"plans": [op(unique("x"), "red")]})
    assert_problem(foreign, 403)


def test_a_higher_priority_operation_is_accepted_over_a_lower_one(service: Service) -> None:
    c = parties(service, "red", "blue")
    low = unique("red-low")
    assert c["red"].post("/v1/operations", json=op(low, "red", priority=1)).status_code == 201
    equal = c["blue"].post("/v1/operations", json=op(unique("blue-eq"), "blue", priority=1))
    assert_problem(equal, 409)
    high = unique("blue-high")
    answer = c["blue"].post("/v1/operations", json=op(high, "blue", priority=5))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["state"] == "accepted" and body["overridden"] == [low]
    assert [x["other"] for x in body["conflicts"]] == [low]
    marked = c["red"].get(f"/v1/operations/{low}").json()
    assert marked["overridden_by"] == [high] and marked["version"] == 2
    assert marked["state"] == "accepted"
    # A new lower-priority plan cannot take the higher one's airspace.
    lower = c["red"].post("/v1/operations", json=op(unique("red-2"), "red", priority=4))
    assert [x["other"] for x in assert_problem(lower, 409)["conflicts"]] == [high]


# --- idempotency -----------------------------------------------------------------------


def test_a_retried_submission_is_applied_once(service: Service) -> None:
    c = parties(service, "red", "blue")
    ident = unique("op")
    body = op(ident, "red")
    key = {"Idempotency-Key": unique("key")}
    first = c["red"].post("/v1/operations", json=body, headers=key)
    second = c["red"].post("/v1/operations", json=body, headers=key)
    assert first.status_code == 201 and first.json()["replayed"] is False
    assert second.status_code == 200, second.text
    assert second.json()["replayed"] is True
    assert (second.json()["id"], second.json()["version"]) == (ident, 1)
    assert second.headers["location"] == f"/v1/operations/{ident}"
    listed = c["red"].get("/v1/operations").json()["operations"]
    assert [o["id"] for o in listed] == [ident]
    assert len(c["red"].get(f"/v1/operations/{ident}/history").json()["versions"]) == 1

    other_body = c["red"].post("/v1/operations", json=op(unique("op"), "red"), headers=key)
    problem = assert_problem(other_body, 422)
    assert problem["type"].endswith("/idempotency-key-reused")
    # Keys belong to a party: another party's same key is another request.
    blue_id = unique("blue")
    blue = c["blue"].post("/v1/operations", json=op(blue_id, "blue", lon=37), headers=key)
    assert blue.status_code == 201 and blue.json()["id"] == blue_id


def test_concurrent_retries_are_applied_once(service: Service) -> None:
    c = parties(service, "red")
    anomalies = []
    for attempt in range(50):  # the race is narrow: try it many times
        ident = unique("op")
        body = op(ident, "red", lon=30 + attempt * 0.01, lat=30, radius=100)
        key = {"Idempotency-Key": unique("key")}
        answers: list[httpx.Response] = []
        lock = threading.Lock()
        start = threading.Barrier(8)

        def retry(
            body: dict[str, Any] = body,
            key: dict[str, str] = key,
            answers: list[httpx.Response] = answers,
            start: threading.Barrier = start,
            lock: threading.Lock = lock,
        ) -> None:
            with httpx.Client(base_url=service.url, headers=c["red"].headers, timeout=60) as own:
                start.wait()
                answer = own.post("/v1/operations", json=body, headers=key)
                with lock:
                    answers.append(answer)

        threads = [threading.Thread(target=retry) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(a.status_code for a in answers)
        replays = sum(a.json().get("replayed") is True for a in answers)
        ids = {a.json().get("id") for a in answers}
        if statuses != [200] * 7 + [201] or replays != 7 or ids != {ident}:
            anomalies.append((attempt, statuses, [a.json().get("type") for a in answers]))
        assert c["red"].get(f"/v1/operations/{ident}/history").json()["versions"][0]["version"] == 1
    assert not anomalies, anomalies[:3]


def test_a_retried_change_is_replayed(service: Service) -> None:
    c = parties(service, "red")
    ident = unique("op")
    assert c["red"].post("/v1/operations", json=op(ident, "red")).status_code == 201
    headers = {"If-Match": '"1"', "Idempotency-Key": unique("key")}
    body = op(ident, "red", lon=36.01)
    first = c["red"].put(f"/v1/operations/{ident}", json=body, headers=headers)
    assert first.status_code == 200
    second = c["red"].put(f"/v1/operations/{ident}", json=body, headers=headers)
    assert second.status_code == 200, second.text
    assert second.json()["replayed"] is True and second.json()["version"] == 2
    other = c["red"].put(
        f"/v1/operations/{ident}", json=op(ident, "red", lon=36.02), headers=headers
    )
    assert assert_problem(other, 422)["type"].endswith("/idempotency-key-reused")
    versions = c["red"].get(f"/v1/operations/{ident}/history").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]


def test_a_retried_cancel_is_replayed(service: Service) -> None:
    c = parties(service, "red")
    ident = unique("op")
    assert c["red"].post("/v1/operations", json=op(ident, "red")).status_code == 201
    key = {"Idempotency-Key": unique("key")}
    assert c["red"].post(f"/v1/operations/{ident}:cancel", headers=key).status_code == 200
    again = c["red"].post(f"/v1/operations/{ident}:cancel", headers=key)
    assert again.status_code == 200, again.text
    assert again.json()["replayed"] is True and again.json()["version"] == 2


def test_a_retried_zone_declaration_is_replayed(service: Service) -> None:
    c = parties(service, "red")
    zone = {"geojson": collection(polygon_feature(unique("zone"), "red", box_ring(*CENTRE, 0.1)))}
    key = {"Idempotency-Key": unique("key")}
    assert c["red"].post("/v1/zones", json=zone, headers=key).status_code == 201
    again = c["red"].post("/v1/zones", json=zone, headers=key)
    assert again.status_code == 200, again.text
    assert again.json().get("replayed") is True and again.json()["version"] == 1


# --- optimistic concurrency ------------------------------------------------------------


def test_changes_name_the_version_they_change(service: Service) -> None:
    c = parties(service, "red")
    red = c["red"]
    ident = unique("op")
    assert red.post("/v1/operations", json=op(ident, "red")).status_code == 201
    url = f"/v1/operations/{ident}"

    missing = assert_problem(red.put(url, json=op(ident, "red", lon=36.01)), 422)
    assert "version" in missing["detail"]

    first = red.put(url, json=op(ident, "red", lon=36.01), headers={"If-Match": '"1"'})
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 2 and first.headers["etag"] == '"2"'

    stale = red.put(url, json=op(ident, "red", lon=36.02), headers={"If-Match": '"1"'})
    problem = assert_problem(stale, 412)
    assert problem["type"].endswith("/stale-version") and problem["current"] == 2
    assert red.get(url).json()["geojson"]["features"][0]["geometry"]["coordinates"][0] == 36.01

    by_query = red.put(url, json=op(ident, "red", lon=36.03), params={"version": 2})
    assert by_query.status_code == 200 and by_query.json()["version"] == 3
    weak = red.put(url, json=op(ident, "red", lon=36.04), headers={"If-Match": 'W/"3"'})
    assert weak.status_code == 200 and weak.json()["version"] == 4
    assert_problem(red.put(url, json=op(ident, "red"), headers={"If-Match": "junk"}), 412)
    assert_problem(red.post(f"{url}:activate", headers={"If-Match": '"3"'}), 412)
    assert_problem(red.post(f"{url}:cancel", params={"version": 1}), 412)
    assert red.get(url).json()["state"] == "accepted"
    history = red.get(f"{url}/history").json()["versions"]
    assert [v["version"] for v in history] == [1, 2, 3, 4]

    # The body must describe the operation in the path.
    other = red.put(url, json=op(unique("other"), "red"), headers={"If-Match": '"4"'})
    assert assert_problem(other, 422)["pointer"]


def test_a_change_that_keeps_an_old_conflict_no_worse_is_accepted(service: Service) -> None:
    c = parties(service, "red", "blue", horizontal="1 km", vertical="100 m")
    red, blue = c["red"], c["blue"]
    start, end = later(2), later(3)
    # Red's low-priority operation shares the last half hour of blue's window.
    own_start, own_end = shifted(start, 1800), shifted(end, 1800)
    low = unique("red-low")
    body = op(low, "red", start=own_start, end=own_end)
    assert red.post("/v1/operations", json=body).status_code == 201
    # Blue's higher-priority operation is accepted 600 m from it (minimum 1 km).
    high_at = moved(CENTRE, 90, 4600)
    high = unique("blue-high")
    body = op(high, "blue", lon=high_at[0], lat=high_at[1], priority=5, start=start, end=end)
    assert blue.post("/v1/operations", json=body).status_code == 201
    assert red.get(f"/v1/operations/{low}").json()["overridden_by"] == [high]

    def plan(point: tuple[float, float], **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("start", own_start)
        kwargs.setdefault("end", own_end)
        return op(low, "red", lon=point[0], lat=point[1], **kwargs)

    # 200 m further away: the conflict stands but is no worse, so the change is accepted.
    away = moved(CENTRE, 270, 200)
    better = red.put(f"/v1/operations/{low}", json=plan(away), headers={"If-Match": '"2"'})
    assert better.status_code == 200, better.text
    assert better.json()["version"] == 3
    assert [x["other"] for x in better.json()["conflicts"]] == [high]

    # Closer than before, or longer in conflict: refused, and the old version stays.
    closer = moved(CENTRE, 90, 300)
    worse = red.put(f"/v1/operations/{low}", json=plan(closer), headers={"If-Match": '"3"'})
    assert [x["other"] for x in assert_problem(worse, 409)["conflicts"]] == [high]
    longer = plan(away, start=start)
    worse = red.put(f"/v1/operations/{low}", json=longer, headers={"If-Match": '"3"'})
    assert [x["other"] for x in assert_problem(worse, 409)["conflicts"]] == [high]
    kept = red.get(f"/v1/operations/{low}").json()
    assert kept["version"] == 3
    assert kept["geojson"]["features"][0]["geometry"]["coordinates"] == list(away)
    assert (kept["start"], kept["end"]) == (own_start, own_end)

    # A change into a new conflict is refused even though the old one is no worse.
    other = unique("blue-other")
    other_at = moved(CENTRE, 270, 9000)
    blue_body = op(other, "blue", lon=other_at[0], lat=other_at[1], start=start, end=end)
    assert blue.post("/v1/operations", json=blue_body).status_code == 201
    towards = moved(CENTRE, 270, 5000)
    added = red.put(f"/v1/operations/{low}", json=plan(towards), headers={"If-Match": '"3"'})
    assert other in [x["other"] for x in assert_problem(added, 409)["conflicts"]]
    assert red.get(f"/v1/operations/{low}").json()["version"] == 3

    # The version in force still holds its airspace.
    taken = op(unique("blue-3"), "blue", lon=away[0], lat=away[1], start=start, end=end)
    refused = assert_problem(blue.post("/v1/operations", json=taken), 409)
    assert low in [x["other"] for x in refused["conflicts"]]


def test_a_refused_change_keeps_the_old_version_in_force(service: Service) -> None:
    c = parties(service, "red", "blue")
    red, blue = c["red"], c["blue"]
    blue_op = unique("blue")
    assert blue.post("/v1/operations", json=op(blue_op, "blue", lon=37.0)).status_code == 201
    mine = unique("red")
    assert red.post("/v1/operations", json=op(mine, "red")).status_code == 201
    moved_onto_blue = red.put(
        f"/v1/operations/{mine}", json=op(mine, "red", lon=37.0), headers={"If-Match": '"1"'}
    )
    assert_problem(moved_onto_blue, 409)
    current = red.get(f"/v1/operations/{mine}").json()
    assert current["version"] == 1 and current["state"] == "accepted"
    assert current["geojson"]["features"][0]["geometry"]["coordinates"] == list(CENTRE)
    assert len(red.get(f"/v1/operations/{mine}/history").json()["versions"]) == 1
    assert_problem(blue.post("/v1/operations", json=op(unique("blue"), "blue")), 409)


# --- late notice ---------------------------------------------------------------------


def test_late_notice_is_flagged_by_the_hubs_clock(service: Service) -> None:
    c = parties(service, "red", "blue", "green", minimum_notice="3 h")
    red = c["red"]
    early = red.post(
        "/v1/operations", json=op(unique("early"), "red", start=later(4), end=later(5))
    )
    assert early.status_code == 201 and early.json()["late_notice"] == []
    before = time.time()
    late = red.post(
        "/v1/operations",
        json=op(
            unique("late"),
            "red",
            lon=37,
            start=later(2),
            end=later(3),
            submitted_at="2020-01-01T00:00:00Z",  # a free property: never the hub's time
        ),
    )
    after = time.time()
    assert late.status_code == 201, late.text
    body = late.json()
    assert body["late_notice"] == ["blue"]  # green agreed no notice with red
    assert before - 1 <= parse_iso(body["submitted_at"]) <= after + 1
    fetched = c["blue"].get(f"/v1/operations/{body['id']}").json()
    assert fetched["late_notice"] == ["blue"] and fetched["submitted_at"] == body["submitted_at"]
    # The client cannot send the hub's fields.
    forged = op(unique("forged"), "red", lon=38)
    forged["submitted_at"] = "2020-01-01T00:00:00Z"
    assert (
        assert_problem(red.post("/v1/operations", json=forged), 422)["pointer"] == "/submitted_at"
    )


def test_a_change_that_starts_too_soon_becomes_late(service: Service) -> None:
    c = parties(service, "red", "blue", minimum_notice="3 h")
    ident = unique("op")
    answer = c["red"].post("/v1/operations", json=op(ident, "red", start=later(5), end=later(6)))
    assert answer.json()["late_notice"] == []
    sooner = op(ident, "red", start=later(1), end=later(2))
    changed = c["red"].put(f"/v1/operations/{ident}", json=sooner, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json()["late_notice"] == ["blue"]
    assert changed.json()["submitted_at"] == answer.json()["submitted_at"]


# --- search and pagination -------------------------------------------------------------


def test_search_by_area_time_party_and_state(service: Service) -> None:
    c = parties(service, "red", "blue")
    red, blue = c["red"], c["blue"]
    here_now = unique("a")
    far_now = unique("b")
    here_later = unique("c")
    blue_here = unique("d")
    assert red.post("/v1/operations", json=op(here_now, "red")).status_code == 201
    assert red.post("/v1/operations", json=op(far_now, "red", lon=38.0)).status_code == 201
    body = op(here_later, "red", start=later(10), end=later(11))
    assert red.post("/v1/operations", json=body).status_code == 201
    body = op(blue_here, "blue", lower=2000, upper=3000)
    assert blue.post("/v1/operations", json=body).status_code == 201

    def ids(**params: Any) -> list[str]:
        answer = red.get("/v1/operations", params=params)
        assert answer.status_code == 200, answer.text
        return [o["id"] for o in answer.json()["operations"]]

    everything = sorted([here_now, far_now, here_later, blue_here])
    assert ids() == everything
    assert ids(bbox="35.9,33.9,36.1,34.1") == sorted([here_now, here_later, blue_here])
    assert ids(bbox="37.9,33.9,38.1,34.1") == [far_now]
    assert ids(bbox="20,20,21,21") == []
    assert ids(start=later(9), end=later(12)) == [here_later]
    assert ids(bbox="35.9,33.9,36.1,34.1", start=later(1), end=later(4)) == sorted(
        [here_now, blue_here]
    )
    assert ids(party="blue") == [blue_here]
    assert red.post(f"/v1/operations/{far_now}:cancel").status_code == 200
    assert ids(state="cancelled") == [far_now]
    assert ids(state=["accepted", "cancelled"]) == everything


def walk(client: httpx.Client, limit: int, **params: Any) -> tuple[list[str], int]:
    """Every id over all pages, and the number of pages."""
    seen, offset, pages = [], 0, 0
    while offset is not None:
        answer = client.get("/v1/operations", params={"limit": limit, "offset": offset, **params})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["limit"] == limit and body["offset"] == offset
        assert len(body["operations"]) <= limit
        seen += [o["id"] for o in body["operations"]]
        offset = body["next_offset"]
        pages += 1
        assert pages < 100
    return seen, pages


def test_pages_walk_every_visible_operation_exactly_once(service: Service) -> None:
    admin = service.admin()
    make_party(admin, "red")
    make_party(
        admin,
        "green",
        area_of_interest={"type": "Polygon", "coordinates": [box_ring(36.0, 34.0, 0.5)]},
    )
    red = service.client("red")
    inside, outside = [], []
    for n in range(23):
        ident = f"page-{n:02d}-{unique('op')}"
        lon = (36.0 if n % 2 == 0 else 39.0) + n * 0.01
        body = op(ident, "red", lon=lon, radius=100)
        assert red.post("/v1/operations", json=body).status_code == 201
        (inside if n % 2 == 0 else outside).append(ident)
    for limit in (1, 5, 7, 23, 100):
        seen, pages = walk(red, limit)
        assert seen == sorted(inside + outside)
        assert pages == -(-23 // limit)
    # A party that sees only some of them still gets whole pages of what it may see.
    green = service.client("green")
    seen, _ = walk(green, 4)
    assert seen == sorted(inside)
    assert set(seen).isdisjoint(outside)


def test_the_largest_page_still_links_to_the_next(service: Service) -> None:
    admin = service.admin()
    make_party(admin, "red")
    red = service.client("red")
    for n in range(501):
        lon, lat = 30 + (n % 25) * 0.2, 30 + (n // 25) * 0.2  # apart: each check is small
        body = op(f"bulk-{n:03d}-{unique('op')}", "red", lon=lon, lat=lat, radius=100)
        assert red.post("/v1/operations", json=body).status_code == 201
    first = red.get("/v1/operations", params={"limit": 500}).json()
    assert len(first["operations"]) == 500
    assert first["next_offset"] == 500
