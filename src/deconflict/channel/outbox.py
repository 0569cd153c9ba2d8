"""The transactional outbox: notices and audit events written with the change that causes them.

A use case calls these inside its own write transaction; each call is at most two
many-row inserts (notices, audit queue; one statement for both on PostgreSQL).
Everything that needs the store's wider state (who is concerned, digests) is worked out
before the write lock by the caller, and everything the channel adds later (stream
position, deadline, webhook deliveries, the Merkle log) is done by the sequencer after
commit. So a crash loses nothing: the rows are either committed with the change or
absent with it.

`alert(...)` is the entry point for tactical alerts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import shapely
from sqlalchemy.engine import Connection

from deconflict.audit.event import EventKind
from deconflict.channel import interest, notice_store, wakeups
from deconflict.channel.kinds import NoticeKind
from deconflict.geo.declaration import Declaration
from deconflict.geo.footprint import footprint
from deconflict.model.operation import Operation
from deconflict.store import bulk, channel_tables

HUB = "hub"


@dataclass(frozen=True)
class Draft:
    """A notice to write: to whom, from whom, what kind, about which objects."""

    recipient: str
    sender: str
    kind: NoticeKind
    about: tuple[str, ...]
    facts: Mapping[str, Any]
    starts_at: float | None = None
    id: str = field(default_factory=lambda: notice_store.new_id())


@dataclass(frozen=True)
class Event:
    """An audit event to queue for the Merkle log."""

    kind: str
    actor: str
    subjects: tuple[str, ...]
    payload: Mapping[str, Any]


class ZoneConflict(Protocol):
    """What the outbox reads of an engine conflict with a zone."""

    other: str
    other_party: str


@dataclass(frozen=True)
class Plan:
    """Worked out before the write lock: who is concerned and the plan's digest."""

    concerned: tuple[str, ...]
    digest: str
    centre: tuple[float, float] | None = None


