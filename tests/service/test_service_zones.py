"""Zones and deconfliction lines over HTTP: versions, binding parties, acceptance,
history, withdrawal, and operations that wait (`pending`) for a zone owner's approval."""

from __future__ import annotations

from typing import Any

import httpx
from live_server import Service
from service_helpers import (
    assert_problem,
    box_ring,
    collection,
    make_party,
    op,
    polygon_feature,
    unique,
)

WEST = (36.0, 34.0)
EAST = (36.5, 34.0)


def zone_body(ident: str, party: str, centre: tuple[float, float], **kwargs: Any) -> dict:
    binds = kwargs.pop("binds", [])
    feature = polygon_feature(ident, party, box_ring(*centre, 0.05), **kwargs)
    return {"geojson": collection(feature), "binds": binds}


def clients(service: Service) -> dict[str, httpx.Client]:
    admin = service.admin()
    for name in ("red", "blue", "green"):
        make_party(admin, name)
    return {"admin": admin, **{n: service.client(n) for n in ("red", "blue", "green")}}


def submit(
    client: httpx.Client, party: str, centre: tuple[float, float], **kwargs: Any
) -> dict[str, Any]:
    body = op(unique(party), party, lon=centre[0], lat=centre[1], **kwargs)
    answer = client.post("/v1/operations", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_zone_without_binds_is_in_force_and_others_wait_for_approval(service: Service) -> None:
    c = clients(service)
    zone = unique("red-zone")
    answer = c["red"].post("/v1/zones", json=zone_body(zone, "red", WEST, name="Red area"))
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == f"/v1/zones/{zone}" and answer.headers["etag"] == '"1"'
    body = answer.json()
    assert (body["version"], body["in_force_version"], body["binds"]) == (1, 1, [])
    assert body["geojson"]["features"][0]["properties"]["name"] == "Red area"

    # Red's own operations ignore red's zone.
    assert submit(c["red"], "red", WEST, lower=2000, upper=3000)["state"] == "accepted"
    pending = submit(c["blue"], "blue", WEST)
    assert pending["state"] == "pending" and pending["awaiting"] == ["red"]
    assert [x["other"] for x in pending["conflicts"]] == [zone]
    assert submit(c["blue"], "blue", EAST)["state"] == "accepted"

    ident = pending["id"]
    # Only the zone's owner can let it proceed; the owner of the operation cannot.
    assert_problem(c["blue"].post(f"/v1/operations/{ident}:approve"), 404)
    assert_problem(c["green"].post(f"/v1/operations/{ident}:approve"), 404)
    assert_problem(c["red"].post(f"/v1/operations/{ident}:activate"), 404)
    assert_problem(c["blue"].post(f"/v1/operations/{ident}:activate"), 409)
    approved = c["red"].post(f"/v1/operations/{ident}:approve")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["awaiting"]) == ("accepted", [])
    assert c["blue"].get(f"/v1/operations/{ident}").json()["state"] == "accepted"
    assert_problem(c["red"].post(f"/v1/operations/{ident}:approve"), 404)
    assert c["blue"].post(f"/v1/operations/{ident}:activate").status_code == 200


def test_an_operation_in_two_zones_waits_for_both_owners(service: Service) -> None:
    c = clients(service)
    for party in ("red", "green"):
        body = zone_body(unique(f"{party}-zone"), party, WEST)
        assert c[party].post("/v1/zones", json=body).status_code == 201
    pending = submit(c["blue"], "blue", WEST)
    assert pending["awaiting"] == ["green", "red"]
    first = c["green"].post(f"/v1/operations/{pending['id']}:approve").json()
    assert (first["state"], first["awaiting"]) == ("pending", ["red"])
    second = c["red"].post(f"/v1/operations/{pending['id']}:approve").json()
    assert (second["state"], second["awaiting"]) == ("accepted", [])


