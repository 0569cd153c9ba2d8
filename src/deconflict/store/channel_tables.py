"""The channel's schema (notices, deliveries, rosters, arrangements, the audit queue),
as SQLAlchemy Core tables on the project's metadata. Created by migration 0003, which
also creates the audit log's own tables (`deconflict.audit.sql_store`)."""

from __future__ import annotations

import sqlalchemy as sa

from deconflict.store.tables import metadata

notices = sa.Table(
    "notices",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, unique=True),
    # Stream position, gap-free in commit order: assigned by the sequencer (NULL until then).
    sa.Column("recipient", sa.String(64), nullable=False),
    sa.Column("sender", sa.String(64), nullable=False),  # a party, or "hub"
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("about", sa.JSON, nullable=False),
    sa.Column("facts", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("starts_at", sa.Double),  # the operation's start (a near start makes it critical)
    sa.Column("deadline", sa.Double),  # NULL: no acknowledgement needed
    sa.Column("safety", sa.Boolean, nullable=False),
    sa.Column("critical", sa.Boolean, nullable=False),
    sa.Column("digest", sa.String(64)),
    sa.Column("delivered_at", sa.Double),
    sa.Column("read_at", sa.Double),
    sa.Column("acked_at", sa.Double),
    sa.Column("acked_by", sa.String(200)),
    sa.Column("ack_signature", sa.Text),
    sa.Column("step", sa.Integer, nullable=False),  # escalation steps taken
    sa.Column("next_step_at", sa.Double),  # when the ladder next moves (NULL: never)
)
sa.Index("ix_notices_recipient_seq", notices.c.recipient, notices.c.seq)
sa.Index("ix_notices_next_step", notices.c.next_step_at)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("notice", sa.String(64), nullable=False),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),  # webhook
    sa.Column("state", sa.String(16), nullable=False),  # pending | delivered | dead
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.Double, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("delivered_at", sa.Double),
)
sa.Index("ix_deliveries_due", deliveries.c.state, deliveries.c.next_attempt_at)

escalations = sa.Table(
    "escalations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("notice", sa.String(64), nullable=False, index=True),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("critical", sa.Boolean, nullable=False),
    sa.Column("at", sa.Double, nullable=False),
)

duty_roster = sa.Table(
    "duty_roster",
    metadata,
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("officer", sa.String(200), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("contact", sa.Text, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),  # escalation order, 0 first
    sa.Column("on_duty", sa.Boolean, nullable=False),
)

officer_keys = sa.Table(
    "officer_keys",
    metadata,
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("officer", sa.String(200), primary_key=True),
    sa.Column("public_key", sa.String(64), nullable=False),  # base64 raw Ed25519
    sa.Column("registered_at", sa.Double, nullable=False),
)

arrangements = sa.Table(
    "arrangements",
    metadata,
    sa.Column("party_a", sa.String(64), primary_key=True),  # party_a < party_b
    sa.Column("party_b", sa.String(64), primary_key=True),
    sa.Column("suspended", sa.Boolean, nullable=False),
    sa.Column("changed_by", sa.String(64)),
    sa.Column("changed_at", sa.Double),
    sa.Column("policy", sa.JSON, nullable=False),  # deadlines, ladder, supervisor, on_exhausted
)

channel_parties = sa.Table(
    "channel_parties",
    metadata,
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("webhook_secret", sa.String(64), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("last_heartbeat", sa.Double),
)

audit_queue = sa.Table(
    "audit_queue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", sa.Double, nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("subjects", sa.JSON, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
)
"""Audit events written by use cases, merged into the Merkle log by the sequencer."""

channel_head = sa.Table(
    "channel_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),  # last stream position given
    sa.Column("checkpoint_at", sa.Double, nullable=False),  # when the last checkpoint was signed
)
"""One row: locked `FOR UPDATE` by the sequencer, so one process at a time appends."""
