"""Ingest live position reports: validate each, attribute it, keep the latest per aircraft.

A batch is never refused for a bad report: each report is checked alone and refused with
a reason (counted, and the first few explained with their index), and the good ones are
kept. Checks: the shape and units of the report (`parse_report`), values no aircraft
could have (`engine.tactical.state.check_values`), a time too far from the hub's clock
(stale or in the future), and against the aircraft's stored state: time going
backwards, duplicates, and jumps no aircraft could fly.

Attribution (DESIGN.md, Track): a report is attributed to an operation in force now
(± `ATTRIBUTION_WINDOW_S`), tried in this order: the operation id it names (one of the
reporting party's own), the transponder address declared in an operation's
`transponder` property, the callsign declared in its `callsign` property (compared
without spaces, upper case). Otherwise a report with ``"own": true`` is the reporting
party's aircraft without an operation, and any other is an unknown aircraft (party "").
An aircraft keeps its earlier attribution while nothing new matches.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.engine import Connection

from deconflict.application.hub import WRITE, Caller, Hub
from deconflict.engine.tactical.state import (
    JUMPS_BEFORE_RESET,
    MAX_IMPLIED_SPEED_MS,
    PositionReport,
    check_values,
    ground_distance,
)
from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.errors import InputError
from deconflict.geo.units import parse_time
from deconflict.model.operation import Operation
from deconflict.model.operation_state import IN_FORCE
from deconflict.model.track import TrackState
from deconflict.store import operation as operation_store
from deconflict.store import track as track_store

MAX_BATCH = 10_000
"""Reports per request (a 1 MB body holds about 5,000 anyway)."""
MAX_REPORT_AGE_S = 60.0
"""Older reports are refused (`stale`): the cycle would not use them, and a feed that
delivers them is lagging; its aircraft are shown as not live."""
MAX_FUTURE_S = 5.0
"""Reports later than the hub's clock by more than this are refused (`future`)."""
ATTRIBUTION_WINDOW_S = 3600.0
"""Operations starting or ending within this of now can claim aircraft (early or late
flights are attributed, and then reported as non-conforming in time)."""
EXPLAINED = 100
"""Refused reports explained one by one in the answer (the rest are only counted)."""

AIRCRAFT_ID = re.compile(r"^[A-Za-z0-9._:~-]{1,64}$")
_FIELDS = frozenset(
    {
        "aircraft",
        "time",
        "lon",
        "lat",
        "alt",
        "ground_speed",
        "track",
        "vertical_rate",
        "altitude_reference",
        "callsign",
        "operation",
        "own",
    }
)
_REQUIRED = ("aircraft", "time", "lon", "lat", "alt", "ground_speed", "track")


