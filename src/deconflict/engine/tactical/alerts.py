"""Alerts: findings of each cycle turned into alerts that open, update and close calmly.

A finding is what one cycle saw (a predicted loss for a pair, a deviation of an
aircraft). Tracks are noisy, so an alert opens only after its finding held for
`open_after` consecutive cycles (at once when severe), and closes only after
`close_after` consecutive cycles without it: no flapping on a duty officer's screen.
The alert's id is fixed when it opens and kept through updates to its close.

Alert events go to an `AlertSink`: the notice channel will implement it (deliver to both
parties, await acknowledgement); tests use `CollectingSink`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum
from typing import Any, Protocol

import numpy as np

from deconflict.engine.tactical.conformance import Deviation, DeviationKind
from deconflict.engine.tactical.detector import PredictedConflicts
from deconflict.engine.tactical.motion import positions_at
from deconflict.engine.tactical.state import TrackStates

WARNING_WITHIN_S = 120.0
"""A predicted loss this close is a warning; further out, an advisory."""


class AlertKind(StrEnum):
    PREDICTED_LOSS = "predicted_loss"
    """Separation will be lost within the look-ahead."""
    LOSS = "loss"
    """Separation is lost now."""
    NON_CONFORMANCE = "non_conformance"
    INCURSION = "incursion"


class Severity(IntEnum):
    ADVISORY = 1
    WARNING = 2
    CRITICAL = 3


class EventType(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Finding:
    """What one cycle saw; `key` identifies the situation across cycles."""

    key: tuple[str, ...]
    kind: AlertKind
    severity: Severity
    aircraft: tuple[str, ...]
    parties: tuple[str, ...]
    geometry: Mapping[str, Any]
    """GeoJSON geometry (Point or LineString, lon/lat) for the map."""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Alert:
    """An open (or just closed) alert: the latest finding and its history in brief."""

    id: str
    kind: AlertKind
    severity: Severity
    aircraft: tuple[str, ...]
    parties: tuple[str, ...]
    geometry: Mapping[str, Any]
    details: Mapping[str, Any]
    opened_at: float
    updated_at: float
    closed_at: float | None = None
    worst: Severity = Severity.ADVISORY


@dataclass(frozen=True, slots=True)
class AlertEvent:
    type: EventType
    alert: Alert
    time: float


class AlertSink(Protocol):
    """Where alert events go; the notice channel implements it (one method, no session)."""

    def send(self, event: AlertEvent) -> None: ...


class CollectingSink:
    """Keeps every event in a list: for tests and the CLI replay."""

    def __init__(self) -> None:
        self.events: list[AlertEvent] = []

    def send(self, event: AlertEvent) -> None:
        self.events.append(event)


def alert_dict(alert: Alert) -> dict[str, Any]:
    """The alert as JSON-ready values (what is stored and sent)."""
    return {
        "id": alert.id,
        "kind": str(alert.kind),
        "severity": int(alert.severity),
        "worst": int(alert.worst),
        "aircraft": list(alert.aircraft),
        "parties": list(alert.parties),
        "geometry": dict(alert.geometry),
        "details": dict(alert.details),
        "opened_at": alert.opened_at,
        "updated_at": alert.updated_at,
        "closed_at": alert.closed_at,
    }


def alert_from_dict(data: Mapping[str, Any]) -> Alert:
    """The inverse of `alert_dict`."""
    return Alert(
        str(data["id"]),
        AlertKind(data["kind"]),
        Severity(data["severity"]),
        tuple(data["aircraft"]),
        tuple(data["parties"]),
        dict(data["geometry"]),
        dict(data["details"]),
        float(data["opened_at"]),
        float(data["updated_at"]),
        None if data.get("closed_at") is None else float(data["closed_at"]),
        Severity(data["worst"]),
    )


def _alert_id(key: tuple[str, ...], opened_at: float) -> str:
    """Stable and reproducible: the same replay gives the same ids."""
    text = "\x1f".join((*key, f"{opened_at:.3f}"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(slots=True)
class _Watch:
    seen: int = 0
    missed: int = 0
    alert: Alert | None = None


class AlertTracker:
    """Hysteresis over findings; emits events to `sink` and returns them."""

    def __init__(
        self,
        sink: AlertSink | None = None,
        *,
        open_after: int = 2,
        close_after: int = 3,
        open_at_once: Severity = Severity.CRITICAL,
    ) -> None:
        if open_after < 1 or close_after < 1:
            raise ValueError("open_after and close_after count cycles: at least 1 each")
        self.sink = sink
        self.open_after = open_after
        self.close_after = close_after
        self.open_at_once = open_at_once
        self._watches: dict[tuple[str, ...], _Watch] = {}

    def export_state(self) -> list[dict[str, Any]]:
        """The hysteresis as JSON-ready values: a service keeps it between cycles in its
        store, so whichever process runs the next cycle carries on (`restore_state`)."""
        return [
            {
                "key": list(key),
                "seen": w.seen,
                "missed": w.missed,
                "alert": None if w.alert is None else alert_dict(w.alert),
            }
            for key, w in self._watches.items()
        ]

    def restore_state(self, state: Iterable[Mapping[str, Any]]) -> None:
        """Replace the hysteresis with one `export_state` gave."""
        self._watches = {
            tuple(item["key"]): _Watch(
                int(item["seen"]),
                int(item["missed"]),
                None if item.get("alert") is None else alert_from_dict(item["alert"]),
            )
            for item in state
        }

    @property
    def open_alerts(self) -> list[Alert]:
        return [w.alert for w in self._watches.values() if w.alert is not None]

    def update(self, now: float, findings: Iterable[Finding]) -> list[AlertEvent]:
        """Fold one cycle's findings in (all of them: absence counts as clear)."""
        events: list[AlertEvent] = []
        current = {f.key: f for f in findings}
        for key, finding in current.items():
            watch = self._watches.setdefault(key, _Watch())
            watch.seen += 1
            watch.missed = 0
            if watch.alert is None:
                if watch.seen >= self.open_after or finding.severity >= self.open_at_once:
                    watch.alert = Alert(
                        _alert_id(key, now),
                        finding.kind,
                        finding.severity,
                        finding.aircraft,
                        finding.parties,
                        finding.geometry,
                        finding.details,
                        now,
                        now,
                        worst=finding.severity,
                    )
                    events.append(AlertEvent(EventType.OPENED, watch.alert, now))
            else:
                old = watch.alert
                watch.alert = replace(
                    old,
                    kind=finding.kind,
                    severity=finding.severity,
                    geometry=finding.geometry,
                    details=finding.details,
                    updated_at=now,
                    worst=max(old.worst, finding.severity),
                )
                if finding.kind != old.kind or finding.severity != old.severity:
                    events.append(AlertEvent(EventType.UPDATED, watch.alert, now))
        for key in [k for k in self._watches if k not in current]:
            watch = self._watches[key]
            watch.seen = 0
            watch.missed += 1
            if watch.alert is None:
                del self._watches[key]
            elif watch.missed >= self.close_after:
                closed = replace(watch.alert, closed_at=now)
                events.append(AlertEvent(EventType.CLOSED, closed, now))
                del self._watches[key]
        if self.sink is not None:
            for event in events:
                self.sink.send(event)
        return events


