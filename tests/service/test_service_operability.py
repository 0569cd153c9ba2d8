"""OpenAPI, liveness, readiness and Prometheus metrics, on both backends."""

from __future__ import annotations

import re

from live_server import Service
from service_helpers import make_party, op, unique

V1_PATHS = {
    "/v1/operations": {"get", "post"},
    "/v1/operations:check": {"post"},
    "/v1/operations/{operation_id}": {"get", "put"},
    "/v1/operations/{operation_id}/history": {"get"},
    "/v1/operations/{operation_id}:activate": {"post"},
    "/v1/operations/{operation_id}:end": {"post"},
    "/v1/operations/{operation_id}:cancel": {"post"},
    "/v1/operations/{operation_id}:approve": {"post"},
    "/v1/zones": {"get", "post"},
    "/v1/zones/{zone_id}": {"get", "put"},
    "/v1/zones/{zone_id}:accept": {"post"},
    "/v1/zones/{zone_id}:withdraw": {"post"},
    "/v1/parties": {"get"},
    "/v1/parties/{party_id}": {"get", "put", "delete"},
    "/v1/agreements": {"get", "put"},
}


def test_openapi_describes_the_v1_api(module_service: Service) -> None:
    answer = module_service.client(authenticated=False).get("/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    document = answer.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "deconflict" and document["info"]["version"]
    paths = document["paths"]
    for path, methods in V1_PATHS.items():
        assert path in paths, sorted(paths)
        assert methods <= set(paths[path]), (path, sorted(paths[path]))
    for path, item in paths.items():
        for method, operation in item.items():
            assert operation.get("summary"), (method, path)
    submit = paths["/v1/operations"]["post"]
    headers = {p["name"] for p in submit["parameters"] if p["in"] == "header"}
    assert "Idempotency-Key" in headers
    put = paths["/v1/operations/{operation_id}"]["put"]
    assert "If-Match" in {p["name"] for p in put["parameters"] if p["in"] == "header"}
    assert "version" in {p["name"] for p in put["parameters"] if p["in"] == "query"}


def test_healthz_answers(module_service: Service) -> None:
    answer = module_service.client(authenticated=False).get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_readyz_names_the_schema(module_service: Service) -> None:
    answer = module_service.client(authenticated=False).get("/readyz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ready" and body["schema"]


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+|NaN)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
    return total


def test_metrics_count_requests_and_decisions(module_service: Service) -> None:
    service = module_service
    anonymous = service.client(authenticated=False)
    admin = service.admin()
    make_party(admin, "red")
    make_party(admin, "blue")
    before = anonymous.get("/metrics").text
    red, blue = service.client("red"), service.client("blue")
    assert (
        red.post("/v1/operations", json=op(unique("m"), "red", lon=20, lat=20)).status_code == 201
    )
    assert (
        blue.post("/v1/operations", json=op(unique("m"), "blue", lon=20, lat=20)).status_code == 409
    )
    answer = anonymous.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    after = answer.text
    names = set(re.findall(r"^(deconflict_[a-z_]+)", after, re.M))
    assert {
        "deconflict_request_seconds_count",
        "deconflict_operations_accepted_total",
        "deconflict_operations_rejected_total",
        "deconflict_conflicts_found_total",
    } <= names
    for name in ("deconflict_operations_accepted_total", "deconflict_operations_rejected_total"):
        assert metric(after, name) >= metric(before, name) + 1, name
    posted = dict(method="POST", route="/v1/operations")
    assert metric(after, "deconflict_request_seconds_count", **posted, status="201") >= 1
    assert metric(after, "deconflict_request_seconds_count", **posted, status="409") >= 1


def test_responses_carry_a_request_id(module_service: Service) -> None:
    client = module_service.client(authenticated=False)
    assert client.get("/healthz").headers["x-request-id"]
    echoed = client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert echoed.headers["x-request-id"] == "trace-123"
