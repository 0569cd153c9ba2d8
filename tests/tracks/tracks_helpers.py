"""Scenes for the live-track tests: a hub with a clock the test moves, and aircraft that
fly straight lines (positions from `pyproj.Geod`, so reports are geodesically true)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from service_helpers import CENTRE, GEOD, collection, iso

from deconflict.application.hub import ADMIN, READ, WRITE, Caller, Hub
from deconflict.geo.declaration import Declaration
from deconflict.geo.geojson import read_collection
from deconflict.store.backend import Database


@dataclass
class Clock:
    """The hub's time, moved by the test (whole seconds from a recent instant)."""

    now: float = field(default_factory=lambda: float(round(time.time())))

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 1.0) -> float:
        self.now += seconds
        return self.now


def hub_with_clock(database: Database) -> tuple[Hub, Clock]:
    clock = Clock()
    return Hub(database, clock=clock), clock


def caller(party: str | None, admin: bool = False) -> Caller:
    scopes = {READ, WRITE} | ({ADMIN} if admin else set())
    return Caller(f"{party}-test", party, frozenset(scopes))


@dataclass(frozen=True)
class Flight:
    """An aircraft flying a geodesic from `start` at `speed` (m/s) on `course` (deg)."""

    aircraft: str
    start: tuple[float, float]
    course: float
    speed: float
    alt: float
    t0: float
    extra: dict[str, Any] = field(default_factory=dict)

    def report(self, t: float) -> dict[str, Any]:
        lon, lat, back = GEOD.fwd(
            self.start[0], self.start[1], self.course, self.speed * (t - self.t0)
        )
        heading = (float(back) + 180.0) % 360.0 if t > self.t0 else self.course
        return {
            "aircraft": self.aircraft,
            "time": t,
            "lon": float(lon),
            "lat": float(lat),
            "alt": self.alt,
            "ground_speed": self.speed,
            "track": heading,
            "vertical_rate": 0.0,
            **self.extra,
        }


def head_on(t0: float, separation_m: float = 12_000.0) -> tuple[Flight, Flight]:
    """Two aircraft at the same altitude closing head-on at 200 m/s, `separation_m` apart."""
    west = GEOD.fwd(CENTRE[0], CENTRE[1], 270.0, separation_m / 2)
    east = GEOD.fwd(CENTRE[0], CENTRE[1], 90.0, separation_m / 2)
    return (
        Flight("aaa001", (float(west[0]), float(west[1])), 90.0, 100.0, 3000.0, t0),
        Flight("bbb002", (float(east[0]), float(east[1])), 270.0, 100.0, 3000.0, t0),
    )


def circle_operation(
    ident: str, party: str, t0: float, *, radius: str = "3 km", **extra: Any
) -> Declaration:
    """An operation of `party` over CENTRE, 0–5,000 m, from t0 − 10 min for 2 h."""
    feature = {
        "type": "Feature",
        "id": ident,
        "geometry": {"type": "Point", "coordinates": list(CENTRE)},
        "properties": {
            "party": party,
            "kind": "operation",
            "radius": radius,
            "altitude_lower": 0,
            "altitude_upper": 5000,
            "start": iso(t0 - 600),
            "end": iso(t0 + 7200),
            **extra,
        },
    }
    (declaration,) = read_collection(collection(feature)).declarations
    return declaration


def square_zone(ident: str, party: str, t0: float, half_deg: float = 0.05) -> Declaration:
    lon, lat = CENTRE
    ring = [
        [lon - half_deg, lat - half_deg],
        [lon + half_deg, lat - half_deg],
        [lon + half_deg, lat + half_deg],
        [lon - half_deg, lat + half_deg],
        [lon - half_deg, lat - half_deg],
    ]
    feature = {
        "type": "Feature",
        "id": ident,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "party": party,
            "kind": "zone",
            "altitude_lower": 0,
            "altitude_upper": 10000,
            "start": iso(t0 - 600),
            "end": iso(t0 + 86400),
        },
    }
    (declaration,) = read_collection(collection(feature)).declarations
    return declaration
