"""Zones and lines: the current version of each, its history, its boxes when binding."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.model.errors import StaleVersion
from deconflict.model.zone import Zone
from deconflict.store import space_index
from deconflict.store.documents import footprint_wkt, from_document, to_document
from deconflict.store.tables import zone_versions, zones

OWNER_KIND = "zone"


def _row_to_zone(row: sa.Row) -> Zone:
    return Zone(
        id=row.id,
        party=row.party,
        version=row.version,
        declaration=from_document(row.id, row.version, row.document),
        created_at=row.created_at,
        binds=tuple(row.binds),
        accepted_by=tuple(row.accepted_by),
        withdrawn=row.withdrawn,
        in_force=(
            from_document(row.id, row.in_force_version, row.in_force_document)
            if row.in_force_document is not None
            else None
        ),
        in_force_version=row.in_force_version,
    )


def _values(zone: Zone) -> dict:
    declaration = zone.declaration
    return {
        "party": zone.party,
        "version": zone.version,
        "kind": str(declaration.kind),
        "document": to_document(declaration),
        "start": declaration.start,
        "end": declaration.end,
        "footprint": footprint_wkt(declaration),
        "binds": list(zone.binds),
        "accepted_by": list(zone.accepted_by),
        "withdrawn": zone.withdrawn,
        "created_at": zone.created_at,
        "in_force_version": zone.in_force_version,
        "in_force_document": to_document(zone.in_force) if zone.in_force is not None else None,
    }


def get(connection: Connection, ident: str) -> Zone | None:
    row = connection.execute(sa.select(zones).where(zones.c.id == ident)).first()
    return None if row is None else _row_to_zone(row)


def get_many(connection: Connection, idents: list[str]) -> list[Zone]:
    if not idents:
        return []
    return [
        _row_to_zone(r) for r in connection.execute(sa.select(zones).where(zones.c.id.in_(idents)))
    ]


def state_of(zone: Zone) -> tuple:
    """What decides whether and how a zone binds: equal states, equal effect on checks
    (an acceptance amends a version without a new number, so the number alone is not it)."""
    return (zone.version, zone.in_force_version, tuple(zone.accepted_by), zone.withdrawn)


def states(connection: Connection, idents: list[str]) -> dict[str, tuple]:
    """`state_of` each of these zones (those that exist), without parsing documents."""
    if not idents:
        return {}
    columns = (zones.c.id, zones.c.version, zones.c.in_force_version, zones.c.accepted_by)
    query = sa.select(*columns, zones.c.withdrawn).where(zones.c.id.in_(idents))
    return {
        r.id: (r.version, r.in_force_version, tuple(r.accepted_by), r.withdrawn)
        for r in connection.execute(query)
    }


def list_all(connection: Connection, party: str | None = None) -> list[Zone]:
    query = sa.select(zones).order_by(zones.c.id)
    if party is not None:
        query = query.where(zones.c.party == party)
    return [_row_to_zone(r) for r in connection.execute(query)]


def save(
    connection: Connection,
    zone: Zone,
    expected_version: int | None,
    boxes: np.ndarray | None,
    *,
    new_version: bool = True,
) -> None:
    """Write a new zone (`expected_version` None) or its next version (or, with
    `new_version=False`, amend the current one: an acceptance). `boxes` are those of the
    version in force, to index; None leaves the index as it is unless nothing is in force.
    """
    values = _values(zone)
    if expected_version is None:
        connection.execute(zones.insert().values(id=zone.id, **values))
    else:
        result = connection.execute(
            zones.update()
            .where(zones.c.id == zone.id, zones.c.version == expected_version)
            .values(**values)
        )
        if result.rowcount != 1:
            raise StaleVersion(
                f"zone {zone.id} is no longer at version {expected_version}", id=zone.id
            )
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text("UPDATE zones SET geom = ST_GeomFromText(footprint, 4326) WHERE id = :id"),
            {"id": zone.id},
        )
    version_row = {
        "document": values["document"],
        "binds": values["binds"],
        "accepted_by": values["accepted_by"],
        "withdrawn": zone.withdrawn,
        "recorded_at": zone.created_at,
    }
    if new_version:
        connection.execute(
            zone_versions.insert().values(id=zone.id, version=zone.version, **version_row)
        )
    else:
        connection.execute(
            zone_versions.update()
            .where(zone_versions.c.id == zone.id, zone_versions.c.version == zone.version)
            .values(**version_row)
        )
    if boxes is not None or zone.in_force is None:
        space_index.delete_boxes(connection, OWNER_KIND, zone.id)
    if boxes is not None and zone.in_force is not None:
        space_index.insert_boxes(connection, OWNER_KIND, zone.id, boxes)


def history(connection: Connection, ident: str) -> list[dict]:
    rows = connection.execute(
        sa.select(zone_versions)
        .where(zone_versions.c.id == ident)
        .order_by(zone_versions.c.version)
    )
    return [
        {
            "version": r.version,
            "document": r.document,
            "binds": r.binds,
            "accepted_by": r.accepted_by,
            "withdrawn": r.withdrawn,
            "recorded_at": r.recorded_at,
        }
        for r in rows
    ]