def test_a_zone_binding_another_party_needs_its_acceptance(service: Service) -> None:
    c = clients(service)
    red, blue = c["red"], c["blue"]
    zone = unique("line")
    declared = red.post("/v1/zones", json=zone_body(zone, "red", WEST, binds=["blue"]))
    assert declared.status_code == 201, declared.text
    body = declared.json()
    assert (body["version"], body["binds"], body["accepted_by"]) == (1, ["blue"], [])
    assert body["in_force_version"] is None
    # Not binding yet: blue flies there freely.
    assert submit(blue, "blue", WEST)["state"] == "accepted"

    # Only the bound party accepts, and only the current version.
    assert_problem(c["green"].post(f"/v1/zones/{zone}:accept", params={"version": 1}), 404)
    assert_problem(red.post(f"/v1/zones/{zone}:accept", params={"version": 1}), 404)
    assert_problem(blue.post(f"/v1/zones/{zone}:accept", params={"version": 2}), 412)
    assert_problem(blue.post(f"/v1/zones/{zone}:accept"), 422)
    accepted = blue.post(f"/v1/zones/{zone}:accept", headers={"If-Match": '"1"'})
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["accepted_by"], accepted.json()["in_force_version"]) == (["blue"], 1)
    assert submit(blue, "blue", WEST)["state"] == "pending"

    # A change is a new version; the accepted one stays in force until blue accepts it.
    assert_problem(
        red.put(f"/v1/zones/{zone}", json=zone_body(zone, "red", EAST, binds=["blue"])), 422
    )
    stale = red.put(
        f"/v1/zones/{zone}",
        json=zone_body(zone, "red", EAST, binds=["blue"]),
        params={"version": 5},
    )
    assert_problem(stale, 412)
    changed = red.put(
        f"/v1/zones/{zone}",
        json=zone_body(zone, "red", EAST, binds=["blue"]),
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert (changed.json()["version"], changed.json()["in_force_version"]) == (2, 1)
    assert changed.json()["accepted_by"] == []
    assert submit(blue, "blue", WEST)["state"] == "pending"  # version 1 still binds
    assert submit(blue, "blue", EAST)["state"] == "accepted"  # version 2 does not yet
    assert blue.post(f"/v1/zones/{zone}:accept", params={"version": 2}).status_code == 200
    assert submit(blue, "blue", WEST)["state"] == "accepted"
    assert submit(blue, "blue", EAST)["state"] == "pending"

    # Another party can neither change nor withdraw it.
    foreign = zone_body(zone, "blue", WEST)
    assert blue.put(f"/v1/zones/{zone}", json=foreign, params={"version": 2}).status_code in (
        403,
        404,
    )
    as_red = zone_body(zone, "red", WEST)
    assert_problem(blue.put(f"/v1/zones/{zone}", json=as_red, params={"version": 2}), 403)
    assert_problem(blue.post(f"/v1/zones/{zone}:withdraw", params={"version": 2}), 404)

    # Withdrawn: it stops binding at once.
    withdrawn = red.post(f"/v1/zones/{zone}:withdraw", headers={"If-Match": '"2"'})
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["version"], withdrawn.json()["withdrawn"]) == (3, True)
    assert withdrawn.json()["in_force_version"] is None
    assert submit(blue, "blue", EAST)["state"] == "accepted"

    # Every version stays readable, by every party.
    history = c["green"].get(f"/v1/zones/{zone}")
    assert history.status_code == 200 and history.headers["etag"] == '"3"'
    versions = history.json()["history"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert [v["withdrawn"] for v in versions] == [False, False, True]
    assert versions[0]["accepted_by"] == ["blue"] and versions[1]["accepted_by"] == ["blue"]
    first_ring = versions[0]["geojson"]["features"][0]["geometry"]["coordinates"][0]
    second_ring = versions[1]["geojson"]["features"][0]["geometry"]["coordinates"][0]
    assert first_ring[0][0] < 36.1 < second_ring[0][0]
    listed = {z["id"]: z for z in c["green"].get("/v1/zones").json()["zones"]}
    assert listed[zone]["withdrawn"] is True


def test_declaring_an_existing_zone_needs_its_version(service: Service) -> None:
    c = clients(service)
    zone = unique("zone")
    assert c["red"].post("/v1/zones", json=zone_body(zone, "red", WEST)).status_code == 201
    assert_problem(c["red"].post("/v1/zones", json=zone_body(zone, "red", EAST)), 412)
    assert_problem(c["blue"].post("/v1/zones", json=zone_body(zone, "red", EAST)), 403)
    unknown = zone_body(unique("zone"), "red", WEST, binds=["nobody"])
    assert_problem(c["red"].post("/v1/zones", json=unknown), 404)
    assert_problem(c["red"].get(f"/v1/zones/{unique('none')}"), 404)
    operation = {"geojson": op(unique("op"), "red")}
    assert_problem(c["red"].post("/v1/zones", json=operation), 422)


def test_a_zone_does_not_bind_before_it_starts_or_above_its_ceiling(service: Service) -> None:
    c = clients(service)
    zone = zone_body(unique("zone"), "red", WEST, lower=0, upper=1000)
    assert c["red"].post("/v1/zones", json=zone).status_code == 201
    above = op(unique("blue"), "blue", lower=1000, upper=2000)  # touching is not overlapping
    assert c["blue"].post("/v1/operations", json=above).json()["state"] == "accepted"
    inside = op(unique("blue"), "blue", lower=900, upper=2000)
    assert c["blue"].post("/v1/operations", json=inside).json()["state"] == "pending"
