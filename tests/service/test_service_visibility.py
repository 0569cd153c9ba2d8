"""Need-to-know, the whole matrix: caller (party × scopes) × object (own, another party's
inside or outside the caller's area of interest) × endpoint.

The world, built once per backend:

- red: area of interest around 36°E 34°N, shows blue everything (`grants: full`);
- blue: no area of interest (sees everywhere), grants nobody anything (volumes only);
- green: area of interest around 40°E 30°N.
- Operations (callsign and mission set on each): `red_op` and `blue_op` near 36°E 34°N,
  `blue_far` and `green_op` near 40°E 30°N. A red zone; agreements red–blue, blue–green.

Each row states the answer a caller must get. Changes are tried on operations made for
the row (`fresh`), so that the world stays as described.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from live_server import ADMIN, READ, WRITE, Service
from service_helpers import (
    assert_problem,
    box_ring,
    collection,
    make_agreement,
    make_party,
    op,
    polygon_feature,
    unique,
)

CALLERS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "red-rw": ("red", (READ, WRITE)),
    "red-r": ("red", (READ,)),
    "red-w": ("red", (WRITE,)),
    "blue-rw": ("blue", (READ, WRITE)),
    "green-rw": ("green", (READ, WRITE)),
    "admin": (None, (ADMIN,)),
    "no-party-rw": (None, (READ, WRITE)),
}
OPERATIONS = {
    # name: party, lon, lat, band
    "red_op": ("red", 36.0, 34.0, (0, 1000)),
    "blue_op": ("blue", 36.05, 34.0, (2000, 3000)),
    "blue_far": ("blue", 40.0, 30.0, (2000, 3000)),
    "green_op": ("green", 40.0, 30.0, (4000, 5000)),
}
SECRET = {"callsign": "CALLSIGN", "mission": "MISSION", "tail": "N123"}


@dataclass
class World:
    service: Service
    ids: dict[str, str]
    clients: dict[str, httpx.Client]

    def fresh(self, name: str = "red_op") -> str:
        """A new operation like `name`, made by its owner with read+write scopes."""
        party, lon, lat, (lower, upper) = OPERATIONS[name]
        ident = unique(f"fresh-{party}")
        owner = self.clients[f"{party}-rw"]
        body = op(ident, party, lon=lon, lat=lat, lower=lower, upper=upper, **SECRET)
        answer = owner.post("/v1/operations", json=body)
        assert answer.status_code == 201, answer.text
        return ident


@pytest.fixture(scope="module")
def world(module_service: Service) -> World:
    service = module_service
    admin = service.client(None, (ADMIN,))
    make_party(
        admin,
        "red",
        area_of_interest={"type": "Polygon", "coordinates": [box_ring(36.0, 34.0, 1.0)]},
        grants={"blue": "full"},
    )
    make_party(admin, "blue")
    make_party(
        admin,
        "green",
        area_of_interest={"type": "Polygon", "coordinates": [box_ring(40.0, 30.0, 0.5)]},
    )
    make_agreement(admin, "red", "blue", horizontal=0)
    make_agreement(admin, "blue", "green", horizontal=0)
    clients = {name: service.client(p, s) for name, (p, s) in CALLERS.items()}
    clients["nobody"] = service.client(authenticated=False)
    ids = {}
    for name, (party, lon, lat, (lower, upper)) in OPERATIONS.items():
        ident = ids[name] = unique(name.replace("_", "-"))
        body = op(ident, party, lon=lon, lat=lat, lower=lower, upper=upper, **SECRET)
        answer = clients[f"{party}-rw"].post("/v1/operations", json=body)
        assert answer.status_code == 201, answer.text
    ids["red_zone"] = unique("red-zone")
    zone = collection(polygon_feature(ids["red_zone"], "red", box_ring(36.6, 34.6, 0.05)))
    assert clients["red-rw"].post("/v1/zones", json={"geojson": zone}).status_code == 201
    return World(service, ids, clients)


def assert_detail(body: dict[str, Any], detail: str) -> None:
    """The operation is shown at `detail`: volumes only, or everything its owner wrote."""
    assert body["detail"] == detail
    (feature,) = body["geojson"]["features"]
    properties = feature["properties"]
    assert feature["geometry"]["type"] == "Point"
    assert {"altitude_lower", "altitude_upper", "start", "end", "radius"} <= set(properties)
    if detail == "full":
        assert {k: properties[k] for k in SECRET} == SECRET
    else:
        assert not set(SECRET) & set(properties), properties


# --- reading operations ------------------------------------------------------------------

# caller → what GET /v1/operations/{id} answers for each operation (status, or detail)
SEES = {
    "red-rw": {"red_op": "full", "blue_op": "volumes", "blue_far": 404, "green_op": 404},
    "red-r": {"red_op": "full", "blue_op": "volumes", "blue_far": 404, "green_op": 404},
    "red-w": {"red_op": 403, "blue_op": 403, "blue_far": 403, "green_op": 403},
    "blue-rw": {"red_op": "full", "blue_op": "full", "blue_far": "full", "green_op": "volumes"},
    "green-rw": {"red_op": 404, "blue_op": 404, "blue_far": "volumes", "green_op": "full"},
    "admin": {"red_op": "full", "blue_op": "full", "blue_far": "full", "green_op": "full"},
    "no-party-rw": {"red_op": 404, "blue_op": 404, "blue_far": 404, "green_op": 404},
    "nobody": {"red_op": 401, "blue_op": 401, "blue_far": 401, "green_op": 401},
}


@pytest.mark.parametrize(
    ("caller", "target", "expected"),
    [(c, t, e) for c, row in SEES.items() for t, e in row.items()],
)
def test_get_one(world: World, caller: str, target: str, expected: str | int) -> None:
    answer = world.clients[caller].get(f"/v1/operations/{world.ids[target]}")
    if isinstance(expected, int):
        assert_problem(answer, expected)
    else:
        assert answer.status_code == 200, answer.text
        assert_detail(answer.json(), expected)


@pytest.mark.parametrize("caller", list(SEES))
def test_list(world: World, caller: str) -> None:
    answer = world.clients[caller].get("/v1/operations", params={"limit": 500})
    row = SEES[caller]
    if all(isinstance(e, int) and e in (401, 403) for e in row.values()):
        assert_problem(answer, next(iter(row.values())))  # type: ignore[arg-type]
        return
    assert answer.status_code == 200, answer.text
    listed = {o["id"]: o for o in answer.json()["operations"]}
    for target, expected in row.items():
        ident = world.ids[target]
        if isinstance(expected, int):
            assert ident not in listed, (target, caller)
        else:
            assert ident in listed, (target, caller)
            assert_detail(listed[ident], expected)
    # Filtering by owner or area never reveals more.
    for params in ({"party": "red"}, {"party": "green"}, {"bbox": "39,29,41,31"}):
        filtered = world.clients[caller].get("/v1/operations", params=params).json()
        assert {o["id"] for o in filtered["operations"]} <= set(listed)


# caller → GET /v1/operations/{id}/history for each operation: owners and admins only
HISTORY = {
    "red-rw": {"red_op": 200, "blue_op": 404},
    "red-r": {"red_op": 200, "blue_op": 404},
    "red-w": {"red_op": 403, "blue_op": 403},
    "blue-rw": {"red_op": 404, "blue_op": 200},
    "green-rw": {"green_op": 200, "blue_far": 404},
    "admin": {"red_op": 200, "green_op": 200},
    "no-party-rw": {"red_op": 404},
    "nobody": {"red_op": 401},
}


@pytest.mark.parametrize(
    ("caller", "target", "expected"),
    [(c, t, e) for c, row in HISTORY.items() for t, e in row.items()],
)
def test_history(world: World, caller: str, target: str, expected: int) -> None:
    answer = world.clients[caller].get(f"/v1/operations/{world.ids[target]}/history")
    if expected == 200:
        assert answer.status_code == 200, answer.text
        assert answer.json()["versions"][0]["geojson"]["features"][0]["properties"]["callsign"]
    else:
        assert_problem(answer, expected)


# --- changing operations -----------------------------------------------------------------

# (caller, action, target, status): target "fresh" is a new red operation made for the row.
# "put-as-owner" sends the plan in the name of the operation's party, "put-as-self" in the
# caller's own party's name.
CHANGES = [
    ("red-rw", "put-as-owner", "fresh", 200),
    ("red-rw", "cancel", "fresh", 200),
    ("red-rw", "activate", "fresh", 200),
    ("red-rw", "put-as-owner", "blue_op", 403),
    ("red-rw", "put-as-self", "blue_op", 404),
    ("red-rw", "cancel", "blue_op", 404),
    ("red-rw", "activate", "blue_op", 404),
    ("red-rw", "end", "blue_far", 404),
    ("red-r", "put-as-owner", "fresh", 403),
    ("red-r", "cancel", "fresh", 403),
    ("red-r", "submit", "new", 403),
    ("red-w", "put-as-owner", "fresh", 200),
    ("red-w", "cancel", "fresh", 200),
    ("red-w", "submit", "new", 201),
    ("red-w", "put-as-owner", "blue_op", 403),
    ("red-w", "cancel", "blue_op", 404),
    ("blue-rw", "put-as-owner", "red_op", 403),
    ("blue-rw", "put-as-self", "red_op", 404),
    ("blue-rw", "cancel", "red_op", 404),
    ("blue-rw", "activate", "red_op", 404),
    ("blue-rw", "submit-as-other", "new", 403),
    ("green-rw", "put-as-owner", "red_op", 403),
    ("green-rw", "cancel", "red_op", 404),
    ("admin", "put-as-owner", "fresh", 403),  # an administrator is no party: cannot plan
    ("admin", "submit", "new", 403),
    ("admin", "cancel", "fresh", 200),  # ... but may cancel any operation
    ("no-party-rw", "put-as-owner", "red_op", 403),
    ("no-party-rw", "cancel", "red_op", 404),
    ("no-party-rw", "submit", "new", 403),
    ("nobody", "put-as-owner", "red_op", 401),
    ("nobody", "cancel", "red_op", 401),
    ("nobody", "submit", "new", 401),
]


@pytest.mark.parametrize(("caller", "action", "target", "expected"), CHANGES)
def test_change(world: World, caller: str, action: str, target: str, expected: int) -> None:
    client = world.clients[caller]
    own_party = CALLERS.get(caller, (None, ()))[0] or "red"
    if target == "fresh":
        ident, party = world.fresh("red_op"), "red"
    elif target == "new":
        other_party = "red" if own_party != "red" else "blue"
        ident, party = unique("new"), other_party if action == "submit-as-other" else own_party
    else:
        ident, party = world.ids[target], OPERATIONS[target][0]
    before = world.clients["admin"].get(f"/v1/operations/{ident}")
    if action.startswith("put"):
        author = party if action == "put-as-owner" else own_party
        body = op(ident, author, lon=36.01, lat=34.0, lower=0, upper=500)
        answer = client.put(f"/v1/operations/{ident}", json=body, headers={"If-Match": '"1"'})
    elif action.startswith("submit"):
        answer = client.post("/v1/operations", json=op(ident, party, lon=36.3, upper=500))
    else:
        answer = client.post(f"/v1/operations/{ident}:{action}")
    after = world.clients["admin"].get(f"/v1/operations/{ident}")
    if expected < 300:
        assert answer.status_code == expected, answer.text
        assert answer.json()["party"] == party
        return
    assert_problem(answer, expected)
    assert after.status_code == before.status_code
    if before.status_code == 200:  # refused: nothing changed
        assert after.json()["version"] == before.json()["version"]
        assert after.json()["geojson"] == before.json()["geojson"]
        assert after.json()["state"] == before.json()["state"]


# --- zones, parties, agreements ------------------------------------------------------------

ZONES = [
    # caller, action, status
    ("red-rw", "list", 200),
    ("red-r", "get", 200),
    ("red-w", "list", 403),
    ("red-w", "get", 403),
    ("blue-rw", "list", 200),
    ("blue-rw", "get", 200),
    ("blue-rw", "put-as-owner", 403),
    ("blue-rw", "put-as-self", 404),
    ("blue-rw", "withdraw", 404),
    ("blue-rw", "accept", 404),
    ("green-rw", "get", 200),
    ("green-rw", "withdraw", 404),
    ("admin", "list", 200),
    ("admin", "put-as-owner", 403),
    ("admin", "withdraw", 403),
    ("red-r", "put-as-owner", 403),
    ("red-r", "withdraw", 403),
    ("no-party-rw", "list", 200),
    ("no-party-rw", "withdraw", 403),
    ("nobody", "list", 401),
    ("nobody", "get", 401),
    ("nobody", "withdraw", 401),
]


@pytest.mark.parametrize(("caller", "action", "expected"), ZONES)
def test_zones(world: World, caller: str, action: str, expected: int) -> None:
    client = world.clients[caller]
    zone = world.ids["red_zone"]
    url = f"/v1/zones/{zone}"
    if action == "list":
        answer = client.get("/v1/zones")
    elif action == "get":
        answer = client.get(url)
    elif action.startswith("put"):
        party = "red" if action == "put-as-owner" else (CALLERS[caller][0] or "red")
        body = {"geojson": collection(polygon_feature(zone, party, box_ring(36.7, 34.7, 0.05)))}
        answer = client.put(url, json=body, params={"version": 1})
    else:
        answer = client.post(f"{url}:{action}", params={"version": 1})
    if expected != 200:
        assert_problem(answer, expected)
        current = world.clients["admin"].get(url).json()
        assert (current["version"], current["withdrawn"]) == (1, False)
        return
    assert answer.status_code == 200, answer.text
    if action == "list":
        assert zone in {z["id"] for z in answer.json()["zones"]}
    else:
        assert answer.json()["id"] == zone and len(answer.json()["history"]) == 1


PARTIES = [
    ("red-rw", "list", 200),
    ("red-rw", "get-own", 200),
    ("red-rw", "get-other", 404),
    ("red-rw", "put", 403),
    ("red-rw", "delete", 403),
    ("red-r", "get-own", 200),
    ("red-w", "list", 403),
    ("red-w", "get-own", 403),
    ("blue-rw", "list", 200),
    ("blue-rw", "get-other", 404),
    ("blue-rw", "put", 403),
    ("green-rw", "get-own", 200),
    ("green-rw", "delete", 403),
    ("admin", "list", 200),
    ("admin", "get-other", 200),
    ("admin", "put", 201),
    ("no-party-rw", "list", 200),
    ("no-party-rw", "get-other", 404),
    ("no-party-rw", "put", 403),
    ("nobody", "list", 401),
    ("nobody", "get-other", 401),
    ("nobody", "put", 401),
]


@pytest.mark.parametrize(("caller", "action", "expected"), PARTIES)
def test_parties(world: World, caller: str, action: str, expected: int) -> None:
    client = world.clients[caller]
    own = CALLERS.get(caller, (None, ()))[0]
    other = "blue" if own != "blue" else "red"
    if action == "list":
        answer = client.get("/v1/parties")
    elif action == "get-own":
        answer = client.get(f"/v1/parties/{own}")
    elif action == "get-other":
        answer = client.get(f"/v1/parties/{other}")
    elif action == "put":
        answer = client.put(f"/v1/parties/{unique('new')}", json={"name": "New"})
    else:
        answer = client.delete(f"/v1/parties/{other}")
    if expected >= 400:
        assert_problem(answer, expected)
        assert world.clients["admin"].get(f"/v1/parties/{other}").status_code == 200
        return
    assert answer.status_code == expected, answer.text
    body = answer.json()
    if action == "list":
        listed = {p["id"]: p for p in body["parties"]}
        assert {"red", "blue", "green"} <= set(listed)
        if caller == "admin":
            assert listed["red"]["grants"] == {"blue": "full"}
            assert listed["red"]["area_of_interest"]["type"] == "Polygon"
        else:  # others' areas of interest and grants are theirs to know
            assert all(set(p) == {"id", "name"} for p in listed.values())
    elif action == "get-own":
        assert body["id"] == own and "grants" in body


AGREEMENTS = {
    "red-rw": [["blue", "red"]],
    "red-r": [["blue", "red"]],
    "red-w": 403,
    "blue-rw": [["blue", "green"], ["blue", "red"]],
    "green-rw": [["blue", "green"]],
    "admin": [["blue", "green"], ["blue", "red"]],
    "no-party-rw": [],
    "nobody": 401,
}


@pytest.mark.parametrize("caller", list(AGREEMENTS))
def test_agreements(world: World, caller: str) -> None:
    client = world.clients[caller]
    answer = client.get("/v1/agreements")
    expected = AGREEMENTS[caller]
    if isinstance(expected, int):
        assert_problem(answer, expected)
    else:
        assert answer.status_code == 200, answer.text
        assert sorted(a["parties"] for a in answer.json()["agreements"]) == expected
    changed = client.put("/v1/agreements", json={"parties": ["red", "blue"], "horizontal": "1 km"})
    if caller == "admin":
        assert changed.status_code == 200, changed.text
        restored = client.put("/v1/agreements", json={"parties": ["red", "blue"], "horizontal": 0})
        assert restored.status_code == 200
    else:
        assert_problem(changed, 401 if caller == "nobody" else 403)
    agreements = world.clients["admin"].get("/v1/agreements").json()["agreements"]
    assert all(a["horizontal_m"] == 0 for a in agreements)
