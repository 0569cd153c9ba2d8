"""Pooled PostgreSQL connections that the server closed are replaced, not handed out.

The pool checks each connection at checkout without a round trip (`backend`); these
tests close connections from the server's side, as a restart or an administrator does,
and check that the next transactions succeed on fresh ones.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from live_server import PostgresCluster, fresh_database

from deconflict.store.backend import connect

_PID = sa.text("SELECT pg_backend_pid()")


def _terminate(cluster: PostgresCluster, pids: set[int], *, wait: bool = True) -> None:
    """End these server processes (as an administrator or a restart does); with `wait`,
    until they are gone (their farewell is then on the client's socket)."""
    admin = cluster.admin()
    alive = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)")
    with admin.connect() as connection:
        for pid in pids:
            assert connection.execute(
                sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}
            ).scalar()
        deadline = time.monotonic() + 10
        while wait and connection.execute(alive, {"p": sorted(pids)}).scalar():
            assert time.monotonic() < deadline, "terminated server processes did not exit"
            time.sleep(0.01)
    admin.dispose()


def test_connections_closed_by_the_server_are_replaced(
    postgres_cluster: PostgresCluster | None, tmp_path: Path
) -> None:
    with fresh_database("postgresql", postgres_cluster, tmp_path) as url:
        assert postgres_cluster is not None
        database = connect(url, pool_size=3)
        # Three connections into the pool, each known by its server process.
        with database.read() as a, database.read() as b, database.write() as c:
            before = {x.execute(_PID).scalar() for x in (a, b, c)}
        assert len(before) == 3
        _terminate(postgres_cluster, before)

        for _ in range(6):  # more than the pool holds: every dead one comes up once
            with database.write() as connection:
                pid = connection.execute(_PID).scalar()
                assert pid not in before
                connection.execute(sa.text("SELECT 1"))
        with database.read() as first, database.read() as second:
            now = {x.execute(_PID).scalar() for x in (first, second)}
        assert not now & before
        database.engine.dispose()


def test_a_healthy_connection_is_reused(
    postgres_cluster: PostgresCluster | None, tmp_path: Path
) -> None:
    """The check refuses only dead connections: a healthy one goes on serving."""
    with fresh_database("postgresql", postgres_cluster, tmp_path) as url:
        database = connect(url, pool_size=1)
        with database.read() as connection:
            first = connection.execute(_PID).scalar()
        for _ in range(5):
            with database.read() as connection:
                assert connection.execute(_PID).scalar() == first
        database.engine.dispose()


@pytest.mark.parametrize("count", [1, 2])
def test_terminated_while_idle_then_used_at_once(
    postgres_cluster: PostgresCluster | None, tmp_path: Path, count: int
) -> None:
    """Termination races the next checkout: the farewell may not have arrived yet when
    the pool looks; then the statement fails once and SQLAlchemy invalidates the pool,
    and the transaction after that must succeed."""
    with fresh_database("postgresql", postgres_cluster, tmp_path) as url:
        assert postgres_cluster is not None
        database = connect(url, pool_size=count)
        with database.read() as connection:
            pids = {connection.execute(_PID).scalar()}
        _terminate(postgres_cluster, pids, wait=False)
        outcomes = []
        for _ in range(3):
            try:
                with database.read() as connection:
                    outcomes.append(connection.execute(_PID).scalar() not in pids)
            except sa.exc.DBAPIError as error:
                assert error.connection_invalidated
                outcomes.append(False)
        assert outcomes[-1] is True
        assert outcomes.count(False) <= 1
        database.engine.dispose()


def test_statements_are_planned_for_the_tables_as_they_are(
    postgres_cluster: PostgresCluster | None, tmp_path: Path
) -> None:
    """Every pooled connection plans each execution afresh (no generic plan made while a
    table was small), and setting that up leaves no transaction open."""
    with fresh_database("postgresql", postgres_cluster, tmp_path) as url:
        database = connect(url, pool_size=3)
        with database.read() as first, database.read() as second:
            for connection in (first, second):
                assert connection.execute(sa.text("SHOW plan_cache_mode")).scalar() == (
                    "force_custom_plan"
                )
        raw = database.engine.raw_connection()  # a fresh one: the SET ended with nothing open
        try:
            status = raw.driver_connection.info.transaction_status  # type: ignore[union-attr]
            assert status == psycopg.pq.TransactionStatus.IDLE
        finally:
            raw.close()
        database.engine.dispose()
