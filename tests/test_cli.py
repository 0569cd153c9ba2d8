"""The `deconflict check` command, run as a real process on GeoJSON files.

Exit status is part of the interface: 0 clear, 1 conflicts found, 2 bad input.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape

import deconflict
from cli_helpers import (
    END,
    START,
    circle,
    collection,
    destination,
    distance,
    geodesic_tolerance,
    polygon,
    route,
    run_cli,
    run_command,
    write,
)

NM = 1852.0
CENTRE_A = (30.0, 50.0)
RADIUS = 5000.0
CENTRE_DISTANCE = 7000.0
CENTRE_B = destination(*CENTRE_A, 90.0, CENTRE_DISTANCE)


def overlapping_pair() -> dict[str, Any]:
    """Two parties' circles, 7 km apart with 5 km radii, sharing 07:00–08:00."""
    return collection(
        circle("op-a", "red", *CENTRE_A, radius=RADIUS, callsign="RED1"),
        circle(
            "op-b",
            "blue",
            *CENTRE_B,
            radius=RADIUS,
            start="2026-11-25T07:00:00Z",
            end="2026-11-25T09:00:00Z",
        ),
    )


def apart(gap_m: float, **member: Any) -> dict[str, Any]:
    """Two 1 km circles of different parties whose edges are `gap_m` apart."""
    east = destination(*CENTRE_A, 90.0, 2000.0 + gap_m)
    return collection(
        circle("op-a", "red", *CENTRE_A, radius=1000),
        circle("op-b", "blue", *east, radius=1000),
        **member,
    )


def inside(lon: float, lat: float, centre: tuple[float, float], radius: float) -> bool:
    return distance(*centre, lon, lat) < radius


def check_json(*args: Any) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--format", "json", *args)
    assert result.stderr == ""
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def only_conflict(report: dict[str, Any]) -> dict[str, Any]:
    assert report["conflicts"] == 1, report
    (entry,) = report["reports"]
    (conflict,) = entry["conflicts"]
    return conflict


# --- exit status and the table ---------------------------------------------------------


def test_clear_scenario_exits_0_and_says_clear(tmp_path: Path) -> None:
    far = destination(*CENTRE_A, 0.0, 50_000.0)
    path = write(
        tmp_path / "clear.geojson",
        collection(circle("op-a", "red", *CENTRE_A), circle("op-b", "blue", *far)),
    )
    result = run_cli("check", path)
    assert result.returncode == 0, result.stderr
    assert "Clear" in result.stdout
    assert "2 operations" in result.stdout
    assert result.stderr == ""


def test_empty_collection_is_clear(tmp_path: Path) -> None:
    result = run_cli("check", write(tmp_path / "empty.geojson", collection()))
    assert result.returncode == 0, result.stderr
    assert "Clear" in result.stdout
    assert "0 operations" in result.stdout


def test_same_party_overlap_is_not_a_conflict(tmp_path: Path) -> None:
    doc = collection(circle("op-a", "red", *CENTRE_A), circle("op-b", "red", *CENTRE_A))
    result = run_cli("check", write(tmp_path / "same.geojson", doc))
    assert result.returncode == 0, result.stdout
    assert "Clear" in result.stdout


def test_windows_that_only_touch_do_not_conflict(tmp_path: Path) -> None:
    doc = collection(
        circle("op-a", "red", *CENTRE_A),  # 06:00–08:00
        circle("op-b", "blue", *CENTRE_A, start=END, end="2026-11-25T09:00:00Z"),
    )
    result = run_cli("check", write(tmp_path / "touch.geojson", doc))
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("columns", [200, None], ids=["wide", "default-width"])
def test_conflict_exits_1_with_a_table_naming_both(tmp_path: Path, columns: int | None) -> None:
    path = write(tmp_path / "pair.geojson", overlapping_pair())
    result = run_cli("check", path, columns=columns)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    for word in ("op-a", "op-b", "red", "blue", "Conflicts", "Suggestions"):
        assert word in result.stdout, word
    assert "1 conflict in 1 of 2 operations" in result.stdout
    assert "Clear" not in result.stdout
    assert "\x1b[" not in result.stdout, "no colour codes when writing to a pipe"


