"""Link health per counterpart: heartbeats, acknowledgements, what is still undelivered."""

from __future__ import annotations

import statistics
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.channel import policy
from deconflict.store.channel_tables import channel_parties, deliveries, notices

RECENT = 500


def _direction(connection: Connection, sender: str, recipient: str) -> dict[str, Any]:
    rows = connection.execute(
        sa.select(
            notices.c.created_at, notices.c.delivered_at, notices.c.acked_at, notices.c.deadline
        )
        .where(
            notices.c.sender == sender, notices.c.recipient == recipient, notices.c.seq.is_not(None)
        )
        .order_by(notices.c.seq.desc())
        .limit(RECENT)
    ).all()
    acks = [r.acked_at - r.created_at for r in rows if r.acked_at is not None]
    dead = connection.execute(
        sa.select(sa.func.count())
        .select_from(deliveries)
        .where(deliveries.c.party == recipient, deliveries.c.state == "dead")
    ).scalar()
    return {
        "notices": len(rows),
        "undelivered": sum(1 for r in rows if r.delivered_at is None),
        "unacknowledged": sum(1 for r in rows if r.deadline is not None and r.acked_at is None),
        "last_ack": max((r.acked_at for r in rows if r.acked_at is not None), default=None),
        "median_ack_s": statistics.median(acks) if acks else None,
        "dead_letters": int(dead or 0),
    }


def link_status(connection: Connection, party: str, others: list[str]) -> list[dict[str, Any]]:
    beats = {
        r.party: r.last_heartbeat
        for r in connection.execute(
            sa.select(channel_parties.c.party, channel_parties.c.last_heartbeat)
        )
    }
    arrangements = policy.load_all(connection)
    out = []
    for other in sorted(others):
        arrangement = policy.lookup(arrangements, party, other)
        out.append(
            {
                "counterpart": other,
                "suspended": arrangement.suspended,
                "suspended_by": arrangement.changed_by if arrangement.suspended else None,
                "last_heartbeat": {party: beats.get(party), other: beats.get(other)},
                "inbound": _direction(connection, other, party),
                "outbound": _direction(connection, party, other),
            }
        )
    return out
