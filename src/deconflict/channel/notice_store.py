"""Reading and changing notice rows: the queries the API's use cases and the runner share."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.audit.canonical import Encoded, canonical_text, escape_string
from deconflict.audit.errors import EventFormatError
from deconflict.audit.event import format_time
from deconflict.channel.escalation import Officer
from deconflict.store import bulk
from deconflict.store.channel_tables import (
    channel_parties,
    deliveries,
    duty_roster,
    escalations,
    notices,
    officer_keys,
)


def new_id() -> str:
    """A notice id: milliseconds since 1970, then 48 random bits, in hex.

    Ids in time order make each insert land at the right edge of the key's B-tree
    (random ids dirty a different page each); the random part keeps processes apart.
    """
    return f"n-{time.time_ns() // 1_000_000:012x}{os.urandom(6).hex()}"


def digest(
    ident: str,
    recipient: str,
    sender: str,
    kind: str,
    about: Sequence[str],
    facts: Mapping[str, Any] | Encoded,
    created_at: float,
) -> str:
    """What an officer signs: SHA-256 of the notice's canonical JSON (RFC 8785) object
    ``{about, created_at, facts, from, id, kind, to}`` (times RFC 3339 UTC). `facts` may
    come encoded already (`canonical_text`), when many notices share them.

    Written out member by member, in the canonical order of those ASCII names, around
    the facts' own canonical text (tests hold it to the general encoder).
    """
    facts_text = facts if type(facts) is Encoded else canonical_text(facts)
    created = format_time(datetime.fromtimestamp(created_at, UTC))
    text = (
        '{"about":['
        + ",".join(map(escape_string, about))
        + '],"created_at":"'
        + created
        + '","facts":'
        + facts_text
        + ',"from":'
        + escape_string(sender)
        + ',"id":'
        + escape_string(ident)
        + ',"kind":'
        + escape_string(kind)
        + ',"to":'
        + escape_string(recipient)
        + "}"
    )
    try:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    except UnicodeEncodeError as exc:  # a lone surrogate in a string
        raise EventFormatError(f"string is not valid Unicode: {exc.reason}") from exc


@dataclass(frozen=True)
class NewNotice:
    """A notice as the outbox writes it (numbered and dated later); its `digest` is
    made here, where the facts shared by an operation's notices are encoded once."""

    id: str
    recipient: str
    sender: str
    kind: str
    about: Sequence[str]
    facts: Mapping[str, Any]
    created_at: float
    starts_at: float | None


_COLUMNS = ("id", "recipient", "sender", "kind", "about", "facts", "created_at", "starts_at")
_COLUMNS += ("digest",)
_INSERT_SQLITE = (
    f"INSERT INTO notices ({', '.join(_COLUMNS)}, safety, critical, step)"
    f" VALUES ({', '.join('?' for _ in _COLUMNS)}, 0, 0, 0)"
)


@dataclass(frozen=True)
class EncodedNotices:
    """New notices with their digests and column values, ready for one insert: made
    before the write transaction where the caller can (the submit path makes them while
    no lock is held), inserted inside it (`insert_encoded`)."""

    sqlite: bool
    values: list[Any]


def encode_new(rows: Iterable[NewNotice], *, sqlite: bool) -> EncodedNotices:
    """Digests and column values of new notices, each distinct `facts` encoded once: an
    operation's notices to five parties share their facts.

    On SQLite the values go straight to the driver (SQLAlchemy's per-row parameter
    processing cost more than the inserts); their JSON text is what SQLAlchemy's JSON
    type would have stored (`json.dumps`), so reads cannot tell the difference.
    """
    rows = list(rows)
    canonical: dict[int, Encoded] = {}

    def signed(r: NewNotice) -> str:
        facts = canonical.get(id(r.facts))
        if facts is None:
            facts = canonical[id(r.facts)] = canonical_text(r.facts)
        return digest(r.id, r.recipient, r.sender, r.kind, r.about, facts, r.created_at)

    digests = [signed(r) for r in rows]
    if not sqlite:
        return EncodedNotices(
            False,
            [
                {
                    "id": r.id,
                    "seq": None,
                    "recipient": r.recipient,
                    "sender": r.sender,
                    "kind": r.kind,
                    "about": list(r.about),
                    "facts": dict(r.facts),
                    "created_at": r.created_at,
                    "starts_at": r.starts_at,
                    "deadline": None,
                    "safety": False,
                    "critical": False,
                    "step": 0,
                    "digest": d,
                }
                for r, d in zip(rows, digests, strict=True)
            ],
        )
    texts: dict[int, str] = {}

    def text(value: Any) -> str:
        found = texts.get(id(value))
        if found is None:
            found = texts[id(value)] = json.dumps(value)
        return found

    return EncodedNotices(
        True,
        [
            (
                r.id,
                r.recipient,
                r.sender,
                r.kind,
                json.dumps(list(r.about)),
                text(r.facts),
                r.created_at,
                r.starts_at,
                d,
            )
            for r, d in zip(rows, digests, strict=True)
        ],
    )


def insert_encoded(connection: Connection, encoded: EncodedNotices) -> None:
    """Insert notices `encode_new` made, in one statement."""
    if not encoded.values:
        return
    if encoded.sqlite != (connection.dialect.name == "sqlite"):
        raise ValueError("notices encoded for another database")
    if not encoded.sqlite:
        bulk.insert_rows(connection, notices, encoded.values)
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(_INSERT_SQLITE, encoded.values)
    finally:
        cursor.close()


def insert_new(connection: Connection, rows: Iterable[NewNotice]) -> None:
    """Insert new notices in one statement (`encode_new`, then `insert_encoded`)."""
    insert_encoded(connection, encode_new(rows, sqlite=connection.dialect.name == "sqlite"))


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


def on_duty_or_unrostered(connection: Connection, party: str, officer: str) -> bool:
    """Whether `officer` may act for `party` on the channel (acknowledge a notice, approve
    an operation in its zone): one of its on-duty officers, or anyone of a party that
    keeps no roster (it has not said who is on duty)."""
    officers = roster(connection, party)
    return not officers or any(o.id == officer and o.on_duty for o in officers)


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
