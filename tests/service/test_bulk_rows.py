"""`bulk.insert_rows` and the sequencer's one-statement numbering, on both backends:
rows land in order, with their values (NULLs, bytes, JSON) as SQLAlchemy writes them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from live_server import PostgresCluster, migrated_database

from deconflict.audit.sql_store import audit_nodes
from deconflict.store import bulk
from deconflict.store.channel_tables import audit_queue, deliveries


def test_rows_land_in_order_with_their_values(
    backend: str, postgres_cluster: PostgresCluster | None, tmp_path: Path
) -> None:
    with migrated_database(backend, postgres_cluster, tmp_path) as database:
        events = [
            {
                "time": 1.5 + i,
                "kind": f"kind-{i}",
                "actor": "alpha",
                "subjects": [f"op-{i}", "ü"],
                "payload": {"n": i, "nested": {"list": [1, None, "x"]}, "text": "a'b\"c"},
            }
            for i in range(300)
        ]
        nodes = [
            {"level": i % 3, "node_index": i, "hash": bytes([i % 256]) * 32} for i in range(50)
        ]
        hooks = [
            {
                "notice": f"n-{i}",
                "party": "bravo",
                "channel": "webhook",
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": 10.0 * i,
            }
            for i in range(3)
        ]
        with database.write() as connection:
            bulk.insert_rows(connection, audit_queue, events)
            bulk.insert_rows(connection, audit_nodes, nodes)
            bulk.insert_rows(connection, deliveries, hooks)
            bulk.insert_rows(connection, deliveries, [])  # nothing, no statement
        with database.read() as connection:
            queued = connection.execute(sa.select(audit_queue).order_by(audit_queue.c.id)).all()
            stored = connection.execute(sa.select(audit_nodes).order_by(audit_nodes.c.node_index))
            kept = connection.execute(sa.select(deliveries).order_by(deliveries.c.id)).all()
        assert [dict(r._mapping, id=None) for r in queued] == [dict(e, id=None) for e in events]
        assert [r.id for r in queued] == sorted(r.id for r in queued)
        assert [dict(r._mapping) for r in stored] == nodes
        assert [r.notice for r in kept] == ["n-0", "n-1", "n-2"]
        assert all(r.last_error is None and r.delivered_at is None for r in kept)


def test_rows_for_several_tables_land_together(
    backend: str, postgres_cluster: PostgresCluster | None, tmp_path: Path
) -> None:
    """`insert_rows_together` writes each table's rows in order, and an empty batch is
    left out (on PostgreSQL one statement; a failure takes back every table's rows)."""
    with migrated_database(backend, postgres_cluster, tmp_path) as database:
        events = [
            {"time": float(i), "kind": "k", "actor": "a", "subjects": [], "payload": {"i": i}}
            for i in range(20)
        ]
        nodes = [{"level": 0, "node_index": i, "hash": bytes([i]) * 32} for i in range(7)]
        with database.write() as connection:
            bulk.insert_rows_together(
                connection, [(audit_nodes, nodes), (deliveries, []), (audit_queue, events)]
            )
        with database.read() as connection:
            queued = connection.execute(sa.select(audit_queue).order_by(audit_queue.c.id))
            assert [r.payload for r in queued] == [{"i": i} for i in range(20)]
            assert (
                connection.execute(sa.select(sa.func.count()).select_from(audit_nodes)).scalar()
                == 7
            )
        clash = [{"level": 0, "node_index": 0, "hash": b"x" * 32}]  # key taken
        more = [dict(events[0], payload={"i": "lost"})]
        try:
            with database.write() as connection:
                bulk.insert_rows_together(connection, [(audit_queue, more), (audit_nodes, clash)])
        except (sa.exc.IntegrityError, sqlite3.IntegrityError):  # SQLite: from the driver
            pass
        else:
            raise AssertionError("a taken key must fail the insert")
        with database.read() as connection:
            count = connection.execute(sa.select(sa.func.count()).select_from(audit_queue))
            assert count.scalar() == 20
