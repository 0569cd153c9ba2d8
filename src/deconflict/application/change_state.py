"""Move an operation through its life: activate, end, cancel; approve one that waits.

Each change is a new version under optimistic concurrency. Ending or cancelling frees
the airspace at once (the operation leaves the index in the same transaction).
"""

from __future__ import annotations

from dataclasses import replace

from deconflict.application import dss_native_notify
from deconflict.application.hub import WRITE, Caller, Hub
from deconflict.application.outcome import Decision
from deconflict.application.submit_operation import remember, replay
from deconflict.channel import approval, notice_store, outbox
from deconflict.model.errors import InvalidTransition, NotAllowed, NotFound, StaleVersion
from deconflict.model.operation import Operation
from deconflict.model.operation_state import OperationState, require_transition
from deconflict.store import operation as operation_store


def _current(connection, caller: Caller, ident: str, version: int | None) -> Operation:  # type: ignore[no-untyped-def]
    operation = operation_store.get(connection, ident)
    if operation is None or (operation.party != caller.party and not caller.is_admin):
        raise NotFound(f"no operation {ident} of party {caller.party}", id=ident)
    if version is not None and operation.version != version:
        raise StaleVersion(
            f"operation {ident} is at version {operation.version}, not {version}",
            id=ident,
            current=operation.version,
        )
    return operation


def change_state(
    hub: Hub,
    caller: Caller,
    ident: str,
    target: OperationState,
    version: int | None = None,
    *,
    idempotency_key: str | None = None,
    request_hash: str = "",
) -> Decision:
    """Owner moves its operation to `target` (activated, ended, cancelled…)."""
    caller.require(WRITE)
    with hub.database.write() as connection:
        if caller.party is not None:
            replayed = replay(connection, caller.party, idempotency_key, request_hash)
            if replayed is not None:
                return replayed
        current = _current(connection, caller, ident, version)
        require_transition(current.state, target)
        changed = replace(
            current, version=current.version + 1, state=target, updated_at=hub.clock()
        )
        operation_store.replace(connection, changed, current.version, None)
        actor = caller.party or caller.subject
        outbox.changed(connection, changed, f"operation.{target}", actor, hub.clock())
        dss_native_notify.changed(connection, current, changed, hub.clock())
        if caller.party is not None:
            remember(connection, caller.party, idempotency_key, request_hash, changed, hub.clock())
    return Decision(changed, None)


def approve(hub: Hub, caller: Caller, ident: str) -> Operation:
    """A zone owner acknowledges a pending operation that enters its zone: the approval
    is its acknowledgement of the zone-entry notice, which stops escalating, so only
    whoever may acknowledge that notice (an on-duty officer) may approve."""
    caller.require(WRITE)
    party = caller.own_party()
    with hub.database.write() as connection:
        current = operation_store.get(connection, ident)
        if current is None or party not in current.awaiting:
            raise NotFound(f"no operation {ident} awaiting party {party}", id=ident)
        if current.state is not OperationState.PENDING:
            raise InvalidTransition(f"operation {ident} is {current.state}, not pending")
        if not notice_store.on_duty_or_unrostered(connection, party, caller.subject):
            raise NotAllowed(
                f"{caller.subject} is not an on-duty officer of {party}", officer=caller.subject
            )
        awaiting = tuple(p for p in current.awaiting if p != party)
        state = OperationState.PENDING if awaiting else OperationState.ACCEPTED
        changed = replace(
            current,
            version=current.version + 1,
            state=state,
            awaiting=awaiting,
            updated_at=hub.clock(),
        )
        operation_store.replace(connection, changed, current.version, None)
        outbox.recorded(
            connection,
            "operation.accepted" if state is OperationState.ACCEPTED else "operation.changed",
            party,
            [ident],
            {"version": changed.version, "state": str(state), "approved_by": party},
            hub.clock(),
        )
        approval.acknowledge_entry(connection, ident, party, caller.subject, hub.clock())
        dss_native_notify.changed(connection, current, changed, hub.clock())
    return changed