def conflict_findings(states: TrackStates, conflicts: PredictedConflicts) -> list[Finding]:
    """One finding per pair: loss now (critical) or predicted (warning/advisory), with a
    line between the two aircraft at the closest point of approach."""
    if len(conflicts) == 0:
        return []
    at_cpa = states.now + conflicts.cpa_time
    lon_a, lat_a, _ = positions_at(states, at_cpa, conflicts.i)
    lon_b, lat_b, _ = positions_at(states, at_cpa, conflicts.j)
    findings = []
    for k in range(len(conflicts)):
        i, j = int(conflicts.i[k]), int(conflicts.j[k])
        a, b = str(states.aircraft[i]), str(states.aircraft[j])
        if b < a:
            i, j, a, b = j, i, b, a
        ttl = float(conflicts.time_to_loss[k])
        now = ttl == 0.0
        severity = (
            Severity.CRITICAL
            if now
            else Severity.WARNING
            if ttl <= WARNING_WITHIN_S
            else Severity.ADVISORY
        )
        ends = [[float(lon_a[k]), float(lat_a[k])], [float(lon_b[k]), float(lat_b[k])]]
        if str(states.aircraft[int(conflicts.i[k])]) != a:
            ends.reverse()
        findings.append(
            Finding(
                ("separation", a, b),
                AlertKind.LOSS if now else AlertKind.PREDICTED_LOSS,
                severity,
                (a, b),
                (states.party_of(i), states.party_of(j)),
                {"type": "LineString", "coordinates": ends},
                {
                    "time_to_loss": ttl,
                    "cpa_time": float(conflicts.cpa_time[k]),
                    "cpa_horizontal": float(conflicts.cpa_horizontal[k]),
                    "cpa_vertical": float(conflicts.cpa_vertical[k]),
                    "horizontal_now": float(conflicts.horizontal_now[k]),
                    "vertical_now": float(conflicts.vertical_now[k]),
                    "horizontal_minimum": float(conflicts.horizontal_minimum[k]),
                    "vertical_minimum": float(conflicts.vertical_minimum[k]),
                },
            )
        )
    return findings


def deviation_findings(deviations: Iterable[Deviation]) -> list[Finding]:
    """One finding per deviation: incursions are critical, non-conformance a warning."""
    findings = []
    for d in deviations:
        incursion = d.kind is DeviationKind.INCURSION
        findings.append(
            Finding(
                (d.kind.value, d.aircraft, d.declaration),
                AlertKind.INCURSION if incursion else AlertKind.NON_CONFORMANCE,
                Severity.CRITICAL if incursion else Severity.WARNING,
                (d.aircraft,),
                (d.party, d.owner),
                {"type": "Point", "coordinates": [d.lon, d.lat, d.alt]},
                {
                    "declaration": d.declaration,
                    "axis": d.axis.value if d.axis else None,
                    "excess": float(np.round(d.excess, 3)),
                },
            )
        )
    return findings
