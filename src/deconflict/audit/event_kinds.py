"""The kinds of audit event: what the record can say happened. Apart from `event` (the
bytes of one event) because callers that only name a kind need none of the encoding."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """What an event records. `subjects[0]` is the main object's id.

    Notices (`subjects[0]` = notice id; ``payload["to"]`` = the recipient party):

    - ``notice.created``: the hub queued a notice; payload also ``about`` (ids of the
      operations/zones/conflicts it concerns), ``deadline`` (RFC 3339 UTC, optional),
      ``summary`` (short text, optional). Actor: the hub.
    - ``notice.delivered``: one delivery succeeded (``channel``: webhook, sse, ui).
      At-least-once, so it may repeat. Actor: the hub.
    - ``notice.read``: the recipient opened it. Actor: the recipient.
    - ``notice.acknowledged``: the recipient acknowledged it. Actor: the recipient.
    - ``notice.escalated``: the deadline passed unacknowledged; payload ``step``.

    Objects (`subjects[0]` = operation or zone id; payload: version, state, digest of
    the declaration, whatever the use case records):
    ``operation.submitted``, ``operation.changed``, ``operation.accepted``,
    ``operation.activated``, ``operation.ended``, ``operation.cancelled``,
    ``zone.declared``, ``zone.changed``, ``zone.accepted``, ``zone.withdrawn``,
    ``conflict.found``, ``conflict.cleared`` (subjects: the two declarations),
    ``alert.opened``, ``alert.closed``, ``party.changed``, ``agreement.changed``.

    The DSS API (actor: the USS's party, ``uss:…``; its operational intents are
    operations and use the kinds above): ``constraint.declared``, ``constraint.changed``,
    ``constraint.withdrawn`` (a constraint reference), ``subscription.changed`` (payload
    ``action``: created, updated, deleted), ``uss.availability`` (set by an arbitrator),
    ``dss.report`` (payload: the digest of the archived report).

    The hub's own calls to USSs about native operations (subjects: the operation id;
    actor: the hub): ``uss.notified``, once a call is settled (payload ``outcome``:
    delivered, or dead after its last attempt; ``url``; ``attempts``; ``body_digest``:
    SHA-256 of the bytes sent).
    """

    NOTICE_CREATED = "notice.created"
    NOTICE_DELIVERED = "notice.delivered"
    NOTICE_READ = "notice.read"
    NOTICE_ACKNOWLEDGED = "notice.acknowledged"
    NOTICE_ESCALATED = "notice.escalated"
    OPERATION_SUBMITTED = "operation.submitted"
    OPERATION_CHANGED = "operation.changed"
    OPERATION_ACCEPTED = "operation.accepted"
    OPERATION_ACTIVATED = "operation.activated"
    OPERATION_ENDED = "operation.ended"
    OPERATION_CANCELLED = "operation.cancelled"
    ZONE_DECLARED = "zone.declared"
    ZONE_CHANGED = "zone.changed"
    ZONE_ACCEPTED = "zone.accepted"
    ZONE_WITHDRAWN = "zone.withdrawn"
    CONFLICT_FOUND = "conflict.found"
    CONFLICT_CLEARED = "conflict.cleared"
    ALERT_OPENED = "alert.opened"
    ALERT_CLOSED = "alert.closed"
    PARTY_CHANGED = "party.changed"
    AGREEMENT_CHANGED = "agreement.changed"
    CONSTRAINT_DECLARED = "constraint.declared"
    CONSTRAINT_CHANGED = "constraint.changed"
    CONSTRAINT_WITHDRAWN = "constraint.withdrawn"
    SUBSCRIPTION_CHANGED = "subscription.changed"
    USS_AVAILABILITY = "uss.availability"
    DSS_REPORT = "dss.report"
    USS_NOTIFIED = "uss.notified"


KIND_NAMES = frozenset(kind.value for kind in EventKind)
"""Every kind's name, for checking a kind given or read as text."""
