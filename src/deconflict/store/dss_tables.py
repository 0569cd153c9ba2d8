"""The ASTM F3548-21 DSS tables (migrations 0005, 0006), as SQLAlchemy Core tables.

An operational intent is also an operation (table `operations`, same id, the USS's
`sub` as party): these tables keep only what the standard adds to it. Constraints and
subscriptions have their 4D boxes in the shared `pieces` index under their own
owner kinds, so the database's R*Tree / GiST answers "what meets this area" for all.
"""

from __future__ import annotations

import sqlalchemy as sa

from deconflict.store.tables import metadata

dss_intents = sa.Table(
    "dss_intents",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("manager", sa.String(255), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("ovn", sa.String(128), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("uss_base_url", sa.Text, nullable=False),
    sa.Column("subscription_id", sa.String(36)),
    sa.Column("time_start", sa.Double, nullable=False),
    sa.Column("time_end", sa.Double, nullable=False),
    sa.Column("extents", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)
"""Operational intent references (the operation of the same id holds the volumes)."""

dss_constraints = sa.Table(
    "dss_constraints",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("manager", sa.String(255), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("ovn", sa.String(128), nullable=False),
    sa.Column("uss_base_url", sa.Text, nullable=False),
    sa.Column("time_start", sa.Double, nullable=False),
    sa.Column("time_end", sa.Double, nullable=False),
    sa.Column("extents", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

dss_subscriptions = sa.Table(
    "dss_subscriptions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("manager", sa.String(255), nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("notification_index", sa.Integer, nullable=False),
    sa.Column("uss_base_url", sa.Text, nullable=False),
    sa.Column("notify_for_operational_intents", sa.Boolean, nullable=False),
    sa.Column("notify_for_constraints", sa.Boolean, nullable=False),
    sa.Column("implicit", sa.Boolean, nullable=False),
    sa.Column("time_start", sa.Double, nullable=False),
    sa.Column("time_end", sa.Double, nullable=False),
    sa.Column("extents", sa.JSON, nullable=False),
    sa.Column("hub_url", sa.Text),
    # The hub's URL as the subscription's USS reached it (0006; NULL for older rows).
)

dss_availability = sa.Table(
    "dss_availability",
    metadata,
    sa.Column("uss", sa.String(255), primary_key=True),
    sa.Column("availability", sa.String(16), nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

dss_reports = sa.Table(
    "dss_reports",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("reporter", sa.String(255), nullable=False),
    sa.Column("report", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
)
"""Reports are archived, as the standard asks; nobody reads them through the API."""

uss_notifications = sa.Table(
    "uss_notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("operation", sa.String(128), nullable=False),  # the native operation
    sa.Column("url", sa.Text, nullable=False),  # {uss_base_url}/uss/v1/operational_intents
    sa.Column("body", sa.Text, nullable=False),  # the JSON sent, byte for byte at each try
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending | delivered | dead
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.Double, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("delivered_at", sa.Double),
)
"""The hub's calls to USSs about native operations (migration 0006), delivered like
webhooks (`channel/uss_notifications.py`)."""
sa.Index("ix_uss_notifications_due", uss_notifications.c.state, uss_notifications.c.next_attempt_at)
