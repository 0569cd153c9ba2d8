"""The subscription an operational intent relies on, and the rule that it covers it.

The definition: the subscription named by `subscription_id` "must cover at least the
area over which this operational intent is conducted, and it must provide notifications
for operational intents"; `new_subscription` asks the DSS for an implicit one, made over
the intent's extents and deleted with the last intent depending on it. An implicit
subscription that no longer covers a changed intent grows to cover it (as InterUSS's
DSS does); an explicit one is the USS's to change, so not covering is a bad request.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import shapely
from sqlalchemy.engine import Connection

from deconflict.application import dss_record
from deconflict.application.dss_common import UssCaller, stored_boxes
from deconflict.geo.footprint import outline_footprint
from deconflict.geo.volume import Volume
from deconflict.model.dss import DssBadRequest
from deconflict.model.dss_volume import parse_extents
from deconflict.model.errors import NotAllowed
from deconflict.store import dss_intents, dss_subscriptions
from deconflict.store.dss_subscriptions import SubscriptionRecord

COVER_TOLERANCE_M = 50.0
"""How far an intent's outline may reach beyond its subscription's and still count as
covered. A USS draws the subscription over its intent with other tools: the bounding
box of a circle (on a sphere, where the hub draws circles on the ellipsoid and 2 m
outside), rhumb-line edges where the hub's are geodesics. Metres of difference, which
must not make a covering subscription a bad request; InterUSS's DSS compares ~1 km²
cells, far coarser. Times and altitudes are compared exactly."""

TOLERANCE_DEG = COVER_TOLERANCE_M / 111_320.0
"""`COVER_TOLERANCE_M` in degrees of latitude (less in longitude: still metres)."""


def intent_volumes(extents: list[Any], now: float) -> tuple[Volume, ...]:
    return parse_extents(extents, "extents", now=now, complete=True)


def covers(record: SubscriptionRecord, volumes: Sequence[Volume], now: float) -> bool:
    """Whether the subscription's area, altitudes and time contain all the volumes."""
    start = min(v.window.start for v in volumes)
    end = max(v.window.end for v in volumes)
    if record.time_start > start or record.time_end < end:
        return False
    own = parse_extents(record.extents, "extents", now=now, complete=False)
    lower = min(v.band.lower for v in own)
    upper = max(v.band.upper for v in own)
    if any(v.band.lower < lower or v.band.upper > upper for v in volumes):
        return False
    area = shapely.union_all([outline_footprint(v.outline) for v in own])
    wanted = shapely.union_all([outline_footprint(v.outline) for v in volumes])
    return bool(area.buffer(TOLERANCE_DEG).covers(wanted))


def implicit_subscription(
    connection: Connection,
    caller: UssCaller,
    uss_base_url: str,
    notify_for_constraints: bool,
    extents: list[Any],
    boxes: np.ndarray,
    window: tuple[float, float],
    now: float,
) -> SubscriptionRecord:
    """The subscription the DSS makes for an intent that asks for `new_subscription`: over
    the intent's extents and its time, from its start to its end (as InterUSS's DSS does,
    and the InterUSS qualifier checks to the second), even when that start is ahead."""
    record = SubscriptionRecord(
        id=str(uuid.uuid4()),
        manager=caller.manager,
        version=uuid.uuid4().hex[:20],
        notification_index=0,
        uss_base_url=uss_base_url,
        notify_for_operational_intents=True,
        notify_for_constraints=notify_for_constraints,
        implicit=True,
        time_start=window[0],
        time_end=window[1],
        extents=extents,
        hub_url=caller.hub_url,
    )
    dss_subscriptions.insert(connection, record, boxes)
    dss_record.subscription_changed(connection, record, "created", caller.party, now)
    return record


def retire_implicit(
    connection: Connection, caller: UssCaller, subscription_id: str, now: float
) -> None:
    """Delete an implicit subscription no intent depends on any more."""
    record = dss_subscriptions.get(connection, subscription_id)
    if (
        record is not None
        and record.implicit
        and not dss_intents.depending_on(connection, subscription_id)
    ):
        dss_subscriptions.delete(connection, subscription_id)
        dss_record.subscription_changed(connection, record, "deleted", caller.party, now)


def attach(
    connection: Connection,
    caller: UssCaller,
    subscription_id: str,
    volumes: Sequence[Volume],
    extents: list[Any],
    now: float,
) -> SubscriptionRecord:
    """The caller's live subscription `subscription_id`, covering the intent: an implicit
    one is grown to cover it, an explicit one must already (400 otherwise)."""
    record = dss_subscriptions.get(connection, subscription_id)
    if record is None or record.time_end <= now:
        raise DssBadRequest(f"subscription {subscription_id} does not exist (or has ended)")
    if record.manager != caller.manager:
        raise NotAllowed(f"subscription {subscription_id} is another USS's")
    if not record.notify_for_operational_intents:
        raise DssBadRequest(
            f"subscription {subscription_id} does not notify for operational intents"
        )
    if covers(record, volumes, now):
        return record
    if not record.implicit:
        raise DssBadRequest(
            f"subscription {subscription_id} does not cover the operational intent's "
            "area, altitudes and time"
        )
    grown = replace(
        record,
        extents=[*record.extents, *(e for e in extents if e not in record.extents)],
        time_start=min(record.time_start, *(v.window.start for v in volumes)),
        time_end=max(record.time_end, *(v.window.end for v in volumes)),
    )
    boxes = stored_boxes(grown.id, grown.extents, now)
    dss_subscriptions.replace(connection, grown, record.version, boxes)
    return grown
