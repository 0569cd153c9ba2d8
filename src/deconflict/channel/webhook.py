"""Webhook delivery: signed POSTs, retried with exponential backoff and jitter, then
dead-lettered.

Each body is signed with the party's secret: header ``Deconflict-Signature:
t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`` (the timestamp is signed
too, so a receiver refuses replays older than its tolerance). ``Deconflict-Notice`` is
the notice id: delivery is at least once, receivers de-duplicate on it.

Deliveries are claimed in a short transaction that pushes their next attempt one lease
into the future (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers never claim the same
row; the write lock on SQLite); the POST happens outside any transaction; the outcome is
written after. A process killed mid-send leaves the lease to expire, and the delivery is
tried again: nothing is lost, a receiver may see a duplicate id.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import sqlalchemy as sa

from deconflict.channel import delivery, interest, notice_store, outbox, render
from deconflict.store.backend import Database
from deconflict.store.channel_tables import deliveries, notices

SIGNATURE_HEADER = "Deconflict-Signature"
NOTICE_HEADER = "Deconflict-Notice"


@dataclass(frozen=True)
class Tuning:
    base_delay_s: float = 1.0
    max_delay_s: float = 300.0
    max_attempts: int = 8
    lease_s: float = 30.0
    timeout_s: float = 5.0
    concurrency: int = 128
    """POSTs in flight at once per process (they wait on the network, not the CPU)."""
    per_party: int = 8
    """POSTs in flight at once to one party: a slow receiver delays only its own notices."""


@dataclass(frozen=True)
class Job:
    delivery: int
    notice: str
    party: str
    url: str
    secret: str
    body: bytes
    attempts: int


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance_s: float = 300.0) -> bool:
    """A receiver's check of the signature header (what `deconflict listen` would do)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def backoff(attempts: int, tuning: Tuning, rng: random.Random) -> float:
    """Delay before attempt `attempts + 1`: exponential, capped, with equal jitter."""
    ceiling = min(tuning.max_delay_s, tuning.base_delay_s * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def body(row: Any, languages: tuple[str, ...], timezone: str) -> bytes:
    from deconflict.audit.canonical import canonical_json

    return canonical_json(
        {
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
            "digest": row.digest,
        }
    )


def claim(
    database: Database,
    now: float,
    tuning: Tuning,
    limit: int = 100,
    in_flight: Mapping[str, int] | None = None,
) -> list[Job]:
    """Up to `limit` due deliveries, leased to this process, at most `tuning.per_party`
    in flight to one party (counting `in_flight`, what this process is already sending)."""
    busy = dict(in_flight or {})
    with database.write() as connection:
        query = (
            sa.select(deliveries)
            .where(deliveries.c.state == "pending", deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit * 4)  # room to skip parties that are at their limit
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = []
        for row in connection.execute(query):
            if busy.get(row.party, 0) < tuning.per_party and len(rows) < limit:
                busy[row.party] = busy.get(row.party, 0) + 1
                rows.append(row)
        if not rows:
            return []
        connection.execute(
            deliveries.update()
            .where(deliveries.c.id.in_([r.id for r in rows]))
            .values(next_attempt_at=now + tuning.lease_s)
        )
        found = {
            n.id: n
            for n in connection.execute(
                sa.select(notices).where(notices.c.id.in_({r.notice for r in rows}))
            )
        }
        links = interest.parties(connection)
        settings = notice_store.channel_parties_of(connection, {r.party for r in rows})
        jobs, dead = [], []
        for row in rows:
            notice, link = found.get(row.notice), links.get(row.party)
            if notice is None or link is None or not link.webhook_url:
                dead.append(row.id)
                continue
            setting = settings[row.party]
            content = body(notice, link.languages, setting.timezone)
            jobs.append(
                Job(
                    row.id,
                    row.notice,
                    row.party,
                    link.webhook_url,
                    setting.webhook_secret,
                    content,
                    row.attempts,
                )
            )
        if dead:
            connection.execute(
                deliveries.update()
                .where(deliveries.c.id.in_(dead))
                .values(state="dead", last_error="no webhook URL")
            )
        return jobs


async def send(session: aiohttp.ClientSession, job: Job, now: float) -> str | None:
    """POST the notice; None on a 2xx answer, else what went wrong."""
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(job.secret, int(now), job.body),
        NOTICE_HEADER: job.notice,
    }
    try:
        async with session.post(job.url, data=job.body, headers=headers) as answer:
            await answer.read()
            status = answer.status
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return f"{type(error).__name__}: {error}"[:500]
    if 200 <= status < 300:
        return None
    return f"HTTP {status}"


def settle(
    database: Database,
    outcomes: Sequence[tuple[Job, str | None]],
    clock: Callable[[], float],
    tuning: Tuning,
    rng: random.Random,
) -> None:
    """Record the outcomes of sent deliveries, in one transaction."""
    if not outcomes:
        return
    now = clock()
    done = [job for job, error in outcomes if error is None]
    with database.write() as connection:
        delivery.record(connection, [(job.notice, job.party, "webhook") for job in done], now)
        notice_store.heartbeats(connection, {job.party for job in done}, now)
        if done:
            connection.execute(
                deliveries.update()
                .where(deliveries.c.id == sa.bindparam("_id"))
                .values(
                    state="delivered",
                    attempts=sa.bindparam("_attempts"),
                    delivered_at=now,
                    last_error=None,
                ),
                [{"_id": job.delivery, "_attempts": job.attempts + 1} for job in done],
            )
        for job, error in outcomes:
            if error is not None:
                _settle_one(connection, job, error, now, tuning, rng)


def after_failure(
    attempts: int, error: str, now: float, tuning: Tuning, rng: random.Random
) -> dict[str, Any]:
    """A delivery row's new values after its failed attempt number `attempts` (webhooks
    and notifications to USSs alike): dead after the last, else retried after a backoff."""
    if attempts >= tuning.max_attempts:
        return {"state": "dead", "attempts": attempts, "last_error": error}
    return {
        "attempts": attempts,
        "last_error": error,
        "next_attempt_at": now + backoff(attempts, tuning, rng),
    }


def _settle_one(
    connection: Any, job: Job, error: str, now: float, tuning: Tuning, rng: random.Random
) -> None:
    """A failed attempt: retried after a backoff, or dead after the last (recorded)."""
    values = after_failure(job.attempts + 1, error, now, tuning, rng)
    connection.execute(deliveries.update().where(deliveries.c.id == job.delivery).values(**values))
    if values.get("state") == "dead":
        payload = {"to": job.party, "channel": "webhook", "dead": True, "error": error}
        outbox.recorded(connection, "notice.escalated", "hub", [job.notice], payload, now)
