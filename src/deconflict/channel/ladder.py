"""Moving unacknowledged notices up their ladder: the database side of `escalation`.

A pass reads notices whose next rung is due by the hub's clock, and for each, in one
transaction: records the step (`escalations`, an audit event), re-sends (webhook
deliveries back to pending), tells both sides (an `escalation` notice to the recipient
and to the sender), flags it critical when its operation starts soon, and after the
last rung applies the pair's `on_exhausted` to an operation waiting in a zone.
Rows are claimed `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers never take the same
step twice; the step number in the update's WHERE makes a repeat a no-op anyway.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.channel import approval, notice_store, outbox, policy
from deconflict.channel.escalation import NoticeState, next_step
from deconflict.channel.kinds import NoticeKind
from deconflict.model.operation import Operation
from deconflict.store.backend import Database
from deconflict.store.channel_tables import deliveries, escalations, notices


def state_of(row: sa.Row) -> NoticeState:
    return NoticeState(
        row.id,
        row.recipient,
        row.kind,
        row.deadline,
        row.step,
        row.acked_at is not None,
        row.starts_at,
    )


Released = Callable[[Connection, Operation, float], None]
"""Told, in the pass's transaction, of an operation the policy released (the use cases
add to it: the hub tells subscribed USSs, `application.dss_native_notify`)."""


def escalate_pass(
    database: Database,
    clock: Callable[[], float],
    limit: int = 100,
    *,
    released: Released | None = None,
) -> int:
    """Take every rung due now; how many were taken."""
    now = clock()
    with database.read() as connection:
        due = connection.execute(
            sa.select(notices.c.id)
            .where(notices.c.next_step_at <= now, notices.c.acked_at.is_(None))
            .limit(limit)
        ).first()
    if due is None:
        return 0
    taken = 0
    with database.write() as connection:
        query = (
            sa.select(notices)
            .where(notices.c.next_step_at <= now, notices.c.acked_at.is_(None))
            .order_by(notices.c.next_step_at)
            .limit(limit)
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = connection.execute(query).all()
        arrangements = policy.load_all(connection)
        for row in rows:
            other = row.sender if row.sender != outbox.HUB else row.recipient
            pair_policy = policy.lookup(arrangements, row.recipient, other).policy
            roster = notice_store.roster(connection, row.recipient)
            step = next_step(state_of(row), pair_policy, roster, now)
            where = (notices.c.id == row.id) & (notices.c.step == row.step)
            if step is None:
                connection.execute(notices.update().where(where).values(next_step_at=None))
                continue
            connection.execute(
                notices.update()
                .where(where)
                .values(
                    step=step.number,
                    next_step_at=step.next_at,
                    critical=bool(row.critical or step.critical),
                )
            )
            connection.execute(
                escalations.insert().values(
                    notice=row.id,
                    step=step.number,
                    action=step.action,
                    target=step.target,
                    critical=step.critical,
                    at=now,
                )
            )
            if step.action == "resend":
                connection.execute(
                    deliveries.update()
                    .where(deliveries.c.notice == row.id)
                    .values(state="pending", next_attempt_at=now)
                )
            facts = {
                "notice": row.id,
                "to": row.recipient,
                "kind": row.kind,
                "step": step.number,
                "action": step.action,
                "target": step.target,
                "critical": step.critical,
            }
            if step.target_key is not None:
                facts["target_key"] = step.target_key  # worded in each language (render)
            told = sorted({row.recipient, row.sender} - {outbox.HUB})
            drafts = [
                outbox.Draft(p, outbox.HUB, NoticeKind.ESCALATION, (row.id, *row.about), facts)
                for p in told
            ]
            payload = {
                "to": row.recipient,
                "step": step.number,
                "action": step.action,
                "target": step.target,
                "critical": step.critical,
            }
            events = [outbox.Event("notice.escalated", "hub", (row.id,), payload)]
            outbox.write(connection, drafts, events, now)
            if (
                step.exhausted
                and row.kind == NoticeKind.ZONE_ENTRY
                and pair_policy.on_exhausted == "accept"
                and row.about
            ):
                let_go = approval.release(
                    connection, row.about[0], row.recipient, now, reason="policy"
                )
                if let_go is not None and released is not None:
                    released(connection, let_go, now)
            taken += 1
    return taken
