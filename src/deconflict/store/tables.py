"""The schema, as SQLAlchemy Core tables. Changed only through a migration."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

parties = sa.Table(
    "parties",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("languages", sa.JSON, nullable=False),
    sa.Column("webhook_url", sa.Text),
    sa.Column("duty_contacts", sa.JSON, nullable=False),
    sa.Column("area_of_interest", sa.Text),  # WKT, lon/lat; NULL = everywhere
    sa.Column("grants", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
)

agreements = sa.Table(
    "agreements",
    metadata,
    sa.Column("party_a", sa.String(64), primary_key=True),
    sa.Column("party_b", sa.String(64), primary_key=True),
    sa.Column("horizontal_m", sa.Double, nullable=False),
    sa.Column("vertical_m", sa.Double, nullable=False),
    sa.Column("time_s", sa.Double, nullable=False),
    sa.Column("minimum_notice_s", sa.Double, nullable=False),
)

revisions = sa.Table(
    "revisions",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
"""Counters bumped by every write to a set of rows, so caches of them know when to reload."""

operations = sa.Table(
    "operations",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("document", sa.JSON, nullable=False),  # the declaration as GeoJSON features
    sa.Column("start", sa.Double, nullable=False),
    sa.Column("end", sa.Double, nullable=False),
    sa.Column("footprint", sa.Text, nullable=False),  # WKT; PostgreSQL also has `geom`
    sa.Column("submitted_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("late_notice", sa.JSON, nullable=False),
    sa.Column("overridden_by", sa.JSON, nullable=False),
    sa.Column("awaiting", sa.JSON, nullable=False),
)

operation_versions = sa.Table(
    "operation_versions",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("recorded_at", sa.Double, nullable=False),
)

zones = sa.Table(
    "zones",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("start", sa.Double, nullable=False),
    sa.Column("end", sa.Double, nullable=False),
    sa.Column("footprint", sa.Text, nullable=False),
    sa.Column("binds", sa.JSON, nullable=False),
    sa.Column("accepted_by", sa.JSON, nullable=False),
    sa.Column("withdrawn", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("in_force_version", sa.Integer),
    sa.Column("in_force_document", sa.JSON),
)

zone_versions = sa.Table(
    "zone_versions",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("binds", sa.JSON, nullable=False),
    sa.Column("accepted_by", sa.JSON, nullable=False),
    sa.Column("withdrawn", sa.Boolean, nullable=False),
    sa.Column("recorded_at", sa.Double, nullable=False),
)

pieces = sa.Table(
    "pieces",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("owner_kind", sa.String(16), nullable=False),  # operation | zone
    sa.Column("owner_id", sa.String(128), nullable=False),
    sa.Column("lon_min", sa.Double, nullable=False),
    sa.Column("lon_max", sa.Double, nullable=False),
    sa.Column("lat_min", sa.Double, nullable=False),
    sa.Column("lat_max", sa.Double, nullable=False),
    sa.Column("alt_min", sa.Double, nullable=False),
    sa.Column("alt_max", sa.Double, nullable=False),
    sa.Column("t_min", sa.Double, nullable=False),
    sa.Column("t_max", sa.Double, nullable=False),
)
"""4D boxes of what is in force; the backend indexes them (R*Tree or n-D GiST)."""

lock_cells = sa.Table(
    "lock_cells",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
)
"""Coarse space-time cells, locked `FOR UPDATE` in key order around a check-and-write."""

idempotency = sa.Table(
    "idempotency",
    metadata,
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
)

overrides = sa.Table(
    "overrides",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("winner", sa.String(128), nullable=False),
    sa.Column("winner_party", sa.String(64), nullable=False),
    sa.Column("loser", sa.String(128), nullable=False),
    sa.Column("loser_party", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
)
"""Priority overrides, kept for the loser's party to be told (the channel delivers them)."""
