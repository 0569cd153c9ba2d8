"""Fixtures of the DSS tests: real servers (tests/service fixtures) that trust an RS256
key of a test authorization authority, and USSs holding tokens it signed."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[1] / "service"
if str(SERVICE) not in sys.path:
    sys.path.insert(0, str(SERVICE))
HERE = Path(__file__).resolve().parent
CHANNEL = HERE.parent / "channel"
for folder in (HERE, CHANNEL):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

_spec = importlib.util.spec_from_file_location("service_conftest_dss", SERVICE / "conftest.py")
assert _spec is not None and _spec.loader is not None
_service = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_service)

postgres_cluster = _service.postgres_cluster
key_dir = _service.key_dir

from dss_helpers import Authority, Dss  # noqa: E402
from live_server import (  # noqa: E402
    BACKENDS,
    PostgresCluster,
    fresh_database,
    running_server,
    settings_for,
)


@pytest.fixture(scope="session")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return Authority.generate(tmp_path_factory.mktemp("authority"))


@pytest.fixture(params=BACKENDS)
def dss_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def dss(
    dss_backend: str,
    postgres_cluster: PostgresCluster | None,
    key_dir: str,
    authority: Authority,
    tmp_path: Path,
) -> Iterator[Dss]:
    """A server of this test's own, on each backend, trusting `authority`."""
    with fresh_database(dss_backend, postgres_cluster, tmp_path) as url:
        settings = settings_for(url, key_dir, dss_public_keys=(str(authority.public_pem),))
        with running_server(settings, dss_backend) as running:
            yield Dss(running, authority)


@pytest.fixture(scope="module", params=BACKENDS)
def module_dss(
    request: pytest.FixtureRequest,
    postgres_cluster: PostgresCluster | None,
    key_dir: str,
    authority: Authority,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Dss]:
    """A server shared by one module's tests, on each backend."""
    directory = tmp_path_factory.mktemp("dss-db")
    with fresh_database(str(request.param), postgres_cluster, directory) as url:
        settings = settings_for(url, key_dir, dss_public_keys=(str(authority.public_pem),))
        with running_server(settings, str(request.param)) as running:
            yield Dss(running, authority)
