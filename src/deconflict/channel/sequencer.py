"""The sequencer: one process at a time gives new notices their stream position and
merges queued audit events into the Merkle log, in batches, signing checkpoints.

Why not append to the log inside every use case: appending is serial (event n+1 chains
to the leaf hash of n), so every writer on PostgreSQL would queue behind one row. Use
cases instead insert into `notices` and `audit_queue`, which concurrent transactions do
freely; a pass here then runs in one transaction that holds the single `channel_head`
row (`FOR UPDATE SKIP LOCKED` on PostgreSQL: a second process skips the pass; on SQLite
the write lock): it appends the queued events in queue order, then numbers the new
notices (gap-free, so a reader that has seen position n has seen every position below
it: Server-Sent Events resume from Last-Event-ID without skipping), sets their
deadline from the pair's policy, their digest, their webhook deliveries and their
`notice.created` event, and signs a checkpoint when the last is older than
`checkpoint_every_s`. The merge delay (commit → in the log and on the stream) is one
polling interval plus a pass: tens of milliseconds.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.audit import merkle
from deconflict.audit.checkpoint import Checkpoint, CheckpointSigner
from deconflict.audit.event import GENESIS, encode_event, format_time
from deconflict.audit.sql_store import (
    EPOCH,
    MICROSECOND,
    SqlLogStore,
    audit_checkpoints,
    audit_events,
    audit_nodes,
)
from deconflict.channel import interest, notice_store, policy
from deconflict.channel.kinds import SAFETY
from deconflict.store import bulk
from deconflict.store.backend import Database
from deconflict.store.channel_tables import audit_queue, channel_head, deliveries, notices

BATCH = 1000

_INSERT_EVENTS = audit_events.insert()
_INSERT_NODES = audit_nodes.insert()


def moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class CommittedNodes:
    """Tree nodes this process has seen committed, most recent kept.

    A committed node never changes (the log only grows), so any process may keep it;
    an append reads only the tree's right edge (about log2 n nodes, the same ones pass
    after pass), so a small cache spares nearly every read. A pass's own nodes join only
    once its transaction has committed: a pass that rolls back leaves nothing here that
    the next writer of those positions could contradict.
    """

    def __init__(self, limit: int = 4096) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._nodes: OrderedDict[tuple[int, int], bytes] = OrderedDict()

    def get(self, key: tuple[int, int]) -> bytes | None:
        with self._lock:
            return self._nodes.get(key)

    def add(self, items: Iterable[tuple[tuple[int, int], bytes]]) -> None:
        with self._lock:
            self._nodes.update(items)
            while len(self._nodes) > self._limit:
                self._nodes.popitem(last=False)


COMMITTED = CommittedNodes()


class BatchStore:
    """The log's tables for one pass: reads through a cache, writes in `executemany`s."""

    def __init__(self, connection: Connection, committed: CommittedNodes = COMMITTED) -> None:
        self.connection = connection
        self.sql = SqlLogStore(connection)
        self._size = self.sql.size()
        self._last_time: datetime | None = self.sql.time(self._size - 1) if self._size else None
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._committed = committed
        self._events: list[dict[str, Any]] = []
        self._new_nodes: list[dict[str, Any]] = []
        self._written: list[tuple[tuple[int, int], bytes]] = []

    def size(self) -> int:
        return self._size

    def node(self, level: int, index: int) -> bytes:
        key = (level, index)
        found = self._nodes.get(key)
        if found is None:
            found = self._committed.get(key)
            if found is None:
                # Before `flush`, this transaction has written no node: what it reads was
                # committed by an earlier pass, and may be kept.
                found = self.sql.node(level, index)
                self._committed.add([(key, found)])
            self._nodes[key] = found
        return found

    def append_event(
        self, kind: str, actor: str, subjects: Sequence[str], payload: dict, time: datetime
    ) -> None:
        index = self._size
        prev = self.node(0, index - 1) if index else GENESIS
        if self._last_time is not None and time < self._last_time:
            time = self._last_time
        line, leaf = encode_event(index, time, kind, actor, subjects, payload, prev)
        for level, position, value in merkle.completed_nodes(index, leaf, self):
            self._nodes[(level, position)] = value
            self._new_nodes.append({"level": level, "node_index": position, "hash": value})
            self._written.append(((level, position), value))
        self._events.append(
            {
                "leaf_index": index,
                "time": (time - EPOCH) // MICROSECOND,
                "kind": kind,
                "actor": actor,
                "line": line,
            }
        )
        self._size += 1
        self._last_time = time

    def flush(self) -> None:
        if self._events:
            bulk.executemany(self.connection, _INSERT_EVENTS, self._events)
            bulk.executemany(self.connection, _INSERT_NODES, self._new_nodes)
            # Keep what later appends will read: the right edge of the tree as it now
            # stands (the complete subtrees left of the next leaf) and the last leaf.
            size = self._size
            edge = [(level, (size >> level) - 1) for level in range(size.bit_length())]
            wanted = {key for key in edge if (key[1] + 1) & 1} | {(0, size - 1)}
            kept = [(key, value) for key, value in self._written if key in wanted]
            committed = self._committed
            hooks = self.connection.info.setdefault("after_commit", [])
            hooks.append(lambda: committed.add(kept))
        self._events, self._new_nodes, self._written = [], [], []

    def sign(self, signer: CheckpointSigner, now: float) -> str:
        """Sign and keep a checkpoint of the log as it now stands (after `flush`)."""
        root = merkle.root(self._size, self)
        signed = signer.sign(Checkpoint(signer.name, self._size, root, moment(now)))
        self.sql.add_checkpoint(self._size, signed.note)
        return signed.note

    # LogStore reads, for merkle.root
    def line(self, index: int) -> bytes:
        return self.sql.line(index)

    def lines(self, start: int, end: int) -> Iterator[bytes]:
        return self.sql.lines(start, end)


