"""The sequencer: one process at a time gives new notices their stream position and
merges queued audit events into the Merkle log, in batches, signing checkpoints.

Why not append to the log inside every use case: appending is serial (event n+1 chains
to the leaf hash of n), so every writer on PostgreSQL would queue behind one row. Use
cases instead insert into `notices` and `audit_queue`, which concurrent transactions do
freely. Each pass here runs in one transaction that holds the single `channel_head` row
(`FOR UPDATE SKIP LOCKED` on PostgreSQL: a second process skips the pass; on SQLite the
write lock). There are two kinds of pass, because only one of them is on the way to the
duty officers:

- `number_pass` numbers the new notices (gap-free, so a reader that has seen position n
  has seen every position below it: Server-Sent Events resume from Last-Event-ID
  without skipping), sets their deadline from the pair's policy, their digest and their
  webhook deliveries, and queues their `notice.created` events. Once it commits the
  notices can be delivered: it is kept short, and runs as soon as notices are committed.
- `merge_pass` appends the queued events to the Merkle log in queue order (so a notice's
  `notice.created` comes after the change that caused it and before its deliveries),
  and signs a checkpoint when the last is older than `checkpoint_every_s`. It may wait a
  little to gather a batch: nobody waits for it but the record.

`run_pass` does both, in that order. The delay from commit to the stream is one
numbering pass (milliseconds); to the log, one merge pass more.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.audit.checkpoint import CheckpointSigner
from deconflict.audit.event import format_time
from deconflict.audit.sql_store import audit_checkpoints
from deconflict.channel import interest, notice_store, policy
from deconflict.channel.kinds import SAFETY
from deconflict.channel.log_batch import BatchStore, Frontier, moment
from deconflict.store import bulk
from deconflict.store.backend import Database
from deconflict.store.channel_tables import audit_queue, channel_head, deliveries, notices

BATCH = 1000


@dataclass(frozen=True)
class PassResult:
    events: int
    notices: int
    checkpoint: str | None
    skipped: bool = False
    """Another process held the head (PostgreSQL), so this pass did nothing."""


def notice_digest(row: Any) -> str:
    """What an officer signs: SHA-256 of the notice's canonical facts (see
    `notice_store.digest`; the outbox already stored it in nearly every row)."""
    return notice_store.digest(
        row.id, row.recipient, row.sender, row.kind, row.about, row.facts, row.created_at
    )


_HEAD = sa.select(channel_head).where(channel_head.c.id == 1)
_HEAD_SKIP_LOCKED = _HEAD.with_for_update(skip_locked=True)
_ANY_QUEUED = sa.select(audit_queue.c.id).limit(1)
_ANY_UNNUMBERED = sa.select(notices.c.id).where(notices.c.seq.is_(None)).limit(1)
_QUEUED = sa.select(audit_queue).order_by(audit_queue.c.id).limit(sa.bindparam("limit"))
_DEQUEUE = audit_queue.delete().where(audit_queue.c.id <= sa.bindparam("last"))
_LATEST_CHECKPOINT = sa.select(sa.func.max(audit_checkpoints.c.size))
_SET_SEQ = channel_head.update().where(channel_head.c.id == 1).values(seq=sa.bindparam("seq"))
_SET_SIGNED = (
    channel_head.update().where(channel_head.c.id == 1).values(checkpoint_at=sa.bindparam("at"))
)
_UNNUMBERED = (
    sa.select(
        notices.c.id,
        notices.c.recipient,
        notices.c.sender,
        notices.c.kind,
        notices.c.about,
        notices.c.created_at,
        notices.c.digest,
        # Left as text: only a hotline message's (or an old row's) facts are needed.
        sa.type_coerce(notices.c.facts, sa.Text).label("facts_text"),
    )
    .where(notices.c.seq.is_(None))
    .order_by(notices.c.created_at, notices.c.id)
    .limit(BATCH)
)
_NUMBER = (
    notices.update()
    .where(notices.c.id == sa.bindparam("_id"))
    .values(
        seq=sa.bindparam("_seq"),
        deadline=sa.bindparam("_deadline"),
        safety=sa.bindparam("_safety"),
        digest=sa.bindparam("_digest"),
        next_step_at=sa.bindparam("_next"),
    )
)
_NUMBER_KEYS = ("_id", "_seq", "_deadline", "_safety", "_digest", "_next")
_NUMBER_POSTGRESQL = sa.text(
    "UPDATE notices SET seq = u.seq, deadline = u.deadline, safety = u.safety,"
    " digest = u.digest, next_step_at = u.next FROM unnest("
    "CAST(:_id AS varchar[]), CAST(:_seq AS bigint[]), CAST(:_deadline AS float8[]),"
    " CAST(:_safety AS boolean[]), CAST(:_digest AS varchar[]), CAST(:_next AS float8[]))"
    " AS u(id, seq, deadline, safety, digest, next) WHERE notices.id = u.id"
)
"""`_NUMBER` for every notice of a pass in one statement (see `bulk`: on PostgreSQL an
executemany is one execution per row)."""
_QUEUE_SQLITE = (
    "INSERT INTO audit_queue (time, kind, actor, subjects, payload) VALUES (?, ?, ?, ?, ?)"
)
"""Statements built once: a pass runs after nearly every commit under load."""


def _lock_head(connection: Connection) -> Any:
    skip = connection.dialect.name == "postgresql"
    return connection.execute(_HEAD_SKIP_LOCKED if skip else _HEAD).first()


@dataclass(frozen=True)
class Work:
    """What is waiting for a pass."""

    notices: bool
    events: bool


def waiting(database: Database) -> Work:
    """What a pass would find to do (cheap reads, no lock)."""
    with database.read() as connection:
        queued = connection.execute(_ANY_QUEUED).first()
        fresh = connection.execute(_ANY_UNNUMBERED).first()
    return Work(fresh is not None, queued is not None)


def pending(database: Database) -> bool:
    """Whether a pass has anything to do (a cheap read, no lock)."""
    work = waiting(database)
    return work.notices or work.events


def run_pass(
    database: Database,
    clock: Callable[[], float],
    signer: CheckpointSigner,
    *,
    checkpoint_every_s: float = 1.0,
    force_checkpoint: bool = False,
) -> PassResult:
    """A numbering pass, then a merge pass (each does nothing if another process holds
    the head on PostgreSQL)."""
    numbered = number_pass(database, clock)
    merged = merge_pass(
        database,
        clock,
        signer,
        checkpoint_every_s=checkpoint_every_s,
        force_checkpoint=force_checkpoint,
    )
    return PassResult(merged.events, numbered or 0, merged.checkpoint)


def number_pass(database: Database, clock: Callable[[], float]) -> int | None:
    """Put the committed new notices on the stream; how many (None: another process
    holds the head, so this one skipped)."""
    with database.write() as connection:
        head = _lock_head(connection)
        if head is None:
            return None
        numbered = _number_notices(connection, head.seq, clock())
        if numbered:
            connection.execute(_SET_SEQ, {"seq": head.seq + numbered})
    return numbered


def merge_pass(
    database: Database,
    clock: Callable[[], float],
    signer: CheckpointSigner,
    *,
    checkpoint_every_s: float = 1.0,
    force_checkpoint: bool = False,
    limit: int = BATCH,
    known: Frontier | None = None,
) -> PassResult:
    """Append up to `limit` queued events to the Merkle log; sign a checkpoint if due.

    `known`: the frontier a caller keeps between passes; updated once this one commits.
    """
    with database.write() as connection:
        head = _lock_head(connection)
        if head is None:
            return PassResult(0, 0, None, skipped=True)
        now = clock()
        store = BatchStore(connection, known)
        queued = connection.execute(_QUEUED, {"limit": limit}).all()
        for row in queued:
            store.append_event(
                row.kind, row.actor, row.subjects, dict(row.payload), moment(row.time)
            )
        if queued:
            connection.execute(_DEQUEUE, {"last": queued[-1].id})
        store.flush()
        note = None
        due = now - head.checkpoint_at >= checkpoint_every_s
        latest = connection.execute(_LATEST_CHECKPOINT).scalar()
        grown = store.size() > (latest or 0)
        if store.size() and grown and (force_checkpoint or due):
            note = store.sign(signer, now)
            connection.execute(_SET_SIGNED, {"at": now})
    if known is not None:  # committed: these hashes are in the log for good
        known.size, known.nodes = store.size(), store.frontier()
    return PassResult(len(queued), 0, note)


def _columns(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, list[Any]]:
    """Rows as one list per key: the array parameters of an `unnest` statement."""
    return {key: [row[key] for row in rows] for key in keys}


def _facts(row: Any) -> Any:
    value = row.facts_text
    return json.loads(value) if isinstance(value, str | bytes) else value


def _with_facts(row: Any) -> Any:
    return SimpleNamespace(**row._asdict(), facts=_facts(row))


def _number_notices(connection: Connection, last_seq: int, now: float) -> int:
    rows = connection.execute(_UNNUMBERED).all()
    if not rows:
        return 0
    arrangements = policy.load_all(connection)
    links = interest.parties(connection)
    updates, hooks, created = [], [], []
    rules: dict[tuple[str, str, str], tuple[float | None, bool]] = {}
    for number, row in enumerate(rows, start=last_seq + 1):
        other = row.sender if row.sender in links else row.recipient
        key = (row.recipient, other, row.kind)
        rule = rules.get(key)
        if rule is None:  # the same few pairs and kinds recur all through a pass
            arrangement = policy.lookup(arrangements, row.recipient, other)
            seconds = arrangement.policy.deadline_for(row.kind)
            rule = rules[key] = (seconds, arrangement.needs_ack(row.kind) and seconds is not None)
        seconds, needs_ack = rule
        deadline = row.created_at + seconds if needs_ack and seconds is not None else None
        digest = row.digest or notice_digest(_with_facts(row))
        updates.append(
            {
                "_id": row.id,
                "_seq": number,
                "_deadline": deadline,
                "_safety": row.kind in SAFETY,
                "_digest": digest,
                "_next": deadline,
            }
        )
        link = links.get(row.recipient)
        if link is not None and link.webhook_url:
            hooks.append(
                {
                    "notice": row.id,
                    "party": row.recipient,
                    "channel": "webhook",
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                }
            )
        payload: dict[str, Any] = {
            "to": row.recipient,
            "from": row.sender,
            "kind": row.kind,
            "about": list(row.about),
            "digest": digest,
            "seq": number,
        }
        if deadline is not None:
            payload["deadline"] = format_time(moment(deadline))
        if row.kind == "hotline":
            payload["summary"] = str(_facts(row).get("text", ""))[:500]
        created.append((row.created_at, row.id, payload))
    if connection.dialect.name == "postgresql":
        connection.execute(_NUMBER_POSTGRESQL, _columns(updates, _NUMBER_KEYS))
    else:
        bulk.executemany(connection, _NUMBER, updates)
    bulk.insert_rows(connection, deliveries, hooks)
    # Queued, not appended: the log's append is the slow part, and the merge pass does it.
    _queue_created(connection, created)
    return len(rows)


def _queue_created(connection: Connection, created: list[tuple[float, str, dict]]) -> None:
    """The `notice.created` events, queued in one statement (on SQLite straight to the
    driver, as SQLAlchemy's JSON type would write them: `json.dumps`)."""
    if connection.dialect.name != "sqlite":
        rows = [
            {
                "time": at,
                "kind": "notice.created",
                "actor": "hub",
                "subjects": [ident],
                "payload": payload,
            }
            for at, ident, payload in created
        ]
        bulk.insert_rows(connection, audit_queue, rows)
        return
    values = [
        (at, "notice.created", "hub", json.dumps([ident]), json.dumps(payload))
        for at, ident, payload in created
    ]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(_QUEUE_SQLITE, values)
    finally:
        cursor.close()
