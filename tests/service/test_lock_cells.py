"""PostgreSQL's lock cells: retention prunes the cells of hours long gone, never while a
writer holds cells, and a writer that needs a pruned cell again still locks it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from live_server import PostgresCluster, migrated_database

from deconflict.application.hub import Hub
from deconflict.application.retention import purge
from deconflict.store import locks
from deconflict.store.backend import Database

HOUR = 3600.0
NOW = 1_800_000_000.0  # 2027-01-15, on the hour
OLD = (10.0, 20.0, 0.0, NOW - 48 * HOUR, 10.4, 20.1, 500.0, NOW - 46 * HOUR + 60)
"""Three hours two days ago, two cells wide, one high: 6 cells."""
NEW = (10.0, 20.0, 0.0, NOW + HOUR, 10.1, 20.1, 500.0, NOW + HOUR + 60)


def _keys(database: Database) -> list[str]:
    with database.read() as connection:
        return list(connection.execute(sa.text("SELECT key FROM lock_cells")).scalars())


def test_past_cells_are_pruned_and_made_anew(
    postgres_cluster: PostgresCluster | None, tmp_path: Path
) -> None:
    with migrated_database("postgresql", postgres_cluster, tmp_path) as database:
        with database.write() as connection:
            locks.lock_cells_for(connection, [OLD, NEW])
        old_keys, new_keys = locks.cell_keys([OLD]), locks.cell_keys([NEW])
        assert len(old_keys) == 6 and len(new_keys) == 1
        assert sorted(_keys(database)) == sorted(["*", *old_keys, *new_keys])

        assert locks.prune_cells(database, NOW - 24 * HOUR) == 6
        assert sorted(_keys(database)) == sorted(["*", *new_keys])
        assert locks.prune_cells(database, NOW - 24 * HOUR) == 0

        # A late plan for the past needs a pruned cell again: it is made and locked, so a
        # second writer of the same cells waits for the first.
        with database.write() as first:
            locks.lock_cells_for(first, [OLD])
            with database.engine.connect() as second, second.begin():
                second.exec_driver_sql("SET lock_timeout = '200ms'")
                with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
                    locks.lock_cells_for(second, [OLD])
            with database.engine.connect() as third, third.begin():
                locks.lock_cells_for(third, [NEW])  # other cells: no wait


def test_pruning_waits_for_every_writer_holding_cells(
    postgres_cluster: PostgresCluster | None, tmp_path: Path
) -> None:
    """A prune that deleted a cell between a writer's insert and its `FOR UPDATE` would
    leave that writer unlocked: the prune must wait until the writer commits."""
    with migrated_database("postgresql", postgres_cluster, tmp_path) as database:
        with database.write() as connection:
            locks.lock_cells_for(connection, [OLD])
        keys = locks.cell_keys([OLD])
        pruned: list[int] = []
        with database.write() as writer:
            # A writer's first two steps (`lock_cells_for`): the everyone-row shared, then
            # its cells made; they exist already, so the writer holds no lock on them yet.
            writer.execute(locks._EVERYONE_SHARED)
            writer.execute(locks._ENSURE, {"keys": keys})
            pid = writer.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            pruner = threading.Thread(
                target=lambda: pruned.append(locks.prune_cells(database, NOW)), daemon=True
            )
            pruner.start()
            assert _waits_for(database, pid), "the prune did not queue behind the writer"
            assert pruned == [] and pruner.is_alive()
            locked = writer.execute(locks._LOCK, {"keys": keys}).scalars().all()
            assert locked == keys  # every cell still there to lock
        pruner.join(timeout=30)
        assert pruned == [6]
        assert _keys(database) == ["*"]


def _waits_for(database: Database, pid: int) -> bool:
    """Whether some session ends up waiting on a lock held by backend `pid` (10 s)."""
    deadline = time.monotonic() + 10
    with database.engine.connect() as probe:
        while time.monotonic() < deadline:
            blocked = probe.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
                ),
                {"pid": pid},
            ).scalar()
            probe.rollback()
            if blocked:
                return True
            time.sleep(0.05)
    return False


def test_retention_prunes_cells_and_sqlite_has_none(
    backend: str, postgres_cluster: PostgresCluster | None, tmp_path: Path
) -> None:
    with migrated_database(backend, postgres_cluster, tmp_path) as database:
        with database.write() as connection:
            locks.lock_cells_for(connection, [OLD, NEW])
        purge(Hub(database, clock=lambda: NOW), 24 * HOUR)
        expected = ["*"] if backend == "sqlite" else sorted(["*", *locks.cell_keys([NEW])])
        assert sorted(_keys(database)) == expected
