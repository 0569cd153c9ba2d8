"""What operational intent and constraint references share: the checks before a change,
the answer after it, the delete, and the loser of a concurrent create.

Both are DSS "references" (an id, a manager, an OVN, extents, subscribers to notify), and
the standard treats them alike: only the manager changes one, at its current OVN; each
change bumps the subscriptions it concerns and answers with them. `ReferenceKind` holds
what differs (names, which subscriptions are notified, how a stored one is removed).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from deconflict.application.dss_common import (
    UssCaller,
    availabilities,
    notify,
    stored_boxes,
)
from deconflict.application.hub import Hub
from deconflict.model.dss import DssBadRequest, DssConflict, check_uuid
from deconflict.model.errors import NotAllowed, NotFound
from deconflict.store import locks


class Reference(Protocol):
    """What the shared steps read of a stored reference (intent or constraint record)."""

    id: str
    manager: str
    ovn: str
    time_start: float
    time_end: float
    extents: list[Any]


R = TypeVar("R", bound=Reference)


@dataclass(frozen=True)
class ReferenceKind:
    """One kind of reference: how it is named, shown, found and removed."""

    noun: str
    """"operational intent" or "constraint", for messages."""
    field: str
    """The answer's key: "operational_intent_reference" or "constraint_reference"."""
    for_intents: bool
    """Its changes notify subscriptions for intents (else those for constraints)."""
    show: Callable[[Any, UssCaller, dict[str, str]], dict[str, Any]]
    """The reference as the definition shows it to a caller."""
    load: Callable[[Connection, str], Any]
    """The stored reference by id, locked for the change (None if there is none)."""
    remove: Callable[[Connection, UssCaller, Any, float], None]
    """Delete a stored reference (and what goes with it), inside the transaction."""


def owned(kind: ReferenceKind, existing: R | None, ident: str, caller: UssCaller, ovn: str) -> R:
    """The stored reference an update addresses, if the caller manages it and names its
    current OVN: else 400 (the definition lists no 404 for an update), 403 or 409."""
    if existing is None:
        raise DssBadRequest(f"{kind.noun} {ident} does not exist, so it is at no OVN {ovn}")
    return _managed(kind, existing, ident, caller, ovn)


def _managed(kind: ReferenceKind, existing: R, ident: str, caller: UssCaller, ovn: str) -> R:
    if existing.manager != caller.manager:
        raise NotAllowed(f"{kind.noun} {ident} is managed by another USS")
    if existing.ovn != ovn:
        raise DssConflict(f"OVN {ovn} is not the current OVN of {kind.noun} {ident}")
    return existing


def answer(
    connection: Connection,
    kind: ReferenceKind,
    caller: UssCaller,
    record: Any,
    boxes: list[Any],
    window: tuple[float, float],
    now: float,
) -> dict[str, Any]:
    """Bump the subscriptions the change concerns; the definition's Change…Response."""
    subscribers = notify(connection, boxes, window, now, intents=kind.for_intents)
    known = availabilities(connection, [caller.manager])
    return {"subscribers": subscribers, kind.field: kind.show(record, caller, known)}


def delete_reference(
    hub: Hub,
    kind: ReferenceKind,
    caller: UssCaller,
    ident: str,
    ovn: str,
    *,
    check: Callable[[Connection], None] | None = None,
) -> dict[str, Any]:
    """Delete the caller's reference at `ovn` (404 if there is none): one transaction that
    locks the cells it covered, removes it and bumps the subscriptions it concerned.
    `check` runs once ownership is known (an intent's manager must not be Down)."""
    ident = check_uuid(ident, "entityid")
    now = hub.clock()
    with hub.database.write() as connection:
        existing = kind.load(connection, ident)
        if existing is None:
            raise NotFound(f"{kind.noun} {ident} not found")
        _managed(kind, existing, ident, caller, ovn)
        if check is not None:
            check(connection)
        old_boxes = stored_boxes(ident, existing.extents, now).tolist()
        locks.lock_cells_for(connection, [tuple(b) for b in old_boxes])
        kind.remove(connection, caller, existing, now)
        window = (existing.time_start, existing.time_end)
        return answer(connection, kind, caller, existing, old_boxes, window, now)


Put = TypeVar("Put", bound=Callable[..., dict[str, Any]])


def one_create_wins(put: Put) -> Put:
    """A create (or update) use case `(hub, caller, ident, version, params)` whose loser
    of a concurrent create of the same id gets 409 rather than the store's error."""

    @functools.wraps(put)
    def guarded(hub: Hub, caller: UssCaller, ident: str, *args: Any) -> dict[str, Any]:
        try:
            return put(hub, caller, ident, *args)
        except IntegrityError:
            raise DssConflict(f"{ident} was created concurrently") from None

    return guarded  # type: ignore[return-value]
