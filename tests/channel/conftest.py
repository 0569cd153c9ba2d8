"""Channel tests run real servers on SQLite and PostgreSQL, like tests/service."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[1] / "service"
sys.path.insert(0, str(SERVICE))

from live_server import (  # noqa: E402
    BACKENDS,
    PostgresCluster,
    Service,
    fresh_database,
    running_server,
    settings_for,
    start_throwaway,
)

from deconflict.api.auth import dev_private_key  # noqa: E402
from deconflict.config import Settings  # noqa: E402

FAST = {
    "channel": {"checkpoint_every_s": 0.2, "webhook": {"base_delay_s": 0.05, "max_attempts": 3}}
}


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster | None]:
    configured = os.environ.get("DECONFLICT_TEST_DATABASE_URL")
    cluster = PostgresCluster(configured) if configured else start_throwaway()
    try:
        yield cluster
    finally:
        if cluster is not None:
            cluster.close()


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("keys")
    dev_private_key(Settings(data_dir=str(path)))
    return str(path)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(
    backend: str, postgres_cluster: PostgresCluster | None, tmp_path: Path
) -> Iterator[str]:
    with fresh_database(backend, postgres_cluster, tmp_path) as url:
        yield url


@pytest.fixture
def service(backend: str, database_url: str, key_dir: str) -> Iterator[Service]:
    """A server with fast channel timings (checkpoints, webhook retries)."""
    settings = settings_for(database_url, key_dir, extra=FAST)
    with running_server(settings, backend) as running:
        yield running
