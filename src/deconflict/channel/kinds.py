"""Notice kinds, which of them are about safety, and the default acknowledgement deadlines."""

from __future__ import annotations

from enum import StrEnum


class NoticeKind(StrEnum):
    """What a notice tells its recipient."""

    OPERATION_NEW = "operation.new"
    OPERATION_CHANGED = "operation.changed"
    OPERATION_CANCELLED = "operation.cancelled"
    ZONE_ENTRY = "operation.enters_zone"
    """An operation enters the recipient's zone: it stays pending until acknowledged."""
    CONFLICT = "conflict"
    OVERRIDE = "override"
    """A higher-priority operation was accepted over the recipient's."""
    ALERT = "alert"
    HOTLINE = "hotline"
    ARRANGEMENT = "arrangement"
    """The pair's arrangement was suspended or resumed."""
    ESCALATION = "escalation"
    """Another notice escalated (told to both sides)."""


SAFETY = frozenset({NoticeKind.CONFLICT, NoticeKind.OVERRIDE, NoticeKind.ALERT, NoticeKind.HOTLINE})
"""Flow and escalate even while the pair's arrangement is suspended."""

DEFAULT_DEADLINES_S: dict[str, float] = {
    NoticeKind.OPERATION_NEW: 900.0,
    NoticeKind.OPERATION_CHANGED: 900.0,
    NoticeKind.OPERATION_CANCELLED: 900.0,
    NoticeKind.ZONE_ENTRY: 900.0,
    NoticeKind.CONFLICT: 120.0,
    NoticeKind.OVERRIDE: 120.0,
    NoticeKind.ALERT: 60.0,
    NoticeKind.HOTLINE: 300.0,
}
"""Seconds to acknowledge, per kind; a pair's policy may change them. Kinds not listed
(arrangement changes, escalation reports) need no acknowledgement."""
