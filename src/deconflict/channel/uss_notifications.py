"""The hub's notifications to USSs about native operations: an outbox, delivered like webhooks.

ASTM F3548-21 makes the USS that manages an operational intent tell every USS whose
subscription a change concerns (`notifyOperationalIntentDetailsChanged`: a POST of
PutOperationalIntentDetailsParameters to `{uss_base_url}/uss/v1/operational_intents`).
The hub manages its native parties' operations, so it does: the use case queues one row
per subscriber USS here, in the transaction of the change (`queue`, never an HTTP call
there), and a dispatcher in every process (`UssDispatcher`, started by the runner) sends
them as webhook deliveries are sent: due rows leased in a short transaction (`FOR UPDATE
SKIP LOCKED` on PostgreSQL), the POST outside any transaction, then the outcome written:
delivered, retried after the webhooks' exponential backoff with jitter
(`webhook.after_failure`, `webhook.Tuning`), or dead after the last attempt. At least once: a
process killed mid-send leaves its lease to expire and the row is sent again (the
body's `notification_index` lets a USS spot a repeat). Each call carries the hub's
bearer token (`uss_tokens`) and times out quickly: a USS that hangs only delays its own
notifications.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from uas_standards.astm.f3548.v21.api import OPERATIONS, OperationID

from deconflict.audit.event_kinds import EventKind
from deconflict.channel import outbox, wakeups
from deconflict.channel.uss_tokens import TokenUnavailable, UssTokens
from deconflict.channel.webhook import Tuning, after_failure
from deconflict.store.backend import Database
from deconflict.store.dss_tables import uss_notifications

log = logging.getLogger("deconflict.channel")

PATH = OPERATIONS[OperationID.NotifyOperationalIntentDetailsChanged].path
"""`/uss/v1/operational_intents`, appended to the subscriber's `uss_base_url`."""


@dataclass(frozen=True)
class Notification:
    """One call to make: about which operation, to which USS, with what body."""

    operation: str
    uss_base_url: str
    body: Mapping[str, Any]


@dataclass(frozen=True)
class Job:
    id: int
    operation: str
    url: str
    body: bytes
    attempts: int


_INSERT = uss_notifications.insert()
_DUE = (
    sa.select(uss_notifications.c.id)
    .where(
        uss_notifications.c.state == "pending",
        uss_notifications.c.next_attempt_at <= sa.bindparam("now"),
    )
    .limit(1)
)


def queue(connection: Connection, items: Sequence[Notification], now: float) -> None:
    """Write the notifications in the caller's transaction (and wake this process's
    dispatcher when it commits). The body is encoded here, once: every attempt sends
    the same bytes."""
    if not items:
        return
    connection.execute(
        _INSERT,
        [
            {
                "operation": item.operation,
                "url": item.uss_base_url + PATH,
                "body": json.dumps(item.body, separators=(",", ":"), ensure_ascii=False),
                "created_at": now,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
            }
            for item in items
        ],
    )
    wakeups.after_commit(connection, wakeups.USS)


def due(database: Database, now: float) -> bool:
    """Whether any notification is due (a read: an idle hub takes no write lock)."""
    with database.read() as connection:
        return connection.execute(_DUE, {"now": now}).first() is not None


