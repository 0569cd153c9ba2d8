"""Read operations within need-to-know: one, a page of them, or one's history."""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from sqlalchemy.engine import Connection

from deconflict.application.hub import READ, Caller, Hub
from deconflict.geo.footprint import footprint
from deconflict.model.errors import NotFound
from deconflict.model.operation import Operation
from deconflict.model.operation_state import OperationState
from deconflict.model.party import DetailLevel, Party
from deconflict.model.visibility import detail_for
from deconflict.store import operation as operation_store
from deconflict.store import party as party_store
from deconflict.store import space_index

MAX_PAGE = 500


@dataclass(frozen=True)
class Seen:
    """An operation and how much of it the caller may see."""

    operation: Operation
    detail: DetailLevel


class _Viewer:
    """Resolves parties once per request and decides visibility per operation."""

    def __init__(self, connection: Connection, caller: Caller) -> None:
        self.caller = caller
        self.parties: dict[str, Party | None] = {}
        self.connection = connection
        self.me = self._party(caller.party) if caller.party else None

    def _party(self, ident: str) -> Party | None:
        if ident not in self.parties:
            self.parties[ident] = party_store.get(self.connection, ident)
        return self.parties[ident]

    def detail(self, operation: Operation) -> DetailLevel | None:
        if self.caller.is_admin or operation.party == self.caller.party:
            return DetailLevel.FULL
        return detail_for(
            viewer=self.me,
            viewer_is_admin=False,
            owner=self._party(operation.party),
            owner_id=operation.party,
            footprint=footprint(operation.declaration),
        )


def get_operation(hub: Hub, caller: Caller, ident: str) -> Seen:
    caller.require(READ)
    with hub.database.read() as connection:
        operation = operation_store.get(connection, ident)
        detail = _Viewer(connection, caller).detail(operation) if operation else None
    if operation is None or detail is None:
        raise NotFound(f"no operation {ident}", id=ident)
    return Seen(operation, detail)


def list_operations(
    hub: Hub,
    caller: Caller,
    *,
    area: shapely.Geometry | None = None,
    start: float | None = None,
    end: float | None = None,
    party: str | None = None,
    states: list[OperationState] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Seen]:
    """Visible operations, filtered by area (lon/lat), time overlap, owner and state, in id
    order; `offset`/`limit` page through what the caller may see."""
    caller.require(READ)
    limit = max(1, min(limit, MAX_PAGE + 1))  # + 1: callers ask one more to see a next page
    with hub.database.read() as connection:
        viewer = _Viewer(connection, caller)
        ids = None
        if area is not None:
            lon_min, lat_min, lon_max, lat_max = area.bounds
            box = (lon_min, lat_min, -1e9, start if start is not None else -1e18)
            box += (lon_max, lat_max, 1e9, end if end is not None else 1e18)
            ids = [
                i
                for kind, i in space_index.owners_meeting(connection, [box])
                if kind == "operation"
            ]
        seen: list[Seen] = []
        skipped = 0
        batch_offset = 0
        while len(seen) < limit:
            batch = operation_store.search(
                connection,
                party=party,
                states=states,
                start=start,
                end=end,
                ids=ids,
                limit=MAX_PAGE,
                offset=batch_offset,
            )
            if not batch:
                break
            batch_offset += len(batch)
            for operation in batch:
                if area is not None and not area.intersects(footprint(operation.declaration)):
                    continue
                detail = viewer.detail(operation)
                if detail is None:
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                seen.append(Seen(operation, detail))
                if len(seen) == limit:
                    break
    return seen


def operation_history(hub: Hub, caller: Caller, ident: str) -> list[tuple[int, str, dict, float]]:
    """Every version of an operation: its owner and administrators only."""
    caller.require(READ)
    with hub.database.read() as connection:
        operation = operation_store.get(connection, ident)
        if operation is None or (operation.party != caller.party and not caller.is_admin):
            raise NotFound(f"no operation {ident}", id=ident)
        return operation_store.history(connection, ident)
