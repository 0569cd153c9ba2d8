"""The agreements in force, read in the same transaction as the check that uses them.

Parsed agreements are kept per database and reused while the store's agreements
revision is unchanged: one integer read per check instead of every party and pair
(the cache is only ever a copy of the store, so several processes stay correct).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Engine

from deconflict.geo.separation import SeparationPolicy
from deconflict.model.agreement import PairAgreement, separation_policy
from deconflict.store import party as party_store
from deconflict.store import revision


@dataclass(frozen=True)
class Agreements:
    """All pair agreements, and the engine's policy derived from them."""

    pairs: dict[frozenset[str], PairAgreement]
    policy: SeparationPolicy
    parties: tuple[str, ...]
    revision: int = 0
    """The store's agreements revision they were read at."""

    def minimum_notice(self, a: str, b: str) -> float:
        agreement = self.pairs.get(frozenset((a, b)))
        return agreement.minimum_notice_s if agreement else 0.0


_cache: weakref.WeakKeyDictionary[Engine, tuple[int, Agreements]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def recent(connection: Connection) -> Agreements:
    """The agreements this process last read from this database, without asking the
    store whether they still stand (or those in force, the first time): for a check a
    later transaction confirms with `load`."""
    with _cache_lock:
        cached = _cache.get(connection.engine)
    return cached[1] if cached is not None else load(connection)


def load(connection: Connection) -> Agreements:
    """The agreements as this transaction sees them."""
    number = revision.read(connection, revision.AGREEMENTS)
    with _cache_lock:
        cached = _cache.get(connection.engine)
    if cached is not None and cached[0] == number:
        return cached[1]
    agreements = party_store.list_agreements(connection)
    parties = tuple(p.id for p in party_store.list_all(connection))
    loaded = Agreements(
        {a.parties: a for a in agreements}, separation_policy(agreements), parties, number
    )
    with _cache_lock:
        _cache[connection.engine] = (number, loaded)
    return loaded
