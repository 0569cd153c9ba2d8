"""Contract tests generated from the standard's definition: every /dss/v1 operation,
valid and invalid requests, against a real server on each backend. No 500s; every
response as the definition documents it."""

from __future__ import annotations

import pytest
import schemathesis
from definition import definition_path
from dss_helpers import AA, CM, CMSA, CP, SC, Dss
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance


@pytest.fixture(scope="module")
def dss_schema(module_dss: Dss) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_path(str(definition_path()))
    return schema.include(path_regex=r"^/dss/v1/")


schema = schemathesis.pytest.from_fixture("dss_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_error_and_documented_bodies(case: schemathesis.Case, module_dss: Dss) -> None:
    token = module_dss.authority.token("uss-contract", [SC, CM, CP, CMSA, AA])
    case.call_and_validate(
        base_url=module_dss.url,
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
