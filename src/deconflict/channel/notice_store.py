"""Reading and changing notice rows: the queries the API's use cases and the runner share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.channel.escalation import Officer
from deconflict.store.channel_tables import (
    channel_parties,
    deliveries,
    duty_roster,
    escalations,
    notices,
    officer_keys,
)


def get(connection: Connection, ident: str) -> Any:
    return connection.execute(sa.select(notices).where(notices.c.id == ident)).first()


def for_party(
    connection: Connection,
    party: str,
    *,
    open_only: bool = False,
    after: int = 0,
    limit: int = 100,
) -> list[Any]:
    """Notices to `party` that are on the stream (numbered), in stream order."""
    query = sa.select(notices).where(
        notices.c.recipient == party, notices.c.seq.is_not(None), notices.c.seq > after
    )
    if open_only:
        query = query.where(notices.c.acked_at.is_(None), notices.c.deadline.is_not(None))
    return list(connection.execute(query.order_by(notices.c.seq).limit(limit)))


def escalations_of(connection: Connection, ident: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        sa.select(escalations).where(escalations.c.notice == ident).order_by(escalations.c.step)
    )
    return [
        {"step": r.step, "action": r.action, "target": r.target, "critical": r.critical, "at": r.at}
        for r in rows
    ]


def deliveries_of(connection: Connection, ident: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        sa.select(deliveries).where(deliveries.c.notice == ident).order_by(deliveries.c.id)
    )
    return [
        {
            "channel": r.channel,
            "state": r.state,
            "attempts": r.attempts,
            "next_attempt_at": r.next_attempt_at,
            "last_error": r.last_error,
            "delivered_at": r.delivered_at,
        }
        for r in rows
    ]


def roster(connection: Connection, party: str) -> list[Officer]:
    rows = connection.execute(
        sa.select(duty_roster)
        .where(duty_roster.c.party == party)
        .order_by(duty_roster.c.rank, duty_roster.c.officer)
    )
    return [Officer(r.officer, r.name, r.contact, r.rank, bool(r.on_duty)) for r in rows]


def put_roster(connection: Connection, party: str, officers: list[Officer]) -> None:
    connection.execute(duty_roster.delete().where(duty_roster.c.party == party))
    if officers:
        connection.execute(
            duty_roster.insert(),
            [
                {
                    "party": party,
                    "officer": o.id,
                    "name": o.name,
                    "role": "duty officer",
                    "contact": o.contact,
                    "rank": o.rank,
                    "on_duty": o.on_duty,
                }
                for o in officers
            ],
        )


def officer_key(connection: Connection, party: str, officer: str) -> str | None:
    query = sa.select(officer_keys.c.public_key).where(
        officer_keys.c.party == party, officer_keys.c.officer == officer
    )
    value = connection.execute(query).scalar()
    return None if value is None else str(value)


def put_officer_key(
    connection: Connection, party: str, officer: str, public_key: str, now: float
) -> None:
    connection.execute(
        officer_keys.delete().where(
            officer_keys.c.party == party, officer_keys.c.officer == officer
        )
    )
    connection.execute(
        officer_keys.insert().values(
            party=party, officer=officer, public_key=public_key, registered_at=now
        )
    )


def channel_party(connection: Connection, party: str) -> Any:
    """The party's channel settings row, made on first use (webhook secret, time zone)."""
    import secrets

    row = connection.execute(
        sa.select(channel_parties).where(channel_parties.c.party == party)
    ).first()
    if row is None:
        connection.execute(
            channel_parties.insert().values(
                party=party, webhook_secret=secrets.token_hex(32), timezone="UTC"
            )
        )
        row = connection.execute(
            sa.select(channel_parties).where(channel_parties.c.party == party)
        ).first()
    return row


def channel_parties_of(connection: Connection, parties: Iterable[str]) -> dict[str, Any]:
    """`channel_party` of several parties at once (two or three statements, not 2n)."""
    wanted = sorted(set(parties))
    if not wanted:
        return {}
    query = sa.select(channel_parties).where(channel_parties.c.party.in_(wanted))
    found = {row.party: row for row in connection.execute(query)}
    missing = [party for party in wanted if party not in found]
    if missing:
        for party in missing:
            channel_party(connection, party)
        query = sa.select(channel_parties).where(channel_parties.c.party.in_(missing))
        found |= {row.party: row for row in connection.execute(query)}
    return found


def heartbeat(connection: Connection, party: str, now: float) -> None:
    heartbeats(connection, [party], now)


def heartbeats(connection: Connection, parties: Iterable[str], now: float) -> None:
    """The parties' receivers are alive at `now` (one UPDATE for them all)."""
    wanted = sorted(set(parties))
    if not wanted:
        return
    channel_parties_of(connection, wanted)
    connection.execute(
        channel_parties.update()
        .where(channel_parties.c.party.in_(wanted))
        .values(last_heartbeat=now)
    )


def channel_party_timezone(connection: Connection, party: str) -> str:
    value = connection.execute(
        sa.select(channel_parties.c.timezone).where(channel_parties.c.party == party)
    ).scalar()
    return str(value) if value else "UTC"
