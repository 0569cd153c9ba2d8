"""Cell locks for PostgreSQL: writers that could conflict wait for each other, others don't.

A check-and-write locks the coarse cells (1° × 1° × 6 h) that its widened boxes touch,
always in key order, so two transactions never deadlock. Two operations in conflict
have intersecting widened boxes, hence a shared cell, hence one waits for the other
and then sees it. SQLite needs none of this: `BEGIN IMMEDIATE` already serialises.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.store.space_index import Box
from deconflict.store.tables import lock_cells

CELL_DEGREES = 1.0
CELL_SECONDS = 6 * 3600.0
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


def lock_cells_for(connection: Connection, boxes: Iterable[Box]) -> None:
    """Lock the cells of `boxes` until the transaction ends (PostgreSQL only)."""
    if connection.dialect.name == "sqlite":
        return
    from sqlalchemy.dialects.postgresql import insert

    keys = cell_keys(boxes)
    huge = keys == [GLOBAL_KEY]
    everyone = sa.select(lock_cells.c.key).where(lock_cells.c.key == GLOBAL_KEY)
    connection.execute(everyone.with_for_update(read=not huge))
    if huge:
        return
    connection.execute(
        insert(lock_cells).values([{"key": k} for k in keys]).on_conflict_do_nothing()
    )
    connection.execute(
        sa.select(lock_cells.c.key)
        .where(lock_cells.c.key.in_(keys))
        .order_by(lock_cells.c.key)
        .with_for_update()
    )
