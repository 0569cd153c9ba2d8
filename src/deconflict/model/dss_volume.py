"""The standard's Volume4D (outline, W84 metres, RFC 3339 times) as the hub's `Volume`.

The standard writes polygons as open rings of {lat, lng} with geodesic edges, circles as
a centre and a radius in metres, altitudes above the WGS84 ellipsoid: all of which the
hub's `geo` types say already, so the conversion is a renaming plus the checks the
standard adds (W84 and M only, times in RFC 3339, one outline per volume).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.errors import InputError
from deconflict.geo.footprint import outline_area_m2
from deconflict.geo.outline import Circle, Outline, PolygonOutline
from deconflict.geo.units import format_time, parse_time
from deconflict.geo.volume import (
    MAX_ALTITUDE_M,
    MAX_VALIDITY_S,
    MIN_ALTITUDE_M,
    AltitudeBand,
    TimeWindow,
    Volume,
)
from deconflict.model.dss import AreaTooLarge, DssBadRequest


class OutsideAirspace(DssBadRequest):
    """An area wholly above or below the altitudes the hub serves: a query of it finds
    nothing; anything else there is a bad request."""


MAX_AREA_KM2 = 2500.0
"""Largest outline the DSS serves, as InterUSS's DSS (a 50 km square): larger is refused
with 413 (400 where the endpoint lists no 413). The definition names no figure; the
InterUSS qualifier expects a 1° square (about 9,800 km²) to be refused."""

DEFAULT_SPAN_S = 24 * 3600.0
"""A subscription without an end lasts this long (the DSS chooses, says the definition)."""

ALTITUDE_LIMITS_M = (-8000.0, 100_000.0)
"""The definition's sanity bounds of an Altitude value: outside them, 400."""


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DssBadRequest(f"{where} must be an object")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DssBadRequest(f"{where} must be a finite number")
    return float(value)


def _point(value: Any, where: str) -> tuple[float, float]:
    point = _object(value, where)
    return _number(point.get("lng"), f"{where}.lng"), _number(point.get("lat"), f"{where}.lat")


def _outline(volume: dict[str, Any], where: str) -> Outline:
    circle, polygon = volume.get("outline_circle"), volume.get("outline_polygon")
    if (circle is None) == (polygon is None):
        raise DssBadRequest(f"{where} needs exactly one of outline_circle and outline_polygon")
    if polygon is not None:
        vertices = _object(polygon, f"{where}.outline_polygon").get("vertices")
        if not isinstance(vertices, list) or len(vertices) < 3:
            raise DssBadRequest(f"{where}.outline_polygon.vertices needs at least 3 points")
        ring = [_point(v, f"{where}.outline_polygon.vertices[{i}]") for i, v in enumerate(vertices)]
        if len(set(ring)) < len(ring):
            # The definition: "Vertices may not be duplicated. In particular, the final
            # polygon vertex must not be identical to the first vertex."
            raise DssBadRequest(
                f"{where}.outline_polygon repeats a vertex (the ring is open: the last "
                "vertex must not repeat the first)"
            )
        return PolygonOutline(tuple((*ring, ring[0])))
    circle = _object(circle, f"{where}.outline_circle")
    center = _point(circle.get("center"), f"{where}.outline_circle.center")
    radius = _object(circle.get("radius"), f"{where}.outline_circle.radius")
    if radius.get("units", "M") != "M":
        raise DssBadRequest(f"{where}.outline_circle.radius.units must be M")
    metres = _number(radius.get("value"), f"{where}.outline_circle.radius.value")
    if metres <= 0:
        raise DssBadRequest(f"{where}.outline_circle.radius.value must be above 0")
    return Circle(center, metres)


def _altitude(value: Any, where: str) -> float:
    altitude = _object(value, where)
    if altitude.get("reference", "W84") != "W84":
        raise DssBadRequest(f"{where}.reference must be W84")
    if altitude.get("units", "M") != "M":
        raise DssBadRequest(f"{where}.units must be M")
    metres = _number(altitude.get("value"), f"{where}.value")
    low, high = ALTITUDE_LIMITS_M
    if not low <= metres <= high:
        raise DssBadRequest(f"{where}.value must be from {low:g} to {high:g} m")
    return metres


