"""Shared builders and strategies for the engine tests (imported by name, like `cli_helpers`).

Everything is built around a centre with `pyproj.Geod` (the independent WGS84 reference),
so that a test states its geometry in metres and azimuths, never in degrees.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from hypothesis import strategies as st
from pyproj import Geod

from deconflict.engine import Airspace
from deconflict.engine.conflict import Conflict
from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.outline import Circle, Corridor, PolygonOutline
from deconflict.geo.route import Route, Waypoint
from deconflict.geo.separation import Minima, SeparationPolicy
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume

GEOD = Geod(ellps="WGS84")
T0 = 1_800_000_000.0
"""A fixed instant (2027-01-15) that every test's time windows are placed after."""
HOUR = 3600.0

Point = tuple[float, float]


# --- geometry around a centre ------------------------------------------------------------


def moved(origin: Point, azimuth: float, metres: float) -> Point:
    """The point `metres` from `origin` along the geodesic leaving at `azimuth` degrees."""
    lon, lat, _ = GEOD.fwd(origin[0], origin[1], azimuth, metres)
    return float(lon), float(lat)


def distance(a: Point, b: Point) -> float:
    """Geodesic distance in metres."""
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def ring_around(center: Point, radii: Sequence[float], rotation: float = 0.0) -> tuple[Point, ...]:
    """A closed, counter-clockwise, star-shaped ring: vertex k at `radii[k]` metres from
    `center`, at evenly spaced azimuths starting from `rotation`."""
    n = len(radii)
    azimuths = rotation - 360.0 * np.arange(n) / n  # decreasing azimuth: counter-clockwise
    lons, lats, _ = GEOD.fwd(np.full(n, center[0]), np.full(n, center[1]), azimuths, radii)
    ring = [(float(x), float(y)) for x, y in zip(lons, lats, strict=True)]
    return (*ring, ring[0])


# --- declarations ------------------------------------------------------------------------


def band(
    lower: float = 0.0, upper: float = 1000.0, reference: AltitudeReference = AltitudeReference.W84
) -> AltitudeBand:
    return AltitudeBand(lower, upper, reference)


def window(start: float = T0, end: float = T0 + HOUR) -> TimeWindow:
    return TimeWindow(start, end)


def declaration(
    ident: str,
    party: str,
    outline: Circle | PolygonOutline | Corridor,
    *,
    kind: Kind = Kind.OPERATION,
    altitude: AltitudeBand | None = None,
    time: TimeWindow | None = None,
    priority: int = 0,
) -> Declaration:
    """A one-volume declaration (0–1000 m W84, T0 to T0 + 1 h unless given)."""
    volume = Volume(outline, altitude or band(), time or window())
    return Declaration(ident, party, kind, (volume,), priority)


def circle(ident: str, party: str, center: Point, radius: float, **kw: object) -> Declaration:
    return declaration(ident, party, Circle(center, radius), **kw)  # type: ignore[arg-type]


def polygon(ident: str, party: str, ring: Sequence[Point], **kw: object) -> Declaration:
    return declaration(ident, party, PolygonOutline(tuple(ring)), **kw)  # type: ignore[arg-type]


def line(
    ident: str, party: str, path: Sequence[Point], half_width: float, **kw: object
) -> Declaration:
    kw.setdefault("kind", Kind.LINE)
    return declaration(ident, party, Corridor(tuple(path), half_width), **kw)  # type: ignore[arg-type]


def route(
    ident: str,
    party: str,
    waypoints: Sequence[tuple[float, float, float, float]],
    *,
    half_width: float = 1000.0,
    vertical_half_width: float = 100.0,
    time_buffer: float = 0.0,
    reference: AltitudeReference = AltitudeReference.W84,
    priority: int = 0,
) -> Declaration:
    """An operation flown along 4D waypoints ``(lon, lat, alt, time)``."""
    flown = Route(
        tuple(Waypoint(*w) for w in waypoints),
        half_width,
        vertical_half_width,
        time_buffer,
        reference,
    )
    return Declaration(ident, party, Kind.OPERATION, flown.legs(), priority, route=flown)


# --- running the engine ------------------------------------------------------------------


def airspace(*stored: Declaration, policy: SeparationPolicy | None = None) -> Airspace:
    space = Airspace(policy)
    space.add_many(stored)
    return space


def conflict_with(new: Declaration, stored: Declaration, minima: Minima) -> Conflict | None:
    """The conflict of `new` with `stored` (other parties) under `minima`, if any."""
    report = airspace(stored, policy=SeparationPolicy(default=minima)).check(new)
    found = [c for c in report.conflicts if c.other == stored.id]
    return found[0] if found else None


def engine_gap(new: Declaration, stored: Declaration) -> float:
    """The engine's smallest horizontal gap from `new` to `stored`, read from a conflict
    made certain by the largest horizontal minimum (100 km) and overlapping bands/times."""
    found = conflict_with(new, stored, Minima(horizontal=100_000.0))
    assert found is not None, "the pair is closer than 100 km, so it must conflict"
    return min(e.horizontal_gap for e in found.encounters)


# --- strategies --------------------------------------------------------------------------


def centers(max_abs_lat: float = 80.0, max_abs_lon: float = 170.0) -> st.SearchStrategy[Point]:
    """Points away from the poles and the antimeridian (which the engine refuses)."""
    return st.tuples(
        st.floats(-max_abs_lon, max_abs_lon, allow_nan=False),
        st.floats(-max_abs_lat, max_abs_lat, allow_nan=False),
    )


azimuths = st.floats(0.0, 360.0, exclude_max=True, allow_nan=False)
