"""Operations: the current version of each, its history, and its boxes in the 4D index."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.geo.declaration import Declaration
from deconflict.geo.footprint import footprint
from deconflict.model.errors import StaleVersion
from deconflict.model.operation import Operation
from deconflict.model.operation_state import OperationState
from deconflict.store import space_index
from deconflict.store.documents import cached, footprint_wkt, from_document, to_document
from deconflict.store.tables import operation_versions, operations, overrides

OWNER_KIND = "operation"


@dataclass(frozen=True)
class Prepared:
    """The stored forms of a declaration (document, footprint), made before the write
    transaction: they depend on nothing stored, and the write lock is then held for less."""

    declaration: Declaration
    document: dict[str, Any]
    footprint: str
    area: shapely.Geometry
    """The footprint as a shape, for the caller's area-of-interest tests (made once)."""
    text: str
    """The document as sorted, compact JSON: what SQLite stores, and what `digest` is of."""
    digest: str
    """SHA-256 of `text`: the plan's digest in the record."""


def prepare(declaration: Declaration) -> Prepared:
    area = footprint(declaration)
    document = to_document(declaration)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Prepared(declaration, document, footprint_wkt(area), area, text, digest)


def _row_to_operation(row: sa.Row, declaration: Declaration | None = None) -> Operation:
    return Operation(
        id=row.id,
        party=row.party,
        version=row.version,
        state=OperationState(row.state),
        declaration=declaration or from_document(row.id, row.version, row.document),
        submitted_at=row.submitted_at,
        updated_at=row.updated_at,
        late_notice=tuple(row.late_notice),
        overridden_by=tuple(row.overridden_by),
        awaiting=tuple(row.awaiting),
    )


def _values(operation: Operation, prepared: Prepared | None = None) -> dict:
    declaration = operation.declaration
    if prepared is None or prepared.declaration is not declaration:
        prepared = prepare(declaration)
    return {
        "party": operation.party,
        "version": operation.version,
        "state": str(operation.state),
        "priority": declaration.priority,
        "document": prepared.document,
        "start": declaration.start,
        "end": declaration.end,
        "footprint": prepared.footprint,
        "submitted_at": operation.submitted_at,
        "updated_at": operation.updated_at,
        "late_notice": list(operation.late_notice),
        "overridden_by": list(operation.overridden_by),
        "awaiting": list(operation.awaiting),
    }


def _set_geometry(connection: Connection, ident: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text("UPDATE operations SET geom = ST_GeomFromText(footprint, 4326) WHERE id = :id"),
            {"id": ident},
        )


def _record_version(connection: Connection, operation: Operation, values: dict) -> None:
    connection.execute(
        operation_versions.insert().values(
            id=operation.id,
            version=operation.version,
            state=values["state"],
            document=values["document"],
            recorded_at=operation.updated_at,
        )
    )


def _reindex(connection: Connection, operation: Operation, boxes: np.ndarray | None) -> None:
    space_index.delete_boxes(connection, OWNER_KIND, operation.id)
    if operation.in_force and boxes is not None:
        space_index.insert_boxes(connection, OWNER_KIND, operation.id, boxes)


def get(connection: Connection, ident: str) -> Operation | None:
    row = connection.execute(sa.select(operations).where(operations.c.id == ident)).first()
    return None if row is None else _row_to_operation(row)


def versions(connection: Connection, idents: Sequence[str]) -> dict[str, int]:
    """The current version of each of these operations (those that exist)."""
    if not idents:
        return {}
    query = sa.select(operations.c.id, operations.c.version).where(
        operations.c.id.in_(list(idents))
    )
    return {ident: version for ident, version in connection.execute(query)}


_EXISTS = sa.select(operations.c.id).where(operations.c.id == sa.bindparam("ident"))


def exists(connection: Connection, ident: str) -> bool:
    return connection.execute(_EXISTS, {"ident": ident}).first() is not None


_WITHOUT_DOCUMENT = [c for c in operations.c if c.name != "document"]


def get_many(connection: Connection, idents: Iterable[str]) -> list[Operation]:
    """The current versions of these operations.

    Documents are read (and decoded) only for versions the parse cache lacks: a check
    reads its whole neighbourhood, and decoding JSON cost more than the rest of it.
    Rows fetched again in full replace the light ones, so each operation is built from
    one consistent row even if it changed in between (PostgreSQL, READ COMMITTED).
    """
    idents = list(idents)
    if not idents:
        return []
    found: list[Operation] = []
    missing: list[str] = []
    light = sa.select(*_WITHOUT_DOCUMENT).where(operations.c.id.in_(idents))
    for row in connection.execute(light):
        declaration = cached(row.id, row.version)
        if declaration is None:
            missing.append(row.id)
        else:
            found.append(_row_to_operation(row, declaration))
    if missing:
        full = sa.select(operations).where(operations.c.id.in_(missing))
        found.extend(_row_to_operation(r) for r in connection.execute(full))
    return found


