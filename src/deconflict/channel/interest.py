"""Who is concerned by a footprint: parties whose area of interest it meets.

The parties' areas are read once and kept per database while the agreements revision
(bumped by every party change) stays the same, so the submit path can ask this before
it takes the write lock, with one integer read.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import shapely
from sqlalchemy.engine import Connection, Engine

from deconflict.store import party as party_store
from deconflict.store import revision


@dataclass(frozen=True)
class PartyLink:
    """What the channel needs of a party."""

    id: str
    area: shapely.Geometry | None
    webhook_url: str | None
    languages: tuple[str, ...]


_cache: weakref.WeakKeyDictionary[Engine, tuple[int, dict[str, PartyLink]]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def parties(connection: Connection, number: int | None = None) -> dict[str, PartyLink]:
    """Every party, as this transaction sees them (cached by revision; `number` is the
    agreements revision if the caller read it in this transaction already)."""
    if number is None:
        number = revision.read(connection, revision.AGREEMENTS)
    with _lock:
        cached = _cache.get(connection.engine)
    if cached is not None and cached[0] == number:
        return cached[1]
    links = {}
    for party in party_store.list_all(connection):
        area = party.area_of_interest
        if area is not None:
            shapely.prepare(area)
        links[party.id] = PartyLink(party.id, area, party.webhook_url, party.languages)
    with _lock:
        _cache[connection.engine] = (number, links)
    return links


def concerned(
    links: dict[str, PartyLink], owner: str, footprint: shapely.Geometry | None
) -> tuple[str, ...]:
    """Parties other than `owner` whose area of interest `footprint` meets (all of them
    for a party without an area, or when the footprint is unknown)."""
    found = []
    for link in links.values():
        if link.id == owner:
            continue
        if link.area is None or footprint is None or link.area.intersects(footprint):
            found.append(link.id)
    return tuple(sorted(found))
