"""Remembered responses, so a retried write (same party, same key) is applied once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.model.errors import IdempotencyMismatch
from deconflict.store.tables import idempotency


def recall(
    connection: Connection, party: str, key: str, request_hash: str
) -> tuple[int, Any] | None:
    """The stored (status, body) for this key, or None; a different request is refused."""
    row = connection.execute(
        sa.select(idempotency).where(idempotency.c.party == party, idempotency.c.key == key)
    ).first()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise IdempotencyMismatch(
            f"idempotency key {key!r} was already used for a different request", key=key
        )
    return row.status, row.body


def remember(
    connection: Connection,
    party: str,
    key: str,
    request_hash: str,
    status: int,
    body: Any,
    now: float,
) -> None:
    connection.execute(
        idempotency.insert().values(
            party=party,
            key=key,
            request_hash=request_hash,
            status=status,
            body=body,
            created_at=now,
        )
    )