def test_console_script_on_path_behaves_like_the_module(tmp_path: Path) -> None:
    # The script sits beside the interpreter that runs the tests (a venv's bin/), which
    # need not be on PATH when that interpreter is called by its full path.
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    executable = shutil.which("deconflict", path=search)
    assert executable is not None, "the deconflict console script is not installed"
    path = write(tmp_path / "pair.geojson", overlapping_pair())
    result = run_command([executable, "check", "--format", "json", str(path)])
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["conflicts"] == 1
    version = run_command([executable, "--version"])
    assert version.returncode == 0
    assert version.stdout.strip() == f"deconflict {deconflict.__version__}"


# --- JSON ------------------------------------------------------------------------------


def test_json_lists_the_conflict_with_gaps_and_suggestions(tmp_path: Path) -> None:
    status, report = check_json(write(tmp_path / "pair.geojson", overlapping_pair()))
    assert status == 1
    assert report["operations"] == 2
    (entry,) = report["reports"]
    assert entry["clear"] is False
    conflict = only_conflict(report)
    # Reported once, under the operation declared later (equal priority), naming the other.
    assert {entry["declaration"], conflict["other"]} == {"op-a", "op-b"}
    assert entry["declaration"] == conflict["declaration"] == "op-b"
    assert entry["party"] == "blue"
    assert conflict["other_party"] == "red"
    assert conflict["other_kind"] == "operation"
    assert conflict["min_horizontal_gap_m"] == 0.0
    assert conflict["min_vertical_gap_m"] == 0.0
    assert conflict["minima"] == {"horizontal_m": 0.0, "vertical_m": 0.0, "time_s": 0.0}
    for which in ("first", "worst"):
        encounter = conflict[which]
        assert encounter["start"] == "2026-11-25T07:00:00Z"
        assert encounter["end"] == "2026-11-25T08:00:00Z"
        assert encounter["horizontal_gap_m"] == 0.0
        assert encounter["vertical_gap_m"] == 0.0
        lon, lat = encounter["position"]
        assert inside(lon, lat, CENTRE_A, RADIUS)
        assert inside(lon, lat, CENTRE_B, RADIUS)
    suggestions = entry["suggestions"]
    assert suggestions, "every conflict report comes with suggestions"
    kinds = {s["kind"]: s for s in suggestions}
    assert kinds["delay"]["amount"] == 3600.0
    assert kinds["delay"]["unit"] == "s"
    assert "altitude" in kinds
    assert all(s["text"] for s in suggestions)


def test_suggested_delay_and_climb_really_clear_the_conflict(tmp_path: Path) -> None:
    _, report = check_json(write(tmp_path / "pair.geojson", overlapping_pair()))
    suggestions = {s["kind"]: s for s in report["reports"][0]["suggestions"]}

    delay = suggestions["delay"]["amount"]
    delayed = overlapping_pair()
    props = delayed["features"][1]["properties"]
    props["start"] = _later("2026-11-25T07:00:00Z", delay)
    props["end"] = _later("2026-11-25T09:00:00Z", delay)
    status, after = check_json(write(tmp_path / "delayed.geojson", delayed))
    assert status == 0, after

    climb = suggestions["altitude"]["amount"]
    assert suggestions["altitude"]["unit"] == "m"
    climbed = overlapping_pair()
    props = climbed["features"][1]["properties"]
    props["altitude_lower"] = 0 + climb
    props["altitude_upper"] = 3000 * 0.3048 + climb
    status, after = check_json(write(tmp_path / "climbed.geojson", climbed))
    assert status == 0, after


def _later(time: str, seconds: float) -> str:
    from deconflict.geo.units import format_time, parse_time

    return format_time(parse_time(time) + seconds)


def test_no_suggestions_option(tmp_path: Path) -> None:
    path = write(tmp_path / "pair.geojson", overlapping_pair())
    status, report = check_json(path, "--no-suggestions")
    assert status == 1
    assert report["reports"][0]["suggestions"] == []
    assert report["conflicts"] == 1


