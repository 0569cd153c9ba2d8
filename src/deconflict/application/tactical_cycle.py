"""The tactical cycle: every second, live tracks in, alerts out (stored, and to sinks).

One cycle (`TacticalCycle.run_once`):

1. take or renew the lease (`store.track.acquire`): of several API worker processes,
   only the holder runs cycles; the others try again each period and take over when
   the holder stops renewing (crash, shutdown) for `LEASE_S`;
2. read the live states (reported at most `MAX_AGE_S` before now), the agreements
   (per party pair minima), the operations the aircraft are attributed to, the zones and
   lines in force, and the alert hysteresis the previous cycle left;
3. run `engine.tactical`: `Detector` (predicted and actual losses of separation),
   `ConformanceMonitor` (outside its operation; inside another party's zone or line),
   `AlertTracker` (open, update, close with hysteresis);
4. in one write transaction, fenced by the lease term (a cycle from a worker that lost
   the lease writes nothing): keep the hysteresis, hand every alert event to each sink
   (`StoreSink` stores it; a notices sink plugs in beside it), forget aircraft silent
   for an hour;
5. optionally, set an activated operation `nonconforming` when a non-conformance alert
   opens for it, and back to `activated` when its last one closes.

Nothing process-local is needed for correctness: the hysteresis lives in the lease row,
and the compiled declarations kept between cycles are a cache of the store.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Connection

from deconflict.application import dss_native_notify, policy
from deconflict.application.hub import Hub
from deconflict.channel import outbox
from deconflict.engine.tactical.alerts import (
    AlertEvent,
    AlertKind,
    AlertSink,
    AlertTracker,
    EventType,
    alert_dict,
    conflict_findings,
    deviation_findings,
)
from deconflict.engine.tactical.conformance import ConformanceMonitor
from deconflict.engine.tactical.detector import DEFAULT_MINIMA, Detector
from deconflict.engine.tactical.state import MAX_AGE_S, TrackStates, states_from_columns
from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.declaration import Declaration
from deconflict.geo.separation import Minima
from deconflict.model.errors import StaleVersion
from deconflict.model.operation_state import OperationState
from deconflict.model.track import TrackState
from deconflict.store import operation as operation_store
from deconflict.store import track as track_store
from deconflict.store import zone as zone_store

PERIOD_S = 1.0
LEASE_S = 5.0
"""A holder that has not renewed for this long is taken over."""
FORGET_AFTER_S = 3600.0
log = logging.getLogger("deconflict.tactical")

SinkFactory = Callable[[Connection], AlertSink]
"""Makes a sink for one cycle's write transaction: a sink that writes (the store, a
notices outbox) does so in that transaction, so an event is kept and sent, or neither."""


class StoreSink:
    """The default sink: every event stored (`tactical_alerts`, `alert_events`)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def send(self, event: AlertEvent) -> None:
        track_store.save_alert_event(
            self.connection, str(event.type), event.time, alert_dict(event.alert)
        )


