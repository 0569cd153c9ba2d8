"""The append-only audit log over a pluggable store, and its offline verification.

`AuditLog` appends events (chaining each to the previous leaf hash, keeping times
non-decreasing), stores the complete-subtree nodes each append finishes, signs
checkpoints and answers proofs in O(log n). Storage is a `LogStore`: `MemoryLogStore`
here, `deconflict.audit.sql_store.SqlLogStore` over SQLAlchemy Core. A store call
happens inside whatever transaction its owner opened, so an event is recorded in the
same transaction as the change it describes.

`verify_log` is the auditor's side: from the stored lines, the signed checkpoints and
the hub's key alone it recomputes every leaf, the chain and each checkpoint's root, and
names the first bad index (rules in its docstring).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from deconflict.audit import merkle
from deconflict.audit.checkpoint import (
    Checkpoint,
    CheckpointSigner,
    CheckpointVerifier,
    SignedCheckpoint,
)
from deconflict.audit.errors import EventFormatError, ForkError, ProofError, TamperError
from deconflict.audit.event import GENESIS, AuditEvent, EventKind, leaf_facts, leaf_hash


class LogStore(Protocol):
    """Where a log keeps its lines, tree nodes and checkpoints. No sessions in here:
    an implementation is bound to one connection/transaction by whoever creates it."""

    def size(self) -> int:
        """How many events are stored."""
        ...

    def append(
        self, index: int, line: bytes, time: datetime, nodes: Sequence[tuple[int, int, bytes]]
    ) -> None:
        """Store event `index` (must equal `size()`) and the tree nodes it completes."""
        ...

    def line(self, index: int) -> bytes:
        """The stored line of event `index`."""
        ...

    def lines(self, start: int, end: int) -> Iterator[bytes]:
        """Lines of events ``[start, end)`` in order."""
        ...

    def time(self, index: int) -> datetime:
        """The time of event `index` (for bisecting by time without decoding lines)."""
        ...

    def node(self, level: int, index: int) -> bytes:
        """Complete-subtree hash `(level, index)` (level 0: leaf hashes)."""
        ...

    def add_checkpoint(self, size: int, note: str) -> None:
        """Keep a signed checkpoint note (one per size)."""
        ...

    def checkpoints(self) -> list[str]:
        """All kept checkpoint notes, by increasing tree size."""
        ...


class MemoryLogStore:
    """A `LogStore` in Python lists: tests, benchmarks, and `deconflict audit` on files."""

    def __init__(self) -> None:
        self._lines: list[bytes] = []
        self._times: list[datetime] = []
        self._nodes = merkle.MemoryNodes()
        self._checkpoints: dict[int, str] = {}

    def size(self) -> int:
        return len(self._lines)

    def append(
        self, index: int, line: bytes, time: datetime, nodes: Sequence[tuple[int, int, bytes]]
    ) -> None:
        if index != len(self._lines):
            raise ValueError(f"append at {index}, but the log has {len(self._lines)} events")
        self._nodes.put(nodes)
        self._lines.append(line)
        self._times.append(time)

    def line(self, index: int) -> bytes:
        return self._lines[index]

    def lines(self, start: int, end: int) -> Iterator[bytes]:
        return iter(self._lines[start:end])

    def time(self, index: int) -> datetime:
        return self._times[index]

    def node(self, level: int, index: int) -> bytes:
        return self._nodes.node(level, index)

    def add_checkpoint(self, size: int, note: str) -> None:
        self._checkpoints[size] = note

    def checkpoints(self) -> list[str]:
        return [self._checkpoints[size] for size in sorted(self._checkpoints)]


class AuditLog:
    """Append events, sign checkpoints, produce proofs; all state lives in the store."""

    def __init__(self, store: LogStore) -> None:
        self.store = store

    @property
    def size(self) -> int:
        return self.store.size()

    def append(
        self,
        kind: EventKind | str,
        actor: str,
        subjects: Sequence[str],
        payload: Mapping[str, Any],
        *,
        time: datetime | None = None,
    ) -> AuditEvent:
        """Record one event now (or at `time`), chained to the last one.

        A time earlier than the last event's is raised to it: the log's order is the
        truth, and non-decreasing times let "what was known at T" bisect by time.
        """
        if time is not None and time.tzinfo is None:
            raise EventFormatError("event time must be timezone-aware (UTC)")
        index = self.store.size()
        moment = datetime.now(UTC) if time is None else time.astimezone(UTC)
        prev = GENESIS
        if index:
            prev = self.store.node(0, index - 1)
            moment = max(moment, self.store.time(index - 1))
        event = AuditEvent(index, moment, EventKind(kind), actor, tuple(subjects), payload, prev)
        nodes = merkle.completed_nodes(index, event.leaf_hash, self.store)
        self.store.append(index, event.line, event.time, nodes)
        return event

    def event(self, index: int) -> AuditEvent:
        return AuditEvent.from_line(self.store.line(index), position=index)

    def events(self, start: int = 0, end: int | None = None) -> Iterator[AuditEvent]:
        stop = self.size if end is None else end
        for position, line in enumerate(self.store.lines(start, stop), start):
            yield AuditEvent.from_line(line, position=position)

    def root(self, size: int | None = None) -> bytes:
        return merkle.root(self.size if size is None else size, self.store)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return merkle.inclusion_proof(index, self.size if size is None else size, self.store)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new = self.size if new_size is None else new_size
        return merkle.consistency_proof(old_size, new, self.store)

    def index_at(self, moment: datetime) -> int:
        """How many events had been recorded at `moment` (times ≤ moment): O(log n)."""
        low, high = 0, self.size
        while low < high:
            middle = (low + high) // 2
            if self.store.time(middle) <= moment:
                low = middle + 1
            else:
                high = middle
        return low

    def sign_checkpoint(
        self, signer: CheckpointSigner, *, time: datetime | None = None
    ) -> SignedCheckpoint:
        """Sign and keep a checkpoint of the log as it is now."""
        size = self.size
        moment = datetime.now(UTC) if time is None else time
        signed = signer.sign(Checkpoint(signer.name, size, self.root(size), moment))
        self.store.add_checkpoint(size, signed.note)
        return signed

    def checkpoints(self) -> list[str]:
        return self.store.checkpoints()


def check_consistency(
    old_note: str, new_note: str, proof: Sequence[bytes], verifier: CheckpointVerifier
) -> tuple[Checkpoint, Checkpoint]:
    """A party's check that the hub's new checkpoint extends the one it kept.

    Both notes must carry the hub's valid signature; then the consistency proof must
    verify. If it does not, the hub has signed two incompatible histories: `ForkError`.
    """
    old = verifier.verify(old_note).checkpoint
    new = verifier.verify(new_note).checkpoint
    if old.size > new.size:
        old, new = new, old
    try:
        merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
    except ProofError as exc:
        raise ForkError(f"fork: size {new.size} does not extend size {old.size}: {exc}") from exc
    return old, new


@dataclass(frozen=True)
class LogReport:
    """What `verify_log` established."""

    size: int
    root: bytes
    checkpoints: int
    attested: int
    """Events covered by the largest verified checkpoint; the rest are chained but unsigned."""


def verify_log(
    events: Iterable[bytes | AuditEvent],
    checkpoints: Iterable[str | SignedCheckpoint],
    verifier: CheckpointVerifier,
) -> LogReport:
    """Recompute leaves, chain and checkpoint roots; raise on the first bad index.

    Checkpoint signatures are checked first (`CheckpointError`; two signed checkpoints
    of one size with different roots are a `ForkError`). Then, scanning positions
    ``p = 0, 1, …`` for the first *local* signal ``q``:

    1. the line does not decode canonically → ``q`` is bad;
    2. its ``index`` is not ``p`` → ``q`` is bad (dropped, inserted, moved) — except a
       duplicated index whose event chains to ``q − 2``: then ``q − 1`` was inserted;
    3. its ``prev`` is not the leaf hash at ``p − 1``: event ``q − 1`` was changed,
       unless event ``q + 1`` does not chain to ``q`` either (then ``q`` was changed).
       For the last event the tie is broken by the checkpoint: re-linking ``q`` to
       ``q − 1`` reproduces the signed root only if ``q``'s own ``prev`` was changed.

    The first checkpoint of size ``s`` ≤ ``q`` whose root does not match overrides:
    the chain is intact below it, so event ``s − 1`` was changed, or several events
    from the last good checkpoint on were rewritten consistently (`TamperError.earliest`).
    Nothing below a verified checkpoint is ever named. A checkpoint larger than the
    log means events were cut off: the first missing index is named.
    """
    signed = [
        verifier.verify(c) if isinstance(c, str) else verifier.verify(c.note) for c in checkpoints
    ]
    heads = sorted((s.checkpoint for s in signed), key=lambda c: c.size)
    for a, b in itertools.pairwise(heads):
        if a.size == b.size and a.root != b.root:
            raise ForkError(f"two signed checkpoints of size {a.size} with different roots")
    lines = [e.line if isinstance(e, AuditEvent) else e for e in events]
    n = len(lines)
    leaves: list[bytes] = []
    q: int | None = None
    signal = ""
    for p, line in enumerate(lines):
        facts = leaf_facts(line)  # the short way: one decode, one encode, two hashes
        if facts is None:
            try:
                event = AuditEvent.from_line(line, position=p)
            except EventFormatError as exc:
                q, signal = p, f"malformed: {exc.message}"
                break
            facts = (event.index, event.prev, event.leaf_hash)
        index, prev, leaf = facts
        leaves.append(leaf)
        if index != p:
            q, signal = p, f"position {p} holds event {index} (dropped, inserted or moved)"
            break
        if prev != (leaves[p - 1] if p else GENESIS):
            q, signal = p, "chain broken"
            break
    limit = n if q is None else q
    nodes = merkle.tree_of(leaves[:limit])
    good, failed = 0, None
    for head in heads:
        if head.size > limit:
            break
        if merkle.root(head.size, nodes) != head.root:
            failed = head
            break
        good = head.size
    if failed is not None:
        raise TamperError(
            f"events do not reproduce the root of the checkpoint of size {failed.size} "
            f"(the chain is intact: event {failed.size - 1} changed, or events from "
            f"{good} on rewritten)",
            index=max(failed.size - 1, good),
            earliest=good,
        )
    if q is not None:
        bad = _locate(q, signal, lines, leaves, heads, nodes)
        raise TamperError(signal, index=max(bad, good), earliest=good)
    if heads and heads[-1].size > n:
        raise TamperError(
            f"a checkpoint covers {heads[-1].size} events but the log has {n}: cut off",
            index=n,
            earliest=good,
        )
    return LogReport(n, merkle.root(n, nodes), len(heads), good)


def _locate(
    q: int,
    signal: str,
    lines: list[bytes],
    leaves: list[bytes],
    heads: list[Checkpoint],
    nodes: merkle.MemoryNodes,
) -> int:
    """Rules 2 and 3 of `verify_log`: which of the events around `q` is the bad one."""
    if signal.startswith("malformed") or q == 0:
        return q
    event = AuditEvent.from_line(lines[q])  # it decoded in the scan
    if event.index != q:
        prev_of_before = leaves[q - 2] if q >= 2 else GENESIS
        if q >= 1 and event.index == q - 1 and event.prev == prev_of_before:
            return q if lines[q] == lines[q - 1] else q - 1  # a replayed copy is the extra one
        return q
    if q + 1 < len(lines):
        try:
            successor = AuditEvent.from_line(lines[q + 1])
        except EventFormatError:
            return q
        return q - 1 if successor.prev == leaves[q] else q
    # The last event: did its own prev change, or its predecessor?
    relinked = AuditEvent(
        event.index,
        event.time,
        event.kind,
        event.actor,
        event.subjects,
        event.payload,
        leaves[q - 1],
        event.payload_digest,
    )
    covering = [h for h in heads if h.size == q + 1]
    if covering:
        nodes.append_leaf(leaf_hash(relinked.record))
        if merkle.root(q + 1, nodes) == covering[0].root:
            return q
    return q - 1
