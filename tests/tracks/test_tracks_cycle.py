"""The tactical cycle on both backends, with a clock the test moves (nothing sleeps):
alerts open, are stored and close; operations become non-conforming and recover;
incursions; and of several workers exactly one runs each cycle."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from service_helpers import CENTRE, moved
from sqlalchemy.engine import Connection
from tracks_helpers import (
    Flight,
    caller,
    circle_operation,
    head_on,
    hub_with_clock,
    square_zone,
)

from deconflict.application.change_state import change_state
from deconflict.application.declare_zone import declare_zone
from deconflict.application.ingest_tracks import ingest_tracks
from deconflict.application.submit_operation import submit_operation
from deconflict.application.tactical_cycle import LEASE_S, StoreSink, TacticalCycle
from deconflict.engine.tactical.alerts import AlertEvent
from deconflict.model.operation_state import OperationState
from deconflict.store import operation as operation_store
from deconflict.store import track as track_store
from deconflict.store.backend import Database
from deconflict.store.channel_tables import notices

RED, BLUE = caller("red"), caller("blue")


def _events(database: Database) -> list[tuple[str, str]]:
    with database.read() as connection:
        return [
            (kind, a["kind"])
            for _, kind, _, a in track_store.events_after(connection, 0, party=None)
        ]


def test_predicted_loss_opens_updates_is_stored_and_closes(database: Database) -> None:
    hub, clock = hub_with_clock(database)
    west, east = head_on(clock.now, separation_m=20_000.0)
    west = Flight(**{**west.__dict__, "extra": {"own": True}})
    east = Flight(**{**east.__dict__, "extra": {"own": True}})
    cycle = TacticalCycle(hub, holder="only", open_after=2, close_after=3)
    opened_at = None
    for _ in range(8):
        answer = ingest_tracks(hub, RED, [west.report(clock.now)])
        assert answer.accepted == 1, answer.errors
        assert ingest_tracks(hub, BLUE, [east.report(clock.now)]).accepted == 1
        result = cycle.run_once()
        assert result is not None and result.tracks == 2
        if result.events and opened_at is None:
            opened_at = clock.now
        clock.tick()
    assert opened_at is not None
    with database.read() as connection:
        (alert,) = track_store.alerts(connection, party="red")
        assert track_store.alerts(connection, party="blue") == [alert]
        assert track_store.alerts(connection, party="green") == []
    assert alert["aircraft"] == ["aaa001", "bbb002"]
    assert alert["parties"] == ["red", "blue"]
    assert alert["opened_at"] == opened_at and alert["closed_at"] is None
    assert alert["details"]["horizontal_minimum"] == 9260.0
    assert alert["geometry"]["type"] == "LineString"
    # 20 km apart closing at 200 m/s: 5 NM is lost 53.7 s after the start.
    assert 0.0 < alert["details"]["time_to_loss"] < 60.0
    # Both stop reporting: the alert closes after 3 cycles without the finding (the
    # states age out after 20 s).
    for _ in range(25):
        clock.tick()
        cycle.run_once()
    with database.read() as connection:
        assert track_store.alerts(connection, party="red") == []
        (closed,) = track_store.alerts(connection, party="red", open_only=False)
    assert closed["id"] == alert["id"] and closed["closed_at"] is not None
    kinds = _events(database)
    assert kinds[0] == ("opened", "predicted_loss") and kinds[-1][0] == "closed"
    # Both parties were told, once when it opened and once when it closed (updates every
    # cycle in between are not notices).
    with database.read() as connection:
        rows = connection.execute(
            sa.select(notices.c.recipient, notices.c.facts).where(notices.c.kind == "alert")
        ).all()
    told = sorted((recipient, bool(facts["closed"])) for recipient, facts in rows)
    assert told == [("blue", False), ("blue", True), ("red", False), ("red", True)]


def test_only_one_worker_runs_each_cycle(database: Database) -> None:
    hub, clock = hub_with_clock(database)
    west, east = head_on(clock.now)
    workers = [TacticalCycle(hub, holder=f"worker-{k}") for k in range(2)]
    ran: list[list[str]] = []
    for _ in range(5):
        ingest_tracks(hub, RED, [west.report(clock.now), east.report(clock.now)])
        barrier = threading.Barrier(2)
        winners: list[str] = []

        def attempt(
            worker: TacticalCycle,
            barrier: threading.Barrier = barrier,
            winners: list[str] = winners,
        ) -> None:
            barrier.wait()
            if worker.run_once() is not None:
                winners.append(worker.holder)

        threads = [threading.Thread(target=attempt, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ran.append(winners)
        clock.tick()
    assert all(len(winners) == 1 for winners in ran), ran
    assert len({w for winners in ran for w in winners}) == 1  # the holder keeps renewing


def test_another_worker_takes_over_and_carries_the_alerts_on(database: Database) -> None:
    hub, clock = hub_with_clock(database)
    west, east = head_on(clock.now)
    first, second = TacticalCycle(hub, holder="first"), TacticalCycle(hub, holder="second")
    for _ in range(3):
        ingest_tracks(hub, RED, [west.report(clock.now), east.report(clock.now)])
        assert first.run_once() is not None
        assert second.run_once() is None  # the lease is first's
        clock.tick()
    opened = [e for e in _events(database) if e[0] == "opened"]
    assert len(opened) == 1
    # `first` dies: nobody renews; after the lease expires `second` takes over.
    clock.tick(LEASE_S)
    for _ in range(3):
        ingest_tracks(hub, RED, [west.report(clock.now), east.report(clock.now)])
        result = second.run_once()
        assert result is not None and result.term == 2
        assert first.run_once() is None
        clock.tick()
    # Same alert: the hysteresis came with the lease, so nothing opened twice.
    assert [e for e in _events(database) if e[0] == "opened"] == opened
    with database.read() as connection:
        # A cycle computed under the old term writes nothing.
        assert not track_store.finish_cycle(connection, "first", 1, clock.now + 99, 5.0, [])


def test_non_conformance_makes_the_operation_nonconforming_and_back(database: Database) -> None:
    hub, clock = hub_with_clock(database)
    operation = circle_operation("red-sortie", "red", clock.now, transponder="abc123")
    submit_operation(hub, RED, operation)
    change_state(hub, RED, "red-sortie", OperationState.ACTIVATED)
    cycle = TacticalCycle(hub, holder="only")
    inside = Flight("abc123", (36.0, 34.0), 0.0, 0.0, 1000.0, clock.now)
    outside = Flight("abc123", moved(CENTRE, 90.0, 4000.0), 0.0, 0.0, 1000.0, clock.now)

    def state() -> OperationState:
        with database.read() as connection:
            found = operation_store.get(connection, "red-sortie")
        assert found is not None
        return found.state

    for flight, cycles in ((inside, 2), (outside, 3), (inside, 4)):
        clock.tick(10.0)  # 4 km in 10 s: a fast aircraft, not a jump
        for _ in range(cycles):
            assert ingest_tracks(hub, BLUE, [flight.report(clock.now)]).accepted == 1
            cycle.run_once()
            clock.tick()
        if flight is outside:
            assert state() is OperationState.NONCONFORMING
    assert state() is OperationState.ACTIVATED
    with database.read() as connection:
        (alert,) = track_store.alerts(connection, party="red", open_only=False)
        (track,) = track_store.live(connection, 0, clock.now)
    assert (track.party, track.operation, track.source) == ("red", "red-sortie", "blue")
    assert alert["kind"] == "non_conformance" and alert["closed_at"] is not None
    assert alert["details"]["declaration"] == "red-sortie"
    assert alert["details"]["axis"] == "position"


def test_incursion_into_another_partys_zone(database: Database) -> None:
    hub, clock = hub_with_clock(database)
    declare_zone(hub, BLUE, square_zone("blue-zone", "blue", clock.now))
    cycle = TacticalCycle(hub, holder="only")
    red_aircraft = Flight("cc0001", (36.0, 34.0), 90.0, 50.0, 2000.0, clock.now, {"own": True})
    blue_aircraft = Flight("dd0002", (36.0, 34.01), 90.0, 50.0, 2000.0, clock.now)
    blue_aircraft = Flight(**{**blue_aircraft.__dict__, "extra": {"own": True}})
    for _ in range(2):
        ingest_tracks(hub, RED, [red_aircraft.report(clock.now)])
        ingest_tracks(hub, BLUE, [blue_aircraft.report(clock.now)])
        cycle.run_once()
        clock.tick()
    with database.read() as connection:
        found = track_store.alerts(connection, party="blue")
    incursions = [a for a in found if a["kind"] == "incursion"]
    (incursion,) = incursions  # blue's own aircraft in blue's zone is no incursion
    assert incursion["aircraft"] == ["cc0001"]
    assert incursion["parties"] == ["red", "blue"] and incursion["severity"] == 3


def test_sinks_share_the_cycles_transaction(database: Database) -> None:
    """A notices sink plugs in beside the store: it gets every event, in the same
    transaction, so a sink that fails leaves nothing stored and the cycle is redone."""
    hub, clock = hub_with_clock(database)
    west, east = head_on(clock.now)
    received: list[AlertEvent] = []
    failing = {"on": True}

    class Outbox:
        def __init__(self, connection: Connection) -> None:
            assert connection.in_transaction()

        def send(self, event: AlertEvent) -> None:
            if failing["on"]:
                raise RuntimeError("the outbox is full")
            received.append(event)

    cycle = TacticalCycle(hub, holder="only", sinks=(StoreSink, Outbox), open_after=1)
    ingest_tracks(hub, RED, [west.report(clock.now), east.report(clock.now)])
    with pytest.raises(RuntimeError):
        cycle.run_once()
    assert _events(database) == [] and received == []
    failing["on"] = False
    result = cycle.run_once()  # the same instant again: it was not recorded as done
    assert result is not None and len(result.events) == 1
    assert [(str(e.type), str(e.alert.kind)) for e in received] == _events(database)
