"""Operational intent references: query, get, create/update (one use case), delete.

A create or update is one write transaction (SQLite: the write lock; PostgreSQL: the
space-time cells its extents touch): find every relevant intent and constraint, check
the key (proof of awareness by OVN), check native operations with the engine, write the
reference and its operation, bump the concerned subscriptions. Two USSs racing with
stale keys are serialised by that lock, so the second sees the first's OVN missing.

The one-airspace rule: the standard leaves USS-vs-USS deconfliction to the USSs (the DSS
only enforces awareness), so conflicts between intents are not refused. A conflict with
a native party's operation (which follows no USS protocol) is refused, in the key's
409 shape: the native operation is listed in `missing_operational_intents`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.exc import IntegrityError

from deconflict.application import candidates, policy
from deconflict.application.dss_awareness import check_key, check_natives
from deconflict.application.dss_common import (
    UssCaller,
    availabilities,
    bool_field,
    boxes_of,
    declaration_of,
    intent_reference,
    intents_meeting,
    native_reference,
    notify,
    stored_boxes,
    str_field,
)
from deconflict.application.dss_subscriptions import implicit_subscription, retire_implicit
from deconflict.application.hub import Hub
from deconflict.engine.boxes import index_boxes
from deconflict.engine.compile import compile_pieces
from deconflict.geo.declaration import Declaration
from deconflict.model.dss import (
    CREATABLE,
    Availability,
    DssBadRequest,
    DssConflict,
    IntentState,
    UssDown,
    check_uuid,
    native_entity_id,
    new_ovn,
    require_intent_transition,
)
from deconflict.model.dss_volume import parse_extents, parse_volume4d, span
from deconflict.model.errors import NotAllowed, NotFound
from deconflict.model.operation import Operation
from deconflict.model.operation_state import IN_FORCE, OperationState
from deconflict.store import (
    dss_availability,
    dss_intents,
    dss_subscriptions,
    locks,
)
from deconflict.store import operation as operation_store
from deconflict.store.dss_intents import IntentRecord

CONSTRAINT_PROCESSING = "utm.constraint_processing"


def query_intents(hub: Hub, caller: UssCaller, params: dict[str, Any]) -> dict[str, Any]:
    now = hub.clock()
    area = params.get("area_of_interest")
    if area is None:
        raise DssBadRequest("area_of_interest is required")
    volume = parse_volume4d(area, "area_of_interest", now=now, complete=False)
    boxes = boxes_of(declaration_of("query", "-", [volume], operation=False))
    with hub.database.read() as connection:
        found = intents_meeting(connection, boxes.tolist(), now)
        known = availabilities(connection, {r.manager for r in found.intents.values()})
    references = [intent_reference(r, caller, known) for r in found.intents.values()]
    references += [native_reference(o, caller) for o in found.natives.values()]
    references.sort(key=lambda r: r["id"])
    return {"operational_intent_references": references}


def find_native(connection: Any, entity_id: str) -> Operation | None:
    """The native operation known on the DSS API as `entity_id`: its own id, or one whose
    derived UUID it is (found among the ids of operations in force)."""
    direct = operation_store.get(connection, entity_id)
    if direct is not None:
        return direct
    in_force = [str(s) for s in IN_FORCE]
    for ident in dss_intents.native_ids(connection, in_force):
        if native_entity_id(ident) == entity_id:
            return operation_store.get(connection, ident)
    return None


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


def _key(params: dict[str, Any]) -> set[str]:
    key = params.get("key")
    if key is None:
        return set()
    if not isinstance(key, list) or not all(isinstance(k, str) for k in key):
        raise DssBadRequest("key must be a list of OVNs")
    return set(key)


def _state(params: dict[str, Any]) -> IntentState:
    try:
        return IntentState(params.get("state"))
    except ValueError:
        raise DssBadRequest(
            f"state {params.get('state')!r} is not Accepted, Activated, Nonconforming or Contingent"
        ) from None


def _check_available(connection: Any, caller: UssCaller, state: IntentState | None) -> None:
    current = dss_availability.get(connection, caller.manager)
    down = current is not None and current[0] == Availability.DOWN
    if down and (state is None or state.needs_key):
        raise UssDown(f"USS {caller.manager} is marked Down in the DSS")


def _put_intent(
    hub: Hub, caller: UssCaller, entity_id: str, ovn: str | None, params: dict[str, Any]
) -> dict[str, Any]:
    """Create (`ovn` None) or update an operational intent reference."""
    entity_id = check_uuid(entity_id, "entityid")
    now = hub.clock()
    state = _state(params)
    key = _key(params)
    uss_base_url = str_field(params, "uss_base_url")
    subscription_id = params.get("subscription_id")
    if subscription_id is not None:
        subscription_id = check_uuid(subscription_id, "subscription_id")
    new_subscription = params.get("new_subscription")
    if new_subscription is not None:
        if not isinstance(new_subscription, dict):
            raise DssBadRequest("new_subscription must be an object")
        sub_url = str_field(new_subscription, "uss_base_url")
        sub_constraints = bool_field(new_subscription, "notify_for_constraints")
        if sub_constraints:
            caller.require(CONSTRAINT_PROCESSING, "notify_for_constraints")
    suffix = params.get("requested_ovn_suffix")
    if suffix is not None and not (isinstance(suffix, str) and 16 <= len(suffix) <= 64):
        raise DssBadRequest("requested_ovn_suffix must be a UUIDv7")
    volumes = parse_extents(params.get("extents"), "extents", now=now, complete=True)
    start, end = span(volumes)
    if end <= now:
        raise DssBadRequest("the operational intent ends in the past")
    declaration = declaration_of(entity_id, caller.party, volumes, operation=True)
    declaration = replace(
        declaration,
        properties={"dss": {"manager": caller.manager, "uss_base_url": uss_base_url}},
    )
    pieces = compile_pieces(declaration)
    boxes = index_boxes(pieces)
    with hub.database.write() as connection:
        _check_available(connection, caller, state)
        existing = dss_intents.get(connection, entity_id, for_update=True)
        if ovn is None:
            if existing is not None or operation_store.exists(connection, entity_id):
                raise DssConflict(f"operational intent {entity_id} already exists")
            if state not in CREATABLE:
                raise DssBadRequest(f"an operational intent cannot be created {state}")
        else:
            if existing is None:
                raise NotFound(f"operational intent {entity_id} not found")
            if existing.manager != caller.manager:
                raise NotAllowed(f"operational intent {entity_id} is managed by another USS")
            if existing.ovn != ovn:
                raise DssConflict(f"OVN {ovn} is not the current OVN of {entity_id}")
            require_intent_transition(IntentState(existing.state), state)
        agreements = policy.load(connection)
        probe = candidates.probe(
            declaration, agreements.policy, for_suggestions=False, pieces=pieces
        )
        locks.lock_cells_for(connection, probe)
        # The subscription this intent will rely on.
        subscription = None
        if subscription_id is not None:
            subscription = dss_subscriptions.get(connection, subscription_id)
            if subscription is None or subscription.manager != caller.manager:
                raise DssBadRequest(f"subscription {subscription_id} is not one of this USS's")
            if not subscription.notify_for_operational_intents:
                raise DssBadRequest(
                    f"subscription {subscription_id} does not notify for operational intents"
                )
        elif new_subscription is None:
            kept = existing.subscription_id if existing is not None else None
            subscription = dss_subscriptions.get(connection, kept) if kept else None
            if subscription is None and state is not IntentState.ACCEPTED:
                raise DssBadRequest(
                    f"an {state} operational intent needs subscription_id or new_subscription"
                )
        constraints_too = bool(
            subscription.notify_for_constraints
            if subscription is not None
            else new_subscription is not None and sub_constraints
        )
        if state.needs_key:
            check_key(connection, caller, entity_id, boxes, key, now, constraints_too)
            check_natives(connection, declaration, agreements, probe, caller)
        # Write.
        if subscription is None and new_subscription is not None:
            subscription = implicit_subscription(
                connection,
                caller,
                sub_url,
                sub_constraints,
                params["extents"],
                boxes,
                (start, end),
                now,
            )
        elif (
            subscription is not None
            and subscription.implicit
            and existing is not None
            and subscription.id == existing.subscription_id
            and dss_intents.depending_on(connection, subscription.id) == [entity_id]
        ):
            subscription = _grow_implicit(
                connection, subscription, params["extents"], boxes, start, end
            )
        record = IntentRecord(
            id=entity_id,
            manager=caller.manager,
            version=1 if existing is None else existing.version + 1,
            ovn=new_ovn(entity_id, suffix),
            state=str(state),
            uss_base_url=uss_base_url or "",
            subscription_id=subscription.id if subscription is not None else None,
            time_start=start,
            time_end=end,
            extents=params["extents"],
            updated_at=now,
        )
        notify_boxes = boxes.tolist()
        window = (start, end)
        if existing is None:
            dss_intents.insert(connection, record)
            operation_store.insert(
                connection, _operation(record, declaration, state, 1, now, now), boxes
            )
        else:
            dss_intents.replace(connection, record, existing.ovn)
            current = operation_store.get(connection, entity_id)
            assert current is not None
            operation_store.replace(
                connection,
                _operation(
                    record, declaration, state, current.version + 1, current.submitted_at, now
                ),
                current.version,
                boxes,
            )
            notify_boxes += stored_boxes(entity_id, existing.extents, now).tolist()
            window = (min(start, existing.time_start), max(end, existing.time_end))
            if existing.subscription_id and existing.subscription_id != record.subscription_id:
                retire_implicit(connection, existing.subscription_id)
        subscribers = notify(connection, notify_boxes, window, now, intents=True)
        known = availabilities(connection, [caller.manager])
    return {
        "subscribers": subscribers,
        "operational_intent_reference": intent_reference(record, caller, known),
    }


def _operation(
    record: IntentRecord,
    declaration: Declaration,
    state: IntentState,
    version: int,
    submitted_at: float,
    now: float,
) -> Operation:
    return Operation(
        id=record.id,
        party=declaration.party,
        version=version,
        state=state.operation_state,
        declaration=replace(declaration),
        submitted_at=submitted_at,
        updated_at=now,
    )


def _grow_implicit(
    connection: Any, subscription: Any, extents: list, boxes: Any, start: float, end: float
) -> Any:
    """An implicit subscription follows its intent's extents when they change."""
    grown = replace(
        subscription,
        extents=extents,
        time_start=min(subscription.time_start, start),
        time_end=max(subscription.time_end, end),
    )
    dss_subscriptions.replace(connection, grown, subscription.version, boxes)
    return grown


