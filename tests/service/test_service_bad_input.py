"""Bad input gets a 4xx RFC 9457 problem (``application/problem+json``), never a 500.

Every case states the status; a 422 must also name the field in a `pointer`. Cases that
show a bug stay here marked ``xfail(strict=True)`` with the reason, so that they turn
into failures (and get unmarked) once fixed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from live_server import ADMIN, Service
from service_helpers import (
    PROBLEM,
    assert_problem,
    box_ring,
    circle_feature,
    collection,
    later,
    make_party,
    op,
    polygon_feature,
    route_feature,
    unique,
)

JSON = {"content-type": "application/json"}
BOWTIE = [[36.0, 34.0], [36.1, 34.1], [36.1, 34.0], [36.0, 34.1], [36.0, 34.0]]
LIMIT = 1_048_576


@dataclass
class Ctx:
    red: httpx.Client
    admin: httpx.Client
    existing: str  # an accepted red operation (version 1, never changed)
    zone: str  # a red zone (version 1)


@dataclass(frozen=True)
class Case:
    send: Callable[[Ctx], httpx.Response]
    status: int
    pointer: str | None = None
    """The exact pointer expected (None: any; a 422 must have one)."""


def post_op(**props: Any) -> Callable[[Ctx], httpx.Response]:
    return lambda c: c.red.post("/v1/operations", json=op(unique("bad"), "red", **props))


def post_feature(feature: dict[str, Any]) -> Callable[[Ctx], httpx.Response]:
    return lambda c: c.red.post("/v1/operations", json=collection(feature))


def raw(method: str, path: str, content: bytes, headers: dict | None = None, admin: bool = False):
    def send(c: Ctx) -> httpx.Response:
        client = c.admin if admin else c.red
        return client.request(method, path, content=content, headers=headers or JSON)

    return send


def with_geometry(geometry: Any) -> dict[str, Any]:
    return {**circle_feature(unique("bad"), "red"), "geometry": geometry}


def with_props(**props: Any) -> dict[str, Any]:
    feature = circle_feature(unique("bad"), "red")
    feature["properties"].update(props)
    return feature


def party_body(**fields: Any) -> Callable[[Ctx], httpx.Response]:
    return lambda c: c.admin.put("/v1/parties/someone", json={"name": "Someone", **fields})


def agreement(**fields: Any) -> Callable[[Ctx], httpx.Response]:
    return lambda c: c.admin.put("/v1/agreements", json={"parties": ["red", "blue"], **fields})


def search(**params: Any) -> Callable[[Ctx], httpx.Response]:
    return lambda c: c.red.get("/v1/operations", params=params)


def change(headers: dict | None = None, **params: Any) -> Callable[[Ctx], httpx.Response]:
    return lambda c: c.red.put(
        f"/v1/operations/{c.existing}",
        json=op(c.existing, "red"),
        headers=headers or {},
        params=params,
    )


def aoi(coordinates: Any, kind: str = "Polygon") -> dict[str, Any]:
    return {"type": kind, "coordinates": coordinates}


def big_body() -> bytes:
    feature = circle_feature(unique("big"), "red", padding="x" * (LIMIT + 10))
    return json.dumps(collection(feature)).encode()


CASES = {
    # --- the body is not a FeatureCollection ---
    "malformed json": Case(raw("POST", "/v1/operations", b'{"type": '), 422),
    "body is a list": Case(lambda c: c.red.post("/v1/operations", json=[1, 2]), 422),
    "body is null": Case(raw("POST", "/v1/operations", b"null"), 422),
    "empty body": Case(raw("POST", "/v1/operations", b""), 422),
    "not utf-8": Case(raw("POST", "/v1/operations", b'{"type": "\xff\xfe"}'), 400),
    "nested 100000 deep": Case(raw("POST", "/v1/operations", b"[" * 100_000 + b"]" * 100_000), 400),
    "a Feature, not a collection": Case(
        lambda c: c.red.post("/v1/operations", json=circle_feature(unique("f"), "red")),
        422,
        "/type",
    ),
    "features missing": Case(
        lambda c: c.red.post("/v1/operations", json={"type": "FeatureCollection"}),
        422,
        "/features",
    ),
    "unknown top-level member": Case(
        lambda c: c.red.post("/v1/operations", json={**op(unique("x"), "red"), "color": 1}),
        422,
        "/color",
    ),
    "no features": Case(lambda c: c.red.post("/v1/operations", json=collection()), 422),
    "two declarations": Case(
        lambda c: c.red.post(
            "/v1/operations",
            json=collection(circle_feature(unique("a"), "red"), circle_feature(unique("b"), "red")),
        ),
        422,
    ),
    # --- invalid GeoJSON geometry ---
    "geometry null": Case(post_feature(with_geometry(None)), 422),
    "unknown geometry type": Case(post_feature(with_geometry({"type": "Blob"})), 422),
    "coordinates a string": Case(
        post_feature(with_geometry({"type": "Point", "coordinates": "36,34"})), 422
    ),
    "one coordinate": Case(
        post_feature(with_geometry({"type": "Point", "coordinates": [36]})), 422
    ),
    "longitude 200": Case(post_op(lon=200), 422),
    "latitude 95": Case(post_op(lat=95), 422),
    "longitude Infinity": Case(
        raw("POST", "/v1/operations", json.dumps(op("inf", "red", lon=float("inf"))).encode()),
        422,
    ),
    "radius NaN": Case(
        raw("POST", "/v1/operations", json.dumps(op("nan", "red", radius=float("nan"))).encode()),
        422,
    ),
    "radius 1e400": Case(
        raw(
            "POST",
            "/v1/operations",
            json.dumps(op("huge", "red")).replace('"2 km"', "1e400").encode(),
        ),
        422,
    ),
    "self-intersecting polygon": Case(
        post_feature(polygon_feature(unique("p"), "red", BOWTIE, kind="operation")), 422
    ),
    "ring not closed": Case(
        post_feature(
            polygon_feature(
                unique("p"), "red", [[36, 34], [36.1, 34], [36.1, 34.1]], kind="operation"
            )
        ),
        422,
    ),
    "across the antimeridian": Case(
        post_feature(
            polygon_feature(
                unique("p"),
                "red",
                [[179.5, 0], [-179.5, 0], [-179.5, 1], [179.5, 1], [179.5, 0]],
                kind="operation",
                start=later(2),
                end=later(3),
            )
        ),
        422,
    ),
    "at the pole": Case(post_op(lat=89.99, radius="50 km"), 422),
    "MultiLineString route": Case(
        post_feature(
            {
                **route_feature(unique("r"), "red", [], [later(2), later(3)]),
                "geometry": {"type": "MultiLineString", "coordinates": [[[36, 34, 100]]]},
            }
        ),
        422,
    ),
    "route of one waypoint": Case(
        post_feature(route_feature(unique("r"), "red", [[36, 34, 100]], [later(2)])), 422
    ),
    "route times going back": Case(
        post_feature(
            route_feature(
                unique("r"), "red", [[36, 34, 100], [36.1, 34, 100]], [later(3), later(2)]
            )
        ),
        422,
        "/features/0/properties/times",
    ),
    "level leg without height": Case(
        post_feature(
            route_feature(
                unique("r"),
                "red",
                [[36, 34, 100], [36.1, 34, 100]],
                [later(2), later(3)],
                vertical_half_width=0,
            )
        ),
        422,
    ),
    # --- properties ---
    "properties null": Case(
        post_feature({**circle_feature(unique("n"), "red"), "properties": None}), 422
    ),
    "kind unknown": Case(post_op(kind="spaceship"), 422, "/features/0/properties/kind"),
    "kind zone on operations": Case(post_op(kind="zone"), 422),
    "end before start": Case(
        post_op(start=later(3), end=later(2)), 422, "/features/0/properties/end"
    ),
    "end equals start": Case(
        post_op(start=later(3), end=later(3)), 422, "/features/0/properties/end"
    ),
    "ends in the past": Case(post_op(start=later(-3), end=later(-2)), 422),
    "time without offset": Case(
        post_op(start="2030-01-01T00:00:00"), 422, "/features/0/properties/start"
    ),
    "year 10000": Case(
        post_op(start="9999-12-31T23:00:00-05:00", end="9999-12-31T23:30:00-05:00"), 422
    ),
    "lasts 30 days": Case(post_op(end=later(24 * 30)), 422, "/features/0/properties/end"),
    "altitude 1000 km": Case(
        post_op(upper=1_000_000), 422, "/features/0/properties/altitude_upper"
    ),
    "altitude -10 km": Case(post_op(lower=-10_000), 422, "/features/0/properties/altitude_lower"),
    "lower above upper": Case(
        post_op(lower=500, upper=100), 422, "/features/0/properties/altitude_lower"
    ),
    "altitude unit unknown": Case(post_op(upper="5 parsecs"), 422),
    "radius negative": Case(post_op(radius=-5), 422, "/features/0/properties/radius"),
    "radius 1e9 m": Case(post_op(radius=1e9), 422, "/features/0/properties/radius"),
    "radius not a length": Case(post_op(radius="banana"), 422, "/features/0/properties/radius"),
    "priority a string": Case(post_op(priority="2"), 422, "/features/0/properties/priority"),
    "priority a float": Case(post_feature(with_props(priority=2.5)), 422),
    "priority true": Case(post_feature(with_props(priority=True)), 422),
    "priority 1e20": Case(post_op(priority=10**20), 422),
    # --- headers, query, versions ---
    "idempotency key of 300 chars": Case(
        lambda c: c.red.post(
            "/v1/operations", json=op(unique("k"), "red"), headers={"Idempotency-Key": "k" * 300}
        ),
        422,
    ),
    "bbox not numbers": Case(search(bbox="a,b,c,d"), 422),
    "bbox of five": Case(search(bbox="1,2,3,4,5"), 422),
    "bbox inverted": Case(search(bbox="40,30,35,35"), 422),
    "bbox NaN": Case(search(bbox="nan,0,1,1"), 422),
    "limit 0": Case(search(limit=0), 422, "/limit"),
    "limit 10**6": Case(search(limit=10**6), 422, "/limit"),
    "offset -1": Case(search(offset=-1), 422, "/offset"),
    "offset 10**30": Case(search(offset=10**30), 422, "/offset"),
    "state unknown": Case(search(state="flying"), 422),
    "start not a time": Case(search(start="yesterday"), 422),
    "start year 1": Case(search(start="0001-01-01T00:00:00Z"), 422),
    "party filter too long": Case(search(party="x" * 100), 422, "/party"),
    "version 0": Case(change(version=0), 422, "/version"),
    "version not a number": Case(change(version="abc"), 422, "/version"),
    "version 10**20": Case(change(version=10**20), 412),
    "If-Match junk": Case(change({"If-Match": "junk"}), 412),
    "no version": Case(change(), 422),
    "body of another id": Case(
        lambda c: c.red.put(
            f"/v1/operations/{c.existing}", json=op(unique("x"), "red"), params={"version": 1}
        ),
        422,
    ),
    "unknown operation": Case(lambda c: c.red.get("/v1/operations/nothing-here"), 404),
    "very long id in the path": Case(lambda c: c.red.get("/v1/operations/" + "q" * 5000), 404),
    "unknown path": Case(lambda c: c.red.get("/v1/nothing"), 404),
    "method not allowed": Case(lambda c: c.red.patch("/v1/operations", json={}), 405),
    # --- what-if ---
    "no plans": Case(
        lambda c: c.red.post("/v1/operations:check", json={"plans": []}), 422, "/plans"
    ),
    "21 plans": Case(
        lambda c: c.red.post(
            "/v1/operations:check", json={"plans": [op(unique("p"), "red") for _ in range(21)]}
        ),
        422,
        "/plans",
    ),
    "a bad plan": Case(
        lambda c: c.red.post(
            "/v1/operations:check",
            json={"plans": [op(unique("p"), "red"), op(unique("p"), "red", lower=9, upper=1)]},
        ),
        422,
    ),
    # --- zones ---
    "zone binds an unknown party": Case(
        lambda c: c.red.post(
            "/v1/zones",
            json={
                "geojson": collection(polygon_feature(unique("z"), "red", box_ring(36, 34, 0.1))),
                "binds": ["nobody"],
            },
        ),
        404,
    ),
    "zone of two years": Case(
        lambda c: c.red.post(
            "/v1/zones",
            json={
                "geojson": collection(
                    polygon_feature(unique("z"), "red", box_ring(36, 34, 0.1), end=later(24 * 800))
                )
            },
        ),
        422,
        "/geojson/features/0/properties/end",
    ),
    "zone unknown member": Case(
        lambda c: c.red.post(
            "/v1/zones",
            json={
                "geojson": collection(polygon_feature(unique("z"), "red", box_ring(36, 34, 0.1))),
                "color": "red",
            },
        ),
        422,
        "/color",
    ),
    "zone self-intersecting": Case(
        lambda c: c.red.post(
            "/v1/zones", json={"geojson": collection(polygon_feature(unique("z"), "red", BOWTIE))}
        ),
        422,
    ),
    "accept without version": Case(lambda c: c.red.post(f"/v1/zones/{c.zone}:accept"), 422),
    # --- parties and agreements ---
    "party id with capitals": Case(
        lambda c: c.admin.put("/v1/parties/Bad Id", json={"name": "x"}), 422
    ),
    "party id of 100 chars": Case(
        lambda c: c.admin.put("/v1/parties/" + "a" * 100, json={"name": "x"}), 422
    ),
    "party name empty": Case(party_body(name=""), 422, "/name"),
    "party unknown member": Case(party_body(color="red"), 422, "/color"),
    "party grant unknown": Case(party_body(grants={"red": "everything"}), 422, "/grants/red"),
    "area of interest not geometry": Case(party_body(area_of_interest=aoi("zz")), 422),
    "area of interest self-intersecting": Case(party_body(area_of_interest=aoi([BOWTIE])), 422),
    "area of interest a point": Case(party_body(area_of_interest=aoi([1, 2], "Point")), 422),
    "area of interest of two points": Case(
        party_body(area_of_interest=aoi([[[0, 0], [1, 0]]])), 422
    ),
    "agreement of three": Case(
        lambda c: c.admin.put("/v1/agreements", json={"parties": ["red", "blue", "x"]}),
        422,
        "/parties",
    ),
    "agreement with itself": Case(
        lambda c: c.admin.put("/v1/agreements", json={"parties": ["red", "red"]}), 422
    ),
    "agreement with an unknown party": Case(
        lambda c: c.admin.put("/v1/agreements", json={"parties": ["red", "nobody"]}), 404
    ),
    "party without a language": Case(party_body(languages=[]), 422, "/languages"),
    "party language empty": Case(party_body(languages=["en", ""]), 422, "/languages/1"),
    "party language not a tag": Case(party_body(languages=["english please"]), 422, "/languages/0"),
    "party grant to a bad id": Case(party_body(grants={"Bad Id": "full"}), 422, "/grants/Bad Id"),
    "webhook ftp": Case(party_body(webhook_url="ftp://red.example/hook"), 422, "/webhook_url"),
    "webhook javascript": Case(party_body(webhook_url="javascript:alert(1)"), 422, "/webhook_url"),
    "webhook relative": Case(party_body(webhook_url="/hook"), 422, "/webhook_url"),
    "webhook without host": Case(party_body(webhook_url="https://"), 422, "/webhook_url"),
    "webhook not a url": Case(party_body(webhook_url="not a url"), 422, "/webhook_url"),
    "webhook credentials": Case(
        party_body(webhook_url="https://user:secret@red.example/hook"), 422, "/webhook_url"
    ),
    "webhook port out of range": Case(
        party_body(webhook_url="http://red.example:99999/hook"), 422, "/webhook_url"
    ),
    "webhook space in host": Case(
        party_body(webhook_url="http://red .example/hook"), 422, "/webhook_url"
    ),
    "webhook fragment": Case(
        party_body(webhook_url="https://red.example/hook#x"), 422, "/webhook_url"
    ),
    "area of interest empty": Case(party_body(area_of_interest=aoi([])), 422, "/area_of_interest"),
    "area of interest empty multipolygon": Case(
        party_body(area_of_interest=aoi([], "MultiPolygon")), 422, "/area_of_interest"
    ),
    "area of interest flat": Case(
        party_body(area_of_interest=aoi([[[0, 0], [1, 1], [2, 2], [0, 0]]])),
        422,
        "/area_of_interest",
    ),
    "agreement party bad id": Case(
        lambda c: c.admin.put("/v1/agreements", json={"parties": ["red", "Bad Id"]}),
        422,
        "/parties/1",
    ),
    "notice of 31 days": Case(agreement(minimum_notice=31 * 86400), 422, "/minimum_notice"),
    "notice 1e300 s": Case(agreement(minimum_notice=1e300), 422, "/minimum_notice"),
    "notice 400 h": Case(agreement(minimum_notice="PT800H"), 422, "/minimum_notice"),
    "time buffer 7 h": Case(agreement(time_buffer="7 h"), 422, "/time_buffer"),
    "vertical 6 km": Case(agreement(vertical="6 km"), 422, "/vertical"),
    "policy deadline of 8 days": Case(
        lambda c: c.admin.put(
            "/v1/channel/policy",
            json={"parties": ["red", "blue"], "deadlines": {"hotline": 8 * 86400}},
        ),
        422,
        "/deadlines/hotline",
    ),
    "policy deadline of an unknown kind": Case(
        lambda c: c.admin.put(
            "/v1/channel/policy",
            json={"parties": ["red", "blue"], "deadlines": {"gossip": 60}},
        ),
        422,
        "/deadlines/gossip",
    ),
    "minimum negative": Case(agreement(horizontal="-5 km"), 422),
    "minimum 100000 km": Case(agreement(horizontal="100000 km"), 422),
    "minimum unknown unit": Case(agreement(vertical="5 parsecs"), 422),
    "notice negative": Case(agreement(minimum_notice=-5), 422),
    "notice Infinity": Case(
        raw(
            "PUT",
            "/v1/agreements",
            b'{"parties": ["red", "blue"], "minimum_notice": Infinity}',
            admin=True,
        ),
        422,
    ),
}


def case_params() -> list[Any]:
    params = []
    for name, case in CASES.items():
        params.append(pytest.param(case, id=name))
    return params


@pytest.fixture(scope="module")
def world(module_service: Service) -> tuple[str, str]:
    """Parties red and blue, a red operation and a red zone binding blue: their ids."""
    admin = module_service.client(None, (ADMIN,))
    make_party(admin, "red")
    make_party(admin, "blue")
    red = module_service.client("red")
    existing = unique("existing")
    assert red.post("/v1/operations", json=op(existing, "red", lon=30, lat=30)).status_code == 201
    zone = unique("zone")
    body = {
        "geojson": collection(polygon_feature(zone, "red", box_ring(31, 30, 0.1))),
        "binds": ["blue"],
    }
    assert red.post("/v1/zones", json=body).status_code == 201
    return existing, zone


@pytest.fixture
def ctx(module_service: Service, world: tuple[str, str]) -> Iterator[Ctx]:
    """Fresh connections per test: a 500 (a bug) drops its connection, which must not
    make the next case fail."""
    headers = {
        "red": {"Authorization": f"Bearer {module_service.token('red')}"},
        "admin": {"Authorization": f"Bearer {module_service.token(None, (ADMIN,))}"},
    }
    with (
        httpx.Client(base_url=module_service.url, headers=headers["red"], timeout=60) as red,
        httpx.Client(base_url=module_service.url, headers=headers["admin"], timeout=60) as admin,
    ):
        yield Ctx(red, admin, *world)


@pytest.mark.parametrize("case", case_params())
def test_bad_input_is_a_problem_never_a_500(ctx: Ctx, case: Case) -> None:
    answer = case.send(ctx)
    problem = assert_problem(answer, case.status)
    if case.status == 422:
        assert problem.get("pointer") is not None, problem
        if case.pointer is not None:
            assert problem["pointer"] == case.pointer, problem
    # Nothing was changed by a refused request.
    existing = ctx.admin.get(f"/v1/operations/{ctx.existing}").json()
    assert existing["version"] == 1


# --- size and content type ---------------------------------------------------------------


def test_a_body_over_the_limit_is_413(ctx: Ctx) -> None:
    answer = ctx.red.post("/v1/operations", content=big_body(), headers=JSON)
    problem = assert_problem(answer, 413)
    assert problem["type"].endswith("/too-large")


def test_a_body_just_under_the_limit_is_read(ctx: Ctx) -> None:
    feature = circle_feature(unique("padded"), "red", lon=32, lat=30)
    text = json.dumps(collection(feature))
    feature["properties"]["padding"] = "x" * (LIMIT - len(text) - 100)
    body = json.dumps(collection(feature)).encode()
    assert len(body) <= LIMIT
    answer = ctx.red.post("/v1/operations", content=body, headers=JSON)
    assert answer.status_code == 201, answer.text[:500]


def test_a_streamed_body_over_the_limit_is_413(ctx: Ctx) -> None:
    body = big_body()
    chunks = iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
    answer = ctx.red.post("/v1/operations", content=chunks, headers=JSON)
    assert_problem(answer, 413)


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [
        ("POST", "/v1/operations", "text/plain"),
        ("POST", "/v1/operations", "application/x-www-form-urlencoded"),
        ("POST", "/v1/operations", "application/xml"),
        ("POST", "/v1/operations", ""),
        ("POST", "/v1/operations:check", "text/plain"),
        ("PUT", "/v1/operations/x?version=1", "text/plain"),
        ("POST", "/v1/zones", "multipart/form-data"),
        ("PUT", "/v1/agreements", "text/csv"),
    ],
)
def test_a_body_that_is_not_json_is_415(
    ctx: Ctx, method: str, path: str, content_type: str
) -> None:
    client = ctx.admin if "agreements" in path else ctx.red
    answer = client.request(
        method,
        path,
        content=json.dumps(op(unique("t"), "red")).encode(),
        headers={"content-type": content_type},
    )
    assert assert_problem(answer, 415)["type"].endswith("/unsupported-media-type")


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/geo+json"]
)
def test_json_content_types_are_read(ctx: Ctx, content_type: str) -> None:
    body = op(unique("typed"), "red", lon=33, lat=30)
    answer = ctx.red.post(
        "/v1/operations", content=json.dumps(body).encode(), headers={"content-type": content_type}
    )
    assert answer.status_code == 201, answer.text


# --- the pointer names the field in the request -------------------------------------------


def resolve(document: Any, pointer: str) -> Any:
    """RFC 6901: the value `pointer` names in `document` (KeyError/IndexError if none)."""
    value = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


def _feature_body(**props: Any) -> tuple[str, str, dict[str, Any]]:
    return "POST", "/v1/operations", op(unique("ptr"), "red", **props)


POINTER_CASES = [
    pytest.param(("POST", "/v1/operations", {**op("ptr-1", "red"), "extra": 1}), 1, id="top-level"),
    pytest.param(
        ("PUT", "/v1/parties/someone", {"name": "x", "grants": {"red": "all"}}),
        "all",
        id="party grants",
    ),
    pytest.param(
        _feature_body(start=later(3), end=later(2)),
        None,
        id="end before start",
    ),
    pytest.param(_feature_body(radius="banana"), "banana", id="radius"),
    pytest.param(_feature_body(lon=200), None, id="coordinates"),
    pytest.param(
        ("PUT", "/v1/agreements", {"parties": ["red", "blue"], "horizontal": "-5 km"}),
        "-5 km",
        id="agreement minimum",
    ),
    pytest.param(
        (
            "PUT",
            "/v1/parties/someone",
            {"name": "x", "area_of_interest": {"type": "Point", "coordinates": [1, 2]}},
        ),
        None,
        id="area of interest",
    ),
    pytest.param(
        ("POST", "/v1/operations:check", {"plans": [op("p1", "red"), op("p2", "red", radius=-1)]}),
        -1,
        id="second plan",
    ),
]


@pytest.mark.parametrize(("request_", "value"), POINTER_CASES)
def test_the_pointer_names_the_bad_value_in_the_request(
    ctx: Ctx, request_: tuple[str, str, dict[str, Any]], value: Any
) -> None:
    method, path, body = request_
    client = ctx.admin if path.startswith(("/v1/parties", "/v1/agreements")) else ctx.red
    problem = assert_problem(client.request(method, path, json=body), 422)
    found = resolve(body, problem["pointer"])
    if value is not None:
        assert found == value


# --- values the database cannot hold --------------------------------------------------------


def too_big_for_postgresql(service: Service, request: pytest.FixtureRequest, reason: str) -> None:
    if service.backend == "postgresql":
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.parametrize("priority", [2**31, 2**40, 2**63 - 1])
def test_large_priorities_are_stored_or_refused(
    module_service: Service, ctx: Ctx, request: pytest.FixtureRequest, priority: int
) -> None:
    answer = ctx.red.post(
        "/v1/operations",
        json=op(unique("prio"), "red", lon=34, lat=30 + priority % 7, priority=priority),
    )
    assert answer.status_code in (201, 422), answer.text
    if answer.status_code == 422:
        assert answer.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("length", [129, 300])
def test_long_ids_are_stored_or_refused(
    module_service: Service, ctx: Ctx, request: pytest.FixtureRequest, length: int
) -> None:
    ident = unique("long").ljust(length, "x")
    answer = ctx.red.post("/v1/operations", json=op(ident, "red", lon=35, lat=31))
    assert answer.status_code in (201, 422), answer.text
    zone = {"geojson": collection(polygon_feature(ident[:-1] + "z", "red", box_ring(35, 32, 0.01)))}
    answer = ctx.red.post("/v1/zones", json=zone)
    assert answer.status_code in (201, 422), answer.text


def test_a_long_party_claim_is_refused_or_served(
    module_service: Service, request: pytest.FixtureRequest
) -> None:
    party = "p" * 100
    client = module_service.client(party)
    answer = client.post("/v1/operations", json=op(unique("claim"), party, lon=35, lat=33))
    assert answer.status_code in (201, 403, 422), answer.text


def test_an_area_of_interest_with_nan_is_422(ctx: Ctx) -> None:
    ring = b"[[NaN, 0], [1, 0], [1, 1], [NaN, 0]]"
    body = b'{"name": "x", "area_of_interest": {"type": "Polygon", "coordinates": [%s]}}' % ring
    answer = ctx.admin.put("/v1/parties/someone", content=body, headers=JSON)
    assert_problem(answer, 422)


def test_an_area_of_interest_outside_wgs84_is_422(ctx: Ctx) -> None:
    ring = [[0, 0], [1000, 0], [1000, 1000], [0, 0]]
    answer = ctx.admin.put(
        "/v1/parties/someone", json={"name": "x", "area_of_interest": aoi([ring])}
    )
    assert_problem(answer, 422)


def test_an_accepted_id_can_be_addressed(ctx: Ctx) -> None:
    answer = ctx.red.post("/v1/operations", json=op(unique("a/b"), "red", lon=35, lat=34))
    if answer.status_code == 422:
        return
    assert answer.status_code == 201
    assert ctx.red.get(answer.headers["location"]).status_code == 200
