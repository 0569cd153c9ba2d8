"""The hub's notifications to USSs about native operations: an outbox, delivered like webhooks.

ASTM F3548-21 makes the USS that manages an operational intent tell every USS whose
subscription a change concerns (`notifyOperationalIntentDetailsChanged`: a POST of
PutOperationalIntentDetailsParameters to `{uss_base_url}/uss/v1/operational_intents`).
The hub manages its native parties' operations, so it does: the use case queues one row
per subscriber USS here, in the transaction of the change (`queue`, never an HTTP call
there), and a dispatcher in every process POSTs them with the webhook machinery
(`retry`): leased, retried with exponential backoff and jitter, dead after the last
attempt; at least once (the body's `notification_index` lets a USS order them and spot
a repeat). Each call carries the hub's bearer token (`uss_tokens`) and times out
quickly: a USS that hangs only delays its own notifications.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from uas_standards.astm.f3548.v21.api import OPERATIONS, OperationID

from deconflict.channel import retry, wakeups
from deconflict.channel.uss_tokens import TokenUnavailable, UssTokens
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


def claim(database: Database, now: float, tuning: retry.Tuning, limit: int = 100) -> list[Job]:
    """Due notifications, leased to this process."""
    with database.write() as connection:
        rows = retry.lease(connection, uss_notifications, now, tuning, limit)
    return [Job(r.id, r.url, r.body.encode(), r.attempts) for r in rows]


def send(client: httpx.Client, tokens: UssTokens, job: Job, tuning: retry.Tuning) -> str | None:
    """POST one notification; None on a 2xx answer (the definition: 204), else why not."""
    try:
        headers = tokens.headers(client, job.url, tuning.timeout_s)
    except TokenUnavailable as error:
        return str(error)[:500]
    headers["Content-Type"] = "application/json"
    return retry.post(client, job.url, job.body, headers, timeout=tuning.timeout_s)


def settle(
    database: Database,
    outcomes: list[tuple[Job, str | None]],
    clock: Callable[[], float],
    tuning: retry.Tuning,
    rng: random.Random,
) -> None:
    """Record the outcomes of one claimed batch, in one transaction."""
    if not outcomes:
        return
    now = clock()
    with database.write() as connection:
        for job, error in outcomes:
            state = retry.settle(
                connection, uss_notifications, job.id, job.attempts, error, now, tuning, rng
            )
            if state == "dead":
                log.warning("USS notification %d to %s is dead: %s", job.id, job.url, error)


def dispatch_pass(
    database: Database,
    clock: Callable[[], float],
    client: httpx.Client,
    tokens: UssTokens,
    tuning: retry.Tuning,
    rng: random.Random,
    pool: Any = None,
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
