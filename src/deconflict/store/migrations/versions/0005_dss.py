"""ASTM F3548-21 DSS entities: operational intents, constraints, subscriptions, USSs.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dss_intents",
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
    op.create_index("ix_dss_intents_subscription", "dss_intents", ["subscription_id"])
    op.create_table(
        "dss_constraints",
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
    op.create_table(
        "dss_subscriptions",
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
    )
    op.create_index("ix_dss_subscriptions_manager", "dss_subscriptions", ["manager"])
    op.create_table(
        "dss_availability",
        sa.Column("uss", sa.String(255), primary_key=True),
        sa.Column("availability", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "dss_reports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("reporter", sa.String(255), nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )


def downgrade() -> None:
    for name in ("dss_reports", "dss_availability", "dss_subscriptions", "dss_constraints"):
        op.drop_table(name)
    op.drop_index("ix_dss_intents_subscription", "dss_intents")
    op.drop_table("dss_intents")
