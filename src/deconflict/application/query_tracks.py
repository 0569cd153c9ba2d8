"""Read live tracks and tactical alerts within need-to-know.

Tracks, as operations (`model.visibility`): a party sees its own aircraft and those its
feeds reported in full; another party's aircraft only inside its area of interest, and
then without callsign or operation unless the owner granted it full detail. Unknown
aircraft (attributed to no party) are everybody's concern: shown to every reader inside
its area of interest. Administrators see everything.

Alerts are shown to the two parties they involve, and to administrators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy.engine import Connection

from deconflict.application.hub import READ, Caller, Hub
from deconflict.engine.tactical.state import MAX_AGE_S
from deconflict.model.party import DetailLevel, Party
from deconflict.model.track import TrackState
from deconflict.model.visibility import detail_for
from deconflict.store import party as party_store
from deconflict.store import track as track_store

MAX_LOOK_BACK_S = 3600.0


@dataclass(frozen=True)
class SeenTrack:
    state: TrackState
    detail: DetailLevel
    live: bool
    """Reported at most `MAX_AGE_S` ago: used by the cycle (older ones are a silent feed)."""


class _Viewer:
    def __init__(self, connection: Connection, caller: Caller) -> None:
        self.caller = caller
        self.connection = connection
        self.parties: dict[str, Party | None] = {}
        self.me = self._party(caller.party) if caller.party else None

    def _party(self, ident: str) -> Party | None:
        if ident not in self.parties:
            self.parties[ident] = party_store.get(self.connection, ident)
        return self.parties[ident]

    def detail(self, state: TrackState) -> DetailLevel | None:
        mine = self.caller.party is not None and self.caller.party in (state.party, state.source)
        if self.caller.is_admin or mine:
            return DetailLevel.FULL
        if self.me is None:
            return None
        point = shapely.Point(state.lon, state.lat)
        if state.party == "":
            area = self.me.area_of_interest
            return DetailLevel.FULL if area is None or area.intersects(point) else None
        return detail_for(
            viewer=self.me,
            viewer_is_admin=False,
            owner=self._party(state.party),
            owner_id=state.party,
            footprint=point,
        )


def visible_tracks(
    hub: Hub,
    caller: Caller,
    *,
    max_age: float = MAX_AGE_S,
    area: shapely.Geometry | None = None,
) -> list[SeenTrack]:
    """Latest states reported within `max_age` seconds, that the caller may see."""
    caller.require(READ)
    now = hub.clock()
    max_age = max(0.0, min(max_age, MAX_LOOK_BACK_S))
    with hub.database.read() as connection:
        viewer = _Viewer(connection, caller)
        seen = []
        for state in track_store.live(connection, now - max_age, now + 60.0):
            if area is not None and not area.intersects(shapely.Point(state.lon, state.lat)):
                continue
            detail = viewer.detail(state)
            if detail is not None:
                seen.append(SeenTrack(state, detail, now - state.time <= MAX_AGE_S))
    return seen


def list_alerts(
    hub: Hub, caller: Caller, *, open_only: bool = True, limit: int = 100
) -> list[dict[str, Any]]:
    """Alerts involving the caller's party (all for administrators), newest first."""
    caller.require(READ)
    party = None if caller.is_admin else caller.own_party()
    with hub.database.read() as connection:
        return track_store.alerts(connection, party=party, open_only=open_only, limit=limit)


def alert_events_after(
    hub: Hub, caller: Caller, seq: int | None, limit: int = 500
) -> tuple[int, list[tuple[int, str, float, dict[str, Any]]]]:
    """Alert events after `seq` for the caller (from the newest when None), and the
    sequence number to continue from."""
    caller.require(READ)
    party = None if caller.is_admin else caller.own_party()
    with hub.database.read() as connection:
        if seq is None:
            return track_store.last_event(connection), []
        events = track_store.events_after(connection, seq, party=party, limit=limit)
        if events:
            return events[-1][0], events
        return seq, []
