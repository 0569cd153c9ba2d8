"""What every DSS use case shares: the caller, boxes, references, notifications.

A USS is identified by its token's `sub` (the standard's `manager`) and acts in the
shared airspace as the party `model.dss.party_of(sub)`. The hub's own operations are
shown to USSs as operational intent references managed by their party, with the hub
as `uss_base_url` (it serves their details at /uss/v1/operational_intents/{id}).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection

from deconflict.engine.boxes import index_boxes
from deconflict.engine.compile import compile_pieces
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.errors import InputError
from deconflict.geo.volume import Volume
from deconflict.model.dss import (
    NULL_SUBSCRIPTION,
    Availability,
    DssBadRequest,
    check_base_url,
    intent_state_of,
    native_entity_id,
    native_ovn,
    party_of,
)
from deconflict.model.dss_volume import (
    OutsideAirspace,
    parse_extents,
    parse_volume4d,
    time_field,
)
from deconflict.model.errors import NotAllowed
from deconflict.model.operation import Operation
from deconflict.model.operation_state import IN_FORCE
from deconflict.store import dss_availability, dss_intents, dss_subscriptions, space_index
from deconflict.store import operation as operation_store
from deconflict.store.dss_constraints import ConstraintRecord
from deconflict.store.dss_intents import IntentRecord
from deconflict.store.dss_subscriptions import SubscriptionRecord

MAX_RESULTS = 10_000
"""A query answers at most this many references (InterUSS's DSS caps the same way)."""


@dataclass(frozen=True)
class UssCaller:
    """A USS as its token says: `sub`, scopes; the hub's base URL as seen by it, and
    whether this hub accepts http:// base URLs from USSs (development only)."""

    manager: str
    scopes: frozenset[str]
    hub_url: str
    http_base_urls: bool = False

    @property
    def party(self) -> str:
        return party_of(self.manager)

    def require(self, scope: str, why: str) -> None:
        if scope not in self.scopes:
            raise NotAllowed(f"{why} needs the {scope} scope", scope=scope)

    def base_url(self, params: dict[str, Any], name: str = "uss_base_url") -> str:
        """A UssBaseURL field of a request, checked as the definition describes it."""
        return check_base_url(params.get(name), name, http=self.http_base_urls)


def declaration_of(
    ident: str, party: str, volumes: Sequence[Volume], *, operation: bool
) -> Declaration:
    """The hub's declaration for DSS extents (an operation, or zone-like for areas)."""
    try:
        return Declaration(
            id=ident,
            party=party,
            kind=Kind.OPERATION if operation else Kind.ZONE,
            volumes=tuple(volumes),
        )
    except InputError as error:
        raise DssBadRequest(str(error)) from None


def boxes_of(declaration: Declaration) -> np.ndarray:
    return index_boxes(compile_pieces(declaration))


def area_boxes(params: Any, now: float) -> np.ndarray:
    """The boxes of a query's `area_of_interest` (required; open where it omits bounds)."""
    if not isinstance(params, dict) or params.get("area_of_interest") is None:
        raise DssBadRequest("area_of_interest is required")
    try:
        volume = parse_volume4d(
            params["area_of_interest"], "area_of_interest", now=now, complete=False, query=True
        )
    except OutsideAirspace:
        return np.empty((0, 8))  # a valid area where nothing can be
    return boxes_of(declaration_of("query", "-", [volume], operation=False))


def stored_boxes(ident: str, extents: list[Any], now: float) -> np.ndarray:
    """Boxes of extents stored earlier (to notify about what an entity used to cover)."""
    volumes = parse_extents(extents, "extents", now=now, complete=False)
    return boxes_of(declaration_of(ident, "-", volumes, operation=False))


def bool_field(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise DssBadRequest(f"{name} must be true or false")
    return value


def availabilities(connection: Connection, managers: Iterable[str]) -> dict[str, str]:
    return dss_availability.get_many(connection, list(managers))


def intent_reference(
    record: IntentRecord, caller: UssCaller, availability: dict[str, str]
) -> dict[str, Any]:
    reference: dict[str, Any] = {
        "id": record.id,
        "manager": record.manager,
        "uss_availability": availability.get(record.manager, Availability.UNKNOWN),
        "version": record.version,
        "state": record.state,
        "time_start": time_field(record.time_start),
        "time_end": time_field(record.time_end),
        "uss_base_url": record.uss_base_url,
        "subscription_id": record.subscription_id or NULL_SUBSCRIPTION,
    }
    if record.manager == caller.manager:
        reference["ovn"] = record.ovn
    return reference


def native_reference(operation: Operation, caller: UssCaller) -> dict[str, Any]:
    """A native operation as a USS sees it: managed by its party, detailed by the hub."""
    return {
        "id": native_entity_id(operation.id),
        "manager": operation.party,
        "uss_availability": Availability.NORMAL,
        "version": operation.version,
        "state": intent_state_of(operation.state),
        "time_start": time_field(operation.declaration.start),
        "time_end": time_field(operation.declaration.end),
        "uss_base_url": caller.hub_url,
        "subscription_id": NULL_SUBSCRIPTION,
    }


def native_key(operation: Operation) -> str:
    return native_ovn(operation.id, operation.version)


def constraint_reference(
    record: ConstraintRecord, caller: UssCaller, availability: dict[str, str]
) -> dict[str, Any]:
    reference: dict[str, Any] = {
        "id": record.id,
        "manager": record.manager,
        "uss_availability": availability.get(record.manager, Availability.UNKNOWN),
        "version": record.version,
        "time_start": time_field(record.time_start),
        "time_end": time_field(record.time_end),
        "uss_base_url": record.uss_base_url,
    }
    if record.manager == caller.manager:
        reference["ovn"] = record.ovn
    return reference


def subscription_body(connection: Connection, record: SubscriptionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "version": record.version,
        "notification_index": record.notification_index,
        "time_start": time_field(record.time_start),
        "time_end": time_field(record.time_end),
        "uss_base_url": record.uss_base_url,
        "notify_for_operational_intents": record.notify_for_operational_intents,
        "notify_for_constraints": record.notify_for_constraints,
        "implicit_subscription": record.implicit,
        "dependent_operational_intents": dss_intents.depending_on(connection, record.id),
    }


@dataclass(frozen=True)
class Airspace:
    """What meets some boxes: DSS intents (with their operations) and native operations."""

    intents: dict[str, IntentRecord]
    natives: dict[str, Operation]


def intents_meeting(
    connection: Connection, boxes: Iterable[Any], now: float, *, exclude: str | None = None
) -> Airspace:
    """Intents and in-force native operations whose boxes meet these, not yet over, and
    whose time meets theirs exactly (the index rounds stored boxes outward: by up to two
    minutes in time on SQLite, which must not make an intent relevant to a key)."""
    boxes = list(boxes)
    if not boxes:
        return Airspace({}, {})
    start, end = min(b[3] for b in boxes), max(b[7] for b in boxes)
    owners = space_index.owners_meeting(connection, boxes)
    ids = sorted(i for kind, i in owners if kind == "operation" and i != exclude)[:MAX_RESULTS]
    stored = dss_intents.get_many(connection, ids)
    intents = {
        i: r
        for i, r in stored.items()
        if r.time_end > now and r.time_start < end and r.time_end > start
    }
    natives = {
        o.id: o
        for o in operation_store.get_many(connection, [i for i in ids if i not in stored])
        if o.in_force
        and o.declaration.end > now
        and o.declaration.start < end
        and o.declaration.end > start
    }
    return Airspace(intents, natives)


def bump_concerned(
    connection: Connection,
    boxes: Iterable[Any],
    window: tuple[float, float],
    now: float,
    *,
    intents: bool,
) -> list[tuple[SubscriptionRecord, int]]:
    """Add one to the notification index of every live subscription a change of these
    boxes and this time window concerns (notifying for intents, or for constraints);
    each with its new index, in id order. Whoever manages the changed entity must then
    notify them: the changing USS (`notify`), or the hub for its own operations
    (`dss_native_notify`)."""
    found = dss_subscriptions.get_many(connection, dss_subscriptions.meeting(connection, boxes))
    concerned = [
        s.id
        for s in found.values()
        if (s.notify_for_operational_intents if intents else s.notify_for_constraints)
        and s.time_end > now
        and s.time_start < window[1]
        and window[0] < s.time_end
    ]
    indexes = dss_subscriptions.bump(connection, concerned)
    return [(found[ident], indexes[ident]) for ident in sorted(concerned)]


def notify(
    connection: Connection,
    boxes: Iterable[Any],
    window: tuple[float, float],
    now: float,
    *,
    intents: bool,
) -> list[dict[str, Any]]:
    """Bump the notification index of every live subscription this change concerns and
    say whom the changing USS must notify (the standard's SubscriberToNotify list)."""
    by_url: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record, index in bump_concerned(connection, boxes, window, now, intents=intents):
        by_url[record.uss_base_url].append(
            {"subscription_id": record.id, "notification_index": index}
        )
    return [{"subscriptions": subs, "uss_base_url": url} for url, subs in sorted(by_url.items())]


def find_native(connection: Connection, entity_id: str) -> Operation | None:
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