def claim(database: Database, now: float, tuning: Tuning, limit: int = 100) -> list[Job]:
    """Due notifications, oldest first, leased to this process for `tuning.lease_s`."""
    with database.write() as connection:
        query = (
            sa.select(uss_notifications)
            .where(
                uss_notifications.c.state == "pending", uss_notifications.c.next_attempt_at <= now
            )
            .order_by(uss_notifications.c.next_attempt_at, uss_notifications.c.id)
            .limit(limit)
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = connection.execute(query).all()
        if rows:
            connection.execute(
                uss_notifications.update()
                .where(uss_notifications.c.id.in_([r.id for r in rows]))
                .values(next_attempt_at=now + tuning.lease_s)
            )
    return [Job(r.id, r.operation, r.url, r.body.encode(), r.attempts) for r in rows]


def send(client: httpx.Client, tokens: UssTokens, job: Job, tuning: Tuning) -> str | None:
    """POST one notification; None on a 2xx answer (the definition: 204), else why not."""
    try:
        headers = tokens.headers(client, job.url, tuning.timeout_s)
    except TokenUnavailable as error:
        return str(error)[:500]
    headers["Content-Type"] = "application/json"
    try:
        answer = client.post(job.url, content=job.body, headers=headers, timeout=tuning.timeout_s)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"[:500]
    return None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"


def settle(
    database: Database,
    outcomes: Sequence[tuple[Job, str | None]],
    clock: Callable[[], float],
    tuning: Tuning,
    rng: random.Random,
) -> None:
    """Record the outcomes of one claimed batch, in one transaction: delivered, retried
    after a backoff, or dead after the last attempt (kept, and logged). A settled call
    goes into the record (`uss.notified`): who was told what, and when, includes USSs."""
    if not outcomes:
        return
    now = clock()
    with database.write() as connection:
        events = []
        for job, error in outcomes:
            values: dict[str, Any]
            if error is None:
                values = {
                    "state": "delivered",
                    "attempts": job.attempts + 1,
                    "delivered_at": now,
                    "last_error": None,
                }
            else:
                values = after_failure(job.attempts + 1, error, now, tuning, rng)
                if values.get("state") == "dead":
                    log.warning("USS notification %d to %s is dead: %s", job.id, job.url, error)
            connection.execute(
                uss_notifications.update().where(uss_notifications.c.id == job.id).values(**values)
            )
            if values.get("state") in ("delivered", "dead"):
                events.append(_notified(job, values["state"], values["attempts"]))
        outbox.write(connection, (), events, now)


def _notified(job: Job, outcome: str, attempts: int) -> outbox.Event:
    payload = {
        "outcome": outcome,
        "url": job.url,
        "attempts": attempts,
        "body_digest": hashlib.sha256(job.body).hexdigest(),
    }
    return outbox.Event(EventKind.USS_NOTIFIED.value, outbox.HUB, (job.operation,), payload)


def dispatch_pass(
    database: Database,
    clock: Callable[[], float],
    client: httpx.Client,
    tokens: UssTokens,
    tuning: Tuning,
    rng: random.Random,
    pool: ThreadPoolExecutor | None = None,
) -> int:
    """Claim what is due, send it (concurrently when given a thread `pool`), record it."""
    if not due(database, clock()):
        return 0
    jobs = claim(database, clock(), tuning)

    def one(job: Job) -> tuple[Job, str | None]:
        return job, send(client, tokens, job, tuning)

    outcomes = [one(job) for job in jobs] if pool is None else list(pool.map(one, jobs))
    settle(database, outcomes, clock, tuning, rng)
    return len(jobs)


SENDERS = 8
"""Calls to USSs in flight at once per process (they wait on the network)."""


class UssDispatcher:
    """The loop of one process: woken by its own commits (`wakeups.USS`), polling every
    `poll_s` for other processes' rows and retries, until `stop` is set."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], float],
        tuning: Tuning,
        tokens: UssTokens,
        poll_s: float,
        stop: threading.Event,
    ) -> None:
        self.database, self.clock, self.tuning, self.tokens = database, clock, tuning, tokens
        self.poll_s, self.stop = poll_s, stop

    def run(self) -> None:
        flag = wakeups.USS.subscribe()
        limits = httpx.Limits(max_connections=SENDERS, max_keepalive_connections=SENDERS)
        client = httpx.Client(timeout=self.tuning.timeout_s, limits=limits)
        pool = ThreadPoolExecutor(SENDERS, thread_name_prefix="uss-notify")
        rng = random.Random()
        try:
            while not self.stop.is_set():
                try:
                    busy = dispatch_pass(
                        self.database, self.clock, client, self.tokens, self.tuning, rng, pool
                    )
                except Exception:  # logged; the next tick retries
                    log.exception("channel uss-dispatcher pass failed")
                    busy = 0
                if not busy:
                    wakeups.wait(flag, self.poll_s)
        finally:
            wakeups.USS.unsubscribe(flag)
            pool.shutdown(wait=False)
            client.close()