_ROW = ("party", "version", "state", "priority", "document", "start", "end", "footprint")
_ROW += ("submitted_at", "updated_at", "late_notice", "overridden_by", "awaiting")
_QUOTED = ", ".join(f'"{name}"' for name in _ROW)  # "end" is an SQL keyword
_INSERT_SQLITE = f"INSERT INTO operations (id, {_QUOTED}) VALUES (?{', ?' * len(_ROW)})"
_INSERT_VERSION_SQLITE = (
    "INSERT INTO operation_versions (id, version, state, document, recorded_at)"
    " VALUES (?, ?, ?, ?, ?)"
)
_JSON_COLUMNS = frozenset({"document", "late_notice", "overridden_by", "awaiting"})
_PG_VALUES = ", ".join(
    f"CAST(:{name} AS json)" if name in _JSON_COLUMNS else f":{name}" for name in _ROW
)
_INSERT_WITH_VERSION_POSTGRESQL = sa.text(
    "WITH version AS (INSERT INTO operation_versions (id, version, state, document,"
    " recorded_at) VALUES (:id, :version, :state, CAST(:document AS json), :recorded_at))"
    f" INSERT INTO operations (id, {_QUOTED}, geom)"
    f" VALUES (:id, {_PG_VALUES}, ST_GeomFromText(:footprint, 4326))"
)
"""Both rows of a new operation in one statement (one round trip to the server)."""


def insert(
    connection: Connection,
    operation: Operation,
    boxes: np.ndarray,
    prepared: Prepared | None = None,
) -> None:
    """Write a new operation (version 1) and index it if it is in force.

    Statements are built once and given parameters (not rebuilt with `.values()`):
    building a statement costs more than running it on SQLite. There they go straight
    to the driver, the document encoded once for both tables (as SQLAlchemy's JSON
    type would encode it: `json.dumps`).
    """
    values = _values(operation, prepared)
    if prepared is not None and prepared.declaration is operation.declaration:
        document = prepared.text
    else:
        document = json.dumps(values["document"])
    encoded = {name: json.dumps(values[name]) for name in _JSON_COLUMNS - {"document"}}
    encoded["document"] = document
    if connection.dialect.name == "sqlite":
        row = [encoded.get(name, values[name]) for name in _ROW]
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(_INSERT_SQLITE, [operation.id, *row])
            cursor.execute(
                _INSERT_VERSION_SQLITE,
                [operation.id, operation.version, values["state"], document, operation.updated_at],
            )
        finally:
            cursor.close()
    else:
        # One statement for both rows, with the geometry, the JSON encoded once.
        connection.execute(
            _INSERT_WITH_VERSION_POSTGRESQL,
            {"id": operation.id, **values, **encoded, "recorded_at": operation.updated_at},
        )
    if operation.in_force:
        space_index.insert_boxes(connection, OWNER_KIND, operation.id, boxes)


def replace(
    connection: Connection,
    operation: Operation,
    expected_version: int,
    boxes: np.ndarray | None,
    prepared: Prepared | None = None,
) -> None:
    """Write `operation` as the next version, if the stored one is still `expected_version`."""
    values = _values(operation, prepared)
    result = connection.execute(
        operations.update()
        .where(operations.c.id == operation.id, operations.c.version == expected_version)
        .values(**values)
    )
    if result.rowcount != 1:
        raise StaleVersion(
            f"operation {operation.id} is no longer at version {expected_version}",
            id=operation.id,
        )
    _set_geometry(connection, operation.id)
    _record_version(connection, operation, values)
    if boxes is not None or not operation.in_force:
        _reindex(connection, operation, boxes)


def history(connection: Connection, ident: str) -> list[tuple[int, str, dict, float]]:
    """Every version: (version, state, document, recorded_at), oldest first."""
    rows = connection.execute(
        sa.select(operation_versions)
        .where(operation_versions.c.id == ident)
        .order_by(operation_versions.c.version)
    )
    return [(r.version, r.state, r.document, r.recorded_at) for r in rows]


def search(
    connection: Connection,
    *,
    party: str | None = None,
    states: Sequence[OperationState] | None = None,
    start: float | None = None,
    end: float | None = None,
    ids: Iterable[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Operation]:
    """Operations by owner, state and time overlap, in id order (stable pagination)."""
    query = sa.select(operations)
    if party is not None:
        query = query.where(operations.c.party == party)
    if states:
        query = query.where(operations.c.state.in_([str(s) for s in states]))
    if start is not None:
        query = query.where(operations.c.end > start)
    if end is not None:
        query = query.where(operations.c.start < end)
    if ids is not None:
        query = query.where(operations.c.id.in_(list(ids)))
    query = query.order_by(operations.c.id).limit(limit).offset(offset)
    return [_row_to_operation(r) for r in connection.execute(query)]


def record_override(
    connection: Connection, winner: Operation, loser: Operation, now: float
) -> None:
    """Keep that `winner` was accepted over `loser` (its party must be told)."""
    connection.execute(
        overrides.insert().values(
            winner=winner.id,
            winner_party=winner.party,
            loser=loser.id,
            loser_party=loser.party,
            created_at=now,
        )
    )
