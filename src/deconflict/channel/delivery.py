"""Recording deliveries: the first marks the notice delivered; each is an audit event
(`notice.delivered`, at least once, so it may repeat)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.channel import outbox
from deconflict.store.channel_tables import notices


def record(connection: Connection, items: Sequence[tuple[str, str, str]], now: float) -> None:
    """`items`: (notice id, recipient, channel) delivered at `now`."""
    if not items:
        return
    connection.execute(
        notices.update()
        .where(notices.c.id == sa.bindparam("_id"), notices.c.delivered_at.is_(None))
        .values(delivered_at=now),
        [{"_id": ident} for ident, _, _ in items],
    )
    events = [
        outbox.Event("notice.delivered", "hub", (ident,), {"to": party, "channel": channel})
        for ident, party, channel in items
    ]
    outbox.write(connection, (), events, now)
