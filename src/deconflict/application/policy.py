"""The agreements in force, read in the same transaction as the check that uses them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from deconflict.geo.separation import SeparationPolicy
from deconflict.model.agreement import PairAgreement, separation_policy
from deconflict.store import party as party_store


@dataclass(frozen=True)
class Agreements:
    """All pair agreements, and the engine's policy derived from them."""

    pairs: dict[frozenset[str], PairAgreement]
    policy: SeparationPolicy
    parties: tuple[str, ...]

    def minimum_notice(self, a: str, b: str) -> float:
        agreement = self.pairs.get(frozenset((a, b)))
        return agreement.minimum_notice_s if agreement else 0.0


def load(connection: Connection) -> Agreements:
    agreements = party_store.list_agreements(connection)
    parties = tuple(p.id for p in party_store.list_all(connection))
    return Agreements({a.parties: a for a in agreements}, separation_policy(agreements), parties)
