"""Submit a new operation: checked and written in one atomic step.

Inside one write transaction (SQLite: the write lock; PostgreSQL: the locked cells):
read what is in force nearby through the index, run the engine, and either refuse with
the conflicts and verified suggestions, or write the operation. Nothing another writer
commits can slip between the check and the write, so two conflicting operations of
different parties are never both accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from deconflict.application import candidates, dss_native_notify, policy
from deconflict.application.hub import WRITE, Caller, Hub
from deconflict.application.outcome import Decision, Sorted, sort_conflicts, taken
from deconflict.channel import outbox
from deconflict.engine.boxes import index_boxes
from deconflict.engine.compile import compile_pieces
from deconflict.engine.conflict import Report
from deconflict.engine.resolution import suggest
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.pieces import Piece
from deconflict.model.errors import (
    AlreadyExists,
    InvalidRequest,
    NotAllowed,
    NotFound,
    Rejected,
)
from deconflict.model.operation import Operation
from deconflict.model.operation_state import OperationState
from deconflict.store import idempotency, locks
from deconflict.store import operation as operation_store


def check_ownership(caller: Caller, declaration: Declaration) -> str:
    """The caller's party, which must own the declaration."""
    caller.require(WRITE)
    party = caller.own_party()
    if declaration.party != party:
        raise NotAllowed(
            f"party {party} cannot act for party {declaration.party}", party=declaration.party
        )
    return party


def late_parties(declaration: Declaration, now: float, agreements: policy.Agreements) -> tuple:
    """Parties given less notice than agreed (by the hub's clock, not the client's)."""
    return tuple(
        other
        for other in agreements.parties
        if other != declaration.party
        and declaration.start - now < agreements.minimum_notice(declaration.party, other)
    )


def rejection(
    connection: Connection,
    declaration: Declaration,
    report: Report,
    agreements: policy.Agreements,
    message: str,
) -> Rejected:
    """A refusal carrying the conflicts and the engine's verified suggestions."""
    wider = candidates.neighbourhood(
        connection, declaration, agreements.policy, for_suggestions=True
    )
    report = suggest(wider.airspace, declaration, report)
    return Rejected(message, report=report)


def record_overrides(
    connection: Connection, winner: Operation, losers: list[Operation], now: float
) -> tuple[str, ...]:
    """Mark each lower-priority operation as overridden (a new version) and keep a record."""
    for loser in losers:
        marked = replace(
            loser,
            version=loser.version + 1,
            updated_at=now,
            overridden_by=(*loser.overridden_by, winner.id),
        )
        operation_store.replace(connection, marked, loser.version, None)
        operation_store.record_override(connection, winner, loser, now)
        dss_native_notify.changed(connection, loser, marked, now)
    return tuple(loser.id for loser in losers)


def replay(
    connection: Connection, party: str, key: str | None, request_hash: str
) -> Decision | None:
    """The answer already given to this request, if `key` was used for it before."""
    if key is None:
        return None
    recalled = idempotency.recall(connection, party, key, request_hash)
    if recalled is None:
        return None
    stored = operation_store.get(connection, recalled[1]["operation"])
    if stored is None:
        raise NotFound(f"operation {recalled[1]['operation']} is gone")
    return Decision(stored, None, replayed=True)


def remember(
    connection: Connection,
    party: str,
    key: str | None,
    request_hash: str,
    operation: Operation,
    now: float,
) -> None:
    """Keep that this request was applied (in the transaction that applied it)."""
    if key is not None:
        body = {"operation": operation.id, "version": operation.version}
        idempotency.remember(connection, party, key, request_hash, 200, body, now)


def submit_operation(
    hub: Hub,
    caller: Caller,
    declaration: Declaration,
    *,
    idempotency_key: str | None = None,
    request_hash: str = "",
) -> Decision:
    """Accept `declaration` as a new operation, or raise `Rejected` with the conflicts."""
    party = check_ownership(caller, declaration)
    if declaration.kind is not Kind.OPERATION:
        raise InvalidRequest(
            f"{declaration.id} is a {declaration.kind}, not an operation",
            pointer="/features/0/properties/kind",
        )
    now = hub.clock()
    if declaration.end <= now:
        raise InvalidRequest(
            f"operation {declaration.id} ends in the past", pointer="/features/0/properties/end"
        )
    try:
        return _submit(hub, party, declaration, now, idempotency_key, request_hash)
    except (IntegrityError, AlreadyExists):
        # A concurrent request with the same id committed first (between this request's
        # look-up of its key and of the id, or after both): a retry gets that answer,
        # anyone else a refusal.
        if idempotency_key is not None:
            with hub.database.read() as connection:
                replayed = replay(connection, party, idempotency_key, request_hash)
                if replayed is not None:
                    return replayed
        raise taken("operation", declaration.id) from None


@dataclass(frozen=True)
class _Checked:
    """A check of a new declaration against one state of the store."""

    agreements: policy.Agreements
    boxes: list
    near: candidates.Neighbourhood
    report: Report
    found: Sorted