def parse_time_field(value: Any, where: str) -> float:
    """A Time object: {"value": RFC 3339, "format": "RFC3339"}.

    The definition says the time zone "must be 'Z'"; a time with another explicit offset
    (`+02:00`) still names one instant, so it is taken, as InterUSS's DSS takes it: the
    InterUSS qualifier sends its local offset when it runs outside UTC. A time without
    an offset is refused. Answers always say 'Z'."""
    time = _object(value, where)
    if time.get("format", "RFC3339") != "RFC3339":
        raise DssBadRequest(f"{where}.format must be RFC3339")
    text = time.get("value")
    try:
        return parse_time(text)
    except InputError as error:
        raise DssBadRequest(f"{where}.value: {error.message}") from None


def time_field(posix: float) -> dict[str, str]:
    return {"value": format_time(posix), "format": "RFC3339"}


def _area_band(lower: float | None, upper: float | None, where: str) -> tuple[float, float]:
    """An area's altitudes within the band the hub serves (nothing exists outside it):
    omitted bounds are open, others are clamped; an area wholly outside is refused."""
    low = MIN_ALTITUDE_M if lower is None else max(lower, MIN_ALTITUDE_M)
    high = MAX_ALTITUDE_M if upper is None else min(upper, MAX_ALTITUDE_M)
    if low >= high and (lower is None or upper is None or lower < upper):
        raise OutsideAirspace(
            f"{where}: the hub serves altitudes from {MIN_ALTITUDE_M:g} to {MAX_ALTITUDE_M:g} m"
        )
    return low, high


def parse_volume4d(
    value: Any, where: str, *, now: float, complete: bool, query: bool = False
) -> Volume:
    """One Volume4D as a `Volume`. With `complete`, altitudes and both times are required
    (operational intents, constraints). Otherwise (an area: a query's or a subscription's)
    omitted altitudes are open and an omitted start is now; an omitted end is 24 hours
    later for a subscription, and unbounded (the hub's longest window) for a `query`."""
    volume4d = _object(value, where)
    volume3d = _object(volume4d.get("volume"), f"{where}.volume")
    try:
        outline = _outline(volume3d, f"{where}.volume")
        lower = volume3d.get("altitude_lower")
        upper = volume3d.get("altitude_upper")
        start = volume4d.get("time_start")
        end = volume4d.get("time_end")
        if complete and None in (lower, upper, start, end):
            raise DssBadRequest(
                f"{where} needs altitude_lower, altitude_upper, time_start and time_end"
            )
        low = None if lower is None else _altitude(lower, f"{where}.altitude_lower")
        high = None if upper is None else _altitude(upper, f"{where}.altitude_upper")
        if not complete:
            low, high = _area_band(low, high, where)
        assert low is not None and high is not None
        begin = now if start is None else parse_time_field(start, f"{where}.time_start")
        if end is not None:
            finish = parse_time_field(end, f"{where}.time_end")
        else:
            finish = begin + (MAX_VALIDITY_S if query else DEFAULT_SPAN_S)
        if query and finish > begin and finish - begin > MAX_VALIDITY_S:
            # What has ended is never answered: look from now (or the range's last
            # stretch, if it ends before), as far ahead as the hub keeps.
            begin = max(begin, min(now - 60.0, finish - MAX_VALIDITY_S))
            finish = min(finish, begin + MAX_VALIDITY_S)
        if outline_area_m2(outline) / 1e6 > MAX_AREA_KM2:
            raise AreaTooLarge(f"{where}: the area is larger than {MAX_AREA_KM2:g} km²")
        return Volume(
            outline, AltitudeBand(low, high, AltitudeReference.W84), TimeWindow(begin, finish)
        )
    except InputError as error:
        raise DssBadRequest(f"{where}: {error}") from None


def parse_extents(values: Any, where: str, *, now: float, complete: bool) -> tuple[Volume, ...]:
    if not isinstance(values, list) or not values:
        raise DssBadRequest(f"{where} must be a non-empty list of Volume4D")
    return tuple(
        parse_volume4d(v, f"{where}[{i}]", now=now, complete=complete) for i, v in enumerate(values)
    )


def span(volumes: Sequence[Volume]) -> tuple[float, float]:
    return min(v.window.start for v in volumes), max(v.window.end for v in volumes)
