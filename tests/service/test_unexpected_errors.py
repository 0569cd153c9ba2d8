"""A fault of the hub (an exception no handler expects) is still an RFC 9457 problem,
logged with its traceback under the request's id, and counted as a 500."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from deconflict.api.app import create_app
from deconflict.api.auth import dev_private_key
from deconflict.config import Settings


def test_an_unexpected_error_is_a_problem_with_the_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", data_dir=str(tmp_path))
    dev_private_key(settings)
    app = create_app(settings)

    @app.get("/v1/_fault")
    @app.get("/dss/v1/_fault")
    def fault() -> None:
        raise RuntimeError("a bug")

    logger = logging.getLogger("deconflict")
    logger.addHandler(caplog.handler)  # the app's loggers do not propagate to the root
    try:
        with caplog.at_level(logging.INFO, logger="deconflict"):
            client = TestClient(app, raise_server_exceptions=False)
            answer = client.get("/v1/_fault", headers={"X-Request-ID": "req-42"})
    finally:
        logger.removeHandler(caplog.handler)
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["type"].endswith("/internal-error") and body["status"] == 500
    assert body["request_id"] == "req-42"
    assert "a bug" not in answer.text  # no internals in the answer
    failed = [r for r in caplog.records if r.name == "deconflict.http" and r.exc_info]
    assert failed and failed[0].fields["request_id"] == "req-42"  # type: ignore[attr-defined]
    assert "RuntimeError: a bug" in caplog.text
    access = [r for r in caplog.records if getattr(r, "fields", {}).get("status") == 500]
    assert access and access[0].fields["path"] == "/v1/_fault"  # type: ignore[attr-defined]
    assert "req-42" in body["detail"]

    on_dss = client.get("/dss/v1/_fault", headers={"X-Request-ID": "req-43"})
    assert on_dss.status_code == 500
    assert on_dss.headers["content-type"] == "application/json"  # ASTM ErrorResponse
    assert on_dss.json() == {"message": body["detail"].replace("req-42", "req-43")}


def test_a_lost_database_connection_is_a_503_to_retry(tmp_path: Path) -> None:
    """The server closed the connection under the request (a restart): the answer says
    to send it again, as HTTP's 503 with Retry-After does, not that the hub is broken."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", data_dir=str(tmp_path))
    dev_private_key(settings)
    app = create_app(settings)
    lost = OperationalError(
        "SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True
    )
    other = OperationalError("SELECT 1", {}, Exception("disk I/O error"))

    @app.get("/v1/_lost")
    @app.get("/dss/v1/_lost")
    def fault() -> None:
        raise lost

    @app.get("/v1/_other")
    def fault_other() -> None:
        raise other

    client = TestClient(app, raise_server_exceptions=False)
    answer = client.get("/v1/_lost", headers={"X-Request-ID": "req-7"})
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["type"].endswith("/database-unavailable") and body["request_id"] == "req-7"
    assert "server closed" not in answer.text
    on_dss = client.get("/dss/v1/_lost")
    assert on_dss.status_code == 503 and set(on_dss.json()) == {"message"}
    # Any other database failure stays an internal error.
    assert client.get("/v1/_other").status_code == 500
