"""Initial schema: parties, agreements, operations, zones, their 4D index, idempotency.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "parties",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("languages", sa.JSON, nullable=False),
        sa.Column("webhook_url", sa.Text),
        sa.Column("duty_contacts", sa.JSON, nullable=False),
        sa.Column("area_of_interest", sa.Text),
        sa.Column("grants", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_table(
        "agreements",
        sa.Column("party_a", sa.String(64), primary_key=True),
        sa.Column("party_b", sa.String(64), primary_key=True),
        sa.Column("horizontal_m", sa.Double, nullable=False),
        sa.Column("vertical_m", sa.Double, nullable=False),
        sa.Column("time_s", sa.Double, nullable=False),
        sa.Column("minimum_notice_s", sa.Double, nullable=False),
    )
    for name in ("operations", "zones"):
        columns = [
            sa.Column("id", sa.String(128), primary_key=True),
            sa.Column("party", sa.String(64), nullable=False),
            sa.Column("version", sa.Integer, nullable=False),
        ]
        if name == "operations":
            columns += [
                sa.Column("state", sa.String(16), nullable=False),
                sa.Column("priority", sa.Integer, nullable=False),
            ]
        else:
            columns += [sa.Column("kind", sa.String(16), nullable=False)]
        columns += [
            sa.Column("document", sa.JSON, nullable=False),
            sa.Column("start", sa.Double, nullable=False),
            sa.Column("end", sa.Double, nullable=False),
            sa.Column("footprint", sa.Text, nullable=False),
        ]
        if name == "operations":
            columns += [
                sa.Column("submitted_at", sa.Double, nullable=False),
                sa.Column("updated_at", sa.Double, nullable=False),
                sa.Column("late_notice", sa.JSON, nullable=False),
                sa.Column("overridden_by", sa.JSON, nullable=False),
                sa.Column("awaiting", sa.JSON, nullable=False),
            ]
        else:
            columns += [
                sa.Column("binds", sa.JSON, nullable=False),
                sa.Column("accepted_by", sa.JSON, nullable=False),
                sa.Column("withdrawn", sa.Boolean, nullable=False),
                sa.Column("created_at", sa.Double, nullable=False),
                sa.Column("in_force_version", sa.Integer),
                sa.Column("in_force_document", sa.JSON),
            ]
        op.create_table(name, *columns)
        op.create_index(f"ix_{name}_party", name, ["party"])
        op.create_index(f"ix_{name}_time", name, ["start", "end"])
        if postgres:
            # A real geometry column, so QGIS opens the table directly.
            op.execute(f"ALTER TABLE {name} ADD COLUMN geom geometry(Geometry, 4326)")
            op.execute(f"CREATE INDEX ix_{name}_geom ON {name} USING GIST (geom)")
    op.create_table(
        "operation_versions",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("recorded_at", sa.Double, nullable=False),
    )
    op.create_table(
        "zone_versions",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("binds", sa.JSON, nullable=False),
        sa.Column("accepted_by", sa.JSON, nullable=False),
        sa.Column("withdrawn", sa.Boolean, nullable=False),
        sa.Column("recorded_at", sa.Double, nullable=False),
    )
    op.create_table(
        "pieces",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("owner_id", sa.String(128), nullable=False),
        *(
            sa.Column(c, sa.Double, nullable=False)
            for c in ("lon_min", "lon_max", "lat_min", "lat_max")
        ),
        *(
            sa.Column(c, sa.Double, nullable=False)
            for c in ("alt_min", "alt_max", "t_min", "t_max")
        ),
    )
    op.create_index("ix_pieces_owner", "pieces", ["owner_kind", "owner_id"])
    if postgres:
        op.execute("ALTER TABLE pieces ADD COLUMN box geometry(LINESTRINGZM)")
        op.execute("CREATE INDEX ix_pieces_box ON pieces USING GIST (box gist_geometry_ops_nd)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE piece_boxes USING rtree("
            "id, lon_min, lon_max, lat_min, lat_max, alt_min, alt_max, t_min, t_max)"
        )
    op.create_table("lock_cells", sa.Column("key", sa.String(64), primary_key=True))
    op.execute("INSERT INTO lock_cells (key) VALUES ('*')")
    op.create_table(
        "idempotency",
        sa.Column("party", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_table(
        "overrides",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("winner", sa.String(128), nullable=False),
        sa.Column("winner_party", sa.String(64), nullable=False),
        sa.Column("loser", sa.String(128), nullable=False),
        sa.Column("loser_party", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "overrides",
        "idempotency",
        "lock_cells",
        "pieces",
        "zone_versions",
        "operation_versions",
        "zones",
        "operations",
        "agreements",
        "parties",
    ):
        op.drop_table(name)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS piece_boxes")
