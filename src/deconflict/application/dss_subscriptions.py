"""Subscriptions: query, get, create/update, delete; implicit ones made for intents.

A subscription's notification index grows by one per notification (see
`dss_common.notify`); its version changes only when its owner changes it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from deconflict.application.dss_common import (
    UssCaller,
    availabilities,
    bool_field,
    boxes_of,
    constraint_reference,
    declaration_of,
    intent_reference,
    intents_meeting,
    native_reference,
    str_field,
    subscription_body,
)
from deconflict.application.hub import Hub
from deconflict.model.dss import (
    MAX_SUBSCRIPTION_S,
    DssBadRequest,
    DssConflict,
    check_uuid,
)
from deconflict.model.dss_volume import parse_volume4d
from deconflict.model.errors import NotAllowed, NotFound
from deconflict.store import dss_constraints, dss_intents, dss_subscriptions, space_index
from deconflict.store.dss_subscriptions import SubscriptionRecord

STRATEGIC = "utm.strategic_coordination"
CONSTRAINT_PROCESSING = "utm.constraint_processing"


def _version() -> str:
    return uuid.uuid4().hex[:20]


def implicit_subscription(
    connection: Connection,
    caller: UssCaller,
    uss_base_url: str | None,
    notify_for_constraints: bool,
    extents: list[Any],
    boxes: np.ndarray,
    window: tuple[float, float],
    now: float,
) -> SubscriptionRecord:
    """The subscription the DSS makes for an intent that asks for `new_subscription`."""
    record = SubscriptionRecord(
        id=str(uuid.uuid4()),
        manager=caller.manager,
        version=_version(),
        notification_index=0,
        uss_base_url=uss_base_url or "",
        notify_for_operational_intents=True,
        notify_for_constraints=notify_for_constraints,
        implicit=True,
        time_start=min(window[0], now),
        time_end=window[1],
        extents=extents,
    )
    dss_subscriptions.insert(connection, record, boxes)
    return record


def retire_implicit(connection: Connection, subscription_id: str) -> None:
    """Delete an implicit subscription no intent depends on any more."""
    record = dss_subscriptions.get(connection, subscription_id)
    if (
        record is not None
        and record.implicit
        and not dss_intents.depending_on(connection, subscription_id)
    ):
        dss_subscriptions.delete(connection, subscription_id)


def _live(record: SubscriptionRecord | None, now: float) -> bool:
    return record is not None and record.time_end > now


def get_subscription(hub: Hub, caller: UssCaller, subscription_id: str) -> dict[str, Any]:
    subscription_id = check_uuid(subscription_id, "subscriptionid")
    now = hub.clock()
    with hub.database.read() as connection:
        record = dss_subscriptions.get(connection, subscription_id)
        if record is None or not _live(record, now):
            raise NotFound(f"subscription {subscription_id} not found")
        if record.manager != caller.manager:
            raise NotAllowed(f"subscription {subscription_id} is another USS's")
        return {"subscription": subscription_body(connection, record)}


def query_subscriptions(hub: Hub, caller: UssCaller, params: dict[str, Any]) -> dict[str, Any]:
    now = hub.clock()
    area = params.get("area_of_interest")
    if area is None:
        raise DssBadRequest("area_of_interest is required")
    volume = parse_volume4d(area, "area_of_interest", now=now, complete=False)
    boxes = boxes_of(declaration_of("query", "-", [volume], operation=False))
    with hub.database.read() as connection:
        ids = dss_subscriptions.meeting(connection, boxes.tolist())
        records = dss_subscriptions.owned_by(connection, caller.manager, ids)
        return {
            "subscriptions": [subscription_body(connection, r) for r in records if _live(r, now)]
        }


def _put_subscription(
    hub: Hub,
    caller: UssCaller,
    subscription_id: str,
    version: str | None,
    params: dict[str, Any],
) -> dict[str, Any]:
    """Create (`version` None) or update a subscription; with what it can see now."""
    subscription_id = check_uuid(subscription_id, "subscriptionid")
    now = hub.clock()
    uss_base_url = str_field(params, "uss_base_url")
    for_intents = bool_field(params, "notify_for_operational_intents")
    for_constraints = bool_field(params, "notify_for_constraints")
    if not (for_intents or for_constraints):
        raise DssBadRequest("a subscription must notify for intents, constraints, or both")
    if for_intents:
        caller.require(STRATEGIC, "notify_for_operational_intents")
    if for_constraints:
        caller.require(CONSTRAINT_PROCESSING, "notify_for_constraints")
    extents = params.get("extents")
    if extents is None:
        raise DssBadRequest("extents is required")
    volume = parse_volume4d(extents, "extents", now=now, complete=False)
    start, end = volume.window.start, volume.window.end
    if end <= now:
        raise DssBadRequest("the subscription ends in the past")
    if end - max(start, now) > MAX_SUBSCRIPTION_S + 1.0:
        raise DssBadRequest("a subscription lasts at most 24 hours")
    boxes = boxes_of(declaration_of(subscription_id, "-", [volume], operation=False))
    with hub.database.write() as connection:
        existing = dss_subscriptions.get(connection, subscription_id)
        if existing is not None and existing.manager != caller.manager:
            raise DssConflict(f"subscription {subscription_id} is managed by another USS")
        if version is None:
            if existing is not None:
                raise DssConflict(f"subscription {subscription_id} already exists")
        else:
            if existing is None:
                raise NotFound(f"subscription {subscription_id} not found")
            if existing.version != version:
                raise DssConflict(f"version {version} is not the current version")
        record = SubscriptionRecord(
            id=subscription_id,
            manager=caller.manager,
            version=_version(),
            notification_index=existing.notification_index if existing else 0,
            uss_base_url=uss_base_url or "",
            notify_for_operational_intents=for_intents,
            notify_for_constraints=for_constraints,
            implicit=existing.implicit if existing else False,
            time_start=start,
            time_end=end,
            extents=[extents],
        )
        if existing is None:
            dss_subscriptions.insert(connection, record, boxes)
        else:
            depended = existing.implicit and dss_intents.depending_on(connection, subscription_id)
            if depended and not for_intents:
                raise DssBadRequest("intents depend on this subscription's notifications")
            dss_subscriptions.replace(connection, record, existing.version, boxes)
        answer: dict[str, Any] = {"subscription": subscription_body(connection, record)}
        answer |= _visible(connection, caller, boxes, now, for_intents, for_constraints)
    return answer


def _visible(
    connection: Connection,
    caller: UssCaller,
    boxes: np.ndarray,
    now: float,
    for_intents: bool,
    for_constraints: bool,
) -> dict[str, Any]:
    """The references a new subscription starts from."""
    answer: dict[str, Any] = {"operational_intent_references": [], "constraint_references": []}
    if for_intents:
        found = intents_meeting(connection, boxes.tolist(), now)
        known = availabilities(connection, {r.manager for r in found.intents.values()})
        answer["operational_intent_references"] = [
            intent_reference(r, caller, known) for r in found.intents.values()
        ] + [native_reference(o, caller) for o in found.natives.values()]
    if for_constraints:
        owners = space_index.owners_meeting(connection, boxes.tolist())
        ids = [i for kind, i in owners if kind == dss_constraints.OWNER_KIND]
        records = [
            c for c in dss_constraints.get_many(connection, ids).values() if c.time_end > now
        ]
        known = availabilities(connection, {c.manager for c in records})
        answer["constraint_references"] = [constraint_reference(c, caller, known) for c in records]
    return answer


def delete_subscription(
    hub: Hub, caller: UssCaller, subscription_id: str, version: str
) -> dict[str, Any]:
    subscription_id = check_uuid(subscription_id, "subscriptionid")
    with hub.database.write() as connection:
        existing = dss_subscriptions.get(connection, subscription_id)
        if existing is None:
            raise NotFound(f"subscription {subscription_id} not found")
        if existing.manager != caller.manager:
            raise DssConflict(f"subscription {subscription_id} is managed by another USS")
        if existing.version != version:
            raise DssConflict(f"version {version} is not the current version")
        if dss_intents.depending_on(connection, subscription_id):
            raise DssBadRequest("operational intents still depend on this subscription")
        body = subscription_body(connection, existing)
        dss_subscriptions.delete(connection, subscription_id)
    return {"subscription": body}


_ = replace


def put_subscription(
    hub: Hub, caller: UssCaller, ident: str, version: str | None, params: dict[str, Any]
) -> dict[str, Any]:
    """Create (`version` None) or update; a concurrent create of the same id loses with 409."""
    try:
        return _put_subscription(hub, caller, ident, version, params)
    except IntegrityError:
        raise DssConflict(f"{ident} was created concurrently") from None
