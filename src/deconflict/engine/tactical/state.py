"""Position reports, their sanity checks, and the latest state of every aircraft.

Everything inside is SI: metres, metres per second, degrees for lon/lat/track, POSIX
seconds (UTC). Feeds (`deconflict.feeds`) convert from feet and knots at the edge.

A bad report is counted and skipped, never raised: one garbled transponder must not
stop the watch over all the others. `Tracks.ingest` says why it refused a report
(`Rejection`), and `IngestStats` keeps the tally that operators look at.

The latest state per aircraft is kept in numpy columns (one slot per aircraft, updated
in place) rather than a dict of objects, so that a detection cycle over 10^5 aircraft
takes its snapshot with a few fancy-indexing operations instead of a Python loop.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.projection import radii_of_curvature
from deconflict.geo.route import MAX_GROUND_SPEED_MS
from deconflict.geo.volume import MAX_ALTITUDE_M, MIN_ALTITUDE_M

MAX_AGE_S = 20.0
"""A report older than this at cycle time is not extrapolated: the aircraft is not shown."""
MAX_VERTICAL_RATE_MS = 200.0
"""About 40,000 ft/min: faster climbs or descents are decoding errors."""
MAX_IMPLIED_SPEED_MS = MAX_GROUND_SPEED_MS
"""A position this far from the previous one, per second elapsed, is a jump, not flight."""
JUMPS_BEFORE_RESET = 3
"""After this many jumps in a row, the *previous* position was the bad one: start afresh."""


class Rejection(StrEnum):
    """Why a report was skipped."""

    MALFORMED = "malformed"
    """The line or row could not be read (wrong field count, text where a number goes)."""
    INCOMPLETE = "incomplete"
    """Position, altitude or velocity not (yet) known for the aircraft."""
    POSITION = "position"
    """Latitude/longitude not finite or outside WGS84 ranges."""
    ALTITUDE = "altitude"
    SPEED = "speed"
    VERTICAL_RATE = "vertical_rate"
    TRACK = "track"
    BACKWARDS = "backwards"
    """Older than the aircraft's latest accepted report."""
    DUPLICATE = "duplicate"
    """Same aircraft, same time as its latest accepted report."""
    JUMP = "jump"
    """Implies a speed above `MAX_IMPLIED_SPEED_MS` from the previous position."""


@dataclass
class IngestStats:
    """Accepted reports and rejected ones by reason: what an operator's dashboard shows."""

    accepted: int = 0
    rejected: Counter[Rejection] = field(default_factory=Counter)

    def reject(self, reason: Rejection) -> None:
        self.rejected[reason] += 1

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())


@dataclass(frozen=True, slots=True)
class PositionReport:
    """One aircraft's position and velocity at one instant (SI units, WGS84)."""

    time: float
    aircraft: str
    """Transponder address (ICAO 24-bit, lower-case hex) or another stable id."""
    lon: float
    lat: float
    alt: float
    """Metres above `reference` (barometric altitude by default: `STD`)."""
    ground_speed: float
    """Metres per second over the ground."""
    track: float
    """Degrees clockwise from true north, the direction of motion over the ground."""
    vertical_rate: float
    """Metres per second, positive up."""
    callsign: str | None = None
    party: str | None = None
    operation: str | None = None
    reference: AltitudeReference = AltitudeReference.STD


def check_values(report: PositionReport) -> Rejection | None:
    """The first value of `report` that no aircraft could have, or None if all are sane."""
    lon, lat = report.lon, report.lat
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return Rejection.POSITION
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        return Rejection.POSITION
    if not (math.isfinite(report.alt) and MIN_ALTITUDE_M <= report.alt <= MAX_ALTITUDE_M):
        return Rejection.ALTITUDE
    if not (
        math.isfinite(report.ground_speed) and 0.0 <= report.ground_speed <= MAX_GROUND_SPEED_MS
    ):
        return Rejection.SPEED
    if not (math.isfinite(report.track) and -360.0 <= report.track <= 360.0):
        return Rejection.TRACK
    if not (
        math.isfinite(report.vertical_rate) and abs(report.vertical_rate) <= MAX_VERTICAL_RATE_MS
    ):
        return Rejection.VERTICAL_RATE
    if not math.isfinite(report.time):
        return Rejection.MALFORMED
    return None


