"""Subscriptions, their boxes in the shared 4D index, and their notification indexes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.model.dss import DssConflict
from deconflict.store import space_index
from deconflict.store.dss_tables import dss_subscriptions

OWNER_KIND = "dss_subscription"


@dataclass(frozen=True)
class SubscriptionRecord:
    id: str
    manager: str
    version: str
    notification_index: int
    uss_base_url: str
    notify_for_operational_intents: bool
    notify_for_constraints: bool
    implicit: bool
    time_start: float
    time_end: float
    extents: list[Any]
    hub_url: str | None = None
    """The hub's URL as this subscription's USS reached it (for what it is notified)."""


def _record(row: sa.Row) -> SubscriptionRecord:
    return SubscriptionRecord(
        **{c: getattr(row, c) for c in SubscriptionRecord.__dataclass_fields__}
    )


def get(connection: Connection, ident: str) -> SubscriptionRecord | None:
    row = connection.execute(
        sa.select(dss_subscriptions).where(dss_subscriptions.c.id == ident)
    ).first()
    return None if row is None else _record(row)


def get_many(connection: Connection, idents: Iterable[str]) -> dict[str, SubscriptionRecord]:
    idents = list(idents)
    if not idents:
        return {}
    query = sa.select(dss_subscriptions).where(dss_subscriptions.c.id.in_(idents))
    return {r.id: _record(r) for r in connection.execute(query)}


def insert(connection: Connection, record: SubscriptionRecord, boxes: np.ndarray) -> None:
    connection.execute(dss_subscriptions.insert().values(**asdict(record)))
    space_index.insert_boxes(connection, OWNER_KIND, record.id, boxes)


def replace(
    connection: Connection,
    record: SubscriptionRecord,
    expected_version: str,
    boxes: np.ndarray | None,
) -> None:
    values = asdict(record)
    del values["id"], values["notification_index"]
    result = connection.execute(
        dss_subscriptions.update()
        .where(
            dss_subscriptions.c.id == record.id,
            dss_subscriptions.c.version == expected_version,
        )
        .values(**values)
    )
    if result.rowcount != 1:
        raise DssConflict(f"subscription {record.id} is no longer at version {expected_version}")
    if boxes is not None:
        space_index.delete_boxes(connection, OWNER_KIND, record.id)
        space_index.insert_boxes(connection, OWNER_KIND, record.id, boxes)


def delete(connection: Connection, ident: str) -> None:
    space_index.delete_boxes(connection, OWNER_KIND, ident)
    connection.execute(dss_subscriptions.delete().where(dss_subscriptions.c.id == ident))


def bump(connection: Connection, idents: list[str]) -> dict[str, int]:
    """Add one to each subscription's notification index; the new indexes.

    In key order, so two writers notifying overlapping sets never deadlock.
    """
    found: dict[str, int] = {}
    for ident in sorted(idents):
        connection.execute(
            dss_subscriptions.update()
            .where(dss_subscriptions.c.id == ident)
            .values(notification_index=dss_subscriptions.c.notification_index + 1)
        )
    if idents:
        query = sa.select(dss_subscriptions.c.id, dss_subscriptions.c.notification_index).where(
            dss_subscriptions.c.id.in_(idents)
        )
        found = {r.id: r.notification_index for r in connection.execute(query)}
    return found


def owned_by(
    connection: Connection, manager: str, idents: Iterable[str]
) -> list[SubscriptionRecord]:
    idents = list(idents)
    if not idents:
        return []
    query = (
        sa.select(dss_subscriptions)
        .where(dss_subscriptions.c.manager == manager, dss_subscriptions.c.id.in_(idents))
        .order_by(dss_subscriptions.c.id)
    )
    return [_record(r) for r in connection.execute(query)]


_ANY_FOR_INTENTS = (
    sa.select(dss_subscriptions.c.id)
    .where(
        dss_subscriptions.c.notify_for_operational_intents.is_(True),
        dss_subscriptions.c.time_end > sa.bindparam("now"),
    )
    .limit(1)
)


def any_for_intents(connection: Connection, now: float) -> bool:
    """Whether any live subscription notifies for operational intents (a cheap first
    question before a spatial search: a hub no USS subscribes to asks nothing more)."""
    return connection.execute(_ANY_FOR_INTENTS, {"now": now}).first() is not None


def meeting(connection: Connection, boxes: Iterable[Any]) -> set[str]:
    """Ids of subscriptions whose boxes meet any of these."""
    return {i for kind, i in space_index.owners_meeting(connection, boxes) if kind == OWNER_KIND}
