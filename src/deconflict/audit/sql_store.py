"""A `LogStore` over SQLAlchemy Core tables, bound to one connection (one transaction).

Three tables on their own `metadata` (to be added to the project's schema through an
Alembic migration, like every table):

- ``audit_events``: one row per event: ``leaf_index`` (primary key, so two writers that
  both try to append index n cannot both succeed), ``time`` (microseconds since
  1970 UTC, exact, for bisecting by time), ``kind``, ``actor``, ``line`` (the canonical
  line, bytes);
- ``audit_nodes``: complete-subtree hashes, primary key ``(level, node_index)``;
- ``audit_checkpoints``: signed checkpoint notes, primary key ``size``.

Appends and the change they record share the caller's transaction. Appending is
serial by nature (index n+1 needs the leaf hash of n): on PostgreSQL, concurrent
writers that pass the same index get a unique violation and must retry, or the
application must take a row lock on a single "audit head" row first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.audit.event import AuditEvent

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

metadata = sa.MetaData()

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("time", sa.BigInteger, nullable=False),  # µs since 1970, UTC
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("line", sa.LargeBinary, nullable=False),
)

audit_nodes = sa.Table(
    "audit_nodes",
    metadata,
    sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("node_index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
)

audit_checkpoints = sa.Table(
    "audit_checkpoints",
    metadata,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("note", sa.Text, nullable=False),
)


_SIZE = sa.select(sa.func.max(audit_events.c.leaf_index))
_LINE = sa.select(audit_events.c.line).where(audit_events.c.leaf_index == sa.bindparam("index"))
_TIME = sa.select(audit_events.c.time).where(audit_events.c.leaf_index == sa.bindparam("index"))
_NODE = sa.select(audit_nodes.c.hash).where(
    audit_nodes.c.level == sa.bindparam("level"),
    audit_nodes.c.node_index == sa.bindparam("index"),
)
"""Statements built once: building one costs more than running it (these run per append)."""


class SqlLogStore:
    """The log's rows, read and written through `connection` (no commit here)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def size(self) -> int:
        value = self.connection.execute(_SIZE).scalar()
        return 0 if value is None else int(value) + 1

    def append(
        self, index: int, line: bytes, time: datetime, nodes: Sequence[tuple[int, int, bytes]]
    ) -> None:
        # kind and actor are copied out of the line for SQL filtering; the line is the truth.
        event = AuditEvent.from_line(line, position=index)
        self.connection.execute(
            audit_events.insert().values(
                leaf_index=index,
                time=(time - EPOCH) // MICROSECOND,
                kind=event.kind.value,
                actor=event.actor,
                line=line,
            )
        )
        self.connection.execute(
            audit_nodes.insert(),
            [{"level": lv, "node_index": i, "hash": h} for lv, i, h in nodes],
        )

    def line(self, index: int) -> bytes:
        value = self.connection.execute(_LINE, {"index": index}).scalar()
        if value is None:
            raise IndexError(f"no audit event {index}")
        return bytes(value)

    def lines(self, start: int, end: int) -> Iterator[bytes]:
        query = (
            sa.select(audit_events.c.line)
            .where(audit_events.c.leaf_index >= start, audit_events.c.leaf_index < end)
            .order_by(audit_events.c.leaf_index)
        )
        for (value,) in self.connection.execute(query):
            yield bytes(value)

    def time(self, index: int) -> datetime:
        value = self.connection.execute(_TIME, {"index": index}).scalar()
        if value is None:
            raise IndexError(f"no audit event {index}")
        return EPOCH + int(value) * MICROSECOND

    def node(self, level: int, index: int) -> bytes:
        value = self.connection.execute(_NODE, {"level": level, "index": index}).scalar()
        if value is None:
            raise KeyError((level, index))
        return bytes(value)

    def add_checkpoint(self, size: int, note: str) -> None:
        exists = self.connection.execute(
            sa.select(audit_checkpoints.c.note).where(audit_checkpoints.c.size == size)
        ).scalar()
        if exists is None:
            self.connection.execute(audit_checkpoints.insert().values(size=size, note=note))

    def checkpoints(self) -> list[str]:
        query = sa.select(audit_checkpoints.c.note).order_by(audit_checkpoints.c.size)
        return [str(note) for (note,) in self.connection.execute(query)]
