"""Cell locks for PostgreSQL: writers that could conflict wait for each other, others don't.

A check-and-write locks the cells (0.25° × 0.25° × 1 h) that its widened boxes touch,
always in key order, so two transactions never deadlock. Two operations in conflict
have intersecting widened boxes, hence a shared cell, hence one waits for the other
and then sees it. That holds for any cell size; smaller cells make fewer writers wait
for unrelated neighbours (1° × 6 h cells made eight concurrent DSS creates spread over
4° × 2° × 48 h about a third slower) at the price of more, still cheap, locked rows
per plan. SQLite needs none of this: `BEGIN IMMEDIATE` already serialises.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.store.backend import Database
from deconflict.store.space_index import Box
from deconflict.store.tables import lock_cells

CELL_DEGREES = 0.25
CELL_SECONDS = 3600.0
MAX_CELLS = 20_000
"""Beyond this many cells (a continent-wide, week-long plan) the plan locks everything."""
GLOBAL_KEY = "*"
"""Every writer holds this row: shared for ordinary plans, exclusive for huge ones."""


def cell_keys(boxes: Iterable[Box]) -> list[str]:
    """The sorted keys of the cells the boxes touch."""
    keys: set[str] = set()
    for lon_min, lat_min, _, t_min, lon_max, lat_max, _, t_max in boxes:
        lons = range(math.floor(lon_min / CELL_DEGREES), math.floor(lon_max / CELL_DEGREES) + 1)
        lats = range(math.floor(lat_min / CELL_DEGREES), math.floor(lat_max / CELL_DEGREES) + 1)
        times = range(math.floor(t_min / CELL_SECONDS), math.floor(t_max / CELL_SECONDS) + 1)
        if len(lons) * len(lats) * len(times) + len(keys) > MAX_CELLS:
            return [GLOBAL_KEY]
        keys.update(f"{x}:{y}:{t}" for x in lons for y in lats for t in times)
    return sorted(keys)


_EVERYONE = sa.select(lock_cells.c.key).where(lock_cells.c.key == GLOBAL_KEY)
_EVERYONE_SHARED = _EVERYONE.with_for_update(read=True)
_EVERYONE_EXCLUSIVE = _EVERYONE.with_for_update()
_ENSURE = sa.text(
    "INSERT INTO lock_cells (key) SELECT k FROM unnest(CAST(:keys AS varchar[])) AS k"
    " ORDER BY k ON CONFLICT DO NOTHING"
)
_LOCK = sa.text(
    "SELECT key FROM lock_cells WHERE key = ANY(CAST(:keys AS varchar[])) ORDER BY key FOR UPDATE"
)
"""Statements of one shape whatever the number of cells (an array parameter), so they are
built and prepared once rather than per distinct count."""
_PAST = sa.text(
    "SELECT key FROM lock_cells WHERE key <> '*'"
    " AND CAST(split_part(key, ':', 3) AS bigint) < :hour"
)
_FORGET = sa.text("DELETE FROM lock_cells WHERE key = ANY(CAST(:keys AS varchar[]))")
PRUNE_BATCH = 5_000
"""Cells deleted per transaction: each holds every writer off for one indexed delete."""


def lock_cells_for(connection: Connection, boxes: Iterable[Box]) -> None:
    """Lock the cells of `boxes` until the transaction ends (PostgreSQL only)."""
    if connection.dialect.name == "sqlite":
        return
    keys = cell_keys(boxes)
    huge = keys == [GLOBAL_KEY]
    connection.execute(_EVERYONE_EXCLUSIVE if huge else _EVERYONE_SHARED)
    if huge:
        return
    # New cells are created in key order, then all are locked in key order: two writers
    # meet in the same order, so neither can hold what the other waits for.
    connection.execute(_ENSURE, {"keys": keys})
    locked = connection.execute(_LOCK, {"keys": keys}).rowcount
    if locked != len(keys):  # a cell deleted under us (see `prune_cells`): never go on
        raise RuntimeError(f"locked {locked} of {len(keys)} cells")


def prune_cells(database: Database, before: float) -> int:
    """Delete the cells whose hour ended before `before` (PostgreSQL only); returns how
    many. Without this the table grows by every plan's cells, forever.

    Each batch is deleted under the everyone-row held exclusively. A locker holds that row
    (shared) from before it makes its cells until it commits, and making a cell that
    exists takes no lock on it: without the everyone-row, a cell deleted between a
    locker's insert and its `FOR UPDATE` would leave that locker unlocked. Deleting any
    cell is then safe, even one a late plan for the past needs again: the locker's insert
    makes it anew. The candidates are read without a lock, so writers wait only for the
    deletes.
    """
    if database.is_sqlite:
        return 0
    with database.read() as connection:
        hour = math.floor(before / CELL_SECONDS)
        keys = connection.execute(_PAST, {"hour": hour}).scalars().all()
    removed = 0
    for first in range(0, len(keys), PRUNE_BATCH):
        with database.write() as connection:
            connection.execute(_EVERYONE_EXCLUSIVE)
            batch = list(keys[first : first + PRUNE_BATCH])
            removed += connection.execute(_FORGET, {"keys": batch}).rowcount
    return removed
