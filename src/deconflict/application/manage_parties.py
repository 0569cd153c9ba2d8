"""Administer parties and the agreements between them (admin scope)."""

from __future__ import annotations

from deconflict.application.hub import ADMIN, READ, Caller, Hub
from deconflict.channel import outbox
from deconflict.model.agreement import PairAgreement
from deconflict.model.errors import InvalidRequest, NotFound
from deconflict.model.party import Party
from deconflict.store import party as party_store


def put_party(hub: Hub, caller: Caller, party: Party) -> bool:
    """Create or replace a party; True when created."""
    caller.require(ADMIN)
    with hub.database.write() as connection:
        created = party_store.put(connection, party)
        outbox.recorded(connection, "party.changed", caller.subject, [party.id], {}, hub.clock())
        return created


def get_party(hub: Hub, caller: Caller, party_id: str) -> Party:
    """A party's record: its own members and administrators see it."""
    caller.require(READ)
    if not caller.is_admin and caller.party != party_id:
        raise NotFound(f"no party {party_id}", id=party_id)
    with hub.database.read() as connection:
        party = party_store.get(connection, party_id)
    if party is None:
        raise NotFound(f"no party {party_id}", id=party_id)
    return party


def list_parties(hub: Hub, caller: Caller) -> list[Party]:
    caller.require(READ)
    with hub.database.read() as connection:
        return party_store.list_all(connection)


def delete_party(hub: Hub, caller: Caller, party_id: str) -> None:
    caller.require(ADMIN)
    with hub.database.write() as connection:
        if not party_store.delete(connection, party_id):
            raise NotFound(f"no party {party_id}", id=party_id)


def put_agreement(hub: Hub, caller: Caller, agreement: PairAgreement) -> None:
    caller.require(ADMIN)
    if len(agreement.parties) != 2:
        raise InvalidRequest("an agreement is between two different parties", pointer="/parties")
    agreement.check()
    with hub.database.write() as connection:
        for party_id in agreement.parties:
            if party_store.get(connection, party_id) is None:
                raise NotFound(f"no party {party_id}", id=party_id)
        party_store.put_agreement(connection, agreement)
        pair = sorted(agreement.parties)
        outbox.recorded(connection, "agreement.changed", caller.subject, pair, {}, hub.clock())


def list_agreements(hub: Hub, caller: Caller) -> list[PairAgreement]:
    """Agreements the caller is party to (all of them for an administrator)."""
    caller.require(READ)
    with hub.database.read() as connection:
        agreements = party_store.list_agreements(connection)
    return [a for a in agreements if caller.is_admin or caller.party in a.parties]
