"""Parties and the agreements between them (admin endpoints), and what agreements do."""

from __future__ import annotations

from live_server import Service
from service_helpers import CENTRE, assert_problem, box_ring, moved, op, unique


def test_a_party_is_created_replaced_read_and_removed(service: Service) -> None:
    admin = service.admin()
    body = {
        "name": "Red Force",
        "languages": ["en", "ru"],
        "webhook_url": "https://red.example/hook",
        "duty_contacts": [{"name": "Duty officer", "contact": "+1 555 0100"}],
        "area_of_interest": {"type": "Polygon", "coordinates": [box_ring(36.0, 34.0, 1.0)]},
        "grants": {"blue": "full"},
    }
    created = admin.put("/v1/parties/red", json=body)
    assert created.status_code == 201, created.text
    party = created.json()
    assert (party["id"], party["name"], party["languages"]) == ("red", "Red Force", ["en", "ru"])
    assert party["duty_contacts"] == [
        {"name": "Duty officer", "role": "duty officer", "contact": "+1 555 0100"}
    ]
    assert party["area_of_interest"]["type"] == "Polygon"
    assert party["grants"] == {"blue": "full"}

    replaced = admin.put("/v1/parties/red", json={"name": "Red"})
    assert replaced.status_code == 200
    assert replaced.json()["grants"] == {} and replaced.json()["area_of_interest"] is None
    assert admin.get("/v1/parties/red").json()["name"] == "Red"
    assert [p["id"] for p in admin.get("/v1/parties").json()["parties"]] == ["red"]
    own = service.client("red").get("/v1/parties/red")
    assert own.status_code == 200 and own.json()["name"] == "Red"

    assert admin.delete("/v1/parties/red").status_code == 204
    assert_problem(admin.get("/v1/parties/red"), 404)
    assert_problem(admin.delete("/v1/parties/red"), 404)


def test_webhook_urls_are_http_or_https(service: Service) -> None:
    admin = service.admin()
    for url in (
        "https://red.example/hook",
        "https://red.example:8443/hooks/notices?party=red",
        "http://127.0.0.1:9000/hook",  # plain http: signed bodies, no secrecy (docs)
        "HTTPS://[2001:db8::1]/hook",
    ):
        answer = admin.put("/v1/parties/red", json={"name": "Red", "webhook_url": url})
        assert answer.status_code in (200, 201), answer.text
        assert answer.json()["webhook_url"] == url
    refused = admin.put("/v1/parties/red", json={"name": "Red", "webhook_url": "file:///etc/x"})
    assert assert_problem(refused, 422)["pointer"] == "/webhook_url"
    assert admin.get("/v1/parties/red").json()["webhook_url"] == "HTTPS://[2001:db8::1]/hook"


def test_the_longest_minimum_notice_is_a_month(service: Service) -> None:
    admin = service.admin()
    for party in ("red", "blue"):
        admin.put(f"/v1/parties/{party}", json={"name": party})
    month = {"parties": ["red", "blue"], "minimum_notice": "P30D"}
    assert admin.put("/v1/agreements", json=month).json()["minimum_notice_s"] == 30 * 86400
    longer = admin.put("/v1/agreements", json={**month, "minimum_notice": 30 * 86400 + 1})
    problem = assert_problem(longer, 422)
    assert problem["pointer"] == "/minimum_notice" and "30 days" in problem["detail"]
    kept = admin.get("/v1/agreements").json()["agreements"][0]
    assert kept["minimum_notice_s"] == 30 * 86400


def test_agreements_convert_units_and_are_replaced(service: Service) -> None:
    admin = service.admin()
    for party in ("red", "blue"):
        admin.put(f"/v1/parties/{party}", json={"name": party})
    agreed = admin.put(
        "/v1/agreements",
        json={
            "parties": ["red", "blue"],
            "horizontal": "5 NM",
            "vertical": "1000 ft",
            "time_buffer": "10 min",
            "minimum_notice": "PT2H",
        },
    )
    assert agreed.status_code == 200, agreed.text
    assert agreed.json() == {
        "parties": ["blue", "red"],
        "horizontal_m": 9260.0,
        "vertical_m": 304.8,
        "time_buffer_s": 600.0,
        "minimum_notice_s": 7200.0,
    }
    again = admin.put("/v1/agreements", json={"parties": ["blue", "red"], "horizontal": 100})
    assert again.status_code == 200
    (only,) = admin.get("/v1/agreements").json()["agreements"]
    assert (only["horizontal_m"], only["minimum_notice_s"]) == (100.0, 0.0)


def test_an_agreement_sets_the_minima_between_its_parties(service: Service) -> None:
    admin = service.admin()
    for party in ("red", "blue", "green"):
        admin.put(f"/v1/parties/{party}", json={"name": party})
    red, blue, green = (service.client(p) for p in ("red", "blue", "green"))
    assert red.post("/v1/operations", json=op(unique("red"), "red")).status_code == 201
    # Edges 3 km apart: clear with no agreement ...
    east = moved(CENTRE, 90, 7000)
    ident = unique("green")
    plan = op(ident, "green", lon=east[0], lat=east[1])
    assert green.post("/v1/operations", json=plan).status_code == 201
    assert green.post(f"/v1/operations/{ident}:cancel").status_code == 200
    # ... in conflict between red and blue once they agree on 5 km.
    admin.put("/v1/agreements", json={"parties": ["red", "blue"], "horizontal": "5 km"})
    plan = op(unique("blue"), "blue", lon=east[0], lat=east[1], lower=2000, upper=3000)
    assert blue.post("/v1/operations", json=plan).status_code == 201  # vertically clear
    plan = op(unique("blue"), "blue", lon=east[0], lat=east[1])
    problem = assert_problem(blue.post("/v1/operations", json=plan), 409)
    (conflict,) = problem["conflicts"]
    assert conflict["other_party"] == "red"
    assert conflict["minima"]["horizontal_m"] == 5000.0
    assert 2990 < conflict["min_horizontal_gap_m"] < 3010
