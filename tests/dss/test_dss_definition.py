"""The scope table and the served paths match the standard's definition, and the types
of uas-standards (which the implementation depends on) are those of the definition."""

from __future__ import annotations

from pathlib import Path

from definition import definition
from uas_standards.astm.f3548.v21.api import API_VERSION, OPERATIONS

from deconflict.api.dss.scopes import SECURITY, STATUSES_WITH_413


def _operations(document: dict) -> dict[str, tuple[str, str, dict]]:
    found = {}
    for path, item in document["paths"].items():
        for verb, operation in item.items():
            if verb in ("get", "put", "post", "delete"):
                found[operation["operationId"]] = (path, verb, operation)
    return found


def test_scopes_are_the_definitions() -> None:
    document = definition()
    operations = _operations(document)
    assert document["info"]["version"] == API_VERSION == "1.0.0"
    for operation_id, alternatives in SECURITY.items():
        _, _, operation = operations[operation_id]
        security = operation.get("security", document["security"])
        assert alternatives == tuple(tuple(a["Authority"]) for a in security), operation_id
    dss = {i for i, (path, _, _) in operations.items() if path.startswith("/dss/v1/")}
    assert dss <= set(SECURITY)


def test_413_where_listed() -> None:
    """Read from uas-standards, which carries each operation's response codes (so this
    runs without the definition's file)."""
    listed = {
        operation.id
        for operation in OPERATIONS.values()
        if operation.path.startswith("/dss/v1/") and 413 in operation.response_body_type
    }
    assert listed == STATUSES_WITH_413


def test_served_paths_are_the_definitions(tmp_path: Path, key_dir: str) -> None:
    """Every DSS operation of the definition is routed: without a token it answers 401
    (or 400 for a missing body), never 404 or 405."""
    from fastapi.testclient import TestClient
    from live_server import settings_for

    from deconflict.api.app import create_app

    app = create_app(settings_for(f"sqlite:///{tmp_path / 'routes.db'}", key_dir))
    ident = "2f8343be-6482-4d1b-a474-16847e01af1e"
    with TestClient(app) as client:
        for operation in OPERATIONS.values():
            if not operation.path.startswith("/dss/v1/"):
                continue
            path = operation.path
            for name in ("{entityid}", "{subscriptionid}", "{uss_id}"):
                path = path.replace(name, ident)
            path = path.replace("{ovn}", "x" * 20).replace("{version}", "v1")
            answer = client.request(operation.verb, path, json={})
            assert answer.status_code == 401, (operation.id, answer.status_code)
            assert set(answer.json()) == {"message"}
