"""USS availability (as set by an arbitrator) and archived reports."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.store.dss_tables import dss_availability, dss_reports


def get(connection: Connection, uss: str) -> tuple[str, str] | None:
    """(availability, version), or None if never set (the standard's Unknown)."""
    row = connection.execute(
        sa.select(dss_availability).where(dss_availability.c.uss == uss)
    ).first()
    return None if row is None else (row.availability, row.version)


def get_many(connection: Connection, usses: list[str]) -> dict[str, str]:
    if not usses:
        return {}
    query = sa.select(dss_availability.c.uss, dss_availability.c.availability).where(
        dss_availability.c.uss.in_(sorted(set(usses)))
    )
    return {r.uss: r.availability for r in connection.execute(query)}


def put(connection: Connection, uss: str, availability: str, version: str, now: float) -> None:
    updated = connection.execute(
        dss_availability.update()
        .where(dss_availability.c.uss == uss)
        .values(availability=availability, version=version, updated_at=now)
    )
    if updated.rowcount == 0:
        connection.execute(
            dss_availability.insert().values(
                uss=uss, availability=availability, version=version, updated_at=now
            )
        )


def archive_report(
    connection: Connection, ident: str, reporter: str, report: dict[str, Any], now: float
) -> None:
    connection.execute(
        dss_reports.insert().values(id=ident, reporter=reporter, report=report, created_at=now)
    )
