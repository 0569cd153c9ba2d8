"""Constraint references and their boxes in the shared 4D index."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.model.dss import DssConflict
from deconflict.store import space_index
from deconflict.store.dss_tables import dss_constraints

OWNER_KIND = "dss_constraint"


@dataclass(frozen=True)
class ConstraintRecord:
    id: str
    manager: str
    version: int
    ovn: str
    uss_base_url: str
    time_start: float
    time_end: float
    extents: list[Any]
    updated_at: float


def _record(row: sa.Row) -> ConstraintRecord:
    return ConstraintRecord(**{c: getattr(row, c) for c in ConstraintRecord.__dataclass_fields__})


def get(connection: Connection, ident: str) -> ConstraintRecord | None:
    row = connection.execute(
        sa.select(dss_constraints).where(dss_constraints.c.id == ident)
    ).first()
    return None if row is None else _record(row)


def get_many(connection: Connection, idents: Iterable[str]) -> dict[str, ConstraintRecord]:
    idents = list(idents)
    if not idents:
        return {}
    query = sa.select(dss_constraints).where(dss_constraints.c.id.in_(idents))
    return {r.id: _record(r) for r in connection.execute(query)}


def insert(connection: Connection, record: ConstraintRecord, boxes: np.ndarray) -> None:
    connection.execute(dss_constraints.insert().values(**asdict(record)))
    space_index.insert_boxes(connection, OWNER_KIND, record.id, boxes)


def replace(
    connection: Connection, record: ConstraintRecord, expected_ovn: str, boxes: np.ndarray
) -> None:
    values = asdict(record)
    del values["id"]
    result = connection.execute(
        dss_constraints.update()
        .where(dss_constraints.c.id == record.id, dss_constraints.c.ovn == expected_ovn)
        .values(**values)
    )
    if result.rowcount != 1:
        raise DssConflict(f"constraint {record.id} is no longer at OVN {expected_ovn}")
    space_index.delete_boxes(connection, OWNER_KIND, record.id)
    space_index.insert_boxes(connection, OWNER_KIND, record.id, boxes)


def delete(connection: Connection, ident: str) -> None:
    space_index.delete_boxes(connection, OWNER_KIND, ident)
    connection.execute(dss_constraints.delete().where(dss_constraints.c.id == ident))
