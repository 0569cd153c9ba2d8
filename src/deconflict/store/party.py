"""Parties and pair agreements: read and write."""

from __future__ import annotations

import time

import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.geo.separation import Minima
from deconflict.model.agreement import PairAgreement
from deconflict.model.party import DetailLevel, DutyContact, Party
from deconflict.store import revision
from deconflict.store.tables import agreements, parties


def _row_to_party(row: sa.Row) -> Party:
    area = shapely.from_wkt(row.area_of_interest) if row.area_of_interest else None
    return Party(
        id=row.id,
        name=row.name,
        languages=tuple(row.languages),
        webhook_url=row.webhook_url,
        duty_contacts=tuple(DutyContact(**c) for c in row.duty_contacts),
        area_of_interest=area,
        grants={k: DetailLevel(v) for k, v in row.grants.items()},
    )


def _values(party: Party) -> dict:
    return {
        "name": party.name,
        "languages": list(party.languages),
        "webhook_url": party.webhook_url,
        "duty_contacts": [
            {"name": c.name, "role": c.role, "contact": c.contact} for c in party.duty_contacts
        ],
        "area_of_interest": (
            shapely.to_wkt(party.area_of_interest) if party.area_of_interest is not None else None
        ),
        "grants": {k: str(v) for k, v in party.grants.items()},
    }


def get(connection: Connection, party_id: str) -> Party | None:
    row = connection.execute(sa.select(parties).where(parties.c.id == party_id)).first()
    return None if row is None else _row_to_party(row)


def list_all(connection: Connection) -> list[Party]:
    return [_row_to_party(r) for r in connection.execute(sa.select(parties).order_by(parties.c.id))]


def put(connection: Connection, party: Party) -> bool:
    """Create or replace a party; True if it was created."""
    revision.bump(connection, revision.AGREEMENTS)
    exists = connection.execute(sa.select(parties.c.id).where(parties.c.id == party.id)).first()
    if exists:
        connection.execute(
            parties.update().where(parties.c.id == party.id).values(**_values(party))
        )
        return False
    connection.execute(
        parties.insert().values(id=party.id, created_at=time.time(), **_values(party))
    )
    return True


def delete(connection: Connection, party_id: str) -> bool:
    revision.bump(connection, revision.AGREEMENTS)
    return connection.execute(parties.delete().where(parties.c.id == party_id)).rowcount > 0


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def put_agreement(connection: Connection, agreement: PairAgreement) -> None:
    revision.bump(connection, revision.AGREEMENTS)
    a, b = _key(*sorted(agreement.parties))
    connection.execute(
        agreements.delete().where(agreements.c.party_a == a, agreements.c.party_b == b)
    )
    connection.execute(
        agreements.insert().values(
            party_a=a,
            party_b=b,
            horizontal_m=agreement.minima.horizontal,
            vertical_m=agreement.minima.vertical,
            time_s=agreement.minima.time,
            minimum_notice_s=agreement.minimum_notice_s,
        )
    )


def list_agreements(connection: Connection) -> list[PairAgreement]:
    return [
        PairAgreement(
            frozenset((r.party_a, r.party_b)),
            Minima(r.horizontal_m, r.vertical_m, r.time_s),
            r.minimum_notice_s,
        )
        for r in connection.execute(sa.select(agreements))
    ]
