"""Escalation with a controllable clock (no sleeping), pending-until-acknowledged,
suspension, signed acknowledgements: use cases and channel passes called directly on a
real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from service_helpers import box_ring, collection, op, polygon_feature, unique

from deconflict.application import channel_settings
from deconflict.application.acknowledge_notice import acknowledge, list_notices, send_hotline
from deconflict.application.change_state import approve
from deconflict.application.declare_zone import declare_zone
from deconflict.application.hub import ADMIN, READ, WRITE, Caller, Hub
from deconflict.application.manage_parties import put_party
from deconflict.application.submit_operation import submit_operation
from deconflict.channel import keys, ladder, sequencer
from deconflict.channel.escalation import NoticeState, Officer, critical, next_step
from deconflict.channel.policy import Policy
from deconflict.geo.geojson import read_collection
from deconflict.model.errors import NotAllowed
from deconflict.model.party import Party
from deconflict.store.backend import connect
from deconflict.store.channel_tables import escalations, notices
from deconflict.store.migrate import upgrade


class Clock:
    """The hub's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hub(database_url: str) -> Iterator[Hub]:
    database = connect(database_url)
    upgrade(database)
    yield Hub(database, Clock())
    database.engine.dispose()


def caller(party: str | None, *scopes: str) -> Caller:
    return Caller(f"{party}-officer", party, frozenset(scopes or (READ, WRITE)))


ADMINISTRATOR = Caller("admin", None, frozenset({ADMIN}))


def declaration(body: dict[str, Any]) -> Any:
    return read_collection(body).declarations[0]


def settle(hub: Hub, key_dir: str) -> None:
    """Run the sequencer until the queue is empty (what the runner threads do)."""
    signer = keys.hub_signer(key_dir)
    while sequencer.pending(hub.database):
        sequencer.run_pass(hub.database, hub.clock, signer)


def parties(hub: Hub) -> None:
    for ident in ("coalition", "russia"):
        put_party(hub, ADMINISTRATOR, Party(ident, ident.title(), ("en",)))


# --- the pure ladder -----------------------------------------------------------------


def test_the_ladder_climbs_one_rung_per_interval_and_marks_critical() -> None:
    policy = Policy(deadlines={"conflict": 120.0}, critical_window_s=600.0, supervisor="Col. X")
    roster = [Officer("a", "Alpha", rank=0), Officer("b", "Bravo", "+1 555", rank=1)]
    state = NoticeState("n", "russia", "conflict", 1000.0, 0, False, starts_at=5000.0)
    assert next_step(state, policy, roster, 999.9) is None
    first = next_step(state, policy, roster, 1000.0)
    assert first is not None
    assert (first.number, first.action, first.next_at, first.critical) == (
        1,
        "resend",
        1120.0,
        False,
    )
    state = NoticeState("n", "russia", "conflict", 1000.0, 1, False, starts_at=5000.0)
    assert next_step(state, policy, roster, 1119.0) is None
    second = next_step(state, policy, roster, 1120.0)
    assert second is not None and second.action == "next_contact"
    assert second.target == "Bravo <+1 555>"
    state = NoticeState("n", "russia", "conflict", 1000.0, 2, False, starts_at=1500.0)
    third = next_step(state, policy, roster, 1240.0)
    assert third is not None and third.action == "supervisor" and third.target == "Col. X"
    assert third.exhausted and third.critical  # starts 260 s later: inside the window
    done = NoticeState("n", "russia", "conflict", 1000.0, 3, False, starts_at=1500.0)
    assert next_step(done, policy, roster, 10_000.0) is None
    acked = NoticeState("n", "russia", "conflict", 1000.0, 0, True)
    assert next_step(acked, policy, roster, 10_000.0) is None
    assert not critical(acked, policy, 10_000.0)


# --- against the database, with a fake clock -----------------------------------------


