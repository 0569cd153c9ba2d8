"""Per party pair: acknowledgement deadlines, the escalation ladder, and suspension.

A pair's arrangement is one row (`arrangements`, parties in sorted order) holding its
policy as JSON and whether either side suspended it. Pairs without a row use the
defaults. While suspended, planning notices need no acknowledgement; safety notices
(`kinds.SAFETY`) keep their deadlines and still escalate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.channel.kinds import DEFAULT_DEADLINES_S, SAFETY, NoticeKind
from deconflict.model.errors import InvalidRequest
from deconflict.store.channel_tables import arrangements

LADDER = ("resend", "next_contact", "supervisor")
ON_EXHAUSTED = ("hold", "accept")


@dataclass(frozen=True)
class Policy:
    """How a pair handles notices between them."""

    deadlines: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DEADLINES_S))
    ladder: tuple[str, ...] = LADDER
    step_s: float | None = None
    """Time between ladder steps; None: the kind's own deadline again."""
    critical_window_s: float = 3600.0
    """A deadline passing less than this before the operation starts is critical."""
    supervisor: str = ""
    on_exhausted: str = "hold"
    """For an operation waiting in a zone: `hold` it pending, or `accept` it."""

    def deadline_for(self, kind: str) -> float | None:
        return self.deadlines.get(kind)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deadlines": dict(self.deadlines),
            "ladder": list(self.ladder),
            "step_s": self.step_s,
            "critical_window_s": self.critical_window_s,
            "supervisor": self.supervisor,
            "on_exhausted": self.on_exhausted,
        }

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Policy:
        deadlines = {**DEFAULT_DEADLINES_S, **value.get("deadlines", {})}
        for kind, seconds in deadlines.items():
            if kind not in {k.value for k in NoticeKind} or not float(seconds) > 0:
                raise InvalidRequest(
                    f"deadline for {kind!r} must be a known kind and > 0 s",
                    pointer=f"/deadlines/{kind.replace('~', '~0').replace('/', '~1')}",
                )
        ladder = tuple(value.get("ladder", LADDER))
        if not set(ladder) <= set(LADDER):
            raise InvalidRequest(f"ladder steps are {', '.join(LADDER)}", pointer="/ladder")
        on_exhausted = value.get("on_exhausted", "hold")
        if on_exhausted not in ON_EXHAUSTED:
            raise InvalidRequest("on_exhausted is hold or accept", pointer="/on_exhausted")
        step = value.get("step_s")
        return cls(
            {k: float(v) for k, v in deadlines.items()},
            ladder,
            None if step is None else float(step),
            float(value.get("critical_window_s", 3600.0)),
            str(value.get("supervisor", "")),
            on_exhausted,
        )


@dataclass(frozen=True)
class Arrangement:
    parties: tuple[str, str]
    suspended: bool = False
    changed_by: str | None = None
    changed_at: float | None = None
    policy: Policy = field(default_factory=Policy)

    def needs_ack(self, kind: str) -> bool:
        return kind in DEFAULT_DEADLINES_S and (not self.suspended or kind in SAFETY)


def pair(a: str, b: str) -> tuple[str, str]:
    first, second = sorted((a, b))
    return first, second


def load_all(connection: Connection) -> dict[tuple[str, str], Arrangement]:
    rows = connection.execute(sa.select(arrangements))
    return {
        (r.party_a, r.party_b): Arrangement(
            (r.party_a, r.party_b),
            bool(r.suspended),
            r.changed_by,
            r.changed_at,
            Policy.from_dict(r.policy),
        )
        for r in rows
    }


def lookup(found: Mapping[tuple[str, str], Arrangement], a: str, b: str) -> Arrangement:
    key = pair(a, b)
    return found.get(key) or Arrangement(key)


def save(connection: Connection, arrangement: Arrangement) -> None:
    a, b = arrangement.parties
    values = {
        "suspended": arrangement.suspended,
        "changed_by": arrangement.changed_by,
        "changed_at": arrangement.changed_at,
        "policy": arrangement.policy.as_dict(),
    }
    updated = connection.execute(
        arrangements.update()
        .where(arrangements.c.party_a == a, arrangements.c.party_b == b)
        .values(**values)
    )
    if updated.rowcount == 0:
        connection.execute(arrangements.insert().values(party_a=a, party_b=b, **values))
