"""What party P had been told, and had acknowledged, at time T — read from the log alone.

The answer rests only on notice events (see `EventKind`): for every notice addressed to
P (``payload["to"] == P``) recorded at or before T, when it was created, first delivered
(and how often), read and acknowledged by P, its deadline and what it was about. A read
or acknowledgement counts only when P itself is the actor; anybody else acknowledging
on P's behalf is not P knowing. Each status lists the indexes of the events it rests
on, so every statement can be backed by an inclusion proof against a signed checkpoint
(`deconflict.audit.bundle`).

"Told" means *delivered* (the hub has evidence the message reached P's endpoint or
screen), not merely created: a notice stuck in the outbox at T was not yet known to P.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deconflict.audit.event import AuditEvent, EventKind, format_time, parse_time


@dataclass
class NoticeStatus:
    """One notice to the party, as the log stood at the as-of time."""

    notice: str
    created_at: datetime | None = None
    first_delivered_at: datetime | None = None
    deliveries: int = 0
    read_at: datetime | None = None
    acknowledged_at: datetime | None = None
    deadline: datetime | None = None
    about: tuple[str, ...] = ()
    summary: str | None = None
    events: list[int] = field(default_factory=list)

    @property
    def told(self) -> bool:
        return self.first_delivered_at is not None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    def overdue(self, at: datetime) -> bool:
        """Past its deadline at `at` and not acknowledged."""
        return self.deadline is not None and not self.acknowledged and self.deadline <= at

    def to_dict(self, at: datetime) -> dict[str, Any]:
        def t(moment: datetime | None) -> str | None:
            return None if moment is None else format_time(moment)

        return {
            "notice": self.notice,
            "about": list(self.about),
            "summary": self.summary,
            "created_at": t(self.created_at),
            "first_delivered_at": t(self.first_delivered_at),
            "deliveries": self.deliveries,
            "read_at": t(self.read_at),
            "acknowledged_at": t(self.acknowledged_at),
            "deadline": t(self.deadline),
            "overdue": self.overdue(at),
            "events": list(self.events),
        }


@dataclass(frozen=True)
class PartyKnowledge:
    """The as-of answer: every notice to `party` recorded by `at`, and the log prefix read."""

    party: str
    at: datetime
    log_size: int
    """Events recorded at or before `at`: prove the answer against a checkpoint ≥ this."""
    notices: tuple[NoticeStatus, ...]

    @property
    def told(self) -> tuple[NoticeStatus, ...]:
        return tuple(n for n in self.notices if n.told)

    @property
    def acknowledged(self) -> tuple[NoticeStatus, ...]:
        return tuple(n for n in self.notices if n.acknowledged)

    @property
    def unacknowledged(self) -> tuple[NoticeStatus, ...]:
        """Delivered to the party but not acknowledged by it."""
        return tuple(n for n in self.notices if n.told and not n.acknowledged)

    @property
    def undelivered(self) -> tuple[NoticeStatus, ...]:
        """Created for the party but not delivered yet: it could not know them."""
        return tuple(n for n in self.notices if not n.told)

    @property
    def subjects_told(self) -> frozenset[str]:
        """Ids of the operations, zones and conflicts the delivered notices were about."""
        return frozenset(s for n in self.told for s in n.about)

    def to_dict(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "at": format_time(self.at),
            "log_size": self.log_size,
            "told": [n.notice for n in self.told],
            "acknowledged": [n.notice for n in self.acknowledged],
            "unacknowledged": [n.notice for n in self.unacknowledged],
            "undelivered": [n.notice for n in self.undelivered],
            "notices": [n.to_dict(self.at) for n in self.notices],
        }


def as_of(events: Iterable[AuditEvent], party: str, at: datetime) -> PartyKnowledge:
    """Fold the notice events recorded at or before `at` into what `party` knew.

    Reads events in log order and stops at the first one after `at` (the log keeps
    times non-decreasing). A redacted notice event names no recipient, so it is
    skipped: redact notices only in bundles for parties they were not addressed to.
    """
    statuses: dict[str, NoticeStatus] = {}
    size = 0
    for event in events:
        if event.time > at:
            break
        size = event.index + 1
        if event.kind.value.split(".")[0] != "notice" or not event.subjects:
            continue
        if event.payload is None or event.payload.get("to") != party:
            continue
        notice_id = event.subjects[0]
        status = statuses.setdefault(notice_id, NoticeStatus(notice_id))
        _apply(status, event, party)
    ordered = sorted(statuses.values(), key=lambda s: s.events[0] if s.events else -1)
    return PartyKnowledge(party, at, size, tuple(ordered))


def _apply(status: NoticeStatus, event: AuditEvent, party: str) -> None:
    payload = event.payload or {}
    kind = event.kind
    if kind is EventKind.NOTICE_CREATED:
        status.events.append(event.index)
        status.created_at = status.created_at or event.time
        status.about = tuple(str(s) for s in payload.get("about", ()))
        status.summary = payload.get("summary")
        deadline = payload.get("deadline")
        status.deadline = parse_time(deadline) if isinstance(deadline, str) else None
    elif kind is EventKind.NOTICE_DELIVERED:
        status.events.append(event.index)
        status.deliveries += 1
        status.first_delivered_at = status.first_delivered_at or event.time
    elif kind is EventKind.NOTICE_READ and event.actor == party:
        status.events.append(event.index)
        status.read_at = status.read_at or event.time
    elif kind is EventKind.NOTICE_ACKNOWLEDGED and event.actor == party:
        status.events.append(event.index)
        status.acknowledged_at = status.acknowledged_at or event.time
