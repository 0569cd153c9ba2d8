"""Property-based tests of the whole OpenAPI description: no 500s, responses as documented.

schemathesis generates requests for every operation of /openapi.json, valid and not,
and sends them to a real server with an administrator's token and with a party's.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from live_server import Service
from schemathesis.checks import not_a_server_error, response_schema_conformance

ALLOWED = (not_a_server_error, response_schema_conformance)


@pytest.fixture(scope="module")
def api_schema(module_service: Service) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{module_service.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_error_and_documented_bodies(
    case: schemathesis.Case, module_service: Service
) -> None:
    party = "blue" if hash(case.operation.path) % 2 else None
    scopes = ["deconflict.admin"] if party is None else ["deconflict.read", "deconflict.write"]
    token = module_service.token(party, scopes)
    case.call_and_validate(
        base_url=module_service.url,
        headers={"Authorization": f"Bearer {token}"},
        checks=list(ALLOWED),
    )
