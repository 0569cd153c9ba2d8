"""Routes: 4D waypoints compiled into one corridor volume per leg.

A leg occupies its corridor only during its own time window, widened by the route's
time buffer, and only in the altitude band it spans, widened by the vertical
half-width. So an aircraft that has flown past a point no longer blocks it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pyproj import Geod

from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.errors import InputError
from deconflict.geo.outline import Corridor, check_coordinate
from deconflict.geo.volume import (
    MAX_ALTITUDE_M,
    MAX_DURATION_S,
    MIN_ALTITUDE_M,
    AltitudeBand,
    TimeWindow,
    Volume,
)

WGS84 = Geod(ellps="WGS84")
MAX_GROUND_SPEED_MS = 1500.0
"""Faster than Mach 4 between two waypoints means the times or positions are wrong."""
MAX_TIME_BUFFER_S = 6 * 3600.0
MAX_VERTICAL_HALF_WIDTH_M = 5000.0


@dataclass(frozen=True, slots=True)
class Waypoint:
    """A 4D point: lon, lat (degrees), altitude (metres above the route's reference), time."""

    lon: float
    lat: float
    alt: float
    time: float


@dataclass(frozen=True, slots=True)
class Route:
    """Waypoints in time order, with the corridor half-widths and the time buffer."""

    waypoints: tuple[Waypoint, ...]
    half_width: float
    vertical_half_width: float
    time_buffer: float = 0.0
    reference: AltitudeReference = AltitudeReference.W84

    def __post_init__(self) -> None:
        if len(self.waypoints) < 2:
            raise InputError("a route needs at least 2 waypoints", field="geometry.coordinates")
        if not (0.0 <= self.vertical_half_width <= MAX_VERTICAL_HALF_WIDTH_M):
            raise InputError(
                f"vertical half-width {self.vertical_half_width:g} m is out of range "
                f"(0 … {MAX_VERTICAL_HALF_WIDTH_M:g} m)",
                field="vertical_half_width",
            )
        if not (0.0 <= self.time_buffer <= MAX_TIME_BUFFER_S):
            raise InputError(
                f"time buffer {self.time_buffer:g} s is out of range (0 … 6 h)", field="time_buffer"
            )
        for number, point in enumerate(self.waypoints):
            check_coordinate(point.lon, point.lat, f"geometry.coordinates[{number}]")
            if not (MIN_ALTITUDE_M <= point.alt <= MAX_ALTITUDE_M):
                raise InputError(
                    f"waypoint altitude {point.alt:g} m is outside "
                    f"{MIN_ALTITUDE_M:g} m … {MAX_ALTITUDE_M:g} m",
                    field=f"geometry.coordinates[{number}]",
                )
        points = self.waypoints
        for number, (a, b) in enumerate(itertools.pairwise(points)):
            if b.time <= a.time:
                raise InputError(
                    f"waypoint {number + 1} is not later than waypoint {number}", field="times"
                )
        for number, (a, b) in enumerate(itertools.pairwise(points)):
            _, _, distance = WGS84.inv(a.lon, a.lat, b.lon, b.lat)
            if distance / (b.time - a.time) > MAX_GROUND_SPEED_MS:
                raise InputError(
                    f"leg {number} needs {distance / (b.time - a.time):.0f} m/s, faster than "
                    f"{MAX_GROUND_SPEED_MS:g} m/s: check its times",
                    field="times",
                )
        if self.waypoints[-1].time - self.waypoints[0].time > MAX_DURATION_S:
            raise InputError("the route lasts more than 7 days", field="times")

    def legs(self) -> tuple[Volume, ...]:
        """One volume per leg: the corridor, the band it spans, its own time window."""
        legs = []
        for number, (a, b) in enumerate(zip(self.waypoints, self.waypoints[1:], strict=False)):
            try:
                corridor = Corridor(((a.lon, a.lat), (b.lon, b.lat)), self.half_width)
            except InputError as error:
                field = "half_width" if error.field == "buffer" else error.field
                raise InputError(error.message, field=field) from None
            low = max(min(a.alt, b.alt) - self.vertical_half_width, MIN_ALTITUDE_M)
            high = min(max(a.alt, b.alt) + self.vertical_half_width, MAX_ALTITUDE_M)
            if low == high:
                raise InputError(
                    f"leg {number} has no vertical extent: give a vertical half-width",
                    field="vertical_half_width",
                )
            window = TimeWindow(a.time - self.time_buffer, b.time + self.time_buffer)
            legs.append(Volume(corridor, AltitudeBand(low, high, self.reference), window))
        return tuple(legs)

    def offset(self, metres: float) -> Route:
        """The route moved sideways by `metres` (right of track if positive), as pilots fly
        a parallel offset: each waypoint moves perpendicular to the mean of its legs'
        courses."""
        lons, lats = [p.lon for p in self.waypoints], [p.lat for p in self.waypoints]
        forward, _, _ = WGS84.inv(lons[:-1], lats[:-1], lons[1:], lats[1:])
        forward = list(forward)
        moved = []
        for i, point in enumerate(self.waypoints):
            courses = forward[max(i - 1, 0) : i + 1]
            course = _mean_course(courses)
            lon, lat, _ = WGS84.fwd(point.lon, point.lat, course + 90.0, metres)
            moved.append(Waypoint(float(lon), float(lat), point.alt, point.time))
        return Route(
            tuple(moved),
            self.half_width,
            self.vertical_half_width,
            self.time_buffer,
            self.reference,
        )

    def shifted(self, *, seconds: float = 0.0, metres: float = 0.0) -> Route:
        """The route flown later by `seconds` and higher by `metres`."""
        points = tuple(
            Waypoint(p.lon, p.lat, p.alt + metres, p.time + seconds) for p in self.waypoints
        )
        return Route(
            points, self.half_width, self.vertical_half_width, self.time_buffer, self.reference
        )


def _mean_course(courses: list[float]) -> float:
    """Average of bearings in degrees, on the circle (350° and 10° average to 0°)."""
    import math

    x = sum(math.cos(math.radians(c)) for c in courses)
    y = sum(math.sin(math.radians(c)) for c in courses)
    return math.degrees(math.atan2(y, x))
