"""GeoJSON in: a FeatureCollection of zones, lines and operations.

Files and merging them: `geojson_files`; out: `geojson_write`.

The schema is documented in ``docs/geojson.md``. In short, each feature carries
``party``, ``kind`` (zone | line | operation), ``priority``, ``altitude_lower``,
``altitude_upper``, ``altitude_reference``, ``start`` and ``end``; a Point has a
``radius``, a line a ``buffer``, and an operation drawn as a LineString is a route with
``times`` (or ``start`` + ``speed``), ``half_width``, ``vertical_half_width`` and
``time_buffer``. Features sharing an ``id`` form one declaration with several volumes.
The collection's ``deconflict`` member holds the separation minima.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyproj import Geod

from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.errors import InputError
from deconflict.geo.geojson_minima import read_policy
from deconflict.geo.outline import Circle, Corridor, Outline, PolygonOutline
from deconflict.geo.route import Route, Waypoint
from deconflict.geo.separation import SeparationPolicy
from deconflict.geo.units import (
    parse_altitude,
    parse_duration,
    parse_length,
    parse_speed,
    parse_time,
)
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume

WGS84 = Geod(ellps="WGS84")

MAX_PRIORITY = 1_000_000
"""Priorities are small integers; a larger one is a mistake (and would not fit a column)."""

KNOWN_PROPERTIES = frozenset(
    {
        "id",
        "party",
        "kind",
        "priority",
        "altitude_lower",
        "altitude_upper",
        "altitude_reference",
        "start",
        "end",
        "radius",
        "buffer",
        "times",
        "speed",
        "altitudes",
        "half_width",
        "vertical_half_width",
        "time_buffer",
    }
)
"""Properties the reader interprets; all others (callsign, mission, name…) pass through."""


@dataclass(frozen=True)
class Scenario:
    """What one or more files declare: the declarations and the agreed minima."""

    declarations: tuple[Declaration, ...]
    policy: SeparationPolicy
    default_stated: bool = False
    """Whether the file gave default minima (so merging files knows which default wins)."""


def _require(props: Mapping[str, Any], name: str) -> Any:
    if name not in props or props[name] is None:
        raise InputError("is required", field=name)
    return props[name]


def _reference(
    props: Mapping[str, Any], implied: Sequence[tuple[str, AltitudeReference | None]]
) -> AltitudeReference:
    """The band's reference: stated, or implied by flight levels; never ambiguous.

    A flight level is a pressure altitude, so a stated reference other than STD beside
    one is refused, and so is a band mixing a flight level with an unreferenced altitude
    (is "3000 m" above the sea or above the ellipsoid?).
    """
    text = props.get("altitude_reference")
    levels = [name for name, ref in implied if ref is AltitudeReference.STD]
    if text is not None:
        try:
            stated = AltitudeReference.parse(str(text))
        except ValueError as error:
            raise InputError(str(error), field="altitude_reference") from None
        if levels and stated is not AltitudeReference.STD:
            raise InputError(
                f"a flight level is a pressure altitude, but altitude_reference is {stated}",
                field=levels[0],
            )
        return stated
    if not levels:
        return AltitudeReference.W84
    if len(levels) < len(implied):
        other = next(name for name, ref in implied if ref is None)
        raise InputError(
            "mixes a flight level with an altitude: state altitude_reference (STD if the "
            "altitude is a pressure altitude too)",
            field=other,
        )
    return AltitudeReference.STD


def _band(props: Mapping[str, Any]) -> AltitudeBand:
    lower, implied_lower = parse_altitude_field(props, "altitude_lower")
    upper, implied_upper = parse_altitude_field(props, "altitude_upper")
    reference = _reference(
        props, [("altitude_lower", implied_lower), ("altitude_upper", implied_upper)]
    )
    return AltitudeBand(lower, upper, reference)


def parse_altitude_field(
    props: Mapping[str, Any], name: str
) -> tuple[float, AltitudeReference | None]:
    """Read one altitude property, locating any error on that field."""
    try:
        return parse_altitude(_require(props, name))
    except InputError as error:
        raise error.located(field=name) from None


def _field(parse: Any, props: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """Parse an optional field with `parse`, locating errors on it."""
    value = props.get(name, default)
    if value is None:
        raise InputError("is required", field=name)
    try:
        return parse(value)
    except InputError as error:
        raise error.located(field=name) from None


def _window(props: Mapping[str, Any]) -> TimeWindow:
    return TimeWindow(_field(parse_time, props, "start"), _field(parse_time, props, "end"))


def _position(value: Any, field: str) -> tuple[float, ...]:
    if (
        not isinstance(value, list | tuple)
        or len(value) < 2
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in value)
    ):
        raise InputError(f"{value!r} is not a position [lon, lat(, alt)]", field=field)
    try:
        position = tuple(float(c) for c in value)
    except OverflowError:
        raise InputError(f"{value!r} has a coordinate too large", field=field) from None
    if not all(math.isfinite(c) for c in position):
        raise InputError(f"{value!r} has a coordinate that is not finite", field=field)
    return position


def _ring(value: Any, field: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list):
        raise InputError("a polygon ring must be a list of positions", field=field)
    return tuple(_position(p, field)[:2] for p in value)  # type: ignore[misc]


def _polygon(coordinates: Any) -> PolygonOutline:
    if not isinstance(coordinates, list) or not coordinates:
        raise InputError("a Polygon needs a list of rings", field="geometry.coordinates")
    rings = [_ring(r, "geometry.coordinates") for r in coordinates]
    return PolygonOutline(rings[0], tuple(rings[1:]))


def _outlines(geometry: Mapping[str, Any], props: Mapping[str, Any], kind: Kind) -> list[Outline]:
    """The horizontal outlines of a zone, a line, or an operation made of volumes."""
    gtype, coordinates = geometry.get("type"), geometry.get("coordinates")
    if gtype == "Polygon":
        return [_polygon(coordinates)]
    if gtype == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise InputError(
                "a MultiPolygon needs a list of polygons", field="geometry.coordinates"
            )
        return [_polygon(p) for p in coordinates]
    if gtype == "Point":
        center = _position(coordinates, "geometry.coordinates")
        return [Circle((center[0], center[1]), _field(parse_length, props, "radius"))]
    if gtype in ("LineString", "MultiLineString") and (kind is Kind.LINE or "buffer" in props):
        lines = [coordinates] if gtype == "LineString" else coordinates
        if not isinstance(lines, list):
            raise InputError("a line needs positions", field="geometry.coordinates")
        buffer = _field(parse_length, props, "buffer")
        outlines: list[Outline] = []
        for line in lines:
            if not isinstance(line, list):
                raise InputError("a line needs positions", field="geometry.coordinates")
            path = tuple(_position(p, "geometry.coordinates")[:2] for p in line)
            outlines.append(Corridor(path, buffer))  # type: ignore[arg-type]
        return outlines
    raise InputError(
        f"geometry type {gtype!r} is not allowed for a {kind} "
        "(Polygon, MultiPolygon, Point with radius; LineString for lines and routes)",
        field="geometry.type",
    )


def _route(geometry: Mapping[str, Any], props: Mapping[str, Any]) -> Route:
    """An operation drawn as a LineString: 4D waypoints."""
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        raise InputError("a route needs at least 2 positions", field="geometry.coordinates")
    positions = [_position(p, f"geometry.coordinates[{i}]") for i, p in enumerate(coordinates)]
    implied: list[tuple[str, AltitudeReference | None]] = []
    if "altitudes" in props:
        texts = props["altitudes"]
        if not isinstance(texts, list) or len(texts) != len(positions):
            raise InputError("needs one altitude per waypoint", field="altitudes")
        altitudes = []
        for text in texts:
            metres, reference = _field(parse_altitude, {"altitudes": text}, "altitudes")
            altitudes.append(metres)
            implied.append(("altitudes", reference))
    else:
        if any(len(p) < 3 for p in positions):
            raise InputError(
                "route positions need an altitude [lon, lat, alt] (metres) or an 'altitudes' list",
                field="geometry.coordinates",
            )
        altitudes = [p[2] for p in positions]
        implied = [("geometry.coordinates", None)]
    if "times" in props:
        texts = props["times"]
        if not isinstance(texts, list) or len(texts) != len(positions):
            raise InputError("needs one time per waypoint", field="times")
        times = [_field(parse_time, {"times": t}, "times") for t in texts]
    else:
        start = _field(parse_time, props, "start")
        speed = _field(parse_speed, props, "speed")
        if speed <= 0:
            raise InputError("must be positive", field="speed")
        times = [start]
        for a, b in itertools.pairwise(positions):
            _, _, length = WGS84.inv(a[0], a[1], b[0], b[1])
            times.append(times[-1] + length / speed)
    waypoints = tuple(
        Waypoint(p[0], p[1], alt, t) for p, alt, t in zip(positions, altitudes, times, strict=True)
    )
    return Route(
        waypoints,
        half_width=_field(parse_length, props, "half_width"),
        vertical_half_width=_field(parse_length, props, "vertical_half_width", 0.0),
        time_buffer=_field(parse_duration, props, "time_buffer", 0.0),
        reference=_reference(props, implied),
    )


@dataclass
class _Part:
    """One GeoJSON feature's contribution to a declaration."""

    party: str
    kind: Kind
    priority: int
    volumes: list[Volume]
    route: Route | None
    extra: dict[str, Any]