def _check(
    connection: Connection,
    declaration: Declaration,
    pieces: list[Piece],
    *,
    lock: bool,
    agreements: policy.Agreements | None = None,
) -> _Checked:
    """Check `declaration` against what `connection` sees (having locked the cells it
    probes, with `lock`) under `agreements` (by default, those in force); refuse it if
    it conflicts."""
    agreements = agreements or policy.load(connection)
    boxes = candidates.probe(declaration, agreements.policy, for_suggestions=False, pieces=pieces)
    if lock:
        locks.lock_cells_for(connection, boxes)
    near = candidates.neighbourhood(connection, declaration, agreements.policy, boxes=boxes)
    report = near.airspace.check(declaration)
    found = sort_conflicts(report, declaration)
    if found.blocking:
        raise rejection(
            connection,
            declaration,
            report,
            agreements,
            f"operation {declaration.id} conflicts with {len(found.blocking)} "
            "operation(s) of other parties",
        )
    return _Checked(agreements, boxes, near, report, found)


@dataclass(frozen=True)
class _Outcome:
    """What accepting a declaration after a check writes: the operation, the operations
    it overrides, and its notices and events, encoded."""

    operation: Operation
    losers: list[Operation]
    outgoing: outbox.Outgoing


def _outcome(
    declaration: Declaration,
    party: str,
    now: float,
    checked: _Checked,
    plan: outbox.Plan,
    *,
    sqlite: bool,
) -> _Outcome:
    found = checked.found
    awaiting = tuple(sorted({c.other_party for c in found.zones}))
    operation = Operation(
        id=declaration.id,
        party=party,
        version=1,
        state=OperationState.PENDING if awaiting else OperationState.ACCEPTED,
        declaration=declaration,
        submitted_at=now,
        updated_at=now,
        late_notice=late_parties(declaration, now, checked.agreements),
        awaiting=awaiting,
    )
    losers = [checked.near.operations[c.other] for c in found.overriding]
    outgoing = outbox.submitted_outgoing(operation, plan, found.zones, losers, now, sqlite=sqlite)
    return _Outcome(operation, losers, outgoing)


def _submit(
    hub: Hub,
    party: str,
    declaration: Declaration,
    now: float,
    idempotency_key: str | None,
    request_hash: str,
) -> Decision:
    """Check optimistically, then write under the lock if nothing relevant changed.

    The engine runs first on a read snapshot, with no lock held: a conflict is refused
    from there (it was true of a committed state). Otherwise the write transaction takes
    the lock, and asks the index again what meets the new operation: if that is the
    same set at the same versions under the same agreements, the snapshot's check is
    the check of the current state and is not repeated; if anything differs, the check
    runs again inside. Either way the decision and the write see one state, so two
    conflicting operations are never both accepted; other writers wait only for the
    index look-up and the insert.
    """
    pieces = compile_pieces(declaration)
    prepared = operation_store.prepare(declaration)
    with hub.database.read() as connection:
        replayed = replay(connection, party, idempotency_key, request_hash)
        if replayed is not None:
            return replayed
        # The agreements this process read last: the write below re-reads the revision
        # and checks again if they changed, so the optimistic check may use a copy.
        checked = _check(
            connection, declaration, pieces, lock=False, agreements=policy.recent(connection)
        )
        notice_plan = outbox.plan(
            connection,
            declaration,
            area=prepared.area,
            revision=checked.agreements.revision,
            digest=prepared.digest,
        )

    # What the write inserts, made now (no lock held) from the optimistic check: the
    # write uses it as it is unless the check has to run again there.
    sqlite = hub.database.is_sqlite
    ready = _outcome(declaration, party, now, checked, notice_plan, sqlite=sqlite)

    def write(connection: Connection) -> Decision:
        replayed = replay(connection, party, idempotency_key, request_hash)
        if replayed is not None:
            return replayed
        if operation_store.exists(connection, declaration.id):
            raise taken("operation", declaration.id)
        fresh, plan, outcome = checked, notice_plan, ready
        agreements = policy.load(connection)
        if agreements.revision == checked.agreements.revision:
            locks.lock_cells_for(connection, checked.boxes)
            still = candidates.unchanged(connection, declaration, checked.near)
        else:  # parties or agreements changed: their areas of interest may have too
            still = False
            plan = outbox.plan(
                connection,
                declaration,
                area=prepared.area,
                revision=agreements.revision,
                digest=prepared.digest,
            )
        if not still:
            fresh = _check(connection, declaration, pieces, lock=True, agreements=agreements)
            outcome = _outcome(declaration, party, now, fresh, plan, sqlite=sqlite)
        operation = outcome.operation
        operation_store.insert(connection, operation, index_boxes(pieces), prepared)
        overridden = record_overrides(connection, operation, outcome.losers, now)
        outbox.send(connection, outcome.outgoing)
        dss_native_notify.submitted(connection, operation, fresh.near.subscriptions, pieces, now)
        remember(connection, party, idempotency_key, request_hash, operation, now)
        return Decision(operation, fresh.report, overridden, document=prepared.document)

    return hub.database.grouped(write)