def test_json_when_clear_has_no_reports(tmp_path: Path) -> None:
    status, report = check_json(write(tmp_path / "apart.geojson", apart(3 * NM)))
    assert status == 0
    assert report == {"conflicts": 0, "operations": 2, "reports": []}


# --- GeoJSON ---------------------------------------------------------------------------


def _geojson(*args: Any) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--format", "geojson", *args)
    assert result.stderr == ""
    assert result.returncode in (0, 1)
    return result.returncode, json.loads(result.stdout)


def _vertices(geometry: shapely.Geometry) -> list[tuple[float, float]]:
    return [tuple(c) for c in shapely.get_coordinates(geometry)]


def test_geojson_areas_are_valid_polygons_where_the_circles_overlap(tmp_path: Path) -> None:
    status, output = _geojson(write(tmp_path / "pair.geojson", overlapping_pair()))
    assert status == 1
    assert output["type"] == "FeatureCollection"
    assert len(output["features"]) == 1
    (feature,) = output["features"]
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "Polygon"
    area = shape(feature["geometry"])
    assert area.is_valid
    assert area.area > 0
    centroid = area.centroid
    assert inside(centroid.x, centroid.y, CENTRE_A, RADIUS)
    assert inside(centroid.x, centroid.y, CENTRE_B, RADIUS)
    tolerance = geodesic_tolerance(RADIUS)
    for lon, lat in _vertices(area):
        assert distance(*CENTRE_A, lon, lat) <= RADIUS + tolerance
        assert distance(*CENTRE_B, lon, lat) <= RADIUS + tolerance
    # The lens of two equal circles: 2r²·acos(d/2r) − (d/2)·√(4r² − d²).
    r, d = RADIUS, CENTRE_DISTANCE
    lens = 2 * r * r * math.acos(d / (2 * r)) - d / 2 * math.sqrt(4 * r * r - d * d)
    geodesic_area, _ = Geod(ellps="WGS84").geometry_area_perimeter(area)
    assert abs(abs(geodesic_area) - lens) < 0.02 * lens
    props = feature["properties"]
    assert {props["declaration"], props["other"]} == {"op-a", "op-b"}
    assert {props["party"], props["other_party"]} == {"red", "blue"}
    assert props["first"] is True
    assert props["worst"] is True
    assert props["start"] == "2026-11-25T07:00:00Z"


def test_geojson_area_with_a_horizontal_minimum(tmp_path: Path) -> None:
    """3 NM apart with a 5 NM minimum: the area is where they come within 5 NM."""
    path = write(tmp_path / "apart.geojson", apart(3 * NM))
    status, output = _geojson(path, "--horizontal", "5 NM")
    assert status == 1
    (feature,) = output["features"]
    area = shape(feature["geometry"])
    assert area.is_valid
    assert area.geom_type == "Polygon"
    assert area.area > 0
    east = destination(*CENTRE_A, 90.0, 2000.0 + 3 * NM)
    props = feature["properties"]
    assert {props["declaration"], props["other"]} == {"op-a", "op-b"}
    # The area is the other operation's 1 km circle cut by the reporting operation's
    # circle widened by the minimum: 1 km + 5 NM around its centre.
    own = CENTRE_A if props["declaration"] == "op-a" else east
    other = east if own == CENTRE_A else CENTRE_A
    widened = 1000 + 5 * NM
    for lon, lat in _vertices(area):
        assert distance(*other, lon, lat) <= 1000 + geodesic_tolerance(1000)
        assert distance(*own, lon, lat) <= widened + geodesic_tolerance(widened)
    centroid = area.centroid
    assert distance(*other, centroid.x, centroid.y) < 1000
    assert distance(*own, centroid.x, centroid.y) < widened
    # The other circle lies wholly within 5 NM of the reporting one (7.6 + 1 < 10.3 km),
    # so the area is that whole circle.
    geodesic_area, _ = Geod(ellps="WGS84").geometry_area_perimeter(area)
    assert abs(geodesic_area) == pytest.approx(math.pi * 1000**2, rel=0.02)


def test_geojson_when_clear_is_an_empty_collection(tmp_path: Path) -> None:
    status, output = _geojson(write(tmp_path / "apart.geojson", apart(3 * NM)))
    assert status == 0
    assert output == {"type": "FeatureCollection", "features": []}