def _read_feature(feature: Any, number: int) -> tuple[str, _Part]:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise InputError("is not a GeoJSON Feature", feature=f"#{number}")
    props = feature.get("properties") or {}
    ident = feature.get("id", props.get("id") if isinstance(props, Mapping) else None)
    name = str(ident) if ident is not None else f"#{number}"
    if not isinstance(props, Mapping):
        raise InputError("must be an object", feature=name, field="properties")
    try:
        party = _require(props, "party")
        if not isinstance(party, str) or not party.strip():
            raise InputError("must be a non-empty string", field="party")
        written = _require(props, "kind")
        if written not in tuple(Kind):
            raise InputError(f"{written!r} is not one of zone, line, operation", field="kind")
        kind = Kind(written)
        priority = props.get("priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise InputError(f"{priority!r} is not an integer", field="priority")
        if not (-MAX_PRIORITY <= priority <= MAX_PRIORITY):
            raise InputError(f"{priority} is out of range (±{MAX_PRIORITY})", field="priority")
        geometry = feature.get("geometry")
        if not isinstance(geometry, Mapping):
            raise InputError("is missing", field="geometry")
        route = None
        if (
            kind is Kind.OPERATION
            and geometry.get("type") == "LineString"
            and "buffer" not in props  # with a buffer it is a corridor volume, not a route
        ):
            route = _route(geometry, props)
            volumes = list(route.legs())
        else:
            outlines = _outlines(geometry, props, kind)
            band, window = _band(props), _window(props)
            volumes = [Volume(o, band, window) for o in outlines]
    except InputError as error:
        raise error.located(feature=name) from None
    extra = {k: v for k, v in props.items() if k not in KNOWN_PROPERTIES}
    return name, _Part(party, kind, priority, volumes, route, extra)


def read_collection(document: Any) -> Scenario:
    """Declarations and minima from a parsed GeoJSON FeatureCollection."""
    if not isinstance(document, Mapping) or document.get("type") != "FeatureCollection":
        raise InputError("the document is not a GeoJSON FeatureCollection", field="type")
    features = document.get("features")
    if not isinstance(features, list):
        raise InputError("must be a list", field="features")
    parts: dict[str, list[_Part]] = {}
    for number, feature in enumerate(features):
        name, part = _read_feature(feature, number)
        parts.setdefault(name, []).append(part)
    declarations = []
    for name, group in parts.items():
        first = group[0]
        for other in group[1:]:
            if (other.party, other.kind) != (first.party, first.kind):
                raise InputError(
                    "features sharing this id disagree on party or kind", feature=name, field="id"
                )
        volumes = tuple(v for part in group for v in part.volumes)
        route = first.route if len(group) == 1 else None
        extra: dict[str, Any] = {}
        for part in group:
            extra.update(part.extra)
        priority = max(part.priority for part in group)
        declarations.append(
            Declaration(name, first.party, first.kind, volumes, priority, route, extra)
        )
    member = document.get("deconflict")
    stated = (
        isinstance(member, Mapping)
        and isinstance(member.get("minima"), Mapping)
        and "default" in member["minima"]
    )
    return Scenario(tuple(declarations), read_policy(member), stated)
