"""A real `deconflict` server on 127.0.0.1, on SQLite and on PostgreSQL+PostGIS.

Every test that asks for `service` gets a server of its own on a free port with a fresh
database: an SQLite file, or a database created for it on a PostgreSQL cluster. The
cluster is DECONFLICT_TEST_DATABASE_URL if set; otherwise, where the PostgreSQL binaries
are installed, one throwaway cluster is started for the session (scripts/pg-throwaway)
and stopped at the end; otherwise the PostgreSQL parameter is skipped.

Tests talk to the server with httpx over the socket; tokens are minted with the same
settings (and so the same development key) as the server's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import (
    BACKENDS,
    PostgresCluster,
    Service,
    fresh_database,
    running_server,
    settings_for,
    start_throwaway,
)

from deconflict.api.auth import dev_private_key
from deconflict.config import Settings


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster | None]:
    """The PostgreSQL cluster tests create databases on, or None if there is none."""
    configured = os.environ.get("DECONFLICT_TEST_DATABASE_URL")
    if configured:
        cluster: PostgresCluster | None = PostgresCluster(configured)
    else:
        cluster = start_throwaway()
    try:
        yield cluster
    finally:
        if cluster is not None:
            cluster.close()


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One data_dir (development signing key) shared by every server and token."""
    path = tmp_path_factory.mktemp("keys")
    dev_private_key(Settings(data_dir=str(path)))  # generated once, before any server
    return str(path)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def service(
    backend: str,
    postgres_cluster: PostgresCluster | None,
    key_dir: str,
    tmp_path: Path,
) -> Iterator[Service]:
    """A server of this test's own, with an empty database, on each backend."""
    with (
        fresh_database(backend, postgres_cluster, tmp_path) as url,
        running_server(settings_for(url, key_dir), backend) as running,
    ):
        yield running


@pytest.fixture(scope="module", params=BACKENDS)
def module_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def module_service(
    module_backend: str,
    postgres_cluster: PostgresCluster | None,
    key_dir: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    """A server shared by one module's tests (for tables of read-mostly cases)."""
    directory = tmp_path_factory.mktemp("module-db")
    with (
        fresh_database(module_backend, postgres_cluster, directory) as url,
        running_server(settings_for(url, key_dir), module_backend) as running,
    ):
        yield running
