"""Bad input at the command line: exit 2 and ONE line that says which feature and field.

A traceback, a second line, another exit status or a message that does not locate the
mistake is a bug. Cases that show such a bug stay here, marked ``xfail(strict=True)``
with the reason, so that they turn into failures (and get unmarked) once fixed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cli_helpers import START, circle, collection, line, polygon, route, run_cli, write

FILE = "input.geojson"
Document = dict[str, Any] | str


def op(**props: Any) -> dict[str, Any]:
    """A valid operation (a 5 km circle) with some properties replaced or added."""
    feature = circle("op-x", "red", 30.0, 50.0)
    feature["properties"].update(props)
    return feature


def without(feature: dict[str, Any], name: str) -> dict[str, Any]:
    del feature["properties"][name]
    return feature


def with_geometry(feature: dict[str, Any], geometry: Any) -> dict[str, Any]:
    feature["geometry"] = geometry
    return feature


def zone(ring: list[list[float]], ident: str = "z-x") -> dict[str, Any]:
    return polygon(ident, "red", ring)


def leg_route(positions: list[list[float]], times: list[str], **props: Any) -> dict[str, Any]:
    return route("op-r", "red", positions, times, **props)


def one(feature: dict[str, Any], **members: Any) -> dict[str, Any]:
    return collection(feature, **members)


def minima(**member: Any) -> dict[str, Any]:
    return collection(op(), deconflict=member)


def raw_collection(features_json: str) -> str:
    return '{"type": "FeatureCollection", "features": [' + features_json + "]}"


def raw_circle(coordinates: str, radius: str = "1000") -> str:
    return (
        '{"type": "Feature", "id": "op-x", '
        f'"geometry": {{"type": "Point", "coordinates": {coordinates}}}, '
        '"properties": {"party": "red", "kind": "operation", '
        f'"radius": {radius}, "altitude_lower": 0, "altitude_upper": 100, '
        f'"start": "{START}", "end": "2026-11-25T08:00:00Z"}}}}'
    )


LATE_START, LATE_END = "9999-12-31T23:00:00-05:00", "9999-12-31T22:00:00-05:00"
"""Valid RFC 3339 strings whose UTC instants fall in the year 10000."""


@dataclass(frozen=True)
class Case:
    """One bad input: the files (or a missing path) and what the message must name."""

    document: Document | Callable[[Path], list[Any]]
    feature: str | None
    field: str | None
    mentions: tuple[str, ...] = ()
    options: tuple[str, ...] = ()

    def arguments(self, tmp_path: Path) -> list[Any]:
        if callable(self.document):
            return self.document(tmp_path)
        return [write(tmp_path / FILE, self.document), *self.options]


def case(
    name: str,
    document: Any,
    feature: str | None,
    field: str | None,
    *mentions: str,
    options: tuple[str, ...] = (),
    bug: str | None = None,
) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=f"BUG: {bug}")] if bug else []
    return pytest.param(Case(document, feature, field, mentions, options), id=name, marks=marks)


CASES = [
    # --- the outline ---------------------------------------------------------------
    case(
        "self-intersecting polygon (bow-tie)",
        one(zone([[30, 50], [30.1, 50.1], [30.1, 50], [30, 50.1]])),
        "z-x",
        "geometry.coordinates",
        "ntersect",
    ),
    case(
        # Simple in degrees; its two long sides bow differently as geodesics and cross
        # near the tip (the engine once cut it into pieces three times its area).
        "thin spike crossing itself along geodesic edges",
        one(
            zone(
                [
                    [-1.452311502544642, -0.4675842576753941],
                    [0.0, -1.0],
                    [-0.553862203502191, -0.25745132960816],
                    [-0.30294835066473935, 0.4362141407310288],
                    [-0.615063523863382, -0.42664189604883007],
                    [-1.452311502544642, -0.4675842576753941],
                ]
            )
        ),
        "z-x",
        "geometry.coordinates",
        "geodesics",
    ),
    case(
        "polygon with no area",
        one(zone([[30, 50], [30.1, 50], [30.2, 50]])),
        "z-x",
        "geometry.coordinates",
    ),
    case(
        "polygon ring not closed",
        one(
            with_geometry(
                zone([[0, 0], [1, 0], [1, 1]]),
                {"type": "Polygon", "coordinates": [[[30, 50], [31, 50], [31, 51], [30, 51]]]},
            )
        ),
        "z-x",
        "geometry.coordinates",
    ),
    case(
        "hole outside the shell",
        one(
            with_geometry(
                zone([[0, 0], [1, 0], [1, 1]]),
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[30, 50], [30.1, 50], [30.1, 50.1], [30, 50.1], [30, 50]],
                        [[31, 51], [31.1, 51], [31.1, 51.1], [31, 51]],
                    ],
                },
            )
        ),
        "z-x",
        "geometry.coordinates",
    ),
    case("radius 0", one(op(radius=0)), "op-x", "radius"),
    case("radius negative", one(op(radius="-5 km")), "op-x", "radius"),
    case("radius 2500 km", one(op(radius="2500 km")), "op-x", "radius"),
    case("radius NaN", raw_collection(raw_circle("[30, 50]", radius="NaN")), "op-x", "radius"),
    case("radius missing", one(without(op(), "radius")), "op-x", "radius"),
    case(
        "polygon crossing the antimeridian",
        one(zone([[170, 10], [-170, 10], [-170, 11], [170, 11]])),
        "z-x",
        "geometry.coordinates",
        "antimeridian",
    ),
    case(
        "polygon touching the antimeridian",
        one(zone([[179.5, 0], [180, 0], [180, 1], [179.5, 1]])),
        "z-x",
        "geometry.coordinates",
        "antimeridian",
    ),
    case(
        "circle reaching the antimeridian",
        one(circle("op-x", "red", 177.9, 0.0, radius="50 km")),
        "op-x",
        "radius",
        "antimeridian",
    ),
    case(
        "polygon reaching beyond 85° (pole)",
        one(zone([[0, 84], [10, 84], [10, 86], [0, 86]])),
        "z-x",
        "geometry.coordinates",
        "polar",
    ),
    case(
        "circle reaching beyond 85° (pole)",
        one(circle("op-x", "red", 0.0, 84.9, radius="50 km")),
        "op-x",
        "radius",
        "polar",
    ),
    case("latitude 91", one(circle("op-x", "red", 30, 91)), "op-x", "geometry.coordinates"),
    case(
        "non-numeric coordinates",
        one(with_geometry(op(), {"type": "Point", "coordinates": ["30", "50"]})),
        "op-x",
        "geometry.coordinates",
    ),
    case(
        "boolean coordinates",
        one(with_geometry(op(), {"type": "Point", "coordinates": [True, False]})),
        "op-x",
        "geometry.coordinates",
    ),
    case(
        "geometry missing",
        one(with_geometry(op(), None)),
        "op-x",
        "geometry",
    ),
    case(
        "wrong geometry type for a zone (LineString)",
        one(
            with_geometry(
                zone([[0, 0], [1, 0], [1, 1]]),
                {"type": "LineString", "coordinates": [[30, 50], [31, 50]]},
            )
        ),
        "z-x",
        "geometry.type",
        "LineString",
    ),
    case(
        "wrong geometry type for an operation (MultiLineString)",
        one(
            with_geometry(op(), {"type": "MultiLineString", "coordinates": [[[30, 50], [31, 50]]]})
        ),
        "op-x",
        "geometry.type",
        "MultiLineString",
    ),
    case(
        "line without a buffer",
        one(without(line("l-x", "red", [[30, 50], [31, 50]]), "buffer")),
        "l-x",
        "buffer",
    ),
    case(
        "line buffer 60 km",
        one(line("l-x", "red", [[30, 50], [31, 50]], buffer="60 km")),
        "l-x",
        "buffer",
    ),
    # --- altitudes -------------------------------------------------------------------
    case(
        "lower above upper",
        one(op(altitude_lower=2000, altitude_upper=1000)),
        "op-x",
        "altitude_lower",
    ),
    case("unknown unit (12 furlongs)", one(op(radius="12 furlongs")), "op-x", "radius", "furlongs"),
    case(
        "unknown unit in a {value, units} object",
        one(op(radius={"value": 12, "units": "furlong"})),
        "op-x",
        "radius",
        "furlong",
    ),
    case("bad flight level (FL2x0)", one(op(altitude_upper="FL2x0")), "op-x", "altitude_upper"),
    case("altitude 40 km", one(op(altitude_upper="40 km")), "op-x", "altitude_upper"),
    case("altitude -1000 m", one(op(altitude_lower="-1000 m")), "op-x", "altitude_lower"),
    case("altitude missing", one(without(op(), "altitude_upper")), "op-x", "altitude_upper"),
    case(
        "unknown altitude reference",
        one(op(altitude_reference="QNH")),
        "op-x",
        "altitude_reference",
        "QNH",
    ),
    # --- time ------------------------------------------------------------------------
    case("end before start", one(op(end="2026-11-25T05:00:00Z")), "op-x", "end"),
    case("end equal to start", one(op(end=START)), "op-x", "end"),
    case("operation lasting 8 days", one(op(end="2026-12-03T06:00:00Z")), "op-x", "end"),
    case(
        "operation lasting 8 days over two volumes",
        collection(op(), op(start="2026-12-01T00:00:00Z", end="2026-12-03T07:00:00Z")),
        "op-x",
        "end",
    ),
    case(
        "zone standing 400 days",
        one(circle("z-x", "red", 30, 50, kind="zone", end="2027-12-31T00:00:00Z")),
        "z-x",
        "end",
    ),
    case("time without UTC offset", one(op(start="2026-11-25T06:00:00")), "op-x", "start"),
    case("time that is not a date", one(op(start="tomorrow")), "op-x", "start", "tomorrow"),
    case("time given as a number", one(op(end=1795586400)), "op-x", "end"),
    case(
        "time past the year 9999 in UTC",
        one(op(start=LATE_START, end=LATE_END)),
        "op-x",
        "start",
    ),
    case(
        "end past the year 9999 in UTC",
        one(op(end=LATE_START)),
        "op-x",
        "end",
    ),
    case("time before 1970", one(op(start="1969-12-31T23:00:00Z")), "op-x", "start"),
    # --- routes ----------------------------------------------------------------------
    case(
        "route with times going backwards",
        one(
            leg_route(
                [[30, 50, 300], [30.1, 50, 300], [30.2, 50, 300]],
                ["2026-11-25T06:00:00Z", "2026-11-25T06:30:00Z", "2026-11-25T06:20:00Z"],
            )
        ),
        "op-r",
        "times",
    ),
    case(
        "route with one waypoint",
        one(leg_route([[30, 50, 300]], [START])),
        "op-r",
        "geometry.coordinates",
    ),
    case(
        "route with fewer times than waypoints",
        one(leg_route([[30, 50, 300], [30.1, 50, 300]], [START])),
        "op-r",
        "times",
    ),
    case(
        "route without altitudes",
        one(leg_route([[30, 50], [30.1, 50]], [START, "2026-11-25T07:00:00Z"])),
        "op-r",
        "geometry.coordinates",
    ),
    case(
        "route faster than Mach 4",
        one(leg_route([[30, 50, 300], [40, 50, 300]], [START, "2026-11-25T06:01:00Z"])),
        "op-r",
        "times",
    ),
    case(
        "route lasting 9 days",
        one(leg_route([[30, 50, 300], [30.1, 50, 300]], [START, "2026-12-04T06:00:00Z"])),
        "op-r",
        "times",
    ),
    case(
        "route time buffer 7 h",
        one(
            leg_route(
                [[30, 50, 300], [30.1, 50, 300]],
                [START, "2026-11-25T07:00:00Z"],
                time_buffer="7 h",
            )
        ),
        "op-r",
        "time_buffer",
    ),
    case(
        "route flat with no vertical half-width",
        one(
            leg_route(
                [[30, 50, 300], [30.1, 50, 300]],
                [START, "2026-11-25T07:00:00Z"],
                vertical_half_width=0,
            )
        ),
        "op-r",
        "vertical_half_width",
    ),
    case(
        "route speed 0",
        one(
            {
                "type": "Feature",
                "id": "op-r",
                "geometry": {"type": "LineString", "coordinates": [[30, 50, 1], [31, 50, 1]]},
                "properties": {
                    "party": "red",
                    "kind": "operation",
                    "start": START,
                    "speed": "0 kt",
                    "half_width": 100,
                },
            }
        ),
        "op-r",
        "speed",
    ),
    case(
        "route half-width 0",
        one(
            leg_route(
                [[30, 50, 300], [30.1, 50, 300]], [START, "2026-11-25T07:00:00Z"], half_width=0
            )
        ),
        "op-r",
        "half_width",
    ),
    case(
        "route half-width 60 km",
        one(
            leg_route(
                [[30, 50, 300], [30.1, 50, 300]],
                [START, "2026-11-25T07:00:00Z"],
                half_width="60 km",
            )
        ),
        "op-r",
        "half_width",
    ),
    # --- the feature's identity --------------------------------------------------------
    case("missing party", one(without(op(), "party")), "op-x", "party"),
    case("blank party", one(op(party="  ")), "op-x", "party"),
    case("unknown kind", one(op(kind="mission")), "op-x", "kind", "mission"),
    case(
        "missing kind",
        one(without(op(), "kind")),
        "op-x",
        "kind",
    ),
    case("kind null", one(op(kind=None)), "op-x", "kind"),
    case("priority not an integer (text)", one(op(priority="high")), "op-x", "priority"),
    case("priority not an integer (1.5)", one(op(priority=1.5)), "op-x", "priority"),
    case("priority not an integer (true)", one(op(priority=True)), "op-x", "priority"),
    case(
        "same id with a different kind",
        collection(op(), circle("op-x", "red", 31, 50, kind="zone")),
        "op-x",
        "id",
    ),
    case("feature that is not a Feature", collection("text"), "#0", None),
    case(
        "properties that are not an object",
        collection({"type": "Feature", "id": "op-x", "geometry": None, "properties": [1]}),
        "op-x",
        "properties",
    ),
    # --- the document ------------------------------------------------------------------
    case("non-FeatureCollection document", {"type": "Feature"}, None, "type", FILE),
    case("features not a list", {"type": "FeatureCollection", "features": {}}, None, "features"),
    case("invalid JSON", "{not json", None, None, FILE, "JSON"),
    case(
        "JSON nested 100000 deep",
        "[" * 100_000 + "]" * 100_000,
        None,
        None,
        FILE,
    ),
    case(
        "missing file",
        lambda tmp_path: [tmp_path / "missing.geojson"],
        None,
        None,
        "missing.geojson",
    ),
    case(
        "a directory instead of a file",
        lambda tmp_path: [tmp_path],
        None,
        None,
    ),
    case(
        "coordinate too large for a float",
        raw_collection(raw_circle("[1" + "0" * 400 + ", 50]")),
        "op-x",
        "geometry.coordinates",
    ),
    case(
        "radius too large for a float",
        raw_collection(raw_circle("[30, 50]", radius="1" + "0" * 400)),
        "op-x",
        "radius",
    ),
    # --- the deconflict member: minima ---------------------------------------------------
    case(
        "minima: horizontal 900 km",
        minima(minima={"default": {"horizontal": "900 km"}}),
        None,
        "deconflict.minima.default.horizontal",
    ),
    case(
        "minima: vertical 10 km",
        minima(minima={"default": {"vertical": "10 km"}}),
        None,
        "deconflict.minima.default.vertical",
    ),
    case(
        "minima: negative horizontal",
        minima(minima={"default": {"horizontal": "-1 NM"}}),
        None,
        "deconflict.minima.default.horizontal",
    ),
    case(
        "minima: pair time buffer 7 h",
        minima(minima={"pairs": [{"parties": ["red", "blue"], "time_buffer": "7 h"}]}),
        None,
        "deconflict.minima.pairs[0].time_buffer",
    ),
    case(
        "minima: pair with one party",
        minima(minima={"pairs": [{"parties": ["red"], "horizontal": 100}]}),
        None,
        "deconflict.minima.pairs[0]",
    ),
    case("minima: member not an object", collection(op(), deconflict=[1]), None, "deconflict"),
    case(
        "minima: unknown unit",
        minima(minima={"default": {"horizontal": "5 leagues"}}),
        None,
        "deconflict.minima.default.horizontal",
        "leagues",
    ),
    case(
        "minima: pairs not a list",
        minima(minima={"pairs": 5}),
        None,
        "deconflict.minima.pairs",
    ),
    case(
        "minima: parties that are not names",
        minima(minima={"pairs": [{"parties": [["red"], "blue"], "horizontal": 100}]}),
        None,
        "deconflict.minima.pairs[0]",
    ),
    case(
        "minima: self_checking entries that are not names",
        minima(self_checking=[["red"]]),
        None,
        "deconflict.self_checking",
    ),
    # --- text from the input that looks like rich markup ----------------------------------
    case("kind '[/]'", one(op(kind="[/]")), "op-x", "kind", "[/]"),
    case("kind '[bold]x'", one(op(kind="[bold]x")), "op-x", "kind", "[bold]x"),
    case(
        "feature id '[/x]'",
        one(circle("[/x]", "red", 30, 50, radius=0)),
        "[/x]",
        "radius",
    ),
    case(
        "non-numeric coordinates: the message keeps '[lon, lat'",
        one(with_geometry(op(), {"type": "Point", "coordinates": ["30", "50"]})),
        "op-x",
        "geometry.coordinates",
        "[lon, lat",
    ),
    # --- options on the command line -------------------------------------------------------
    case(
        "--horizontal 500 km",
        one(op()),
        None,
        "horizontal",
        options=("--horizontal", "500 km"),
    ),
    case(
        "--vertical 10 km",
        one(op()),
        None,
        "vertical",
        options=("--vertical", "10 km"),
    ),
    case(
        "--horizontal with an unknown unit",
        one(op()),
        None,
        "horizontal",
        "furlongs",
        options=("--horizontal", "5 furlongs"),
    ),
    case(
        "--time-buffer '[/]'",
        one(op()),
        None,
        "time_buffer",
        options=("--time-buffer", "[/]"),
    ),
]


def _named(name: str, text: str) -> bool:
    """Whether `text` names `name` as a quoted token (or an option such as --horizontal)."""
    quoted = rf"['\"]{re.escape(name)}['\"]"
    option = rf"--{re.escape(name.replace('_', '-'))}\b"
    return re.search(quoted, text) is not None or re.search(option, text) is not None


@pytest.mark.parametrize("bad", CASES)
def test_bad_input_is_one_line_naming_feature_and_field(tmp_path: Path, bad: Case) -> None:
    result = run_cli("check", *bad.arguments(tmp_path), columns=None)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert message.strip()
    if bad.feature is not None:
        assert _named(bad.feature, message), f"feature {bad.feature!r} not named: {message}"
    if bad.field is not None:
        assert _named(bad.field, message), f"field {bad.field!r} not named: {message}"
    for word in bad.mentions:
        assert word in message, f"{word!r} not in: {message}"


def test_error_line_stays_one_line_in_a_narrow_terminal(tmp_path: Path) -> None:
    """A long path and message must not be wrapped onto several lines."""
    deep = tmp_path / ("a-rather-long-directory-name-" * 3)
    deep.mkdir()
    path = write(deep / "operations-for-the-morning.geojson", one(op(radius="12 furlongs")))
    result = run_cli("check", path, columns=40)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_first_bad_file_of_several_is_named(tmp_path: Path) -> None:
    good = write(tmp_path / "good.geojson", one(circle("op-g", "blue", 31, 50)))
    bad = write(tmp_path / "bad.geojson", one(op(end=START)))
    result = run_cli("check", good, bad, columns=None)
    assert result.returncode == 2
    (message,) = result.stderr.splitlines()
    assert "bad.geojson" in message
    assert "good.geojson" not in message
    assert _named("op-x", message)
    assert _named("end", message)


def test_without_a_subcommand_argparse_exits_2(tmp_path: Path) -> None:
    result = run_cli(columns=None)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "usage" in result.stderr


@pytest.mark.parametrize("output", ["table", "json"])
def test_times_near_the_year_10000_never_crash(tmp_path: Path, output: str) -> None:
    start, end = "9999-12-31T23:00:00Z", "9999-12-31T23:30:00-05:00"
    doc = collection(
        circle("op-a", "red", 30, 50, start=start, end=end),
        circle("op-b", "blue", 30, 50, start=start, end=end),
    )
    result = run_cli("check", "--format", output, write(tmp_path / FILE, doc), columns=None)
    assert "Traceback" not in result.stderr
    assert result.returncode in (1, 2)
    if result.returncode == 2:
        (message,) = result.stderr.splitlines()
        assert _named("op-a", message) or _named("op-b", message)