class ReportError(ValueError):
    """One report is refused: `reason` is the counted category, the message explains."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Incoming:
    """A report as read from a request, before attribution."""

    report: PositionReport
    operation: str | None
    own: bool


@dataclass
class IngestResult:
    """What became of a batch: counts by reason and the first refusals explained."""

    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    errors: list[tuple[int, str, str]] = field(default_factory=list)

    def refuse(self, index: int, error: ReportError) -> None:
        self.rejected[error.reason] += 1
        if len(self.errors) < EXPLAINED:
            self.errors.append((index, error.reason, str(error)))


def _number(item: Mapping[str, Any], name: str, default: float | None = None) -> float:
    value = item.get(name, default)
    if value is None:
        raise ReportError("malformed", f"{name} is missing")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReportError("malformed", f"{name} must be a number, not {value!r}"[:200])
    try:
        return float(value)
    except OverflowError:  # an integer with hundreds of digits
        raise ReportError("malformed", f"{name} is out of range") from None


def _text(item: Mapping[str, Any], name: str, longest: int) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value.strip()) <= longest:
        raise ReportError("malformed", f"{name} must be a string of 1–{longest} characters")
    return value.strip()


def parse_report(item: Any) -> Incoming:
    """One report from its JSON form (SI units; time RFC 3339 or POSIX seconds)."""
    if not isinstance(item, dict):
        raise ReportError("malformed", "a report is a JSON object")
    unknown = sorted(set(item) - _FIELDS)
    if unknown:
        raise ReportError("malformed", f"unknown field {unknown[0]!r}"[:200])
    missing = [name for name in _REQUIRED if item.get(name) is None]
    if missing:
        raise ReportError("malformed", f"{missing[0]} is missing")
    aircraft = item["aircraft"]
    if not isinstance(aircraft, str) or not AIRCRAFT_ID.match(aircraft):
        raise ReportError("malformed", "aircraft is 1–64 letters, digits and . _ : ~ -")
    if re.fullmatch(r"[0-9A-Fa-f]{6}", aircraft):
        aircraft = aircraft.lower()  # ICAO addresses compare in lower case, as feeds write
    raw_time = item["time"]
    if isinstance(raw_time, str):
        try:
            time = parse_time(raw_time)
        except (InputError, ValueError, OverflowError) as error:
            raise ReportError("malformed", f"time: {error}"[:200]) from None
    else:
        time = _number(item, "time")
    reference = AltitudeReference.STD
    if item.get("altitude_reference") is not None:
        try:
            reference = AltitudeReference.parse(str(item["altitude_reference"]))
        except (InputError, ValueError):
            raise ReportError("malformed", "altitude_reference is STD, AMSL or W84") from None
    own = item.get("own", False)
    if not isinstance(own, bool):
        raise ReportError("malformed", "own is true or false")
    report = PositionReport(
        time,
        aircraft,
        _number(item, "lon"),
        _number(item, "lat"),
        _number(item, "alt"),
        _number(item, "ground_speed"),
        _number(item, "track"),
        _number(item, "vertical_rate", 0.0),
        callsign=_text(item, "callsign", 16),
        reference=reference,
    )
    reason = check_values(report)
    if reason is not None:
        raise ReportError(str(reason), f"{reason} out of range or not a number")
    return Incoming(report, _text(item, "operation", 128), own)


def _key(callsign: str) -> str:
    return callsign.replace(" ", "").upper()


def _declared(operation: Operation, name: str) -> list[str]:
    value = operation.declaration.properties.get(name)
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if isinstance(v, str | int) and str(v).strip()]


class Directory:
    """Operations in force around now, by id, transponder address and callsign."""

    def __init__(self, operations: Sequence[Operation]) -> None:
        self.by_id = {o.id: o for o in operations}
        self.by_transponder: dict[str, Operation] = {}
        self.by_callsign: dict[str, Operation] = {}
        for operation in sorted(operations, key=lambda o: o.id):
            for address in _declared(operation, "transponder"):
                self.by_transponder.setdefault(address.strip().lower(), operation)
            for callsign in _declared(operation, "callsign"):
                self.by_callsign.setdefault(_key(callsign), operation)

    @classmethod
    def load(cls, connection: Connection, now: float) -> Directory:
        found: list[Operation] = []
        while True:
            page = operation_store.search(
                connection,
                states=sorted(IN_FORCE),
                start=now - ATTRIBUTION_WINDOW_S,
                end=now + ATTRIBUTION_WINDOW_S,
                limit=500,
                offset=len(found),
            )
            found += page
            if len(page) < 500:
                return cls(found)

    def match(self, aircraft: str, callsign: str | None) -> Operation | None:
        found = self.by_transponder.get(aircraft.lower())
        if found is None and callsign:
            found = self.by_callsign.get(_key(callsign))
        return found


def _attribute(
    connection: Connection,
    directory: Directory,
    caller: Caller,
    incoming: Incoming,
    previous: TrackState | None,
) -> tuple[str, str]:
    """(party, operation) for the report; ReportError when it names a wrong operation."""
    if incoming.operation is not None:
        operation = directory.by_id.get(incoming.operation) or operation_store.get(
            connection, incoming.operation
        )
        if operation is None or (operation.party != caller.party and not caller.is_admin):
            raise ReportError("operation", f"no operation {incoming.operation} of your party")
        return operation.party, operation.id
    callsign = incoming.report.callsign or (previous.callsign if previous else None)
    matched = directory.match(incoming.report.aircraft, callsign)
    if matched is not None:
        return matched.party, matched.id
    if incoming.own and caller.party:
        return caller.party, ""
    if previous is not None:
        return previous.party, previous.operation
    return "", ""


def _against_previous(report: PositionReport, previous: TrackState | None) -> int:
    """The jump count to store with `report`; ReportError when it must be refused."""
    if previous is None:
        return 0
    if report.time < previous.time:
        raise ReportError("backwards", "older than the aircraft's latest report")
    if report.time == previous.time:
        raise ReportError("duplicate", "same time as the aircraft's latest report")
    distance = ground_distance(previous.lon, previous.lat, report.lon, report.lat)
    too_far = distance > MAX_IMPLIED_SPEED_MS * (report.time - previous.time) + 100.0
    if too_far and previous.jumps + 1 < JUMPS_BEFORE_RESET:
        raise ReportError("jump", "too far from the previous position for the time elapsed")
    return 0


def ingest_tracks(hub: Hub, caller: Caller, items: Sequence[Any]) -> IngestResult:
    """Validate, attribute and keep a batch of reports (one transaction)."""
    caller.require(WRITE)
    result = IngestResult()
    now = hub.clock()
    parsed: list[tuple[int, Incoming]] = []
    for index, item in enumerate(items[:MAX_BATCH]):
        try:
            incoming = parse_report(item)
            age = now - incoming.report.time
            if age > MAX_REPORT_AGE_S:
                raise ReportError("stale", f"{age:.0f} s old (at most {MAX_REPORT_AGE_S:g})")
            if -age > MAX_FUTURE_S:
                raise ReportError("future", f"{-age:.1f} s ahead of the hub's clock")
            if incoming.own and caller.party is None:
                raise ReportError("malformed", "own needs a token that names a party")
        except ReportError as error:
            result.refuse(index, error)
            continue
        parsed.append((index, incoming))
    for index in range(MAX_BATCH, len(items)):
        result.refuse(index, ReportError("too_many", f"at most {MAX_BATCH} reports per batch"))
    if not parsed:
        return result
    with hub.database.write() as connection:
        directory = Directory.load(connection, now)
        current = track_store.latest(connection, (i.report.aircraft for _, i in parsed))
        changed: dict[str, TrackState] = {}
        jumps: dict[str, int] = {}
        for index, incoming in parsed:
            report = incoming.report
            previous = current.get(report.aircraft)
            try:
                kept_jumps = _against_previous(report, previous)
                party, operation = _attribute(connection, directory, caller, incoming, previous)
            except ReportError as error:
                if error.reason == "jump" and previous is not None:
                    jumps[report.aircraft] = previous.jumps + 1
                    current[report.aircraft] = replace(previous, jumps=previous.jumps + 1)
                result.refuse(index, error)
                continue
            state = TrackState(
                report.aircraft,
                party,
                operation,
                caller.party or "",
                report.callsign or (previous.callsign if previous else None),
                report.time,
                report.lon,
                report.lat,
                report.alt,
                report.ground_speed,
                report.track % 360.0,
                report.vertical_rate,
                str(report.reference),
                kept_jumps,
                now,
            )
            current[report.aircraft] = changed[report.aircraft] = state
            jumps.pop(report.aircraft, None)
            result.accepted += 1
        track_store.upsert(connection, list(changed.values()))
        track_store.set_jumps(connection, jumps)
    result.errors.sort()
    return result