@dataclass(frozen=True)
class PassResult:
    events: int
    notices: int
    checkpoint: str | None


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
_QUEUED = sa.select(audit_queue).order_by(audit_queue.c.id).limit(BATCH)
_DEQUEUE = audit_queue.delete().where(audit_queue.c.id <= sa.bindparam("last"))
_LATEST_CHECKPOINT = sa.select(sa.func.max(audit_checkpoints.c.size))
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
_INSERT_DELIVERIES = deliveries.insert()
"""Statements built once: a pass runs after nearly every commit under load."""


def _lock_head(connection: Connection) -> Any:
    skip = connection.dialect.name == "postgresql"
    return connection.execute(_HEAD_SKIP_LOCKED if skip else _HEAD).first()


def pending(database: Database) -> bool:
    """Whether a pass has anything to do (a cheap read, no lock)."""
    with database.read() as connection:
        if connection.execute(_ANY_QUEUED).first() is not None:
            return True
        return connection.execute(_ANY_UNNUMBERED).first() is not None


def run_pass(
    database: Database,
    clock: Callable[[], float],
    signer: CheckpointSigner,
    *,
    checkpoint_every_s: float = 1.0,
    force_checkpoint: bool = False,
) -> PassResult:
    """One pass; does nothing if another process holds the head (PostgreSQL)."""
    with database.write() as connection:
        head = _lock_head(connection)
        if head is None:
            return PassResult(0, 0, None)
        now = clock()
        store = BatchStore(connection)
        queued = connection.execute(_QUEUED).all()
        for row in queued:
            store.append_event(
                row.kind, row.actor, row.subjects, dict(row.payload), moment(row.time)
            )
        if queued:
            connection.execute(_DEQUEUE, {"last": queued[-1].id})
        numbered = _number_notices(connection, store, head.seq, now)
        store.flush()
        note = None
        due = now - head.checkpoint_at >= checkpoint_every_s
        latest = connection.execute(_LATEST_CHECKPOINT).scalar()
        grown = store.size() > (latest or 0)
        if store.size() and grown and (force_checkpoint or due):
            note = store.sign(signer, now)
        values: dict[str, Any] = {"seq": head.seq + numbered}
        if note is not None:
            values["checkpoint_at"] = now
        connection.execute(channel_head.update().where(channel_head.c.id == 1).values(**values))
    return PassResult(len(queued), numbered, note)


def _facts(row: Any) -> Any:
    value = row.facts_text
    return json.loads(value) if isinstance(value, str | bytes) else value


def _with_facts(row: Any) -> Any:
    return SimpleNamespace(**row._asdict(), facts=_facts(row))


def _number_notices(connection: Connection, store: BatchStore, last_seq: int, now: float) -> int:
    rows = connection.execute(_UNNUMBERED).all()
    if not rows:
        return 0
    arrangements = policy.load_all(connection)
    links = interest.parties(connection)
    updates, hooks = [], []
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
        store.append_event("notice.created", "hub", [row.id], payload, moment(row.created_at))
    bulk.executemany(connection, _NUMBER, updates)
    if hooks:
        connection.execute(_INSERT_DELIVERIES, hooks)
    return len(rows)