def digest_of(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def plan(
    connection: Connection,
    declaration: Declaration,
    document: Any = None,
    area: shapely.Geometry | None = None,
    *,
    revision: int | None = None,
    digest: str | None = None,
) -> Plan:
    """Who must hear of `declaration` (parties whose area of interest it meets);
    `revision`: the agreements revision, if the caller read it in this transaction;
    `digest`: the document's (`digest_of`), if the caller has it already."""
    links = interest.parties(connection, revision)
    shape = area if area is not None else footprint(declaration)
    concerned = interest.concerned(links, declaration.party, shape)
    centre = shapely.centroid(shape)
    if digest is None:
        digest = digest_of(document) if document is not None else ""
    return Plan(concerned, digest, (round(float(centre.x), 5), round(float(centre.y), 5)))


def operation_facts(
    operation: Operation, centre: tuple[float, float] | None = None
) -> dict[str, Any]:
    """The facts every recipient is told (need-to-know: no callsign or mission)."""
    d = operation.declaration
    if centre is None:
        point = shapely.centroid(footprint(d))
        centre = (round(float(point.x), 5), round(float(point.y), 5))
    return {
        "operation": operation.id,
        "party": operation.party,
        "version": operation.version,
        "state": str(operation.state),
        "priority": d.priority,
        "start": d.start,
        "end": d.end,
        "lower_m": min(v.band.lower for v in d.volumes),
        "upper_m": max(v.band.upper for v in d.volumes),
        "lon": centre[0],
        "lat": centre[1],
    }


@dataclass(frozen=True)
class Outgoing:
    """Notices and events encoded for one database, to insert in a write transaction:
    built before it where the caller knows them already (`submitted_outgoing`), so that
    digests and JSON are not made while the write lock is held."""

    notices: notice_store.EncodedNotices
    events: list[dict[str, Any]]


def encode(
    drafts: Sequence[Draft], events: Sequence[Event], now: float, *, sqlite: bool
) -> Outgoing:
    """`drafts` and `events` as `send` inserts them, dated `now`."""
    notices = notice_store.encode_new(
        (
            notice_store.NewNotice(
                d.id, d.recipient, d.sender, str(d.kind), d.about, d.facts, now, d.starts_at
            )
            for d in drafts
        ),
        sqlite=sqlite,
    )
    queued = [
        {
            "time": now,
            "kind": e.kind if e.kind in _KNOWN else "operation.changed",
            "actor": e.actor,
            "subjects": list(e.subjects),
            "payload": dict(e.payload),
        }
        for e in events
    ]
    return Outgoing(notices, queued)


def send(connection: Connection, outgoing: Outgoing) -> None:
    """Insert the notices and queue the events, in the caller's transaction (and wake
    this process's sequencer when it commits: at once for notices, for a batch else)."""
    if outgoing.notices.values or outgoing.events:
        wake = wakeups.NOTICES if outgoing.notices.values else wakeups.QUEUED
        wakeups.after_commit(connection, wake)
    if outgoing.notices.sqlite or connection.dialect.name != "postgresql":
        notice_store.insert_encoded(connection, outgoing.notices)
        bulk.insert_rows(connection, channel_tables.audit_queue, outgoing.events)
    else:  # both in one round trip
        rows = [
            (channel_tables.notices, outgoing.notices.values),
            (channel_tables.audit_queue, outgoing.events),
        ]
        bulk.insert_rows_together(connection, rows)


def write(
    connection: Connection, drafts: Sequence[Draft], events: Sequence[Event], now: float
) -> None:
    """`send` of `drafts` and `events`, encoded here."""
    send(connection, encode(drafts, events, now, sqlite=connection.dialect.name == "sqlite"))


_KNOWN = frozenset(k.value for k in EventKind)


def _operation_event(kind: str, operation: Operation, actor: str, digest: str = "") -> Event:
    payload: dict[str, Any] = {"version": operation.version, "state": str(operation.state)}
    if digest:
        payload["digest"] = digest
    return Event(kind, actor, (operation.id,), payload)


def submitted(
    connection: Connection,
    operation: Operation,
    plan: Plan,
    zones: Iterable[ZoneConflict],
    overridden: Iterable[Operation],
    now: float,
) -> None:
    """A new operation: tell concerned parties, zone owners (they must acknowledge) and
    the parties of operations it overrides; record the submission."""
    sqlite = connection.dialect.name == "sqlite"
    send(connection, submitted_outgoing(operation, plan, zones, overridden, now, sqlite=sqlite))


def submitted_outgoing(
    operation: Operation,
    plan: Plan,
    zones: Iterable[ZoneConflict],
    overridden: Iterable[Operation],
    now: float,
    *,
    sqlite: bool,
) -> Outgoing:
    """What `submitted` inserts, encoded (no database needed: the submit path makes it
    before taking the write lock)."""
    facts = operation_facts(operation, plan.centre)
    start = operation.declaration.start
    drafts: list[Draft] = []
    events = [_operation_event("operation.submitted", operation, operation.party, plan.digest)]
    zone_owners: dict[str, list[str]] = {}
    for conflict in zones:
        zone_owners.setdefault(conflict.other_party, []).append(conflict.other)
    for party, zone_ids in sorted(zone_owners.items()):
        about = (operation.id, *sorted(zone_ids))
        drafts.append(Draft(party, operation.party, NoticeKind.ZONE_ENTRY, about, facts, start))
        events.append(Event("conflict.found", "hub", about, {"parties": [operation.party, party]}))
    for loser in overridden:
        about = (operation.id, loser.id)
        drafts.append(
            Draft(
                loser.party,
                operation.party,
                NoticeKind.OVERRIDE,
                about,
                facts,
                loser.declaration.start,
            )
        )
        events.append(
            Event("conflict.found", "hub", about, {"parties": [operation.party, loser.party]})
        )
    told = {d.recipient for d in drafts}
    drafts += [
        Draft(p, operation.party, NoticeKind.OPERATION_NEW, (operation.id,), facts, start)
        for p in plan.concerned
        if p not in told
    ]
    return encode(drafts, events, now, sqlite=sqlite)


def changed(
    connection: Connection,
    operation: Operation,
    kind: str,
    actor: str,
    now: float,
    *,
    overridden: Iterable[Operation] = (),
) -> None:
    """An operation changed (plan or state): record it; tell concerned parties of a new
    plan or a cancellation, and parties of operations it now overrides."""
    events = [_operation_event(kind, operation, actor)]
    drafts: list[Draft] = []
    notice_kind = {
        "operation.changed": NoticeKind.OPERATION_CHANGED,
        "operation.cancelled": NoticeKind.OPERATION_CANCELLED,
    }.get(kind)
    facts = operation_facts(operation)
    start = operation.declaration.start
    for loser in overridden:
        about = (operation.id, loser.id)
        drafts.append(
            Draft(
                loser.party,
                operation.party,
                NoticeKind.OVERRIDE,
                about,
                facts,
                loser.declaration.start,
            )
        )
        events.append(
            Event("conflict.found", "hub", about, {"parties": [operation.party, loser.party]})
        )
    if notice_kind is not None:
        told = {d.recipient for d in drafts}
        concerned = plan(connection, operation.declaration).concerned
        drafts += [
            Draft(p, operation.party, notice_kind, (operation.id,), facts, start)
            for p in concerned
            if p not in told
        ]
    write(connection, drafts, events, now)


def recorded(
    connection: Connection,
    kind: str,
    actor: str,
    subjects: Sequence[str],
    payload: Mapping[str, Any],
    now: float,
) -> None:
    """Queue one audit event (zone and party changes, acknowledgements…)."""
    write(connection, (), [Event(kind, actor, tuple(subjects), payload)], now)


def alert(
    connection: Connection,
    *,
    alert: str,
    parties: Sequence[str],
    about: Sequence[str],
    facts: Mapping[str, Any],
    now: float,
    closed: bool = False,
    starts_at: float | None = None,
) -> list[str]:
    """A tactical alert opened (or closed) for `parties`: one notice to each, and an
    `alert.opened`/`alert.closed` audit event; in the caller's transaction. Returns the
    notice ids. `facts` should hold plain JSON values (see `render` for the keys the
    templates show: `kind`, `aircraft`, `distance_m`, `vertical_m`, `at`)."""
    subjects = (alert, *about)
    drafts = [
        Draft(p, HUB, NoticeKind.ALERT, subjects, {**facts, "closed": closed}, starts_at)
        for p in sorted(set(parties))
    ]
    kind = "alert.closed" if closed else "alert.opened"
    event = Event(kind, HUB, subjects, {"parties": sorted(set(parties)), **dict(facts)})
    write(connection, drafts, [event], now)
    return [d.id for d in drafts]


def hotline(
    connection: Connection, sender: str, recipient: str, officer: str, text: str, now: float
) -> str:
    """A free-text message between duty officers; its notice id."""
    facts = {"text": text, "officer": officer, "party": sender}
    draft = Draft(recipient, sender, NoticeKind.HOTLINE, (), facts)
    write(connection, [draft], [], now)
    return draft.id
