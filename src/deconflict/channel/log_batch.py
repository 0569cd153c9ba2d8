"""The log's tables as one sequencer pass uses them: reads through a cache, appends
encoded in memory and written with one `executemany` per table at the end.

Apart from `sequencer` because it is the log's side of a pass (Merkle nodes, leaf
chaining, checkpoints), while the sequencer decides what goes in and when.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from deconflict.audit import merkle
from deconflict.audit.checkpoint import Checkpoint, CheckpointSigner
from deconflict.audit.event import GENESIS, encode_event
from deconflict.audit.sql_store import EPOCH, MICROSECOND, SqlLogStore, audit_events, audit_nodes
from deconflict.store import bulk


def moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass
class Frontier:
    """The log's frontier nodes as a merge pass left them, at log size `size`: a process
    keeps it between passes so that short passes need not read it back each time."""

    size: int = -1
    nodes: dict[tuple[int, int], bytes] = field(default_factory=dict)


class BatchStore:
    """The log's tables for one pass: reads through a cache, writes in `executemany`s."""

    def __init__(self, connection: Connection, known: Frontier | None = None) -> None:
        self.connection = connection
        self.sql = SqlLogStore(connection)
        self._size = self.sql.size()
        self._last_time: datetime | None = self.sql.time(self._size - 1) if self._size else None
        self._nodes: dict[tuple[int, int], bytes] = {}
        """Node hashes read or made in this pass, seeded with the frontier an earlier pass
        left if the log still ends where it left it (`_trusted`)."""
        if known is not None and self._trusted(known):
            self._nodes.update(known.nodes)
        self._events: list[dict[str, Any]] = []
        self._new_nodes: list[dict[str, Any]] = []

    def size(self) -> int:
        return self._size

    def _trusted(self, known: Frontier) -> bool:
        """Whether `known` describes this log: same size and same last leaf. The last
        leaf chains (`prev`) to every earlier one, so it pins the whole history below
        it, hence every frontier node; a log that another process extended, or that was
        put back to a backup, fails this and is read afresh."""
        size = self._size
        if not size or known.size != size or (0, size - 1) not in known.nodes:
            return False
        return known.nodes[(0, size - 1)] == self.sql.node(0, size - 1)

    def node(self, level: int, index: int) -> bytes:
        found = self._nodes.get((level, index))
        if found is None:
            found = self.sql.node(level, index)
            self._nodes[(level, index)] = found
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
            bulk.insert_rows(self.connection, audit_events, self._events)
            bulk.insert_rows(self.connection, audit_nodes, self._new_nodes)
        self._events, self._new_nodes = [], []

    def frontier(self) -> dict[tuple[int, int], bytes]:
        """The nodes the next appends and the next root read: the last leaf and, per
        level, the last complete subtree that is a left child (about log2 n hashes)."""
        size = self._size
        wanted = {(0, size - 1)} if size else set()
        level = 0
        while size >> level:
            if (size >> level) & 1:
                wanted.add((level, (size >> level) - 1))
            level += 1
        return {key: self._nodes[key] for key in wanted if key in self._nodes}

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
