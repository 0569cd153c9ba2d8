"""Tables of live tracks and tactical alerts (migration 0004), beside `tables.metadata`.

Kept apart from `tables.py` because the tactical side changes on its own schedule; the
tables join the same `MetaData`, so Alembic and the tests see one schema.
"""

from __future__ import annotations

import sqlalchemy as sa

from deconflict.store.tables import metadata

track_states = sa.Table(
    "track_states",
    metadata,
    sa.Column("aircraft", sa.String(64), primary_key=True),
    sa.Column("party", sa.String(64), nullable=False),  # attributed; "" when unknown
    sa.Column("operation", sa.String(128), nullable=False),  # "" when unknown
    sa.Column("source", sa.String(64), nullable=False),  # the party whose feed reported it
    sa.Column("callsign", sa.String(16)),
    sa.Column("time", sa.Double, nullable=False),
    sa.Column("lon", sa.Double, nullable=False),
    sa.Column("lat", sa.Double, nullable=False),
    sa.Column("alt", sa.Double, nullable=False),
    sa.Column("ground_speed", sa.Double, nullable=False),
    sa.Column("track", sa.Double, nullable=False),
    sa.Column("vertical_rate", sa.Double, nullable=False),
    sa.Column("reference", sa.String(8), nullable=False),
    sa.Column("jumps", sa.Integer, nullable=False),
    sa.Column("received_at", sa.Double, nullable=False),
)
"""The latest accepted report of every aircraft (one row each, updated in place)."""

tactical_alerts = sa.Table(
    "tactical_alerts",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("severity", sa.Integer, nullable=False),
    sa.Column("worst", sa.Integer, nullable=False),
    sa.Column("aircraft", sa.JSON, nullable=False),
    sa.Column("party_a", sa.String(64), nullable=False),
    sa.Column("party_b", sa.String(64), nullable=False),
    sa.Column("geometry", sa.JSON, nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("opened_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("closed_at", sa.Double),
)
"""Every alert, open (closed_at NULL) or closed, as of its latest event."""

alert_events = sa.Table(
    "alert_events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.String(32), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("time", sa.Double, nullable=False),
    sa.Column("party_a", sa.String(64), nullable=False),
    sa.Column("party_b", sa.String(64), nullable=False),
    sa.Column("alert", sa.JSON, nullable=False),
)
"""Opened / updated / closed, in order: the stream's Last-Event-ID is `seq`, and a
notices dispatcher can read it as an outbox (written in the cycle's transaction)."""

tactical_lease = sa.Table(
    "tactical_lease",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("holder", sa.String(128), nullable=False),
    sa.Column("term", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Column("last_cycle", sa.Double, nullable=False),
    sa.Column("watches", sa.JSON, nullable=False),
)
"""Who runs the tactical cycle (one worker at a time) and the alert hysteresis it carries
from cycle to cycle, so a worker that takes over continues where the last one stopped."""
