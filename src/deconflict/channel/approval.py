"""Releasing an operation that waits in a party's zone, once that party acknowledged it
(or its pair's policy accepts it after the escalation ladder is exhausted)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.engine import Connection

from deconflict.channel import outbox
from deconflict.model.operation import Operation
from deconflict.model.operation_state import OperationState
from deconflict.store import operation as operation_store


def release(
    connection: Connection, ident: str, party: str, now: float, *, reason: str
) -> Operation | None:
    """Stop `ident` waiting for `party`; accepted once nobody else is awaited. None if it
    was not pending on `party` (already released, cancelled…)."""
    current = operation_store.get(connection, ident)
    if current is None or current.state is not OperationState.PENDING:
        return None
    if party not in current.awaiting:
        return None
    awaiting = tuple(p for p in current.awaiting if p != party)
    state = OperationState.PENDING if awaiting else OperationState.ACCEPTED
    changed = replace(
        current, version=current.version + 1, state=state, awaiting=awaiting, updated_at=now
    )
    operation_store.replace(connection, changed, current.version, None)
    kind = "operation.accepted" if state is OperationState.ACCEPTED else "operation.changed"
    payload = {
        "version": changed.version,
        "state": str(state),
        "released_by": party,
        "reason": reason,
    }
    outbox.recorded(connection, kind, party, [ident], payload, now)
    return changed
