"""`SqlLogStore` on SQLite gives the same log as the in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from audit_support import T0, fill

from deconflict.audit import AuditLog, CheckpointSigner, MemoryLogStore, verify_log
from deconflict.audit.sql_store import SqlLogStore, metadata


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_same_roots_proofs_and_checkpoints_as_memory(
    engine: sa.Engine, signer: CheckpointSigner
) -> None:
    memory = AuditLog(MemoryLogStore())
    fill(memory, 37)
    with engine.begin() as connection:  # one transaction per batch, as a use case would
        fill(AuditLog(SqlLogStore(connection)), 20)
    with engine.begin() as connection:
        log = AuditLog(SqlLogStore(connection))
        fill(log, 17, start_second=20)
        log.sign_checkpoint(signer, time=T0)
    with engine.connect() as connection:
        log = AuditLog(SqlLogStore(connection))
        assert log.size == 37
        assert list(log.store.lines(0, 37)) == list(memory.store.lines(0, 37))
        assert [log.root(n) for n in range(38)] == [memory.root(n) for n in range(38)]
        assert log.inclusion_proof(5, 37) == memory.inclusion_proof(5, 37)
        assert log.consistency_proof(13, 37) == memory.consistency_proof(13, 37)
        assert log.index_at(T0) == 1 and log.event(36).index == 36
        report = verify_log(list(log.store.lines(0, 37)), log.checkpoints(), signer.verifier)
        assert report.attested == 37


def test_a_rolled_back_transaction_leaves_no_event(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as connection:
        fill(AuditLog(SqlLogStore(connection)), 3)
        raise RuntimeError("the use case failed after recording")
    with engine.connect() as connection:
        assert AuditLog(SqlLogStore(connection)).size == 0


def test_two_writers_cannot_both_append_the_same_index(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        fill(AuditLog(SqlLogStore(connection)), 1)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        store = SqlLogStore(connection)
        store.append(0, store.line(0), store.time(0), [(0, 0, store.node(0, 0))])
