"""GeoJSON out and back in: `write_declaration` then `read_collection` loses nothing.

Volumes (outlines, bands, windows), routes and the owner's own properties must come
back equal, so that a declaration stored or exported as GeoJSON is the same declaration.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cli_helpers import circle, collection, line, polygon, route, run_cli, write
from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.errors import InputError
from deconflict.geo.geojson import KNOWN_PROPERTIES, read_collection
from deconflict.geo.geojson_write import write_declaration
from deconflict.geo.outline import Circle, Corridor, PolygonOutline
from deconflict.geo.route import Route, Waypoint
from deconflict.geo.units import format_time, parse_time
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume

BASE = parse_time("2026-11-25T06:00:00Z")
DAY = 86400


def through_json(declarations: list[Declaration], **members: Any) -> tuple[Declaration, ...]:
    """Write the declarations as one FeatureCollection, serialise, parse and read back."""
    features = [f for d in declarations for f in write_declaration(d)]
    text = json.dumps(collection(*features, **members), allow_nan=False)
    return read_collection(json.loads(text)).declarations


# --- strategies ------------------------------------------------------------------------

lons = st.floats(-165.0, 165.0, allow_nan=False)
lats = st.floats(-75.0, 75.0, allow_nan=False)
references = st.sampled_from(list(AltitudeReference))
json_scalars = st.none() | st.booleans() | st.integers(-(10**9), 10**9) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
extra_properties = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(lambda k: k not in KNOWN_PROPERTIES),
    json_values,
    max_size=4,
)
names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=16
).filter(lambda s: s.strip())


@st.composite
def bands(draw: st.DrawFn) -> AltitudeBand:
    lower = draw(st.floats(-500.0, 29_000.0, allow_nan=False))
    thickness = draw(st.floats(1.0, 1000.0, allow_nan=False))
    upper = min(lower + thickness, 30_000.0)
    assume(upper > lower)
    return AltitudeBand(lower, upper, draw(references))


@st.composite
def windows(draw: st.DrawFn, max_duration: int = 5 * DAY) -> TimeWindow:
    start = BASE + draw(st.integers(0, DAY))
    return TimeWindow(start, start + draw(st.integers(1, max_duration)))


@st.composite
def circles(draw: st.DrawFn) -> Circle:
    return Circle((draw(lons), draw(lats)), draw(st.floats(1.0, 100_000.0, allow_nan=False)))


@st.composite
def polygons(draw: st.DrawFn) -> PolygonOutline:
    """A polygon star-shaped around a centre (so a shrunken copy is a valid hole)."""
    lon, lat = draw(lons), draw(lats)
    count = draw(st.integers(3, 10))
    spacing = 2 * math.pi / count
    jitter = st.floats(-0.2 * spacing, 0.2 * spacing)
    angles = [n * spacing + draw(jitter) for n in range(count)]  # every gap below π
    radii = draw(st.lists(st.floats(0.01, 0.5), min_size=count, max_size=count))
    shell = [
        (lon + r * math.cos(a), lat + r * math.sin(a)) for a, r in zip(angles, radii, strict=True)
    ]
    shell.append(shell[0])
    holes: tuple[tuple[tuple[float, float], ...], ...] = ()
    if draw(st.booleans()):
        hole = [(lon + 0.3 * (x - lon), lat + 0.3 * (y - lat)) for x, y in shell[:-1]]
        holes = ((*hole, hole[0]),)
    try:
        return PolygonOutline(tuple(shell), holes)
    except InputError:
        assume(False)
        raise


@st.composite
def corridors(draw: st.DrawFn) -> Corridor:
    lon, lat = draw(lons), draw(lats)
    steps = draw(st.lists(st.tuples(st.floats(-0.3, 0.3), st.floats(-0.3, 0.3)), min_size=1))
    path = [(lon, lat)]
    for dlon, dlat in steps[:5]:
        path.append((path[-1][0] + dlon, path[-1][1] + dlat))
    return Corridor(tuple(path), draw(st.floats(1.0, 50_000.0, allow_nan=False)))


@st.composite
def routes(draw: st.DrawFn) -> Route:
    lon, lat = draw(lons), draw(lats)
    count = draw(st.integers(2, 6))
    time = BASE + draw(st.integers(0, DAY))
    points = []
    for _ in range(count):
        alt = draw(st.floats(0.0, 10_000.0, allow_nan=False))
        points.append(Waypoint(lon, lat, alt, float(time)))
        lon += draw(st.floats(-0.2, 0.2))
        lat += draw(st.floats(-0.2, 0.2))
        time += draw(st.integers(60, 3600))
    return Route(
        tuple(points),
        half_width=draw(st.floats(10.0, 5000.0, allow_nan=False)),
        vertical_half_width=draw(st.floats(1.0, 500.0, allow_nan=False)),
        time_buffer=float(draw(st.integers(0, 3600))),
        reference=draw(references),
    )


@st.composite
def declarations(draw: st.DrawFn) -> Declaration:
    kind = draw(st.sampled_from(list(Kind)))
    ident, party = draw(names), draw(names)
    priority = draw(st.integers(-5, 5))
    properties = draw(extra_properties)
    if kind is Kind.OPERATION and draw(st.booleans()):
        flight = draw(routes())
        return Declaration(ident, party, kind, flight.legs(), priority, flight, properties)
    outlines = polygons() | circles()
    if kind is Kind.LINE:
        outlines = outlines | corridors()
    count = draw(st.integers(1, 3))
    volumes = tuple(Volume(draw(outlines), draw(bands()), draw(windows())) for _ in range(count))
    return Declaration(ident, party, kind, volumes, priority, None, properties)


ROUNDTRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- properties ------------------------------------------------------------------------


@ROUNDTRIP
@given(declarations())
def test_declaration_survives_write_then_read(declaration: Declaration) -> None:
    (back,) = through_json([declaration])
    assert back.id == declaration.id
    assert back.party == declaration.party
    assert back.kind is declaration.kind
    assert back.priority == declaration.priority
    assert dict(back.properties) == dict(declaration.properties)
    assert back.route == declaration.route
    assert back.volumes == declaration.volumes
    assert back == declaration


@ROUNDTRIP
@given(st.lists(declarations(), min_size=1, max_size=4, unique_by=lambda d: d.id))
def test_several_declarations_keep_their_order_and_identity(
    many: list[Declaration],
) -> None:
    assert through_json(many) == tuple(many)


@ROUNDTRIP
@given(declarations())
def test_writing_again_gives_the_same_features(declaration: Declaration) -> None:
    first = write_declaration(declaration)
    (back,) = through_json([declaration])
    assert write_declaration(back) == first


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 4_000_000_000), st.integers(0, 999_999))
def test_times_survive_format_then_parse_to_the_microsecond(seconds: int, micros: int) -> None:
    posix = seconds + micros / 1e6
    assert parse_time(format_time(posix)) == pytest.approx(posix, abs=1e-6)
    text = format_time(posix)
    assert text.endswith("Z")
    assert format_time(parse_time(text)) == text


# --- examples --------------------------------------------------------------------------


def test_each_volume_is_one_feature_and_a_route_is_one_linestring() -> None:
    doc = collection(
        circle("op-v", "red", 30, 50),
        circle("op-v", "red", 31, 50, start="2026-11-25T08:00:00Z", end="2026-11-25T09:00:00Z"),
        route(
            "op-r",
            "red",
            [[30, 50, 100], [30.1, 50, 150], [30.2, 50.1, 120]],
            ["2026-11-25T06:00:00Z", "2026-11-25T06:10:00Z", "2026-11-25T06:30:00Z"],
        ),
    )
    volumes, flight = read_collection(doc).declarations
    assert len(volumes.volumes) == 2
    features = write_declaration(volumes)
    assert [f["id"] for f in features] == ["op-v", "op-v"]
    assert [f["geometry"]["type"] for f in features] == ["Point", "Point"]
    assert len(flight.volumes) == 2, "one volume per leg"
    (feature,) = write_declaration(flight)
    assert feature["geometry"]["type"] == "LineString"
    assert feature["geometry"]["coordinates"] == [[30, 50, 100], [30.1, 50, 150], [30.2, 50.1, 120]]
    assert feature["properties"]["times"] == [
        "2026-11-25T06:00:00Z",
        "2026-11-25T06:10:00Z",
        "2026-11-25T06:30:00Z",
    ]


def test_units_are_written_in_si_and_read_back_equal() -> None:
    doc = collection(
        circle(
            "op-u",
            "red",
            30,
            50,
            radius="5 NM",
            lower="FL100",
            upper="FL150",
            callsign="RED1",
            mission={"type": "survey", "crew": [1, 2]},
        ),
        line("l-u", "blue", [[30, 49], [31, 49], [31, 49.5]], buffer="0.5 NM", upper="10000 ft"),
        polygon(
            "z-u", "green", [[29, 48], [30, 48], [30, 48.5]], start="2026-11-25T06:00:00+02:00"
        ),
    )
    original = read_collection(doc).declarations
    op, river, area = original
    assert op.volumes[0].outline == Circle((30.0, 50.0), 5 * 1852.0)
    assert op.volumes[0].band.reference is AltitudeReference.STD
    assert op.volumes[0].band.lower == pytest.approx(3048.0)
    assert dict(op.properties) == {
        "callsign": "RED1",
        "mission": {"type": "survey", "crew": [1, 2]},
    }
    assert isinstance(river.volumes[0].outline, Corridor)
    assert river.volumes[0].outline.radius == pytest.approx(926.0)
    assert area.volumes[0].window.start == parse_time("2026-11-25T04:00:00Z")

    features = [f for d in original for f in write_declaration(d)]
    props = features[0]["properties"]
    assert props["radius"] == pytest.approx(9260.0)
    assert props["altitude_reference"] == "STD"
    assert props["callsign"] == "RED1"
    assert features[2]["properties"]["start"] == "2026-11-25T04:00:00Z"
    assert through_json(list(original)) == original


def test_route_from_start_and_speed_survives_to_the_microsecond() -> None:
    doc = collection(
        {
            "type": "Feature",
            "id": "op-s",
            "geometry": {
                "type": "LineString",
                "coordinates": [[30, 50], [30.3, 50.1], [30.5, 50.4]],
            },
            "properties": {
                "party": "red",
                "kind": "operation",
                "start": "2026-11-25T06:00:00Z",
                "speed": "250 kt",
                "altitudes": ["FL100", "FL120", "FL120"],
                "half_width": "2 NM",
                "vertical_half_width": "500 ft",
                "time_buffer": "PT5M",
            },
        }
    )
    (original,) = read_collection(doc).declarations
    assert original.route is not None
    (back,) = through_json([original])
    assert back.route is not None
    assert back.route.reference is AltitudeReference.STD
    for before, after in zip(original.route.waypoints, back.route.waypoints, strict=True):
        assert (after.lon, after.lat, after.alt) == (before.lon, before.lat, before.alt)
        assert after.time == pytest.approx(before.time, abs=1e-6)
    assert back.route.half_width == original.route.half_width
    assert back.route.time_buffer == 300.0
    (again,) = through_json([back])
    assert again == back, "a second round trip changes nothing"


def test_route_merged_with_another_volume_survives() -> None:
    doc = collection(
        route(
            "op-m",
            "red",
            [[30, 50, 100], [30.1, 50, 100]],
            ["2026-11-25T06:00:00Z", "2026-11-25T07:00:00Z"],
        ),
        circle("op-m", "red", 31, 50),
    )
    (original,) = read_collection(doc).declarations
    assert through_json([original]) == (original,)


def test_rewritten_files_check_the_same(tmp_path: Any) -> None:
    """The CLI finds the same conflicts in a file and in its written-back copy."""
    member = {"minima": {"default": {"horizontal": "1 NM", "vertical": "500 ft"}}}
    doc = collection(
        circle("op-a", "red", 30, 50, radius="3 km"),
        route(
            "op-b",
            "blue",
            [[29.9, 49.95, 200], [30.1, 50.05, 300]],
            ["2026-11-25T06:30:00Z", "2026-11-25T07:00:00Z"],
            time_buffer="5 min",
        ),
        polygon("z-c", "green", [[30.05, 49.9], [30.2, 49.9], [30.2, 50.1]]),
        deconflict=member,
    )
    original = write(tmp_path / "original.geojson", doc)
    rewritten = write(
        tmp_path / "rewritten.geojson",
        collection(
            *[f for d in read_collection(doc).declarations for f in write_declaration(d)],
            deconflict=member,
        ),
    )
    before = run_cli("check", "--format", "json", original)
    after = run_cli("check", "--format", "json", rewritten)
    assert before.returncode == after.returncode == 1
    assert json.loads(before.stdout) == json.loads(after.stdout)