# --- minima from the command line ----------------------------------------------------


@pytest.mark.parametrize(
    ("option", "expected"),
    [(None, 0), ("5 NM", 1), ("3.1 NM", 1), ("2.9 NM", 0), ("2 NM", 0), ("9260", 1)],
)
def test_horizontal_option_decides_for_volumes_3_nm_apart(
    tmp_path: Path, option: str | None, expected: int
) -> None:
    path = write(tmp_path / "apart.geojson", apart(3 * NM))
    args = ["--horizontal", option] if option else []
    status, report = check_json(path, *args)
    assert status == expected
    if expected:
        conflict = only_conflict(report)
        gap = conflict["min_horizontal_gap_m"]
        assert abs(gap - 3 * NM) <= geodesic_tolerance(3 * NM)
        assert conflict["minima"]["horizontal_m"] > gap


def test_horizontal_option_in_the_table(tmp_path: Path) -> None:
    path = write(tmp_path / "apart.geojson", apart(3 * NM))
    result = run_cli("check", path, "--horizontal", "5 NM")
    assert result.returncode == 1
    assert "3.0 NM" in result.stdout  # the closest approach
    assert "5.0 NM" in result.stdout  # the minimum applied


@pytest.mark.parametrize(("option", "expected"), [(None, 0), ("1000 ft", 1), ("500 ft", 0)])
def test_vertical_option(tmp_path: Path, option: str | None, expected: int) -> None:
    doc = collection(
        circle("op-a", "red", *CENTRE_A, lower=0, upper=1000),
        circle("op-b", "blue", *CENTRE_A, lower=1200, upper=2000),
    )
    args = ["--vertical", option] if option else []
    status, report = check_json(write(tmp_path / "stacked.geojson", doc), *args)
    assert status == expected
    if expected:
        conflict = only_conflict(report)
        assert conflict["min_vertical_gap_m"] == pytest.approx(200.0)
        assert conflict["min_horizontal_gap_m"] == 0.0


@pytest.mark.parametrize(
    ("option", "expected"), [(None, 0), ("10 min", 1), ("PT10M", 1), ("4 min", 0)]
)
def test_time_buffer_option(tmp_path: Path, option: str | None, expected: int) -> None:
    doc = collection(
        circle("op-a", "red", *CENTRE_A),  # until 08:00
        circle("op-b", "blue", *CENTRE_A, start="2026-11-25T08:05:00Z", end="2026-11-25T09:00:00Z"),
    )
    args = ["--time-buffer", option] if option else []
    status, report = check_json(write(tmp_path / "sequence.geojson", doc), *args)
    assert status == expected
    if expected:
        assert only_conflict(report)["first"]["time_gap_s"] == pytest.approx(300.0)


# --- minima from the files, several files ----------------------------------------------


def test_minima_in_the_file_apply(tmp_path: Path) -> None:
    member = {"minima": {"default": {"horizontal": "5 NM"}}}
    status, report = check_json(write(tmp_path / "m.geojson", apart(3 * NM, deconflict=member)))
    assert status == 1
    assert only_conflict(report)["minima"]["horizontal_m"] == pytest.approx(5 * NM)


def test_pair_minima_override_the_default(tmp_path: Path) -> None:
    member = {
        "minima": {
            "default": {"horizontal": "10 NM"},
            "pairs": [{"parties": ["red", "blue"], "horizontal": "1 NM"}],
        }
    }
    status, _ = check_json(write(tmp_path / "m.geojson", apart(3 * NM, deconflict=member)))
    assert status == 0


