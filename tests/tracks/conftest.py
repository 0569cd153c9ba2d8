"""The service tests' fixtures (tests/service/conftest.py), and a migrated database.

Live tracks are tested like the rest of the service: real servers on SQLite and on a
throwaway PostgreSQL, through the same fixtures. They are loaded from tests/service by
path, under another module name, because both folders' conftest files are "conftest".
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[1] / "service"
if str(SERVICE) not in sys.path:
    sys.path.insert(0, str(SERVICE))

_spec = importlib.util.spec_from_file_location("service_conftest", SERVICE / "conftest.py")
assert _spec is not None and _spec.loader is not None
_service = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_service)

postgres_cluster = _service.postgres_cluster
key_dir = _service.key_dir
backend = _service.backend
service = _service.service

from live_server import PostgresCluster, fresh_database  # noqa: E402

from deconflict.store.backend import Database, connect  # noqa: E402
from deconflict.store.migrate import upgrade  # noqa: E402


@pytest.fixture
def database(
    backend: str, postgres_cluster: PostgresCluster | None, tmp_path: Path
) -> Iterator[Database]:
    """A fresh, migrated database on each backend, without a server."""
    with fresh_database(backend, postgres_cluster, tmp_path) as url:
        database = connect(url)
        upgrade(database)
        try:
            yield database
        finally:
            database.engine.dispose()
