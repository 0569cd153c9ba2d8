"""Subscriptions: query, get, create/update, delete.

A subscription's notification index grows by one per notification (see
`dss_common.notify`); its version changes only when its owner changes it. Intents may
depend on a subscription (see `dss_coverage`): the standard requires each to stay
covered, so a change that would uncover one is refused (400), as is a delete.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection

from deconflict.application import dss_record
from deconflict.application.dss_common import (
    UssCaller,
    area_boxes,
    availabilities,
    bool_field,
    boxes_of,
    constraint_reference,
    declaration_of,
    intent_reference,
    intents_meeting,
    native_reference,
    subscription_body,
)
from deconflict.application.dss_coverage import covers, intent_volumes
from deconflict.application.dss_reference import one_create_wins
from deconflict.application.hub import Hub
from deconflict.model.dss import (
    MAX_SUBSCRIPTION_S,
    DssBadRequest,
    DssConflict,
    check_uuid,
)
from deconflict.model.dss_volume import parse_volume4d
from deconflict.model.errors import NotAllowed, NotFound
from deconflict.store import dss_constraints, dss_intents, dss_subscriptions, locks, space_index
from deconflict.store.dss_subscriptions import SubscriptionRecord

STRATEGIC = "utm.strategic_coordination"
CONSTRAINT_PROCESSING = "utm.constraint_processing"


def new_version() -> str:
    return uuid.uuid4().hex[:20]


def live(record: SubscriptionRecord | None, now: float) -> bool:
    """A subscription whose end has passed is gone: not found, not notified."""
    return record is not None and record.time_end > now


def get_subscription(hub: Hub, caller: UssCaller, subscription_id: str) -> dict[str, Any]:
    subscription_id = check_uuid(subscription_id, "subscriptionid")
    now = hub.clock()
    with hub.database.read() as connection:
        record = dss_subscriptions.get(connection, subscription_id)
        if record is None or not live(record, now):
            raise NotFound(f"subscription {subscription_id} not found")
        if record.manager != caller.manager:
            raise NotAllowed(f"subscription {subscription_id} is another USS's")
        return {"subscription": subscription_body(connection, record)}


def query_subscriptions(hub: Hub, caller: UssCaller, params: dict[str, Any]) -> dict[str, Any]:
    """The caller's own subscriptions meeting the area (the definition: only the caller's)."""
    now = hub.clock()
    boxes = area_boxes(params, now)
    with hub.database.read() as connection:
        ids = dss_subscriptions.meeting(connection, boxes.tolist())
        records = dss_subscriptions.owned_by(connection, caller.manager, ids)
        return {
            "subscriptions": [subscription_body(connection, r) for r in records if live(r, now)]
        }


@one_create_wins
def put_subscription(
    hub: Hub,
    caller: UssCaller,
    subscription_id: str,
    version: str | None,
    params: dict[str, Any],
) -> dict[str, Any]:
    """Create (`version` None) or update a subscription; with what it can see now."""
    subscription_id = check_uuid(subscription_id, "subscriptionid")
    now = hub.clock()
    uss_base_url = caller.base_url(params)
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
        # PostgreSQL: the cells of its area, as an intent's or a native plan's write takes
        # them, so that a change there either is seen in this answer or bumps this
        # subscription (and is notified), never neither.
        locks.lock_cells_for(connection, [tuple(b) for b in boxes.tolist()])
        existing = dss_subscriptions.get(connection, subscription_id)
        if existing is not None and existing.manager != caller.manager:
            raise NotAllowed(f"subscription {subscription_id} is managed by another USS")
        if version is None:
            if existing is not None:
                raise DssConflict(f"subscription {subscription_id} already exists")
        else:
            if existing is None:
                # The definition lists no 404 for an update: the path names nothing.
                raise DssBadRequest(f"subscription {subscription_id} does not exist")
            if existing.version != version:
                raise DssConflict(f"version {version} is not the current version")
        record = SubscriptionRecord(
            id=subscription_id,
            manager=caller.manager,
            version=new_version(),
            notification_index=existing.notification_index if existing else 0,
            uss_base_url=uss_base_url,
            notify_for_operational_intents=for_intents,
            notify_for_constraints=for_constraints,
            implicit=existing.implicit if existing else False,
            time_start=start,
            time_end=end,
            extents=[extents],
            hub_url=caller.hub_url,
        )
        if existing is None:
            dss_subscriptions.insert(connection, record, boxes)
        else:
            _keep_dependents_covered(connection, record, now)
            dss_subscriptions.replace(connection, record, existing.version, boxes)
        action = "created" if existing is None else "updated"
        dss_record.subscription_changed(connection, record, action, caller.party, now)
        answer: dict[str, Any] = {"subscription": subscription_body(connection, record)}
        answer |= _visible(connection, caller, boxes, now, for_intents, for_constraints)
    return answer


def _keep_dependents_covered(
    connection: Connection, record: SubscriptionRecord, now: float
) -> None:
    """The definition: an update that would leave an operational intent depending on
    this subscription without coverage is a bad request."""
    dependents = dss_intents.get_many(connection, dss_intents.depending_on(connection, record.id))
    for intent in dependents.values():
        if not record.notify_for_operational_intents:
            raise DssBadRequest(
                f"operational intent {intent.id} depends on this subscription's "
                "notifications for operational intents"
            )
        volumes = intent_volumes(intent.extents, now)
        if not covers(record, volumes, now):
            raise DssBadRequest(
                f"the change would no longer cover operational intent {intent.id}, "
                "which depends on this subscription"
            )


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
    now = hub.clock()
    with hub.database.write() as connection:
        existing = dss_subscriptions.get(connection, subscription_id)
        if existing is None:
            raise NotFound(f"subscription {subscription_id} not found")
        if existing.manager != caller.manager:
            raise NotAllowed(f"subscription {subscription_id} is managed by another USS")
        if existing.version != version:
            raise DssConflict(f"version {version} is not the current version")
        if dss_intents.depending_on(connection, subscription_id):
            raise DssBadRequest("operational intents still depend on this subscription")
        body = subscription_body(connection, existing)
        dss_subscriptions.delete(connection, subscription_id)
        dss_record.subscription_changed(connection, existing, "deleted", caller.party, now)
    return {"subscription": body}