def test_several_files_are_checked_together(tmp_path: Path) -> None:
    pair = overlapping_pair()
    first = write(tmp_path / "red.geojson", collection(pair["features"][0]))
    second = write(tmp_path / "blue.geojson", collection(pair["features"][1]))
    zone = write(
        tmp_path / "green.geojson",
        collection(
            polygon(
                "zone-g",
                "green",
                [[29.9, 49.9], [30.2, 49.9], [30.2, 50.1], [29.9, 50.1]],
            )
        ),
    )
    for files in ([first], [second]):
        status, _ = check_json(*files)
        assert status == 0, "each file alone is clear"
    status, report = check_json(first, second, zone)
    assert status == 1
    assert report["operations"] == 2
    pairs = {
        frozenset((entry["declaration"], conflict["other"]))
        for entry in report["reports"]
        for conflict in entry["conflicts"]
    }
    assert pairs == {
        frozenset({"op-a", "op-b"}),
        frozenset({"op-a", "zone-g"}),
        frozenset({"op-b", "zone-g"}),
    }
    table = run_cli("check", first, second, zone)
    assert table.returncode == 1
    assert "3 conflicts in 2 of 2 operations" in table.stdout


@pytest.mark.parametrize("order", ["minima-first", "minima-last"])
def test_pair_minima_from_one_file_apply_in_any_order(tmp_path: Path, order: str) -> None:
    doc = apart(3 * NM)
    member = {"minima": {"pairs": [{"parties": ["red", "blue"], "horizontal": "5 NM"}]}}
    with_minima = write(tmp_path / "red.geojson", collection(doc["features"][0], deconflict=member))
    plain = write(tmp_path / "blue.geojson", collection(doc["features"][1]))
    files = [with_minima, plain] if order == "minima-first" else [plain, with_minima]
    status, _ = check_json(*files)
    assert status == 1


def test_default_minima_from_one_file_apply_in_any_order(tmp_path: Path) -> None:
    doc = apart(3 * NM)
    member = {"minima": {"default": {"horizontal": "5 NM"}}}
    with_minima = write(tmp_path / "red.geojson", collection(doc["features"][0], deconflict=member))
    plain = write(tmp_path / "blue.geojson", collection(doc["features"][1]))
    forward, _ = check_json(with_minima, plain)
    backward, _ = check_json(plain, with_minima)
    assert forward == backward == 1


def test_duplicate_id_across_files_is_bad_input(tmp_path: Path) -> None:
    first = write(tmp_path / "first.geojson", collection(circle("op-a", "red", *CENTRE_A)))
    second = write(tmp_path / "second.geojson", collection(circle("op-a", "blue", *CENTRE_B)))
    result = run_cli("check", first, second)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "'op-a'" in lines[0]
    assert "first.geojson" in lines[0]
    assert "second.geojson" in lines[0]


def test_same_file_twice_is_bad_input(tmp_path: Path) -> None:
    path = write(tmp_path / "pair.geojson", overlapping_pair())
    result = run_cli("check", path, path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


# --- routes at the command line ---------------------------------------------------------


def _route_past_zone(zone_end: str) -> dict[str, Any]:
    """A route east along 50° N in two legs; a zone sits on the second leg's path."""
    return collection(
        route(
            "op-r",
            "red",
            [[29.5, 50.0, 300], [30.0, 50.0, 300], [30.5, 50.0, 300]],
            ["2026-11-25T06:00:00Z", "2026-11-25T06:30:00Z", "2026-11-25T07:00:00Z"],
        ),
        polygon(
            "zone-b",
            "blue",
            [[30.25, 49.95], [30.35, 49.95], [30.35, 50.05], [30.25, 50.05]],
            start=START,
            end=zone_end,
        ),
    )


def test_route_leg_conflicts_with_a_zone_active_during_the_leg(tmp_path: Path) -> None:
    path = write(tmp_path / "route.geojson", _route_past_zone("2026-11-25T06:45:00Z"))
    status, report = check_json(path)
    assert status == 1
    conflict = only_conflict(report)
    assert report["reports"][0]["declaration"] == "op-r"
    assert conflict["other"] == "zone-b"
    assert conflict["other_kind"] == "zone"
    assert conflict["first"]["start"] == "2026-11-25T06:30:00Z"
    assert conflict["first"]["end"] == "2026-11-25T06:45:00Z"
    assert conflict["first"]["volume"] == 1, "the second leg"


def test_route_leg_is_clear_of_a_zone_closed_before_the_leg(tmp_path: Path) -> None:
    path = write(tmp_path / "route.geojson", _route_past_zone("2026-11-25T06:25:00Z"))
    status, report = check_json(path)
    assert status == 0, report
