"""Releasing an operation that waits in a party's zone, once that party acknowledged it
(or its pair's policy accepts it after the escalation ladder is exhausted); and the
other way round, a zone owner's approval of the operation acknowledging the notice that
told it of the entry (else the notice would go on escalating after the approval)."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.channel import outbox
from deconflict.channel.kinds import NoticeKind
from deconflict.model.operation import Operation
from deconflict.model.operation_state import OperationState
from deconflict.store import operation as operation_store
from deconflict.store.channel_tables import notices


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


def acknowledge_entry(
    connection: Connection, ident: str, party: str, officer: str, now: float
) -> list[str]:
    """`party` approved operation `ident`: acknowledge its open zone-entry notices to
    `party` (recorded like any acknowledgement, `via: approve`); their ids."""
    rows = connection.execute(
        sa.select(notices.c.id, notices.c.about, notices.c.digest).where(
            notices.c.recipient == party,
            notices.c.kind == str(NoticeKind.ZONE_ENTRY),
            notices.c.acked_at.is_(None),
        )
    ).all()
    done = []
    for row in rows:
        if not row.about or row.about[0] != ident:
            continue
        changed = connection.execute(
            notices.update()
            .where(notices.c.id == row.id, notices.c.acked_at.is_(None))
            .values(acked_at=now, acked_by=officer, next_step_at=None)
        )
        if changed.rowcount:
            payload = {"to": party, "officer": officer, "digest": row.digest, "via": "approve"}
            outbox.recorded(connection, "notice.acknowledged", party, [row.id], payload, now)
            done.append(row.id)
    return done
