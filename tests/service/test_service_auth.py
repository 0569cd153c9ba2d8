"""Authentication and scopes: no valid bearer token → 401, a token without the scope → 403.
Health, readiness, metrics and the OpenAPI document need no token."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import replace
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from live_server import ADMIN, READ, WRITE, Service
from service_helpers import assert_problem, op, unique

from deconflict.api.auth import dev_private_key
from deconflict.config import Settings

ENDPOINTS = [
    ("GET", "/v1/operations", None),
    ("GET", "/v1/operations/some-id", None),
    ("GET", "/v1/operations/some-id/history", None),
    ("POST", "/v1/operations", "operation"),
    ("POST", "/v1/operations:check", "plans"),
    ("PUT", "/v1/operations/some-id?version=1", "operation"),
    ("POST", "/v1/operations/some-id:cancel", None),
    ("GET", "/v1/zones", None),
    ("GET", "/v1/parties", None),
    ("PUT", "/v1/parties/someone", "party"),
    ("GET", "/v1/agreements", None),
]


def request(
    client: httpx.Client, method: str, path: str, body: str | None, token: str | None = None
) -> httpx.Response:
    payload: object = None
    if body == "operation":
        payload = op("some-id", "red")
    elif body == "plans":
        payload = {"plans": [op("some-id", "red")]}
    elif body == "party":
        payload = {"name": "Someone"}
    headers = {} if token is None else {"Authorization": token}
    return client.request(method, path, json=payload, headers=headers)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def bad_tokens(service: Service, tmp: Path) -> dict[str, str]:
    settings = service.settings
    now = int(time.time())
    claims = {"sub": "x", "aud": settings.audience, "party": "red", "scope": READ}
    key = dev_private_key(settings)
    other_key = dev_private_key(Settings(data_dir=str(tmp / "other-key")))
    good = service.token("red", (READ, WRITE))
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header, payload, signature = good.split(".")
    return {
        "no scheme": good,
        "basic": "Basic " + base64.b64encode(b"red:secret").decode(),
        "empty bearer": "Bearer",
        "garbage": "Bearer not-a-jwt",
        "three garbage parts": "Bearer aaa.bbb.ccc",
        "expired": "Bearer " + service.token("red", (READ, WRITE), lifetime_s=-120),
        "wrong audience": "Bearer "
        + service.token("red", (READ, WRITE), settings=replace(settings, audience="another")),
        "other signing key": "Bearer "
        + jwt.encode({**claims, "exp": now + 600}, other_key, algorithm="ES256"),
        "alg none": "Bearer " + f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "HS256 with public key": "Bearer "
        + jwt.encode({**claims, "exp": now + 600}, public_pem[:32], algorithm="HS256"),
        "tampered claims": "Bearer "
        + f"{header}.{b64({**claims, 'scope': ADMIN, 'exp': now + 600})}.{signature}",
        "no expiry": "Bearer " + jwt.encode(claims, key, algorithm="ES256"),
        "no subject": "Bearer "
        + jwt.encode(
            {k: v for k, v in claims.items() if k != "sub"} | {"exp": now + 600},
            key,
            algorithm="ES256",
        ),
        "not yet valid": "Bearer "
        + jwt.encode({**claims, "exp": now + 600, "nbf": now + 300}, key, algorithm="ES256"),
    }


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_no_token_is_401(module_service: Service, method: str, path: str, body: str | None) -> None:
    client = module_service.client(authenticated=False)
    problem = assert_problem(request(client, method, path, body), 401)
    assert problem["type"].endswith("/unauthorized")


@pytest.mark.parametrize(
    "kind",
    [
        "no scheme",
        "basic",
        "empty bearer",
        "garbage",
        "three garbage parts",
        "expired",
        "wrong audience",
        "other signing key",
        "alg none",
        "HS256 with public key",
        "tampered claims",
        "no expiry",
        "no subject",
        "not yet valid",
    ],
)
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS[:4] + ENDPOINTS[9:10])
def test_an_invalid_token_is_401(
    module_service: Service,
    tmp_path: Path,
    kind: str,
    method: str,
    path: str,
    body: str | None,
) -> None:
    token = bad_tokens(module_service, tmp_path)[kind]
    client = module_service.client(authenticated=False)
    answer = request(client, method, path, body, token)
    assert_problem(answer, 401)
    assert answer.headers["www-authenticate"].lower().startswith("bearer")


SCOPES = [
    # scopes, method, path, body, status (403 = wrong scope; anything else = allowed)
    ((READ,), "POST", "/v1/operations", "operation", 403),
    ((READ,), "PUT", "/v1/operations/some-id?version=1", "operation", 403),
    ((READ,), "POST", "/v1/operations/some-id:cancel", None, 403),
    ((READ,), "PUT", "/v1/parties/someone", "party", 403),
    ((WRITE,), "GET", "/v1/operations", None, 403),
    ((WRITE,), "GET", "/v1/operations/some-id", None, 403),
    ((WRITE,), "POST", "/v1/operations:check", "plans", 403),
    ((WRITE,), "GET", "/v1/zones", None, 403),
    ((WRITE,), "GET", "/v1/parties", None, 403),
    ((WRITE,), "PUT", "/v1/parties/someone", "party", 403),
    ((READ, WRITE), "PUT", "/v1/parties/someone", "party", 403),
    ((READ, WRITE), "DELETE", "/v1/parties/red", None, 403),
    ((), "GET", "/v1/operations", None, 403),
    (("deconflict.unknown",), "GET", "/v1/zones", None, 403),
    ((READ,), "GET", "/v1/operations", None, 200),
    ((READ,), "POST", "/v1/operations:check", "plans", 200),
    ((WRITE,), "POST", "/v1/operations", "operation", 201),
    ((ADMIN,), "GET", "/v1/operations", None, 200),
    ((ADMIN,), "PUT", "/v1/parties/someone", "party", 201),
]


@pytest.mark.parametrize(("scopes", "method", "path", "body", "expected"), SCOPES)
def test_scopes(
    module_service: Service,
    scopes: tuple[str, ...],
    method: str,
    path: str,
    body: str | None,
    expected: int,
) -> None:
    party = None if scopes == (ADMIN,) else "red"
    token = "Bearer " + module_service.token(party, scopes)
    client = module_service.client(authenticated=False)
    if body == "operation" and method == "POST":
        path_body = op(unique("scoped"), "red", lon=30 + len(scopes), lat=20)
        answer = client.post(path, json=path_body, headers={"Authorization": token})
    else:
        answer = request(client, method, path, body, token)
    if expected == 403:
        problem = assert_problem(answer, 403)
        assert problem["type"].endswith("/forbidden")
    else:
        assert answer.status_code in (expected, 200), answer.text
        if expected == 201 and path == "/v1/parties/someone":
            module_service.client(None, (ADMIN,)).delete("/v1/parties/someone")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.json"])
def test_operability_endpoints_need_no_token(module_service: Service, path: str) -> None:
    answer = module_service.client(authenticated=False).get(path)
    assert answer.status_code == 200, answer.text


def test_the_party_comes_from_the_token_claim(module_service: Service) -> None:
    admin = module_service.client(None, (ADMIN,))
    for party in ("red", "blue"):
        admin.put(f"/v1/parties/{party}", json={"name": party})
    red = module_service.client("red")
    ident = unique("claim")
    assert red.post("/v1/operations", json=op(ident, "red", lon=31, lat=21)).status_code == 201
    # Blue's token cannot use red's operation, whatever the body claims.
    blue = module_service.client("blue")
    assert_problem(blue.post("/v1/operations", json=op(unique("x"), "red", lon=32)), 403)
    assert_problem(blue.get(f"/v1/operations/{ident}/history"), 404)
