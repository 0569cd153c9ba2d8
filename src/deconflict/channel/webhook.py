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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa

from deconflict.channel import delivery, notice_store, outbox, render
from deconflict.store import party as party_store
from deconflict.store.backend import Database
from deconflict.store.channel_tables import deliveries

SIGNATURE_HEADER = "Deconflict-Signature"
NOTICE_HEADER = "Deconflict-Notice"


@dataclass(frozen=True)
class Tuning:
    base_delay_s: float = 1.0
    max_delay_s: float = 300.0
    max_attempts: int = 8
    lease_s: float = 30.0
    timeout_s: float = 5.0


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


def claim(database: Database, now: float, tuning: Tuning, limit: int = 100) -> list[Job]:
    """Due deliveries, leased to this process."""
    with database.write() as connection:
        query = (
            sa.select(deliveries)
            .where(deliveries.c.state == "pending", deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = connection.execute(query).all()
        if not rows:
            return []
        connection.execute(
            deliveries.update()
            .where(deliveries.c.id.in_([r.id for r in rows]))
            .values(next_attempt_at=now + tuning.lease_s)
        )
        jobs = []
        parties: dict[str, Any] = {}
        for row in rows:
            notice = notice_store.get(connection, row.notice)
            if row.party not in parties:
                parties[row.party] = (
                    party_store.get(connection, row.party),
                    notice_store.channel_party(connection, row.party),
                )
            party, settings = parties[row.party]
            if notice is None or party is None or not party.webhook_url:
                connection.execute(
                    deliveries.update()
                    .where(deliveries.c.id == row.id)
                    .values(state="dead", last_error="no webhook URL")
                )
                continue
            content = body(notice, party.languages, settings.timezone)
            jobs.append(
                Job(
                    row.id,
                    row.notice,
                    row.party,
                    party.webhook_url,
                    settings.webhook_secret,
                    content,
                    row.attempts,
                )
            )
        return jobs


def send(client: httpx.Client, job: Job, now: float) -> str | None:
    """POST the notice; None on a 2xx answer, else what went wrong."""
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(job.secret, int(now), job.body),
        NOTICE_HEADER: job.notice,
    }
    try:
        answer = client.post(job.url, content=job.body, headers=headers)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"[:500]
    if 200 <= answer.status_code < 300:
        return None
    return f"HTTP {answer.status_code}"


def settle(
    database: Database,
    outcomes: list[tuple[Job, str | None]],
    clock: Callable[[], float],
    tuning: Tuning,
    rng: random.Random,
) -> None:
    """Record the outcomes of one claimed batch, in one transaction."""
    if not outcomes:
        return
    now = clock()
    with database.write() as connection:
        delivered = [(job.notice, job.party, "webhook") for job, error in outcomes if error is None]
        delivery.record(connection, delivered, now)
        for party in {job.party for job, error in outcomes if error is None}:
            notice_store.heartbeat(connection, party, now)
        for job, error in outcomes:
            _settle_one(connection, job, error, now, tuning, rng)


def _settle_one(
    connection: Any, job: Job, error: str | None, now: float, tuning: Tuning, rng: random.Random
) -> None:
    attempts = job.attempts + 1
    where = deliveries.c.id == job.delivery
    if error is None:
        connection.execute(
            deliveries.update()
            .where(where)
            .values(state="delivered", attempts=attempts, delivered_at=now, last_error=None)
        )
    elif attempts >= tuning.max_attempts:
        connection.execute(
            deliveries.update()
            .where(where)
            .values(state="dead", attempts=attempts, last_error=error)
        )
        payload = {"to": job.party, "channel": "webhook", "dead": True, "error": error}
        outbox.recorded(connection, "notice.escalated", "hub", [job.notice], payload, now)
    else:
        connection.execute(
            deliveries.update()
            .where(where)
            .values(
                attempts=attempts,
                last_error=error,
                next_attempt_at=now + backoff(attempts, tuning, rng),
            )
        )


def dispatch_pass(
    database: Database,
    clock: Callable[[], float],
    client: httpx.Client,
    tuning: Tuning,
    rng: random.Random,
    pool: Any = None,
) -> int:
    """Claim what is due, send it (concurrently when given a thread `pool`), record it."""
    jobs = claim(database, clock(), tuning)

    def one(job: Job) -> tuple[Job, str | None]:
        return job, send(client, job, clock())

    outcomes = [one(job) for job in jobs] if pool is None else list(pool.map(one, jobs))
    settle(database, outcomes, clock, tuning, rng)
    return len(jobs)