class NoticeSink:
    """Alerts that open or close become notices to the parties of both aircraft (the
    channel's outbox, in the cycle's transaction). Updates do not: an alert is updated
    every cycle it holds, and duty officers need the change of state, not a stream."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def send(self, event: AlertEvent) -> None:
        if event.type is EventType.UPDATED:
            return
        alert = event.alert
        parties = sorted({p for p in alert.parties if p})
        if not parties:
            return  # aircraft no party answers for: shown on the map, told to no one
        details = alert.details
        facts: dict[str, Any] = {
            "kind": str(alert.kind),
            "severity": str(alert.severity),
            "aircraft": " – ".join(alert.aircraft),
            "detail": f"{alert.kind} ({alert.severity}): {' – '.join(alert.aircraft)}",
        }
        for key in ("cpa_horizontal", "cpa_vertical", "time_to_loss", "cpa_time"):
            if isinstance(details.get(key), int | float):
                facts[key] = float(details[key])
        outbox.alert(
            self.connection,
            alert=alert.id,
            parties=parties,
            about=alert.aircraft,
            facts=facts,
            now=event.time,
            closed=event.type is EventType.CLOSED,
        )


@dataclass(frozen=True)
class CycleResult:
    """What one cycle saw and did."""

    now: float
    tracks: int
    conflicts: int
    deviations: int
    events: tuple[AlertEvent, ...]
    term: int


def track_states(now: float, states: Sequence[TrackState]) -> TrackStates:
    """The engine's columns for stored states."""
    return states_from_columns(
        now,
        [s.aircraft for s in states],
        [s.party for s in states],
        [s.lon for s in states],
        [s.lat for s in states],
        [s.alt for s in states],
        [s.ground_speed for s in states],
        [s.track for s in states],
        [s.vertical_rate for s in states],
        time=[s.time for s in states],
        operation=[s.operation for s in states],
        reference=[AltitudeReference(s.reference) for s in states],
    )


def minima_rule(agreements: policy.Agreements) -> Callable[[str, str], Minima | None]:
    """Pair minima: the agreement's horizontal and vertical minima where two parties have
    one, else the tactical default; two aircraft of the same known party are that
    party's own business (as for plans), unknown aircraft are watched against everyone."""

    def rule(a: str, b: str) -> Minima | None:
        if a == b and a != "":
            return None
        agreement = agreements.pairs.get(frozenset((a, b)))
        if agreement is None:
            return DEFAULT_MINIMA
        return Minima(agreement.minima.horizontal, agreement.minima.vertical)

    return rule


