"""Operational intent references: query, get, create/update (one use case), delete.

A create or update is one write transaction (SQLite: the write lock; PostgreSQL: the
space-time cells its extents touch): find every relevant intent and constraint, check
the key (proof of awareness by OVN), check native operations with the engine, write the
reference and its operation, bump the concerned subscriptions, and put the notices and
audit events of the change in the outbox (`dss_record`): a USS's intent is an operation
of the USS's party, told and recorded like a native one. Two USSs racing with stale keys
are serialised by that lock, so the second sees the first's OVN missing.

The one-airspace rule: the standard leaves USS-vs-USS deconfliction to the USSs (the DSS
only enforces awareness), so conflicts between intents are not refused. A conflict with
a native party's operation (which follows no USS protocol) is refused, in the key's
409 shape: the native operation is listed in `missing_operational_intents`. A native
operation of lower priority is overridden, and its party told, as by a native plan.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Connection

from deconflict.application import candidates, dss_record, policy
from deconflict.application.dss_awareness import check_key, check_natives
from deconflict.application.dss_common import (
    UssCaller,
    area_boxes,
    availabilities,
    declaration_of,
    find_native,
    intent_reference,
    intents_meeting,
    native_reference,
    stored_boxes,
)
from deconflict.application.dss_coverage import attach, implicit_subscription, retire_implicit
from deconflict.application.dss_intent_request import IntentRequest, parse_intent_request
from deconflict.application.dss_reference import (
    ReferenceKind,
    answer,
    delete_reference,
    one_create_wins,
    owned,
)
from deconflict.application.hub import Hub
from deconflict.application.submit_operation import record_overrides
from deconflict.channel import outbox
from deconflict.engine.boxes import index_boxes
from deconflict.engine.compile import compile_pieces
from deconflict.model.dss import (
    Availability,
    DssConflict,
    IntentState,
    UssDown,
    check_uuid,
    new_ovn,
    require_intent_transition,
)
from deconflict.model.errors import NotFound
from deconflict.model.operation import Operation
from deconflict.model.operation_state import OperationState
from deconflict.store import dss_availability, dss_intents, locks
from deconflict.store import operation as operation_store
from deconflict.store.dss_intents import IntentRecord
from deconflict.store.dss_subscriptions import SubscriptionRecord


def query_intents(hub: Hub, caller: UssCaller, params: dict[str, Any]) -> dict[str, Any]:
    now = hub.clock()
    boxes = area_boxes(params, now)
    with hub.database.read() as connection:
        found = intents_meeting(connection, boxes.tolist(), now)
        known = availabilities(connection, {r.manager for r in found.intents.values()})
    references = [intent_reference(r, caller, known) for r in found.intents.values()]
    references += [native_reference(o, caller) for o in found.natives.values()]
    references.sort(key=lambda r: r["id"])
    return {"operational_intent_references": references}


def get_intent(hub: Hub, caller: UssCaller, entity_id: str) -> dict[str, Any]:
    entity_id = check_uuid(entity_id, "entityid")
    with hub.database.read() as connection:
        record = dss_intents.get(connection, entity_id)
        if record is not None:
            known = availabilities(connection, [record.manager])
            return {"operational_intent_reference": intent_reference(record, caller, known)}
        native = find_native(connection, entity_id)
    if native is None or not native.in_force:
        raise NotFound(f"operational intent {entity_id} not found")
    return {"operational_intent_reference": native_reference(native, caller)}


def _check_available(connection: Any, caller: UssCaller, state: IntentState | None) -> None:
    """A Down USS may not create or keep an intent Accepted or Activated, nor delete one."""
    current = dss_availability.get(connection, caller.manager)
    down = current is not None and current[0] == Availability.DOWN
    if down and (state is None or state.needs_key):
        raise UssDown(f"USS {caller.manager} is marked Down in the DSS")


def _remove(connection: Connection, caller: UssCaller, existing: IntentRecord, now: float) -> None:
    """A deleted intent ends its operation (cancelled if it never flew) and frees the
    implicit subscription nothing else depends on."""
    current = operation_store.get(connection, existing.id)
    if current is not None and current.in_force:
        final = (
            OperationState.CANCELLED
            if current.state is OperationState.ACCEPTED
            else OperationState.ENDED
        )
        ended = replace(current, version=current.version + 1, state=final, updated_at=now)
        operation_store.replace(connection, ended, current.version, None)
        dss_record.intent_ended(connection, ended, caller.party, now)
    dss_intents.delete(connection, existing.id)
    if existing.subscription_id:
        retire_implicit(connection, caller, existing.subscription_id, now)


INTENT = ReferenceKind(
    noun="operational intent",
    field="operational_intent_reference",
    for_intents=True,
    show=intent_reference,
    load=lambda connection, ident: dss_intents.get(connection, ident, for_update=True),
    remove=_remove,
)


def delete_intent(hub: Hub, caller: UssCaller, entity_id: str, ovn: str) -> dict[str, Any]:
    return delete_reference(
        hub,
        INTENT,
        caller,
        entity_id,
        ovn,
        check=lambda connection: _check_available(connection, caller, None),
    )


def _subscription(
    connection: Connection,
    caller: UssCaller,
    request: IntentRequest,
    boxes: Any,
    now: float,
) -> SubscriptionRecord | None:
    """The subscription the intent will rely on: the one named (covering it), else a new
    implicit one, else none (Accepted only: `parse_intent_request` saw to that)."""
    if request.subscription_id is not None:
        return attach(
            connection, caller, request.subscription_id, request.volumes, request.extents, now
        )
    if request.new_subscription is not None:
        return implicit_subscription(
            connection,
            caller,
            request.new_subscription.uss_base_url,
            request.new_subscription.notify_for_constraints,
            request.extents,
            boxes,
            request.window,
            now,
        )
    return None


def _reusable(
    connection: Connection, caller: UssCaller, entity_id: str, existing: IntentRecord | None
) -> Operation | None:
    """Whether an intent may be created as `entity_id`: not while one exists, nor over a
    native operation (409). A USS may reuse the id of one of its intents it deleted (USSs
    and the InterUSS qualifier reuse their ids): its operation, ended or cancelled, is
    then returned, to continue with a new version (its history stays whole)."""
    previous = operation_store.get(connection, entity_id)
    if existing is not None or (
        previous is not None and (previous.in_force or previous.party != caller.party)
    ):
        raise DssConflict(f"operational intent {entity_id} already exists")
    return previous


@one_create_wins
def put_intent(
    hub: Hub, caller: UssCaller, entity_id: str, ovn: str | None, params: dict[str, Any]
) -> dict[str, Any]:
    """Create (`ovn` None) or update an operational intent reference."""
    entity_id = check_uuid(entity_id, "entityid")
    now = hub.clock()
    request = parse_intent_request(caller, params, now, creating=ovn is None)
    declaration = replace(
        declaration_of(entity_id, caller.party, request.volumes, operation=True),
        properties={"dss": {"manager": caller.manager, "uss_base_url": request.uss_base_url}},
    )
    pieces = compile_pieces(declaration)
    boxes = index_boxes(pieces)
    with hub.database.read() as connection:  # who must be told: worked out before the lock
        plan = outbox.plan(connection, declaration, dss_record.intent_document(params))

    def write(connection: Connection) -> dict[str, Any]:
        _check_available(connection, caller, request.state)
        existing = dss_intents.get(connection, entity_id, for_update=True)
        previous: Operation | None = None
        if ovn is None:
            previous = _reusable(connection, caller, entity_id, existing)
        else:
            existing = owned(INTENT, existing, entity_id, caller, ovn)
            require_intent_transition(IntentState(existing.state), request.state)
        agreements = policy.load(connection)
        probe = candidates.probe(
            declaration, agreements.policy, for_suggestions=False, pieces=pieces
        )
        locks.lock_cells_for(connection, probe)
        attached = request.subscription_id is not None
        subscription = _subscription(connection, caller, request, boxes, now) if attached else None
        losers: list[Operation] = []
        if request.state.needs_key:
            constraints_too = (
                subscription.notify_for_constraints
                if subscription is not None
                else request.new_subscription is not None
                and request.new_subscription.notify_for_constraints
            )
            check_key(connection, caller, entity_id, boxes, request.key, now, constraints_too)
            losers = check_natives(connection, declaration, agreements, probe, caller)
        if not attached:
            subscription = _subscription(connection, caller, request, boxes, now)
        start, end = request.window
        record = IntentRecord(
            id=entity_id,
            manager=caller.manager,
            version=1 if existing is None else existing.version + 1,
            ovn=new_ovn(entity_id, request.ovn_suffix),
            state=str(request.state),
            uss_base_url=request.uss_base_url,
            subscription_id=subscription.id if subscription is not None else None,
            time_start=start,
            time_end=end,
            extents=request.extents,
            updated_at=now,
        )
        notify_boxes = boxes.tolist()
        window = (start, end)
        state = request.state.operation_state
        if existing is None:
            dss_intents.insert(connection, record)
            version = 1 if previous is None else previous.version + 1
            operation = Operation(entity_id, caller.party, version, state, declaration, now, now)
            if previous is None:
                operation_store.insert(connection, operation, boxes)
            else:
                operation_store.replace(connection, operation, previous.version, boxes)
            record_overrides(connection, operation, losers, now)
            dss_record.intent_created(connection, operation, plan, losers, now)
        else:
            dss_intents.replace(connection, record, existing.ovn)
            current = operation_store.get(connection, entity_id)
            assert current is not None
            updated = replace(
                current,
                version=current.version + 1,
                state=state,
                declaration=declaration,
                updated_at=now,
            )
            operation_store.replace(connection, updated, current.version, boxes)
            fresh = [o for o in losers if entity_id not in o.overridden_by]
            record_overrides(connection, updated, fresh, now)
            dss_record.intent_updated(connection, current, updated, caller.party, now, fresh)
            notify_boxes += stored_boxes(entity_id, existing.extents, now).tolist()
            window = (min(start, existing.time_start), max(end, existing.time_end))
            if existing.subscription_id and existing.subscription_id != record.subscription_id:
                retire_implicit(connection, caller, existing.subscription_id, now)
        return answer(connection, INTENT, caller, record, notify_boxes, window, now)

    # On SQLite, creates arriving together share one transaction (each in its savepoint).
    return hub.database.grouped(write)