def ground_distance(lon_a: float, lat_a: float, lon_b: float, lat_b: float) -> float:
    """Metres between two nearby points (equirectangular, 0.5 % near; only for jumps)."""
    m, n = radii_of_curvature((lat_a + lat_b) / 2.0)
    dlon = (lon_b - lon_a + 180.0) % 360.0 - 180.0
    dx = math.radians(dlon) * n * math.cos(math.radians((lat_a + lat_b) / 2.0))
    return math.hypot(dx, math.radians(lat_b - lat_a) * m)


@dataclass(frozen=True, slots=True)
class TrackStates:
    """Live aircraft at one cycle time, as columns (position i is one aircraft).

    Positions are those *reported* (at `time`); `motion.kinematics` carries them to the
    cycle time. Parties are small integer codes into `parties` (code 0 is "", unknown),
    so that the detector looks minima up in a matrix; `operation` is "" when unknown.
    """

    now: float
    parties: tuple[str, ...]
    aircraft: NDArray[np.object_]
    party: NDArray[np.int64]
    operation: NDArray[np.object_]
    time: NDArray[np.float64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    alt: NDArray[np.float64]
    ground_speed: NDArray[np.float64]
    track: NDArray[np.float64]
    vertical_rate: NDArray[np.float64]
    reference: NDArray[np.int64]
    """Index into `geo.altitude.REFERENCE_CODES`."""

    def __len__(self) -> int:
        return len(self.aircraft)

    def take(self, positions: NDArray[np.int64] | NDArray[np.bool_]) -> TrackStates:
        """The subset of aircraft at `positions` (or where a mask is true)."""
        columns = (getattr(self, name)[positions] for name in self.__slots__[2:])
        return TrackStates(self.now, self.parties, *columns)

    def party_of(self, position: int) -> str:
        """The party name of the aircraft at `position` ("" when unknown)."""
        return self.parties[int(self.party[position])]


_FLOATS = ("time", "lon", "lat", "alt", "ground_speed", "track", "vertical_rate")
_TEXTS = ("aircraft", "operation")
_REFERENCE_CODE = {ref: code for code, ref in enumerate(AltitudeReference)}


class Tracks:
    """The latest accepted report of every aircraft, with its attribution to a party."""

    def __init__(self, capacity: int = 1024) -> None:
        self.stats = IngestStats()
        self._slot: dict[str, int] = {}
        self._jumps: dict[str, int] = {}
        self._floats = {name: np.zeros(capacity) for name in _FLOATS}
        self._texts: dict[str, NDArray[np.object_]] = {
            name: np.full(capacity, "", dtype=object) for name in _TEXTS
        }
        self._reference = np.zeros(capacity, dtype=np.int64)
        self._party = np.zeros(capacity, dtype=np.int64)
        self._party_code: dict[str, int] = {"": 0}
        self._attribution: dict[str, tuple[str, str]] = {}

    def __len__(self) -> int:
        return len(self._slot)

    def attribute(self, aircraft: str, party: str, operation: str | None = None) -> None:
        """Say which party flies `aircraft` (and for which operation): reports that do not
        name their own party or operation get these."""
        self._attribution[aircraft] = (party, operation or "")
        slot = self._slot.get(aircraft)
        if slot is not None:
            self._party[slot] = self._code(party)
            self._texts["operation"][slot] = operation or ""

    def _code(self, party: str) -> int:
        code = self._party_code.get(party)
        if code is None:
            code = self._party_code[party] = len(self._party_code)
        return code

    def _new_slot(self, aircraft: str) -> int:
        slot = len(self._slot)
        if slot >= len(self._reference):
            size = 2 * len(self._reference)
            self._floats = {k: np.resize(v, size) for k, v in self._floats.items()}
            for name, column in self._texts.items():
                grown = np.full(size, "", dtype=object)
                grown[:slot] = column[:slot]
                self._texts[name] = grown
            self._reference = np.resize(self._reference, size)
            self._party = np.resize(self._party, size)
        self._slot[aircraft] = slot
        return slot

    def ingest(self, report: PositionReport) -> Rejection | None:
        """Keep `report` as its aircraft's latest state, or say why it was refused."""
        reason = check_values(report)
        slot = self._slot.get(report.aircraft)
        if reason is None and slot is not None:
            reason = self._against_previous(report, slot)
        if reason is not None:
            self.stats.reject(reason)
            return reason
        if slot is None:
            slot = self._new_slot(report.aircraft)
        f = self._floats
        f["time"][slot], f["lon"][slot], f["lat"][slot] = report.time, report.lon, report.lat
        f["alt"][slot], f["ground_speed"][slot] = report.alt, report.ground_speed
        f["track"][slot], f["vertical_rate"][slot] = report.track % 360.0, report.vertical_rate
        party, operation = self._attribution.get(report.aircraft, ("", ""))
        t = self._texts
        t["aircraft"][slot] = report.aircraft
        self._party[slot] = self._code(report.party if report.party is not None else party)
        t["operation"][slot] = report.operation if report.operation is not None else operation
        self._reference[slot] = _REFERENCE_CODE[report.reference]
        self.stats.accepted += 1
        return None

    def _against_previous(self, report: PositionReport, slot: int) -> Rejection | None:
        f = self._floats
        previous = f["time"][slot]
        if report.time < previous:
            return Rejection.BACKWARDS
        if report.time == previous:
            return Rejection.DUPLICATE
        distance = ground_distance(f["lon"][slot], f["lat"][slot], report.lon, report.lat)
        if distance > MAX_IMPLIED_SPEED_MS * (report.time - previous) + 100.0:
            jumps = self._jumps.get(report.aircraft, 0) + 1
            if jumps < JUMPS_BEFORE_RESET:
                self._jumps[report.aircraft] = jumps
                return Rejection.JUMP
        self._jumps.pop(report.aircraft, None)
        return None

    def snapshot(self, now: float, max_age: float = MAX_AGE_S) -> TrackStates:
        """Aircraft whose latest report is at most `max_age` old at `now` (and not later
        than `now`: a replay asks for a cycle before reports it has already read)."""
        size = len(self._slot)
        times = self._floats["time"][:size]
        live = np.flatnonzero((times <= now) & (times >= now - max_age))
        f, t = self._floats, self._texts
        return TrackStates(
            now,
            tuple(self._party_code),
            t["aircraft"][live],
            self._party[live],
            t["operation"][live],
            *(f[name][live] for name in _FLOATS),
            self._reference[live],
        )


def states_from_columns(
    now: float,
    aircraft: Sequence[str],
    party: Sequence[str],
    lon: ArrayLike,
    lat: ArrayLike,
    alt: ArrayLike,
    ground_speed: ArrayLike,
    track: ArrayLike,
    vertical_rate: ArrayLike,
    *,
    time: ArrayLike | None = None,
    operation: Sequence[str] | None = None,
    reference: AltitudeReference | Sequence[AltitudeReference] = AltitudeReference.STD,
) -> TrackStates:
    """`TrackStates` straight from columns (SI units): for benchmarks, tests and callers
    that keep their own track store. `time` defaults to `now` (reports all current);
    `reference` is one for all or one per aircraft."""
    n = len(aircraft)
    names = ("", *sorted(set(party) - {""}))
    code = {name: k for k, name in enumerate(names)}
    floats = [np.asarray(c, dtype=np.float64).reshape(n) for c in (lon, lat, alt)]
    motion = [np.asarray(c, dtype=np.float64).reshape(n) for c in (ground_speed, track)]
    return TrackStates(
        now,
        names,
        np.asarray(aircraft, dtype=object),
        np.fromiter((code[p] for p in party), dtype=np.int64, count=n),
        np.asarray(operation if operation is not None else [""] * n, dtype=object),
        np.full(n, now) if time is None else np.asarray(time, dtype=np.float64).reshape(n),
        *floats,
        motion[0],
        motion[1] % 360.0,
        np.asarray(vertical_rate, dtype=np.float64).reshape(n),
        (
            np.full(n, _REFERENCE_CODE[reference], dtype=np.int64)
            if isinstance(reference, AltitudeReference)
            else np.fromiter((_REFERENCE_CODE[r] for r in reference), dtype=np.int64, count=n)
        ),
    )
