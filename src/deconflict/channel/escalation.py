"""The escalation ladder as a pure function of the notice, the pair's policy, the
receiving party's duty roster and the time: no clock, no database, so tests drive it
with any instant they like.

A notice needing acknowledgement is due at its deadline. If it is still unacknowledged
then, the first rung is taken (by default: re-send), and each following rung one step
interval later (re-send → the next duty contact → the pair's supervisor). Each step is
critical when the operation it concerns starts within the policy's critical window.
After the last rung the ladder is exhausted; the pair's policy then decides an
operation that waits in the recipient's zone (`on_exhausted`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deconflict.channel.policy import Policy


@dataclass(frozen=True)
class NoticeState:
    id: str
    recipient: str
    kind: str
    deadline: float | None
    step: int
    """Rungs already taken."""
    acknowledged: bool
    starts_at: float | None = None


@dataclass(frozen=True)
class Officer:
    id: str
    name: str
    contact: str = ""
    rank: int = 0
    on_duty: bool = True


@dataclass(frozen=True)
class Step:
    number: int
    """1 for the first rung."""
    action: str
    target: str
    due: float
    critical: bool
    next_at: float | None
    """When the following rung is due (None: this is the last)."""
    target_key: str | None = None
    """Which of `TARGET_TEXTS` `target` is (None: a name from the roster or policy)."""

    @property
    def exhausted(self) -> bool:
        return self.next_at is None


def interval(notice: NoticeState, policy: Policy) -> float:
    if policy.step_s is not None:
        return policy.step_s
    return policy.deadline_for(notice.kind) or 60.0


def due_at(notice: NoticeState, policy: Policy) -> float | None:
    """When the next rung is due (None: never: acknowledged, no deadline, exhausted)."""
    if notice.acknowledged or notice.deadline is None or notice.step >= len(policy.ladder):
        return None
    return notice.deadline + notice.step * interval(notice, policy)


def critical(notice: NoticeState, policy: Policy, now: float) -> bool:
    """Past its deadline, unacknowledged, while the operation's start is near (or past)."""
    if notice.acknowledged or notice.deadline is None or now < notice.deadline:
        return False
    return notice.starts_at is not None and notice.starts_at - now <= policy.critical_window_s


TARGET_TEXTS = {
    "all_officers": "{to} (all duty officers)",
    "duty_desk": "{to} duty desk",
    "default_supervisor": "supervisor of the {to} arrangement",
}
"""Targets the hub words itself (keys kept in the notice's facts, so that each language
can word them: `render`); other targets are names from the roster or the policy."""


def _target(
    action: str, notice: NoticeState, policy: Policy, roster: Sequence[Officer]
) -> tuple[str, str | None]:
    """Whom the rung reaches: (text, key of `TARGET_TEXTS` or None for a name)."""
    on_duty = sorted((o for o in roster if o.on_duty), key=lambda o: (o.rank, o.id))

    def worded(key: str) -> tuple[str, str]:
        return TARGET_TEXTS[key].format(to=notice.recipient), key

    if action == "resend":
        return worded("all_officers")
    if action == "next_contact":
        if len(on_duty) > 1:
            nxt = on_duty[1]
        elif on_duty:
            nxt = on_duty[0]
        else:
            return worded("duty_desk")
        return (f"{nxt.name} <{nxt.contact}>" if nxt.contact else nxt.name), None
    if policy.supervisor:
        return policy.supervisor, None
    return worded("default_supervisor")


def next_step(
    notice: NoticeState, policy: Policy, roster: Sequence[Officer], now: float
) -> Step | None:
    """The rung to take now, or None if none is due."""
    due = due_at(notice, policy)
    if due is None or now < due:
        return None
    action = policy.ladder[notice.step]
    last = notice.step + 1 >= len(policy.ladder)
    target, key = _target(action, notice, policy, roster)
    return Step(
        notice.step + 1,
        action,
        target,
        due,
        critical(notice, policy, now),
        None if last else due + interval(notice, policy),
        key,
    )
