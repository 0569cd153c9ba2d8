"""`as_of`: what a party had been told and had acknowledged, on a scripted history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from audit_support import T0

from deconflict.audit import AuditLog, EventKind, MemoryLogStore, as_of
from deconflict.audit.event import format_time

K = EventKind


def at(minutes: float):  # type: ignore[no-untyped-def]
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def history() -> AuditLog:
    """Minute by minute (hub = the hub's own actions):

    0  alpha submits op-1 (it enters bravo's zone)
    1  notice n1 to bravo about op-1, deadline minute 10
    2  n1 delivered to bravo (webhook)
    3  n1 delivered again (at-least-once)
    4  bravo reads n1
    5  notice n2 to charlie about op-1; delivered at 6
    7  alpha acknowledges n1 "for" bravo — not bravo knowing
    8  bravo acknowledges n1
    9  notice n3 to bravo about conflict c-1, deadline minute 12; delivered at 11
    13 notice n4 to bravo created (stuck in the outbox)
    """
    log = AuditLog(MemoryLogStore())

    def notice(minute: float, kind: EventKind, actor: str, nid: str, **payload: object) -> None:
        log.append(
            kind, actor, [nid], {"to": payload.pop("to", "bravo"), **payload}, time=at(minute)
        )

    log.append(K.OPERATION_SUBMITTED, "alpha", ["op-1"], {"version": 1}, time=at(0))
    deadline = format_time(at(10))
    notice(1, K.NOTICE_CREATED, "hub", "n1", about=["op-1"], deadline=deadline, summary="op-1")
    notice(2, K.NOTICE_DELIVERED, "hub", "n1", channel="webhook")
    notice(3, K.NOTICE_DELIVERED, "hub", "n1", channel="webhook")
    notice(4, K.NOTICE_READ, "bravo", "n1")
    notice(5, K.NOTICE_CREATED, "hub", "n2", to="charlie", about=["op-1"])
    notice(6, K.NOTICE_DELIVERED, "hub", "n2", to="charlie", channel="sse")
    notice(7, K.NOTICE_ACKNOWLEDGED, "alpha", "n1")
    notice(8, K.NOTICE_ACKNOWLEDGED, "bravo", "n1")
    notice(9, K.NOTICE_CREATED, "hub", "n3", about=["c-1"], deadline=format_time(at(12)))
    notice(11, K.NOTICE_DELIVERED, "hub", "n3", channel="ui")
    notice(13, K.NOTICE_CREATED, "hub", "n4", about=["op-2"])
    return log


def ids(statuses) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.notice for s in statuses]


def test_before_anything_was_delivered(history: AuditLog) -> None:
    k = as_of(history.events(), "bravo", at(1.5))
    assert ids(k.notices) == ["n1"] and ids(k.told) == [] and ids(k.undelivered) == ["n1"]
    assert k.log_size == 2


def test_told_and_read_but_not_yet_acknowledged(history: AuditLog) -> None:
    k = as_of(history.events(), "bravo", at(7.5))
    (n1,) = k.notices
    assert (n1.first_delivered_at, n1.deliveries, n1.read_at) == (at(2), 2, at(4))
    assert n1.acknowledged_at is None  # alpha's acknowledgement at 7 does not count
    assert ids(k.unacknowledged) == ["n1"] and k.subjects_told == {"op-1"}
    assert not n1.overdue(k.at)


def test_acknowledged_and_the_next_notice_overdue(history: AuditLog) -> None:
    k = as_of(history.events(), "bravo", at(12))
    assert ids(k.acknowledged) == ["n1"]
    assert k.notices[0].acknowledged_at == at(8)
    assert ids(k.unacknowledged) == ["n3"]
    assert k.notices[1].overdue(k.at)  # deadline 12, not acknowledged by 12
    assert k.subjects_told == {"op-1", "c-1"}


def test_the_end_of_the_log(history: AuditLog) -> None:
    k = as_of(history.events(), "bravo", at(60))
    assert ids(k.notices) == ["n1", "n3", "n4"]
    assert ids(k.undelivered) == ["n4"] and k.log_size == history.size
    charlie = as_of(history.events(), "charlie", at(60))
    assert ids(charlie.told) == ["n2"] and ids(charlie.acknowledged) == []
    answer = k.to_dict()
    assert answer["told"] == ["n1", "n3"] and answer["notices"][0]["events"] == [1, 2, 3, 4, 8]


def test_the_log_prefix_is_found_by_time(history: AuditLog) -> None:
    assert history.index_at(at(7.5)) == as_of(history.events(), "bravo", at(7.5)).log_size == 8
    assert history.index_at(at(-1)) == 0 and history.index_at(at(99)) == history.size
