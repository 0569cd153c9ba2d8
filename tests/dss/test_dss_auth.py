"""Who may call the DSS: RS256 tokens of the configured authority (PEM file or JWKS,
with or without `kid`), for this server's audience, not expired; `sub` is the USS."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt
import pytest
from dss_helpers import AA, SC, Authority, Dss, intent, new_id, volume4d
from live_server import running_server, settings_for

QUERY = "/dss/v1/operational_intent_references/query"


def _call(dss_url: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(
        dss_url + QUERY, json={"area_of_interest": volume4d()}, headers=headers, timeout=30
    )


def test_tokens_that_do_not_verify_get_401(dss: Dss, tmp_path: Path) -> None:
    good = dss.authority.token("uss1", [SC])
    assert _call(dss.url, good).status_code == 200
    assert _call(dss.url, dss.authority.token("uss1", [SC], kid="any")).status_code == 200
    for token in (
        None,
        "not-a-jwt",
        dss.authority.token("uss1", [SC], audience="elsewhere.example"),
        dss.authority.token("uss1", [SC], lifetime_s=-60),
        dss.service.token("blue"),  # the native API's development token (ES256)
        Authority.generate(tmp_path).token("uss1", [SC]),
    ):
        answer = _call(dss.url, token)
        assert answer.status_code == 401, (token, answer.text)
        assert set(answer.json()) == {"message"}
    # Verified, but without a scope of this endpoint.
    wrong = _call(dss.url, dss.authority.token("uss1", [AA]))
    assert wrong.status_code == 403 and "message" in wrong.json()


@pytest.fixture
def jwks_url(authority: Authority) -> Iterator[str]:
    """A JWKS endpoint publishing the authority's key as `kid` "k1"."""
    key = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(authority.key.public_key()))
    document = json.dumps({"keys": [key | {"kid": "k1", "use": "sig", "alg": "RS256"}]})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document.encode())

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()


def test_keys_from_a_jwks_url_with_or_without_kid(
    jwks_url: str, authority: Authority, key_dir: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'jwks.db'}"
    settings = settings_for(url, key_dir, dss_jwks_url=jwks_url, dss_audience=("dss.example",))
    with running_server(settings, "sqlite") as service:
        with_kid = authority.token("uss1", [SC], kid="k1", audience="dss.example")
        without = authority.token("uss2", [SC], audience="dss.example")
        assert _call(service.url, with_kid).status_code == 200
        assert _call(service.url, without).status_code == 200
        # The configured audience replaces the default (the host name).
        assert _call(service.url, authority.token("uss1", [SC])).status_code == 401
        # The USS is the token's sub: it manages what it creates.
        client = httpx.Client(
            base_url=service.url, headers={"Authorization": f"Bearer {with_kid}"}, timeout=30
        )
        with client:
            made = client.put(f"/dss/v1/operational_intent_references/{new_id()}", json=intent())
        assert made.status_code == 201, made.text
        assert made.json()["operational_intent_reference"]["manager"] == "uss1"