def test_an_unacknowledged_notice_escalates_and_both_sides_see_it(hub: Hub, key_dir: str) -> None:
    parties(hub)
    coalition, russia = caller("coalition"), caller("russia")
    channel_settings.put_roster(
        hub, russia, [Officer("russia-officer", "Ivanov", rank=0), Officer("p", "Petrov", rank=1)]
    )
    notice, _ = send_hotline(hub, coalition, "russia", "Please confirm sortie 12")
    settle(hub, key_dir)
    clock: Clock = hub.clock  # type: ignore[assignment]
    assert ladder.escalate_pass(hub.database, clock) == 0
    clock.now += 300.0  # the hotline deadline
    assert ladder.escalate_pass(hub.database, clock) == 1
    assert ladder.escalate_pass(hub.database, clock) == 0  # one rung per interval
    clock.now += 300.0
    assert ladder.escalate_pass(hub.database, clock) == 1
    settle(hub, key_dir)
    with hub.database.read() as connection:
        steps = connection.execute(
            sa.select(escalations.c.step, escalations.c.action, escalations.c.target)
            .where(escalations.c.notice == notice)
            .order_by(escalations.c.step)
        ).all()
    assert [tuple(s) for s in steps] == [
        (1, "resend", "russia (all duty officers)"),
        (2, "next_contact", "Petrov"),
    ]
    told = [n for n in list_notices(hub, coalition) if n["kind"] == "escalation"]
    assert [n["facts"]["step"] for n in told] == [1, 2]  # the sender sees each step
    assert [n["facts"]["step"] for n in list_notices(hub, russia) if n["kind"] == "escalation"] == [
        1,
        2,
    ]
    acknowledge(hub, russia, notice)
    clock.now += 3600.0
    assert ladder.escalate_pass(hub.database, clock) == 0  # acknowledged: the ladder stops


def test_an_operation_in_a_zone_waits_until_acknowledged(hub: Hub, key_dir: str) -> None:
    parties(hub)
    coalition, russia = caller("coalition"), caller("russia")
    zone = polygon_feature(unique("zone"), "russia", box_ring(36.0, 34.0, 0.2))
    declare_zone(hub, russia, declaration(collection(zone)))
    ident = unique("op")
    decision = submit_operation(hub, coalition, declaration(op(ident, "coalition")))
    assert str(decision.operation.state) == "pending"
    settle(hub, key_dir)
    entry = [n for n in list_notices(hub, russia) if n["kind"] == "operation.enters_zone"]
    assert len(entry) == 1 and entry[0]["about"][0] == ident
    # an officer not on duty may not acknowledge
    channel_settings.put_roster(hub, russia, [Officer("russia-officer", "Ivanov", on_duty=False)])
    with pytest.raises(NotAllowed):
        acknowledge(hub, russia, entry[0]["id"])
    channel_settings.put_roster(hub, russia, [Officer("russia-officer", "Ivanov")])
    acknowledge(hub, russia, entry[0]["id"])
    with hub.database.read() as connection:
        state = connection.execute(
            sa.text("SELECT state FROM operations WHERE id = :i"), {"i": ident}
        )
        assert state.scalar() == "accepted"


def test_approving_an_operation_acknowledges_its_zone_entry_notice(hub: Hub, key_dir: str) -> None:
    parties(hub)
    coalition, russia = caller("coalition"), caller("russia")
    zone = polygon_feature(unique("zone"), "russia", box_ring(36.0, 34.0, 0.2))
    declare_zone(hub, russia, declaration(collection(zone)))
    approved, waiting = unique("op"), unique("op")
    submit_operation(hub, coalition, declaration(op(approved, "coalition")))
    submit_operation(hub, coalition, declaration(op(waiting, "coalition", upper=400)))
    settle(hub, key_dir)
    clock: Clock = hub.clock  # type: ignore[assignment]
    clock.now += 60.0
    # as for an acknowledgement, only an on-duty officer of a party with a roster approves
    channel_settings.put_roster(hub, russia, [Officer("russia-officer", "Ivanov", on_duty=False)])
    with pytest.raises(NotAllowed):
        approve(hub, russia, approved)
    channel_settings.put_roster(hub, russia, [Officer("russia-officer", "Ivanov")])
    assert str(approve(hub, russia, approved).state) == "accepted"
    entries = {
        n["about"][0]: n for n in list_notices(hub, russia) if n["kind"] == "operation.enters_zone"
    }
    assert entries[approved]["acknowledged_at"] == clock.now
    assert entries[approved]["acknowledged_by"] == "russia-officer"
    assert entries[waiting]["acknowledged_at"] is None
    clock.now += 900.0  # both deadlines have passed: only the unapproved one escalates
    assert ladder.escalate_pass(hub.database, clock) == 1
    clock.now += 3 * 900.0
    while ladder.escalate_pass(hub.database, clock):
        clock.now += 900.0
    settle(hub, key_dir)
    with hub.database.read() as connection:
        stepped = connection.execute(sa.select(escalations.c.notice).distinct()).scalars().all()
        lines = [
            bytes(r[0]).decode()
            for r in connection.execute(
                sa.text("SELECT line FROM audit_events ORDER BY leaf_index")
            )
        ]
    assert stepped == [entries[waiting]["id"]]
    acked = [line for line in lines if '"kind":"notice.acknowledged"' in line]
    assert len(acked) == 1 and entries[approved]["id"] in acked[0] and '"via":"approve"' in acked[0]


