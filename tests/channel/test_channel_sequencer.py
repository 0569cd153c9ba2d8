"""The sequencer's merges on a real database: merges in short chunks that keep the log's
frontier between passes build the same log as one long merge; a frontier left stale by
another process's appends, or by a database put back to a backup, is not trusted."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from channel_helpers import wait_for
from live_server import PostgresCluster, fresh_database

from deconflict.audit import AuditLog, verify_log
from deconflict.audit.sql_store import SqlLogStore
from deconflict.channel import keys, outbox, sequencer, wakeups
from deconflict.channel.kinds import NoticeKind
from deconflict.channel.runner import Runner, Timing
from deconflict.store.backend import Database, connect
from deconflict.store.channel_tables import audit_queue, notices
from deconflict.store.migrate import upgrade

T0 = 1_790_000_000.0


def _queue(database: Database, start: int, count: int) -> None:
    rows = [
        {
            "time": T0 + i,
            "kind": "notice.delivered",
            "actor": "hub",
            "subjects": [f"n-{i}"],
            "payload": {"to": f"p{i % 7}", "channel": "sse", "i": i},
        }
        for i in range(start, start + count)
    ]
    with database.write() as connection:
        connection.execute(audit_queue.insert(), rows)


def _log(database: Database) -> tuple[list[bytes], bytes, list[str]]:
    with database.read() as connection:
        log = AuditLog(SqlLogStore(connection))
        return list(log.store.lines(0, log.size)), log.root(), log.checkpoints()


def _fresh(url: str) -> Database:
    database = connect(url)
    upgrade(database)
    return database


def test_chunked_merges_with_a_kept_frontier_build_the_same_log(
    backend: str, postgres_cluster: PostgresCluster | None, tmp_path: Path, key_dir: str
) -> None:
    signer = keys.hub_signer(key_dir)
    clock = time.time
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        fresh_database(backend, postgres_cluster, tmp_path / "a") as url_a,
        fresh_database(backend, postgres_cluster, tmp_path / "b") as url_b,
    ):
        whole, chunked = _fresh(url_a), _fresh(url_b)
        try:
            for database in (whole, chunked):
                _queue(database, 0, 301)
            sequencer.merge_pass(whole, clock, signer, force_checkpoint=True)
            frontier = sequencer.Frontier()
            merged = 0
            while True:
                result = sequencer.merge_pass(chunked, clock, signer, limit=7, known=frontier)
                merged += result.events
                if result.events < 7:
                    break
                assert frontier.size == merged and 0 < len(frontier.nodes) <= 10
            # Another process appends behind this one's back: the kept frontier is stale.
            for database in (whole, chunked):
                _queue(database, 301, 9)
            sequencer.merge_pass(whole, clock, signer, force_checkpoint=True)
            sequencer.merge_pass(chunked, clock, signer, limit=4)  # no frontier: "elsewhere"
            while sequencer.merge_pass(chunked, clock, signer, limit=4, known=frontier).events:
                pass
            sequencer.merge_pass(chunked, clock, signer, force_checkpoint=True, known=frontier)
            lines_a, root_a, _ = _log(whole)
            lines_b, root_b, notes_b = _log(chunked)
            assert len(lines_a) == 310 and lines_a == lines_b and root_a == root_b
            report = verify_log(lines_b, notes_b, signer.verifier)
            assert report.size == 310 and report.attested == 310
            with chunked.read() as connection:
                left = connection.execute(sa.select(sa.func.count()).select_from(audit_queue))
                assert left.scalar() == 0
            # The database is put back to an earlier backup (300 events) under a process
            # that kept the frontier of 310, and another process appends 10 other events:
            # the size is 310 again, but that frontier must not be used.
            with chunked.write() as connection:
                connection.execute(sa.text("DELETE FROM audit_events WHERE leaf_index >= 300"))
                connection.execute(
                    sa.text("DELETE FROM audit_nodes WHERE (node_index + 1) * (1 << level) > 300")
                )
                connection.execute(sa.text("DELETE FROM audit_checkpoints WHERE size > 300"))
            assert frontier.size == 310
            _queue(chunked, 1000, 22)  # other events than the ones that were lost
            sequencer.merge_pass(chunked, clock, signer, limit=10)  # elsewhere
            while sequencer.merge_pass(chunked, clock, signer, limit=5, known=frontier).events:
                pass
            sequencer.merge_pass(chunked, clock, signer, force_checkpoint=True, known=frontier)
            lines, _, notes = _log(chunked)
            assert len(lines) == 322 and lines[:300] == lines_a[:300]
            assert verify_log(lines, notes, signer.verifier).attested == 322
        finally:
            whole.engine.dispose()
            chunked.engine.dispose()


def test_a_storm_of_commits_is_numbered_in_a_pass_per_gap(
    tmp_path: Path, key_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every commit of notices wakes the sequencer, and each look at the database is a
    query: under load it must look about once per numbering gap, not once per commit,
    and still number every notice."""
    database = _fresh(f"sqlite:///{tmp_path / 'storm.db'}")
    looks: list[float] = []
    real_waiting = sequencer.waiting

    def counted(db: Database) -> sequencer.Work:
        looks.append(time.monotonic())
        return real_waiting(db)

    monkeypatch.setattr(sequencer, "waiting", counted)
    gap = 0.1
    timing = Timing(poll_s=5.0, min_gap_s=gap, merge_every_s=60.0, checkpoint_every_s=600.0)
    runner = Runner(database, time.time, keys.hub_signer(key_dir), timing)
    thread = threading.Thread(target=runner._sequence, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        commits = 300
        for i in range(commits):  # one commit (and one wake-up) every few milliseconds
            draft = outbox.Draft("bravo", "alpha", NoticeKind.HOTLINE, (), {"text": str(i)})
            with database.write() as connection:
                outbox.write(connection, [draft], [], time.time())
            time.sleep(0.002)
        elapsed = time.monotonic() - started
        wait_for(lambda: _unnumbered(database) == 0, message="every notice numbered")
    finally:
        runner.stop_event.set()
        wakeups.NOTICES.notify()
        thread.join(timeout=10)
    assert len(looks) <= elapsed / gap + 10, (len(looks), commits, elapsed)


def _unnumbered(database: Database) -> int:
    with database.read() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(notices).where(notices.c.seq.is_(None))
        ).scalar_one()
