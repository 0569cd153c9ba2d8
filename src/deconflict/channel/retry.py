"""At-least-once delivery from a table of attempts: leased, retried with backoff, dead.

Webhooks (`webhook`) and the hub's notifications to USSs (`uss_notifications`) are both
rows with a `state` (pending | delivered | dead), `attempts`, `next_attempt_at`,
`last_error` and `delivered_at`. A dispatcher leases the due rows in a short
transaction (pushing their next attempt one lease into the future; `FOR UPDATE SKIP
LOCKED` on PostgreSQL, so processes never claim the same row; the write lock on SQLite),
sends outside any transaction, then settles each outcome: delivered, retried after an
exponential backoff with jitter, or dead after the last attempt. A process killed
mid-send leaves the lease to expire and the row is tried again: nothing is lost, a
receiver may see a duplicate.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class Tuning:
    base_delay_s: float = 1.0
    max_delay_s: float = 300.0
    max_attempts: int = 8
    lease_s: float = 30.0
    timeout_s: float = 5.0


def backoff(attempts: int, tuning: Tuning, rng: random.Random) -> float:
    """Delay before attempt `attempts + 1`: exponential, capped, with equal jitter."""
    ceiling = min(tuning.max_delay_s, tuning.base_delay_s * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def lease(
    connection: Connection, table: sa.Table, now: float, tuning: Tuning, limit: int
) -> list[Any]:
    """The due pending rows of `table` (oldest first), leased to the caller."""
    query = (
        sa.select(table)
        .where(table.c.state == "pending", table.c.next_attempt_at <= now)
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = connection.execute(query).all()
    if rows:
        connection.execute(
            table.update()
            .where(table.c.id.in_([r.id for r in rows]))
            .values(next_attempt_at=now + tuning.lease_s)
        )
    return rows


def settle(
    connection: Connection,
    table: sa.Table,
    ident: int,
    attempts_before: int,
    error: str | None,
    now: float,
    tuning: Tuning,
    rng: random.Random,
) -> str:
    """Record one attempt's outcome (`error` None: delivered); the row's new state:
    "delivered", "pending" (retried later) or "dead"."""
    attempts = attempts_before + 1
    where = table.c.id == ident
    if error is None:
        values: dict[str, Any] = {"state": "delivered", "delivered_at": now, "last_error": None}
    elif attempts >= tuning.max_attempts:
        values = {"state": "dead", "last_error": error}
    else:
        values = {"last_error": error, "next_attempt_at": now + backoff(attempts, tuning, rng)}
    connection.execute(table.update().where(where).values(attempts=attempts, **values))
    return str(values.get("state", "pending"))


def post(
    client: httpx.Client,
    url: str,
    content: bytes,
    headers: dict[str, str],
    timeout: float | None = None,
) -> str | None:
    """One attempt: POST `content`; None on a 2xx answer, else what went wrong (a
    network error or timeout, or the status)."""
    try:
        if timeout is None:
            answer = client.post(url, content=content, headers=headers)
        else:
            answer = client.post(url, content=content, headers=headers, timeout=timeout)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"[:500]
    if 200 <= answer.status_code < 300:
        return None
    return f"HTTP {answer.status_code}"
