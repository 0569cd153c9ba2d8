"""Who hears of a new operation follows the areas of interest in force when it is
written, even when the submitting process last read them before they changed."""

from __future__ import annotations

import time

import shapely
import sqlalchemy as sa

from deconflict.application.hub import ADMIN, WRITE, Caller, Hub
from deconflict.application.manage_parties import put_agreement, put_party
from deconflict.application.submit_operation import submit_operation
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.outline import Circle
from deconflict.geo.separation import Minima
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume
from deconflict.model.agreement import PairAgreement
from deconflict.model.party import Party
from deconflict.store.backend import connect
from deconflict.store.channel_tables import notices
from deconflict.store.migrate import upgrade

ADMIN_CALLER = Caller("admin", None, frozenset({ADMIN}))
NORTH = shapely.box(30.0, 40.0, 40.0, 50.0)
SOUTH = shapely.box(30.0, 20.0, 40.0, 30.0)


def operation(ident: str, lat: float) -> Declaration:
    start = time.time() + 7200
    volume = Volume(
        Circle((35.0, lat), 1000.0), AltitudeBand(0.0, 100.0), TimeWindow(start, start + 600)
    )
    return Declaration(ident, "alpha", Kind.OPERATION, (volume,))


def told(hub: Hub, operation_id: str) -> set[str]:
    with hub.database.read() as connection:
        rows = connection.execute(sa.select(notices.c.recipient, notices.c.about)).all()
    return {r.recipient for r in rows if operation_id in r.about}


def test_a_changed_area_of_interest_counts_at_once(database_url: str) -> None:
    hub = Hub(connect(database_url))
    upgrade(hub.database)
    put_party(hub, ADMIN_CALLER, Party("alpha", "Alpha"))
    put_party(hub, ADMIN_CALLER, Party("bravo", "Bravo", area_of_interest=NORTH))
    put_party(hub, ADMIN_CALLER, Party("charlie", "Charlie", area_of_interest=SOUTH))
    for other in ("bravo", "charlie"):
        minima = Minima(100.0, 30.0, 0.0)
        put_agreement(hub, ADMIN_CALLER, PairAgreement(frozenset({"alpha", other}), minima))
    alpha = Caller("alpha-planner", "alpha", frozenset({WRITE}))

    submit_operation(hub, alpha, operation("op-north-1", 45.0))  # this process reads the areas
    assert told(hub, "op-north-1") == {"bravo"}

    # Bravo now watches the south, Charlie the north: the next plan in the north is
    # Charlie's to hear of, though the process's copy of the areas predates the change.
    put_party(hub, ADMIN_CALLER, Party("bravo", "Bravo", area_of_interest=SOUTH))
    put_party(hub, ADMIN_CALLER, Party("charlie", "Charlie", area_of_interest=NORTH))
    submit_operation(hub, alpha, operation("op-north-2", 45.2))
    assert told(hub, "op-north-2") == {"charlie"}
