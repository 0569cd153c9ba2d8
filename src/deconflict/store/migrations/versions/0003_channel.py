"""Notices, acknowledgements, escalation, hotline messages and the audit record.

Revision ID: 0003
Revises: 0002

The tables are created from their definitions in `deconflict.store.channel_tables` and
`deconflict.audit.sql_store` as they stood when this revision was written: change them
only together with a new revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_CHANNEL = (
    "notices",
    "deliveries",
    "escalations",
    "duty_roster",
    "officer_keys",
    "arrangements",
    "channel_parties",
    "audit_queue",
    "channel_head",
)


def _audit_tables(metadata: sa.MetaData) -> list[sa.Table]:
    """The tables of `deconflict.audit.sql_store` (written out: store does not import audit)."""
    return [
        sa.Table(
            "audit_events",
            metadata,
            sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("time", sa.BigInteger, nullable=False),
            sa.Column("kind", sa.String(64), nullable=False),
            sa.Column("actor", sa.String(64), nullable=False),
            sa.Column("line", sa.LargeBinary, nullable=False),
        ),
        sa.Table(
            "audit_nodes",
            metadata,
            sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
            sa.Column("node_index", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("hash", sa.LargeBinary(32), nullable=False),
        ),
        sa.Table(
            "audit_checkpoints",
            metadata,
            sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("note", sa.Text, nullable=False),
        ),
    ]


def _tables() -> list[sa.Table]:
    from deconflict.store import channel_tables

    frozen = sa.MetaData()
    tables = [channel_tables.metadata.tables[name].to_metadata(frozen) for name in _CHANNEL]
    return tables + _audit_tables(frozen)


def upgrade() -> None:
    bind = op.get_bind()
    for table in _tables():
        table.create(bind)
    op.execute("INSERT INTO channel_head (id, seq, checkpoint_at) VALUES (1, 0, 0)")


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(_tables()):
        table.drop(bind)