class TacticalCycle:
    """Runs cycles for one worker process; safe to create in every worker."""

    def __init__(
        self,
        hub: Hub,
        *,
        holder: str | None = None,
        sinks: Sequence[SinkFactory] = (StoreSink, NoticeSink),
        open_after: int = 2,
        close_after: int = 3,
        lease_s: float = LEASE_S,
        set_nonconforming: bool = True,
    ) -> None:
        self.hub = hub
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.sinks = tuple(sinks)
        self.open_after, self.close_after = open_after, close_after
        self.lease_s = lease_s
        self.set_nonconforming = set_nonconforming
        self._monitor = ConformanceMonitor()
        self._watched: dict[str, tuple[str, int]] = {}
        self._detector: tuple[int, Detector] | None = None

    def _detector_for(self, agreements: policy.Agreements) -> Detector:
        if self._detector is None or self._detector[0] != agreements.revision:
            self._detector = (agreements.revision, Detector(minima_rule(agreements)))
        return self._detector[1]

    def _sync_monitor(self, declarations: dict[str, tuple[Declaration, int]]) -> None:
        """Compile only what changed since the last cycle (compiling is the slow part)."""
        for ident in [i for i in self._watched if i not in declarations]:
            self._monitor.remove(ident)
            del self._watched[ident]
        for ident, (declaration, version) in declarations.items():
            key = (str(declaration.kind), version)
            if self._watched.get(ident) != key:
                self._monitor.add(declaration)
                self._watched[ident] = key

    def _declarations(
        self, connection: Connection, states: Sequence[TrackState]
    ) -> dict[str, tuple[Declaration, int]]:
        found: dict[str, tuple[Declaration, int]] = {}
        for zone in zone_store.list_all(connection):
            if zone.in_force is not None and not zone.withdrawn:
                found[zone.id] = (zone.in_force, zone.in_force_version or zone.version)
        wanted = sorted({s.operation for s in states if s.operation})
        for operation in operation_store.get_many(connection, wanted):
            if operation.in_force:
                found[operation.id] = (operation.declaration, operation.version)
        return found

    def run_once(self) -> CycleResult | None:
        """One cycle at the hub's current time; None when another worker holds the lease,
        already ran this instant, or there is nothing to watch."""
        now = self.hub.clock()
        with self.hub.database.read() as connection:
            watches, _ = track_store.watches(connection)
            if not watches and not track_store.any_live(connection, now - MAX_AGE_S):
                return None  # nothing to watch and nothing open: no writes on an idle hub
        with self.hub.database.write() as connection:
            term = track_store.acquire(connection, self.holder, now, self.lease_s)
        if term is None:
            return None
        with self.hub.database.read() as connection:
            watches, last = track_store.watches(connection)
            if last >= now:
                return None
            live = track_store.live(connection, now - MAX_AGE_S, now)
            agreements = policy.load(connection)
            declarations = self._declarations(connection, live)
        states = track_states(now, live)
        self._sync_monitor(declarations)
        conflicts = self._detector_for(agreements).detect(states)
        deviations = self._monitor.check(states)
        findings = conflict_findings(states, conflicts) + deviation_findings(deviations)
        tracker = AlertTracker(open_after=self.open_after, close_after=self.close_after)
        tracker.restore_state(watches)
        events = tracker.update(now, findings)
        with self.hub.database.write() as connection:
            state = tracker.export_state()
            if not track_store.finish_cycle(
                connection, self.holder, term, now, self.lease_s, state
            ):
                return None  # the lease moved on while this cycle computed: drop it
            for factory in self.sinks:
                sink = factory(connection)
                for event in events:
                    sink.send(event)
            track_store.prune(connection, now - FORGET_AFTER_S)
        if self.set_nonconforming:
            self._conformance_states(events, tracker, now)
        return CycleResult(now, len(states), len(conflicts), len(deviations), tuple(events), term)

    def _conformance_states(
        self, events: Sequence[AlertEvent], tracker: AlertTracker, now: float
    ) -> None:
        """activated → nonconforming when an alert opens; back when the last one closes."""
        still = {
            a.details.get("declaration")
            for a in tracker.open_alerts
            if a.kind is AlertKind.NON_CONFORMANCE
        }
        moves: dict[str, tuple[OperationState, OperationState]] = {}
        for event in events:
            if event.alert.kind is not AlertKind.NON_CONFORMANCE:
                continue
            ident = str(event.alert.details.get("declaration"))
            if event.type is EventType.OPENED:
                moves[ident] = (OperationState.ACTIVATED, OperationState.NONCONFORMING)
            elif event.type is EventType.CLOSED and ident not in still:
                moves[ident] = (OperationState.NONCONFORMING, OperationState.ACTIVATED)
        for ident, (source, target) in sorted(moves.items()):
            try:
                with self.hub.database.write() as connection:
                    current = operation_store.get(connection, ident)
                    if current is None or current.state is not source:
                        continue
                    changed = replace(
                        current, version=current.version + 1, state=target, updated_at=now
                    )
                    operation_store.replace(connection, changed, current.version, None)
                    dss_native_notify.changed(connection, current, changed, now)
            except StaleVersion:  # its owner changed it meanwhile: next event decides
                log.info("operation %s changed during the cycle; state left as is", ident)

    def release(self) -> None:
        """Give the lease up so another worker takes over without waiting."""
        with self.hub.database.write() as connection:
            track_store.release(connection, self.holder)


class TacticalLoop:
    """Runs `cycle` every `period` seconds in a daemon thread, until `stop`."""

    def __init__(self, cycle: TacticalCycle, period: float = PERIOD_S) -> None:
        self.cycle = cycle
        self.period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tactical-cycle", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while True:
            now = self.cycle.hub.clock()
            wait = math.floor(now / self.period + 1.0) * self.period - now
            if self._stop.wait(wait):
                return
            try:
                self.cycle.run_once()
            except Exception:  # a failed cycle is retried next period; never kill the app
                log.exception("tactical cycle failed")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            self.cycle.release()
        except Exception:  # shutting down: the lease simply expires
            log.exception("could not release the tactical lease")
