"""The submit endpoint's shortcut (`api.submit_shortcut`) answers exactly as the route.

Well-formed submissions are served by the shortcut, without the framework's routing;
everything else reaches the app with its body intact. Refusals the shortcut makes
itself (conflicts, invalid geometry, missing scope) are compared byte for byte with
the same requests sent through an app without it, on the same database: a refusal
writes nothing, so both see one state.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from live_server import READ, Service
from service_helpers import CENTRE, collection, later, make_party, op, polygon_feature, unique
from starlette.types import Receive, Scope, Send

from deconflict.api.app import create_app
from deconflict.api.submit_shortcut import SubmitShortcut


def without_shortcut(service: Service) -> TestClient:
    """The same app on the same database, every submission through the route."""
    app = create_app(service.settings, migrate=False)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not SubmitShortcut]
    return TestClient(app)  # no `with`: its background loops stay off


def refusals(service: Service) -> list[tuple[str, bytes]]:
    """(calling party, body) of submissions the use case refuses."""
    admin = service.admin()
    for name in ("red", "blue"):
        make_party(admin, name)
    standing = unique("blue-op")
    answer = service.client("blue").post("/v1/operations", json=op(standing, "blue"))
    assert answer.status_code == 201, answer.text
    crossing = [(-1, 0), (1, 0), (-1, 1), (1, 1), (-1, 0)]
    bow_tie = [[CENTRE[0] + dx * 0.01, CENTRE[1] + dy * 0.01] for dx, dy in crossing]
    cases = [
        ("red", op(unique("red-op"), "red")),  # conflicts with blue's
        ("red", collection(polygon_feature(unique("red-op"), "red", bow_tie, kind="operation"))),
        ("red", op(unique("red-op"), "blue")),  # another party's
        ("blue", op(standing, "blue")),  # its id is taken
        ("red", op(unique("red-op"), "red", start=later(-2), end=later(-1))),  # in the past
    ]
    return [(party, json.dumps(body).encode()) for party, body in cases]


JSON = {"content-type": "application/json"}


def test_refusals_are_the_routes_own(service: Service) -> None:
    plain = without_shortcut(service)
    for party, body in refusals(service):
        via_shortcut = service.client(party).post("/v1/operations", content=body, headers=JSON)
        token = {"authorization": f"Bearer {service.token(party)}"}
        via_route = plain.post("/v1/operations", content=body, headers={**JSON, **token})
        assert via_shortcut.status_code in (403, 409, 422), via_shortcut.text
        assert via_shortcut.status_code == via_route.status_code, via_shortcut.text
        assert via_shortcut.headers["content-type"] == via_route.headers["content-type"]
        assert via_shortcut.json() == via_route.json()


def test_read_only_caller_is_refused_alike(service: Service) -> None:
    make_party(service.admin(), "red")
    body = json.dumps(op(unique("red-op"), "red")).encode()
    via_shortcut = service.client("red", (READ,)).post("/v1/operations", content=body, headers=JSON)
    token = {"authorization": f"Bearer {service.token('red', (READ,))}"}
    via_route = without_shortcut(service).post(
        "/v1/operations", content=body, headers={**JSON, **token}
    )
    assert via_shortcut.status_code == via_route.status_code == 403
    assert via_shortcut.json() == via_route.json()


class Inner:
    """The app behind the shortcut: answers 299 and keeps the body it was given."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        self.bodies.append(b"".join(chunks))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def call(
    shortcut: SubmitShortcut, app: Any, headers: dict[str, str], body: bytes, query: bytes = b""
) -> int:
    """One request through `shortcut` (the real app's state in scope); the status."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/operations",
        "query_string": query,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "app": app,
    }
    parts = [body[: len(body) // 2], body[len(body) // 2 :]]  # in two chunks
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        chunk = parts.pop(0) if parts else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(parts)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(shortcut(scope, receive, send))
    return int(sent[0]["status"])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_only_well_formed_submissions_take_the_shortcut(service: Service) -> None:
    make_party(service.admin(), "red")
    app = create_app(service.settings, migrate=False)
    inner = Inner()
    shortcut = SubmitShortcut(inner)
    good = json.dumps(op(unique("red-op"), "red")).encode()
    token = {"authorization": f"Bearer {service.token('red')}"}
    assert call(shortcut, app, token, good) == 201
    assert inner.bodies == []  # served without the app
    answer = httpx.get(
        f"{service.url}/v1/operations/{json.loads(good)['features'][0]['id']}", headers=token
    )
    assert answer.status_code == 200, answer.text

    other = json.dumps(op(unique("red-op"), "red")).encode()
    to_the_app: list[tuple[dict[str, str], bytes, bytes]] = [
        ({}, other, b""),  # no token
        ({"authorization": "Bearer nonsense"}, other, b""),
        (token, b"{not json", b""),
        (token, json.dumps({"type": "Feature"}).encode(), b""),
        (token, json.dumps({**json.loads(other), "extra": 1}).encode(), b""),
        ({**token, "idempotency-key": "k" * 201}, other, b""),
        (token, other, b"dry=1"),
    ]
    for headers, body, query in to_the_app:
        assert call(shortcut, app, headers, body, query) == 299
        assert inner.bodies[-1] == body  # given to the app whole
    assert len(inner.bodies) == len(to_the_app)
