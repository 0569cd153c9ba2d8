"""Live tracks and tactical alerts.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "track_states",
        sa.Column("aircraft", sa.String(64), primary_key=True),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("operation", sa.String(128), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
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
    op.create_index("ix_track_states_time", "track_states", ["time"])
    op.create_table(
        "tactical_alerts",
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
    op.create_index("ix_tactical_alerts_opened", "tactical_alerts", ["opened_at"])
    op.create_table(
        "alert_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(32), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("time", sa.Double, nullable=False),
        sa.Column("party_a", sa.String(64), nullable=False),
        sa.Column("party_b", sa.String(64), nullable=False),
        sa.Column("alert", sa.JSON, nullable=False),
    )
    op.create_table(
        "tactical_lease",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("term", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("last_cycle", sa.Double, nullable=False),
        sa.Column("watches", sa.JSON, nullable=False),
    )
    op.bulk_insert(
        sa.table(
            "tactical_lease",
            sa.column("name", sa.String),
            sa.column("holder", sa.String),
            sa.column("term", sa.BigInteger),
            sa.column("expires_at", sa.Double),
            sa.column("last_cycle", sa.Double),
            sa.column("watches", sa.JSON),
        ),
        [
            {
                "name": "tactical",
                "holder": "",
                "term": 0,
                "expires_at": 0.0,
                "last_cycle": 0.0,
                "watches": [],
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("tactical_lease")
    op.drop_table("alert_events")
    op.drop_index("ix_tactical_alerts_opened", "tactical_alerts")
    op.drop_table("tactical_alerts")
    op.drop_index("ix_track_states_time", "track_states")
    op.drop_table("track_states")
