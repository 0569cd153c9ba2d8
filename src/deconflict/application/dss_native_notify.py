"""The hub as the USS of its native parties: subscribed USSs are told of their changes.

ASTM F3548-21: the USS managing an operational intent notifies every USS whose
subscription a change of it concerns (`notifyOperationalIntentDetailsChanged`). Native
operations appear to USSs as intents managed by the hub (`dss_common.native_reference`),
so when one is submitted, changed, approved, overridden, activated, ended or cancelled,
the hub does what a DSS change plus its managing USS would, in the change's own
transaction: bump the notification index of every live subscription for intents that
its old or new extents and time meet (`dss_common.bump_concerned`, as a USS's change
does), and queue one notification per subscriber USS in the outbox
(`channel.uss_notifications`, delivered like webhooks after commit).

The body is the standard's PutOperationalIntentDetailsParameters: the id, the
subscriptions with their new indexes, and the operational intent exactly as
`/uss/v1/operational_intents/{id}` serves it to that USS (`dss_details.details`:
need-to-know, volumes and no callsign or mission), or no operational intent once the
operation is gone (ended or cancelled; the definition: "if this field is omitted, the
operational intent was deleted").

Cheap when nobody listens: a submission passes the subscriptions its write already
found in the index (`candidates.Neighbourhood.subscriptions`: none, nothing is done),
other changes ask first whether any subscription for intents exists at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from implicitdict import ImplicitDict
from sqlalchemy.engine import Connection
from uas_standards.astm.f3548.v21.api import PutOperationalIntentDetailsParameters

from deconflict.application.dss_common import UssCaller, bump_concerned
from deconflict.application.dss_details import details
from deconflict.channel import uss_notifications
from deconflict.engine.compile import compile_pieces
from deconflict.geo.altitude import AltitudeReference, reference_margin
from deconflict.geo.pieces import Piece
from deconflict.model.dss import USS_PARTY_PREFIX, native_entity_id
from deconflict.model.operation import Operation
from deconflict.store import dss_subscriptions
from deconflict.store.dss_subscriptions import SubscriptionRecord

Box = tuple[float, float, float, float, float, float, float, float]


def submitted(
    connection: Connection,
    operation: Operation,
    nearby: Collection[str],
    pieces: Sequence[Piece],
    now: float,
) -> None:
    """A new native operation; `nearby`: the subscriptions the write's own index look-up
    found near it (none: no query, nothing to do)."""
    if nearby and _native(operation):
        _tell(connection, operation, _boxes(pieces), _window(operation), now)


def changed(connection: Connection, before: Operation | None, after: Operation, now: float) -> None:
    """A new version of a native operation (plan, state, approval, override mark):
    subscriptions meeting its old or new extents are told."""
    if not _native(after) or not dss_subscriptions.any_for_intents(connection, now):
        return
    boxes = _boxes(compile_pieces(after.declaration))
    start, end = _window(after)
    if before is not None and before.declaration.volumes != after.declaration.volumes:
        boxes += _boxes(compile_pieces(before.declaration))
        old_start, old_end = _window(before)
        start, end = min(start, old_start), max(end, old_end)
    _tell(connection, after, boxes, (start, end), now)


def _native(operation: Operation) -> bool:
    """A USS manages its own intents (and notifies for them): only the hub's are here."""
    return not operation.party.startswith(USS_PARTY_PREFIX)


def _window(operation: Operation) -> tuple[float, float]:
    return operation.declaration.start, operation.declaration.end


def _boxes(pieces: Sequence[Piece]) -> list[Box]:
    """The pieces' boxes in W84 altitudes, as USSs are shown them (`dss_details.volume4d`
    widens a band in another reference by that reference's margin)."""
    boxes: list[Box] = []
    for piece in pieces:
        margin = reference_margin(piece.reference, AltitudeReference.W84)
        lon_min, lat_min, lon_max, lat_max = piece.bbox
        boxes.append(
            (
                lon_min,
                lat_min,
                piece.lower - margin,
                piece.start,
                lon_max,
                lat_max,
                piece.upper + margin,
                piece.end,
            )
        )
    return boxes


def _tell(
    connection: Connection,
    operation: Operation,
    boxes: list[Box],
    window: tuple[float, float],
    now: float,
) -> None:
    """Bump the subscriptions the change concerns; queue one call per subscriber USS."""
    concerned = bump_concerned(connection, boxes, window, now, intents=True)
    if not concerned:
        return
    by_url: dict[str, list[tuple[SubscriptionRecord, int]]] = defaultdict(list)
    for record, index in concerned:
        if record.hub_url:  # else made before the hub kept its URL (migration 0006)
            by_url[record.uss_base_url].append((record, index))
    entity_id = native_entity_id(operation.id)
    queued = []
    for url, subscriptions in sorted(by_url.items()):
        record = subscriptions[0][0]
        body: dict[str, Any] = {
            "operational_intent_id": entity_id,
            "subscriptions": [
                {"subscription_id": s.id, "notification_index": index} for s, index in subscriptions
            ],
        }
        if operation.in_force:
            caller = UssCaller(record.manager, frozenset(), _hub_url(subscriptions))
            body |= details(operation, caller)
        parsed = ImplicitDict.parse(body, PutOperationalIntentDetailsParameters)
        queued.append(uss_notifications.Notification(operation.id, url, parsed))
    uss_notifications.queue(connection, queued, now)


def _hub_url(subscriptions: list[tuple[SubscriptionRecord, int]]) -> str:
    """The hub's URL as this USS reaches it (its subscriptions remember it), which the
    details name as the intent's `uss_base_url`, as `/uss/v1` answers it."""
    return max(s.hub_url or "" for s, _ in subscriptions)
