"""Revision counters: one number per cached set of rows, bumped by every write to it.

A process may keep what it parsed from those rows (the agreements, say) and, inside each
transaction, read one integer to know whether that is still what the store holds. The
bump happens in the writing transaction, so a reader never sees new rows with an old
number (PostgreSQL's row lock on the counter also orders concurrent writers).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.store.tables import revisions

AGREEMENTS = "agreements"
"""Parties and pair agreements: what the separation policy is built from."""

_READ = sa.select(revisions.c.value).where(revisions.c.name == sa.bindparam("name"))
_BUMP = (
    revisions.update()
    .where(revisions.c.name == sa.bindparam("counter"))
    .values(value=revisions.c.value + 1)
)


def read(connection: Connection, name: str) -> int:
    return int(connection.execute(_READ, {"name": name}).scalar_one())


def bump(connection: Connection, name: str) -> None:
    connection.execute(_BUMP, {"counter": name})