def delete_intent(hub: Hub, caller: UssCaller, entity_id: str, ovn: str) -> dict[str, Any]:
    entity_id = check_uuid(entity_id, "entityid")
    now = hub.clock()
    with hub.database.write() as connection:
        existing = dss_intents.get(connection, entity_id, for_update=True)
        if existing is None:
            raise NotFound(f"operational intent {entity_id} not found")
        if existing.manager != caller.manager:
            raise NotAllowed(f"operational intent {entity_id} is managed by another USS")
        if existing.ovn != ovn:
            raise DssConflict(f"OVN {ovn} is not the current OVN of {entity_id}")
        _check_available(connection, caller, None)
        old_boxes = stored_boxes(entity_id, existing.extents, now)
        locks.lock_cells_for(connection, [tuple(b) for b in old_boxes.tolist()])
        current = operation_store.get(connection, entity_id)
        if current is not None and current.in_force:
            final = (
                OperationState.CANCELLED
                if current.state is OperationState.ACCEPTED
                else OperationState.ENDED
            )
            ended = replace(current, version=current.version + 1, state=final, updated_at=now)
            operation_store.replace(connection, ended, current.version, None)
        dss_intents.delete(connection, entity_id)
        if existing.subscription_id:
            retire_implicit(connection, existing.subscription_id)
        subscribers = notify(
            connection,
            old_boxes.tolist(),
            (existing.time_start, existing.time_end),
            now,
            intents=True,
        )
        known = availabilities(connection, [caller.manager])
    return {
        "subscribers": subscribers,
        "operational_intent_reference": intent_reference(existing, caller, known),
    }


def put_intent(
    hub: Hub, caller: UssCaller, ident: str, version: str | None, params: dict[str, Any]
) -> dict[str, Any]:
    """Create (`version` None) or update; a concurrent create of the same id loses with 409."""
    try:
        return _put_intent(hub, caller, ident, version, params)
    except IntegrityError:
        raise DssConflict(f"{ident} was created concurrently") from None