def test_the_pair_policy_accepts_after_the_ladder_is_exhausted(hub: Hub, key_dir: str) -> None:
    parties(hub)
    coalition, russia = caller("coalition"), caller("russia")
    channel_settings.put_policy(
        hub,
        ADMINISTRATOR,
        ["coalition", "russia"],
        {
            "deadlines": {"operation.enters_zone": 60},
            "step_s": 30,
            "on_exhausted": "accept",
            "critical_window_s": 3 * 3600,
        },
    )
    zone = polygon_feature(unique("zone"), "russia", box_ring(36.0, 34.0, 0.2))
    declare_zone(hub, russia, declaration(collection(zone)))
    ident = unique("op")
    submit_operation(hub, coalition, declaration(op(ident, "coalition")))
    settle(hub, key_dir)
    clock: Clock = hub.clock  # type: ignore[assignment]
    taken, released = 0, []
    for _ in range(5):
        clock.now += 60.0
        taken += ladder.escalate_pass(
            hub.database, clock, released=lambda _, o, now: released.append((o.id, o.state))
        )
    assert taken == 3
    assert released == [(ident, "accepted")]  # the use cases are told of the release
    with hub.database.read() as connection:
        row = connection.execute(
            sa.text("SELECT state FROM operations WHERE id = :i"), {"i": ident}
        )
        assert row.scalar() == "accepted"
        critical_flag = connection.execute(
            sa.select(notices.c.critical).where(notices.c.kind == "operation.enters_zone")
        ).scalar()
    assert critical_flag is True  # it starts in 2 h: inside the 3 h window


def test_suspension_lifts_planning_deadlines_but_not_safety_ones(hub: Hub, key_dir: str) -> None:
    parties(hub)
    coalition, russia = caller("coalition"), caller("russia")
    channel_settings.set_suspended(hub, russia, "coalition", True)
    submit_operation(hub, coalition, declaration(op(unique("op"), "coalition")))
    send_hotline(hub, coalition, "russia", "still here")
    settle(hub, key_dir)
    seen = {n["kind"]: n for n in list_notices(hub, russia)}
    assert seen["operation.new"]["needs_ack"] is False
    assert seen["hotline"]["needs_ack"] is True
    assert seen["arrangement"]["facts"]["by"] == "russia"
    assert any(n["kind"] == "arrangement" for n in list_notices(hub, coalition))  # both told
    status = channel_settings.link_status(hub, coalition)["links"][0]
    assert status["counterpart"] == "russia" and status["suspended"] is True
    assert status["outbound"]["unacknowledged"] == 1


def test_a_signed_acknowledgement_is_checked_and_recorded(hub: Hub, key_dir: str) -> None:
    parties(hub)
    coalition, russia = caller("coalition"), caller("russia")
    private = Ed25519PrivateKey.generate()
    channel_settings.register_key(hub, russia, "russia-officer", keys.public_text(private))
    notice, _ = send_hotline(hub, coalition, "russia", "sign this")
    settle(hub, key_dir)
    shown = next(n for n in list_notices(hub, russia) if n["id"] == notice)
    forged = keys.sign_digest(Ed25519PrivateKey.generate(), shown["digest"])
    with pytest.raises(NotAllowed):
        acknowledge(hub, russia, notice, signature=forged)
    signature = keys.sign_digest(private, shown["digest"])
    assert acknowledge(hub, russia, notice, signature=signature)["signed"] is True
    settle(hub, key_dir)
    with hub.database.read() as connection:
        lines = [
            bytes(r[0]).decode()
            for r in connection.execute(
                sa.text("SELECT line FROM audit_events ORDER BY leaf_index")
            )
        ]
    acked = [line for line in lines if "notice.acknowledged" in line and notice in line]
    assert len(acked) == 1 and signature in acked[0]
