"""The hub as the USS of native operations: notifications to subscribed USSs.

`uss_notifications` is the outbox of the hub's calls to USSs (ASTM F3548-21
notifyOperationalIntentDetailsChanged), delivered like webhooks; `hub_url` keeps, per
subscription, the hub's URL as its USS reaches it (what the details it is sent name as
`uss_base_url`).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dss_subscriptions", sa.Column("hub_url", sa.Text))
    op.create_table(
        "uss_notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("operation", sa.String(128), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.Double, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", sa.Double),
    )
    op.create_index("ix_uss_notifications_due", "uss_notifications", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_uss_notifications_due", "uss_notifications")
    op.drop_table("uss_notifications")
    with op.batch_alter_table("dss_subscriptions") as batch:
        batch.drop_column("hub_url")
