"""Operational intent references: the standard's fields beside the operation of the same id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.model.dss import DssConflict
from deconflict.store.dss_tables import dss_intents
from deconflict.store.tables import operations


@dataclass(frozen=True)
class IntentRecord:
    id: str
    manager: str
    version: int
    ovn: str
    state: str
    uss_base_url: str
    subscription_id: str | None
    time_start: float
    time_end: float
    extents: list[Any]
    updated_at: float


def _record(row: sa.Row) -> IntentRecord:
    return IntentRecord(**{c: getattr(row, c) for c in IntentRecord.__dataclass_fields__})


def get(connection: Connection, ident: str, *, for_update: bool = False) -> IntentRecord | None:
    query = sa.select(dss_intents).where(dss_intents.c.id == ident)
    if for_update and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    return None if row is None else _record(row)


def get_many(connection: Connection, idents: Iterable[str]) -> dict[str, IntentRecord]:
    idents = list(idents)
    if not idents:
        return {}
    found: dict[str, IntentRecord] = {}
    for chunk in range(0, len(idents), 500):
        query = sa.select(dss_intents).where(dss_intents.c.id.in_(idents[chunk : chunk + 500]))
        found.update((r.id, _record(r)) for r in connection.execute(query))
    return found


_INSERT = dss_intents.insert()


def _values(record: IntentRecord) -> dict[str, Any]:
    # Shallow (`asdict` deep-copies the extents, which cost more than the insert).
    return {name: getattr(record, name) for name in IntentRecord.__dataclass_fields__}


def insert(connection: Connection, record: IntentRecord) -> None:
    """A new reference; the statement is built once and given parameters."""
    connection.execute(_INSERT, _values(record))


def replace(connection: Connection, record: IntentRecord, expected_ovn: str) -> None:
    """Write the next version, if the stored one still has `expected_ovn`."""
    values = _values(record)
    del values["id"]
    result = connection.execute(
        dss_intents.update()
        .where(dss_intents.c.id == record.id, dss_intents.c.ovn == expected_ovn)
        .values(**values)
    )
    if result.rowcount != 1:
        raise DssConflict(f"operational intent {record.id} is no longer at OVN {expected_ovn}")


def delete(connection: Connection, ident: str) -> None:
    connection.execute(dss_intents.delete().where(dss_intents.c.id == ident))


def depending_on(connection: Connection, subscription_id: str) -> list[str]:
    """Ids of the intents that rely on this subscription."""
    query = sa.select(dss_intents.c.id).where(dss_intents.c.subscription_id == subscription_id)
    return sorted(r.id for r in connection.execute(query))


def native_ids(connection: Connection, states: Iterable[str]) -> list[str]:
    """Ids of the operations in these states that are not USS intents (ids only: this is
    scanned to find a native operation by the UUID derived from its id)."""
    query = sa.select(operations.c.id).where(
        operations.c.state.in_(list(states)),
        operations.c.id.not_in(sa.select(dss_intents.c.id)),
    )
    return [row.id for row in connection.execute(query)]
