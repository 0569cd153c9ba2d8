"""The 4D candidate index in the database: which declarations may meet a given box.

Each in-force operation and zone is stored as the 4D boxes (lon, lat, altitude, time)
of its engine pieces. SQLite keeps them in an R*Tree virtual table (`piece_boxes`,
32-bit floats rounded outward, so never too small); PostgreSQL in a `LINESTRING ZM`
from the low corner to the high corner, under a PostGIS n-D GiST index queried with
`&&&`. Both answer the same question; the exact check happens in `engine`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.store.tables import pieces

Box = tuple[float, float, float, float, float, float, float, float]
"""lon_min, lat_min, alt_min, t_min, lon_max, lat_max, alt_max, t_max (the engine's order)."""


def _is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


_NAMES = ("owner_kind", "owner_id", "lon_min", "lon_max", "lat_min", "lat_max")
_NAMES += ("alt_min", "alt_max", "t_min", "t_max")
_COLUMNS = ", ".join(_NAMES)
_VALUES = ", ".join(f":{name}" for name in _NAMES)
_INSERT_PIECE_SQLITE = f"INSERT INTO pieces ({_COLUMNS}) VALUES ({_VALUES})"
_INSERT_BOX_SQLITE = (
    "INSERT INTO piece_boxes VALUES (:id, :lon_min, :lon_max, :lat_min, :lat_max,"
    " :alt_min, :alt_max, :t_min, :t_max)"
)
_INSERT_PIECES_POSTGRESQL = sa.text(
    f"INSERT INTO pieces ({_COLUMNS}, box) VALUES ({_VALUES},"
    " ST_MakeLine(ST_MakePoint(:lon_min, :lat_min, :alt_min, :t_min),"
    " ST_MakePoint(:lon_max, :lat_max, :alt_max, :t_max)))"
)


def insert_boxes(connection: Connection, owner_kind: str, owner_id: str, boxes: np.ndarray) -> None:
    """Index the boxes (n × 8, engine order) of one operation or zone."""
    rows = [
        {
            "owner_kind": owner_kind,
            "owner_id": owner_id,
            "lon_min": b[0],
            "lat_min": b[1],
            "alt_min": b[2],
            "t_min": b[3],
            "lon_max": b[4],
            "lat_max": b[5],
            "alt_max": b[6],
            "t_max": b[7],
        }
        for b in np.asarray(boxes, dtype=float).tolist()
    ]
    if not rows:
        return
    if _is_sqlite(connection):
        # The R*Tree row takes the piece's id; straight to the driver (same transaction),
        # as SQLAlchemy's per-statement work outweighed these small inserts.
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for row in rows:
                cursor.execute(_INSERT_PIECE_SQLITE, row)
                cursor.execute(_INSERT_BOX_SQLITE, {"id": cursor.lastrowid, **row})
        finally:
            cursor.close()
    else:
        connection.execute(_INSERT_PIECES_POSTGRESQL, rows)


def delete_boxes(connection: Connection, owner_kind: str, owner_id: str) -> None:
    """Take an operation or zone out of the index (ended, cancelled, replaced)."""
    if _is_sqlite(connection):
        connection.execute(
            sa.text(
                "DELETE FROM piece_boxes WHERE id IN (SELECT id FROM pieces"
                " WHERE owner_kind = :kind AND owner_id = :owner)"
            ),
            {"kind": owner_kind, "owner": owner_id},
        )
    connection.execute(
        pieces.delete().where(pieces.c.owner_kind == owner_kind, pieces.c.owner_id == owner_id)
    )


_KEYS = ("lon_min", "lat_min", "alt_min", "t_min", "lon_max", "lat_max", "alt_max", "t_max")
_MEETING_SQLITE = (
    "SELECT DISTINCT p.owner_kind, p.owner_id FROM piece_boxes b JOIN pieces p"
    " ON p.id = b.id WHERE b.lon_max >= :lon_min AND b.lon_min <= :lon_max"
    " AND b.lat_max >= :lat_min AND b.lat_min <= :lat_max"
    " AND b.alt_max >= :alt_min AND b.alt_min <= :alt_max"
    " AND b.t_max >= :t_min AND b.t_min <= :t_max"
)
_MEETING_POSTGRESQL = sa.text(
    "SELECT DISTINCT owner_kind, owner_id FROM pieces WHERE box &&& ST_MakeLine("
    "ST_MakePoint(:lon_min, :lat_min, :alt_min, :t_min),"
    " ST_MakePoint(:lon_max, :lat_max, :alt_max, :t_max))"
)


def owners_meeting(connection: Connection, boxes: Iterable[Box]) -> set[tuple[str, str]]:
    """(owner_kind, owner_id) of everything whose boxes intersect any of `boxes`."""
    found: set[tuple[str, str]] = set()
    parameters = [dict(zip(_KEYS, map(float, box), strict=True)) for box in boxes]
    if _is_sqlite(connection):
        # Straight to the driver, inside the same transaction: this runs on every check
        # and SQLAlchemy's per-statement work cost more than the R*Tree search itself.
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for params in parameters:
                found.update(cursor.execute(_MEETING_SQLITE, params).fetchall())
        finally:
            cursor.close()
        return found
    for params in parameters:
        found.update(
            (kind, owner) for kind, owner in connection.execute(_MEETING_POSTGRESQL, params)
        )
    return found
