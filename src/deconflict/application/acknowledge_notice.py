"""Notices as the parties see them: list, read, acknowledge; hotline messages.

Acknowledging is one transaction: the notice is marked, an audit event records who
acknowledged (and the officer's Ed25519 signature over the notice digest, if given, so
the hub cannot forge the receipt), and an operation that waited in the recipient's zone
is released. Any on-duty officer of the receiving party may acknowledge.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from deconflict.application import dss_native_notify
from deconflict.application.hub import READ, WRITE, Caller, Hub
from deconflict.channel import approval, keys, notice_store, outbox, render
from deconflict.channel.kinds import NoticeKind
from deconflict.model.errors import InvalidRequest, InvalidTransition, NotAllowed, NotFound
from deconflict.store import idempotency
from deconflict.store import party as party_store
from deconflict.store.channel_tables import notices

MAX_HOTLINE_CHARS = 4000


def view(row: Any, languages: tuple[str, ...] = ("en",), timezone: str = "UTC") -> dict[str, Any]:
    """A notice as the API shows it (text in the recipient's language)."""
    return {
        "id": row.id,
        "seq": row.seq,
        "kind": row.kind,
        "from": row.sender,
        "to": row.recipient,
        "about": list(row.about),
        "facts": row.facts,
        "text": render.text(row.kind, row.facts, languages, timezone),
        "created_at": row.created_at,
        "deadline": row.deadline,
        "needs_ack": row.deadline is not None,
        "safety": bool(row.safety),
        "critical": bool(row.critical),
        "digest": row.digest,
        "delivered_at": row.delivered_at,
        "read_at": row.read_at,
        "acknowledged_at": row.acked_at,
        "acknowledged_by": row.acked_by,
        "signed": row.ack_signature is not None,
        "escalation_step": row.step,
    }


def _languages(connection: Any, party: str) -> tuple[tuple[str, ...], str]:
    found = party_store.get(connection, party)
    zone = notice_store.channel_party_timezone(connection, party)
    return (found.languages if found else ("en",)), zone


def list_notices(
    hub: Hub, caller: Caller, *, open_only: bool = False, after: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    caller.require(READ)
    party = caller.own_party()
    with hub.database.read() as connection:
        rows = notice_store.for_party(
            connection, party, open_only=open_only, after=after, limit=limit
        )
        languages, zone = _languages(connection, party)
    return [view(r, languages, zone) for r in rows]


def read_notice(hub: Hub, caller: Caller, ident: str) -> dict[str, Any]:
    """One notice, to its recipient or its sender, with its deliveries and escalations;
    the recipient's first read is recorded."""
    caller.require(READ)
    party = caller.party
    with hub.database.write() as connection:
        row = notice_store.get(connection, ident)
        if (
            row is None
            or row.seq is None
            or (party not in (row.recipient, row.sender) and not caller.is_admin)
        ):
            raise NotFound(f"no notice {ident}", id=ident)
        if party == row.recipient and row.read_at is None:
            now = hub.clock()
            connection.execute(notices.update().where(notices.c.id == ident).values(read_at=now))
            outbox.recorded(connection, "notice.read", party, [ident], {"to": party}, now)
            row = notice_store.get(connection, ident)
        languages, zone = _languages(connection, row.recipient)
        shown = view(row, languages, zone)
        shown["escalations"] = notice_store.escalations_of(connection, ident)
        shown["deliveries"] = notice_store.deliveries_of(connection, ident)
    return shown


def acknowledge(
    hub: Hub,
    caller: Caller,
    ident: str,
    *,
    officer: str | None = None,
    signature: str | None = None,
) -> dict[str, Any]:
    """The recipient's on-duty officer acknowledges notice `ident` (idempotent)."""
    caller.require(WRITE)
    party = caller.own_party()
    officer = officer or caller.subject
    with hub.database.write() as connection:
        row = notice_store.get(connection, ident)
        if row is None or row.recipient != party:
            raise NotFound(f"no notice {ident} to party {party}", id=ident)
        if row.seq is None:
            raise InvalidTransition(f"notice {ident} is not on the stream yet; retry shortly")
        if row.acked_at is not None:
            return view(row)
        if not notice_store.on_duty_or_unrostered(connection, party, officer):
            raise NotAllowed(f"{officer} is not an on-duty officer of {party}", officer=officer)
        payload: dict[str, Any] = {"to": party, "officer": officer, "digest": row.digest}
        if signature is not None:
            key = notice_store.officer_key(connection, party, officer)
            if key is None:
                raise NotAllowed(f"no key registered for officer {officer} of {party}")
            keys.check_signature(key, signature, row.digest)
            payload |= {"signature": signature, "public_key": key}
        now = hub.clock()
        done = connection.execute(
            notices.update()
            .where(notices.c.id == ident, notices.c.acked_at.is_(None))
            .values(acked_at=now, acked_by=officer, ack_signature=signature, next_step_at=None)
        )
        if done.rowcount:
            outbox.recorded(connection, "notice.acknowledged", party, [ident], payload, now)
            if row.kind == NoticeKind.ZONE_ENTRY and row.about:
                released = approval.release(
                    connection, row.about[0], party, now, reason="acknowledged"
                )
                if released is not None:
                    dss_native_notify.changed(connection, None, released, now)
        row = notice_store.get(connection, ident)
    return view(row)


def send_hotline(
    hub: Hub,
    caller: Caller,
    to: str,
    text: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str = "",
) -> tuple[str, bool]:
    """A free-text message from the caller's duty officer to another party's: its notice
    id, and whether this answers a retry (same Idempotency-Key, same request) of a
    message already sent, which is then not sent again."""
    caller.require(WRITE)
    party = caller.own_party()
    if not text.strip() or len(text) > MAX_HOTLINE_CHARS:
        raise InvalidRequest(f"text is 1–{MAX_HOTLINE_CHARS} characters", pointer="/text")
    try:
        with hub.database.write() as connection:
            if idempotency_key is not None:
                recalled = idempotency.recall(connection, party, idempotency_key, request_hash)
                if recalled is not None:
                    return str(recalled[1]["notice"]), True
            if to == party or party_store.get(connection, to) is None:
                raise NotFound(f"no other party {to}", id=to)
            now = hub.clock()
            ident = outbox.hotline(connection, party, to, caller.subject, text, now)
            if idempotency_key is not None:
                answer = {"notice": ident}
                idempotency.remember(
                    connection, party, idempotency_key, request_hash, 201, answer, now
                )
            return ident, False
    except IntegrityError:
        # A concurrent retry with the same key committed first (PostgreSQL): its answer.
        if idempotency_key is None:
            raise
        with hub.database.read() as connection:
            recalled = idempotency.recall(connection, party, idempotency_key, request_hash)
        if recalled is None:
            raise
        return str(recalled[1]["notice"]), True
