"""The index never changes an answer: indexed checks equal brute force over every piece.

Random scenarios mix parties, zones, lines and operations (circles, polygons, corridors,
routes; small and large enough to be cut into pieces), altitude bands in different
references, time windows and per-pair minima (zeros included). Bands and windows sit on a
coarse grid so that touching in altitude and time happens often. Then the semantics the
design states are pinned one by one on hand-made cases: touching is clear, same-party and
area-to-area pairs never conflict, conflicts are symmetric.
"""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

import deconflict.engine.airspace as airspace_module
import deconflict.engine.grid_index as grid_index
from deconflict.engine import Airspace, Report
from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.errors import InputError
from deconflict.geo.outline import Circle, Corridor, PolygonOutline
from deconflict.geo.separation import Minima, SeparationPolicy
from deconflict.geo.volume import Volume
from engine_helpers import (
    GEOD,
    HOUR,
    T0,
    airspace,
    azimuths,
    band,
    centers,
    circle,
    distance,
    line,
    moved,
    polygon,
    ring_around,
    route,
    window,
)

PARTIES = ("red", "blue", "green")

# --- random scenarios ----------------------------------------------------------------------


@st.composite
def bands(draw: st.DrawFn) -> object:
    lower = draw(st.integers(-1, 16)) * 500.0
    upper = lower + draw(st.integers(1, 8)) * 500.0
    return band(lower, min(upper, 30_000.0), draw(st.sampled_from(list(AltitudeReference))))


@st.composite
def windows(draw: st.DrawFn, long: bool = False) -> object:
    """Ten minutes to two hours on a 10 min grid; for areas, sometimes days or months."""
    if long and draw(st.booleans()):
        start = T0 - draw(st.integers(0, 30)) * 86400.0
        return window(start, T0 + draw(st.integers(1, 300)) * 86400.0)
    start = T0 + draw(st.integers(0, 12)) * 600.0
    return window(start, start + draw(st.integers(1, 12)) * 600.0)


@st.composite
def polygon_outlines(draw: st.DrawFn, spot: tuple[float, float]) -> PolygonOutline:
    size = draw(st.sampled_from([(500.0, 30_000.0), (100_000.0, 180_000.0)]))
    n = draw(st.integers(3, 9))
    radii = draw(st.lists(st.floats(*size), min_size=n, max_size=n))
    return PolygonOutline(ring_around(spot, radii, draw(azimuths)))


@st.composite
def circle_outlines(draw: st.DrawFn, spot: tuple[float, float]) -> Circle:
    size = draw(st.sampled_from([(100.0, 60_000.0), (60_000.0, 250_000.0)]))
    return Circle(spot, draw(st.floats(*size)))


@st.composite
def paths(draw: st.DrawFn, spot: tuple[float, float]) -> tuple[tuple[float, float], ...]:
    points = [spot]
    for _ in range(draw(st.integers(1, 3))):
        points.append(moved(points[-1], draw(azimuths), draw(st.floats(2_000.0, 120_000.0))))
    return tuple(points)


@st.composite
def declarations(draw: st.DrawFn, ident: str, origin: tuple[float, float]) -> Declaration:
    try:
        return draw(_declarations(ident, origin))
    except InputError:  # a path that wandered beyond 85° or near the antimeridian
        reject()


@st.composite
def _declarations(draw: st.DrawFn, ident: str, origin: tuple[float, float]) -> Declaration:
    spot = moved(origin, draw(azimuths), draw(st.floats(0.0, 100_000.0)))
    party = draw(st.sampled_from(PARTIES))
    kind = draw(st.sampled_from([Kind.OPERATION, Kind.OPERATION, Kind.ZONE, Kind.LINE]))
    if kind is Kind.LINE:
        path = draw(paths(spot))
        return line(
            ident,
            party,
            path,
            draw(st.floats(100.0, 10_000.0)),
            altitude=draw(bands()),
            time=draw(windows(long=True)),
        )
    shape = draw(
        st.sampled_from(
            ["circle", "polygon", "corridor", "route"][: 2 + 2 * (kind is Kind.OPERATION)]
        )
    )
    if shape == "route":
        path = draw(paths(spot))
        time = T0 + draw(st.integers(0, 12)) * 600.0
        points = []
        for k, (lon, lat) in enumerate(path):
            if k:
                time += moved_time(path[k - 1], (lon, lat), draw(st.floats(80.0, 300.0)))
            points.append((lon, lat, draw(st.integers(0, 12)) * 500.0, time))
        return route(
            ident,
            party,
            points,
            half_width=draw(st.floats(200.0, 10_000.0)),
            vertical_half_width=draw(st.sampled_from([50.0, 150.0, 300.0])),
            time_buffer=draw(st.sampled_from([0.0, 300.0, 600.0])),
            reference=draw(st.sampled_from(list(AltitudeReference))),
        )
    if shape == "corridor":
        outline: object = Corridor(draw(paths(spot)), draw(st.floats(100.0, 10_000.0)))
    elif shape == "circle":
        outline = draw(circle_outlines(spot))
    else:
        outline = draw(polygon_outlines(spot))
    area = kind is not Kind.OPERATION
    volumes = [Volume(outline, draw(bands()), draw(windows(long=area)))]  # type: ignore[arg-type]
    if kind is Kind.OPERATION and draw(st.booleans()):  # a second volume, elsewhere, later
        other = draw(circle_outlines(moved(spot, draw(azimuths), draw(st.floats(0, 80_000.0)))))
        volumes.append(Volume(other, draw(bands()), draw(windows())))
    return Declaration(ident, party, kind, tuple(volumes), draw(st.integers(0, 2)))


def moved_time(a: tuple[float, float], b: tuple[float, float], speed: float) -> float:
    """Seconds to fly from a to b at `speed`, rounded up to the second."""
    return float(int(distance(a, b) / speed) + 1)


minima_values = st.builds(
    Minima,
    horizontal=st.sampled_from([0.0, 500.0, 9_260.0, 50_000.0, 100_000.0]),
    vertical=st.sampled_from([0.0, 150.0, 300.0, 1_000.0]),
    time=st.sampled_from([0.0, 300.0, 600.0, 1_800.0]),
)


@st.composite
def policies(draw: st.DrawFn) -> SeparationPolicy:
    pairs = {}
    for a in PARTIES:
        for b in PARTIES:
            if a <= b and draw(st.booleans()):
                pairs[frozenset((a, b))] = draw(minima_values)
    self_checking = frozenset(p for p in PARTIES if draw(st.booleans()))
    return SeparationPolicy(draw(minima_values), pairs, self_checking)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[SeparationPolicy, list[Declaration]]:
    origin = draw(centers(max_abs_lat=80.0, max_abs_lon=150.0))
    count = draw(st.integers(2, 7))
    return draw(policies()), [draw(declarations(f"d{i}", origin)) for i in range(count)]


def conflict_keys(report: Report) -> list[tuple]:
    """Everything a report says about its conflicts, in a canonical order."""
    keys = []
    for c in report.conflicts:
        encounters = sorted(
            (
                e.volume,
                e.other_volume,
                e.horizontal_gap,
                e.vertical_gap,
                e.time_gap,
                e.start,
                e.end,
                e.lon,
                e.lat,
            )
            for e in c.encounters
        )
        keys.append((c.other, c.other_party, c.other_kind, c.minima, tuple(encounters)))
    return sorted(keys)


def assert_rules_hold(space: Airspace, new: Declaration, report: Report) -> None:
    """Each reported conflict obeys the stated rules and lies below its minima."""
    for c in report.conflicts:
        other = space.get(c.other)
        assert other is not None
        assert Kind.OPERATION in (new.kind, other.kind), "areas never conflict with areas"
        if new.kind is Kind.OPERATION and other.kind is Kind.OPERATION:
            assert space.policy.between(new.party, other.party) == c.minima
        else:
            assert new.party != other.party, "areas only bind other parties"
            assert c.minima == Minima()
        for e in c.encounters:
            assert e.vertical_gap < c.minima.vertical
            assert e.time_gap < c.minima.time
            assert e.horizontal_gap < c.minima.horizontal or (
                c.minima.horizontal == 0.0 and e.horizontal_gap == 0.0
            )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios(), bulk=st.booleans(), merge=st.booleans(), churn=st.integers(0, 2))
def test_index_finds_exactly_what_brute_force_finds(
    scenario: tuple[SeparationPolicy, list[Declaration]], bulk: bool, merge: bool, churn: int
) -> None:
    policy, stored = scenario
    # `bulk` builds the index in one pass instead of inserting box by box; `merge` folds
    # every insert into the sorted cells at once instead of keeping it aside.
    with (
        mock.patch.object(airspace_module, "BULK_LOAD_THRESHOLD", 0 if bulk else 10**9),
        mock.patch.object(grid_index, "MERGE_AT", 0 if merge else 10**9),
    ):
        space = airspace(*stored, policy=policy)
        # Churn: remove some and put them back (rows are tombstoned, boxes deleted).
        for d in stored[:churn]:
            space.remove(d.id)
        space.add_many(stored[:churn])
    found: dict[str, set[str]] = {}
    for d in stored:
        indexed = space.check(d)
        brute = space.check(d, use_index=False)
        assert conflict_keys(indexed) == conflict_keys(brute)
        assert_rules_hold(space, d, indexed)
        found[d.id] = {c.other for c in indexed.conflicts}
    for a, others in found.items():
        for b in others:
            assert a in found[b], f"{a} conflicts with {b} but not {b} with {a}"


def test_index_finds_an_operation_near_a_row_line_inside_a_large_zone() -> None:
    """A zone 6° × 4° is cut into 25 pieces with row lines at 44.8953° N, 45.79° N…; a
    1 m operation at 10.38° E just north of the first row line is deep inside it."""
    ring = [(10.0, 44.0), (16.0, 44.0), (16.0, 48.0), (10.0, 48.0), (10.0, 44.0)]
    space = airspace(polygon("zone", "blue", ring, kind=Kind.ZONE))
    op = circle("op", "red", (10.38, 44.896), 1.0)
    brute = space.check(op, use_index=False)
    assert not brute.clear  # the truth: it is inside the zone
    assert conflict_keys(space.check(op)) == conflict_keys(brute)


def test_random_scenarios_do_produce_conflicts() -> None:
    """The generator is not vacuous: a good share of scenarios has conflicts to compare."""
    with_conflicts = 0

    @settings(max_examples=40, deadline=None, database=None, derandomize=True)
    @given(scenario=scenarios())
    def count(scenario: tuple[SeparationPolicy, list[Declaration]]) -> None:
        nonlocal with_conflicts
        policy, stored = scenario
        space = airspace(*stored, policy=policy)
        if any(space.check(d).conflicts for d in stored):
            with_conflicts += 1

    count()
    assert with_conflicts >= 10


# --- touching is not overlapping: in space ---------------------------------------------------


def _shared_edge_pair(
    lat: float, size: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Two polygons on either side of the slanted edge (20, lat)–(20 + 0.37 size, lat + size)."""
    p, q = (20.0, lat), (20.0 + 0.37 * size, lat + size)
    west = [p, q, (20.0 - 0.9 * size, lat + 1.1 * size), (20.0 - size, lat + 0.1 * size), p]
    east = [p, (20.0 + size, lat - 0.2 * size), (20.0 + 1.5 * size, lat + 0.8 * size), q, p]
    return west, east


SHARED_EDGES = [
    pytest.param(45.0, 0.02, id="1.7 km edge at 45°"),
    pytest.param(70.0, 0.03, id="3.5 km edge at 70°"),
    pytest.param(45.0, 0.1, id="11 km edge at 45°"),
    pytest.param(0.5, 0.4, id="46 km edge at 0°"),
    pytest.param(78.0, 1.3, id="145 km edge at 78°, cut into pieces"),
]


@pytest.mark.parametrize(("lat", "size"), SHARED_EDGES)
def test_polygons_sharing_an_edge_do_not_conflict_at_zero_minima(lat: float, size: float) -> None:
    west, east = _shared_edge_pair(lat, size)
    a, b = polygon("west", "red", west), polygon("east", "blue", east)
    assert airspace(b).check(a).clear
    assert airspace(a).check(b).clear
    zone = polygon("zone", "blue", east, kind=Kind.ZONE)
    assert airspace(zone).check(a).clear


def test_polygons_cut_into_pieces_sharing_an_edge_do_not_conflict_at_zero_minima() -> None:
    """Two triangles sharing a 190 km edge near the equator, cut into 2 and 3 pieces."""
    west = [(0.0, 0.0), (-0.85, -1.61), (-0.1, -0.98), (0.0, 0.0)]
    east = [(-0.85, -1.61), (0.0, 0.0), (-0.9, -0.55), (-0.85, -1.61)]
    a, b = polygon("west", "red", west), polygon("east", "blue", east)
    assert airspace(b).check(a).clear
    assert airspace(a).check(b).clear


@pytest.mark.parametrize(("lat", "size"), [(45.0, 0.02), (45.0, 0.1), (0.5, 0.4), (78.0, 1.3)])
def test_polygons_overlapping_across_an_edge_conflict_at_zero_minima(
    lat: float, size: float
) -> None:
    west, east = _shared_edge_pair(lat, size)
    overlapping = [moved(v, 270.0, 3.0) for v in east]  # 3 m west, over the edge
    a, b = polygon("west", "red", west), polygon("east", "blue", overlapping)
    assert not airspace(b).check(a).clear
    assert not airspace(a).check(b).clear


@st.composite
def polygons_sharing_an_edge(draw: st.DrawFn) -> tuple[list, list, list]:
    """Two fans on either side of a random geodesic edge p–q (traversed p→q by one, q→p by
    the other, as neighbours are drawn), and the second one moved 5 m over the edge."""
    p = draw(centers(max_abs_lat=78.0, max_abs_lon=150.0))
    az, length = draw(azimuths), draw(st.floats(500.0, 250_000.0))
    q = moved(p, az, length)
    middle = moved(p, az, length / 2)
    heading = float(GEOD.inv(middle[0], middle[1], q[0], q[1])[0])

    def fan(side: float) -> list[tuple[float, float]]:
        k = draw(st.integers(1, 3))
        turns = sorted(draw(st.lists(st.floats(-60.0, 60.0), min_size=k, max_size=k)))[::-1]
        reach = st.floats(0.2 * length, length)
        return [moved(middle, heading + side + t, draw(reach)) for t in turns]

    west = [p, q, *fan(-90.0), p]
    east = [q, p, *fan(90.0), q]
    over = [moved(v, heading - 90.0, 5.0) for v in east]  # 5 m over the edge
    return west, east, over


@settings(max_examples=40, deadline=None)
@given(shapes=polygons_sharing_an_edge())
def test_random_polygons_sharing_an_edge_touch_but_do_not_conflict(
    shapes: tuple[list, list, list],
) -> None:
    west, east, over = shapes
    try:
        a, b = polygon("west", "red", west), polygon("east", "blue", east)
        c = polygon("over", "blue", over)
    except InputError:
        assume(False)
    assert airspace(b).check(a).clear
    assert airspace(a).check(b).clear
    assert not airspace(c).check(a).clear
    assert not airspace(a).check(c).clear


def test_circle_touching_a_polygon_edge_from_outside_is_clear() -> None:
    """A small circle whose edge reaches 1 m short of a polygon: clear at zero minima,
    a conflict once the minimum exceeds the gap."""
    center = (30.0, 50.0)
    ring = ring_around(center, [3_000.0] * 4, rotation=45.0)  # a square, edges ~4.2 km
    # Due east of the centre the square's edge is ~2121 m away; put a circle just outside.
    spot = moved(center, 90.0, 2_121.3 + 500.0 + 1.0)
    disc = circle("disc", "red", spot, 500.0)
    square = polygon("square", "blue", ring)
    assert airspace(square).check(disc).clear
    near = airspace(square, policy=SeparationPolicy(Minima(horizontal=50.0))).check(disc)
    assert not near.clear
    assert 0.0 < near.conflicts[0].worst.horizontal_gap < 50.0


# --- touching is not overlapping: in altitude ----------------------------------------------


@pytest.mark.parametrize(
    ("second", "vertical", "clear"),
    [
        (band(1000.0, 2000.0), 0.0, True),  # touching at 1000 m
        (band(1000.0, 2000.0), 1.0, False),  # touching, but 1 m is required
        (band(1300.0, 2000.0), 300.0, True),  # exactly the minimum apart
        (band(1299.0, 2000.0), 300.0, False),  # 1 m short of it
        (band(999.0, 2000.0), 0.0, False),  # overlapping by 1 m
        (band(1000.0, 2000.0, AltitudeReference.AMSL), 0.0, False),  # geoid margin 110 m
        (band(1110.0, 2000.0, AltitudeReference.AMSL), 0.0, True),  # beyond the margin
        (band(1300.0, 2000.0, AltitudeReference.STD), 0.0, False),  # pressure margin 300 m
        (band(1410.0, 2000.0, AltitudeReference.STD), 0.0, True),  # 110 + 300 m
    ],
)
def test_altitude_bands(second: object, vertical: float, clear: bool) -> None:
    center = (10.0, 40.0)
    a = circle("a", "red", center, 5_000.0, altitude=band(0.0, 1000.0))
    b = circle("b", "blue", center, 5_000.0, altitude=second)
    policy = SeparationPolicy(Minima(vertical=vertical))
    assert airspace(b, policy=policy).check(a).clear is clear
    assert airspace(a, policy=policy).check(b).clear is clear


# --- touching is not overlapping: in time --------------------------------------------------


@pytest.mark.parametrize(
    ("break_s", "time_minimum", "clear"),
    [
        (0.0, 0.0, True),  # [T0, T0+1h) then [T0+1h, …): the end instant is free
        (-1.0, 0.0, False),  # one second of overlap
        (0.0, 600.0, False),  # back to back, but 10 min are required
        (599.0, 600.0, False),  # 1 s short of the minimum
        (600.0, 600.0, True),  # exactly the minimum
        (601.0, 600.0, True),
    ],
)
def test_time_windows(break_s: float, time_minimum: float, clear: bool) -> None:
    center = (10.0, 40.0)
    a = circle("a", "red", center, 5_000.0, time=window(T0, T0 + HOUR))
    later = T0 + HOUR + break_s
    b = circle("b", "blue", center, 5_000.0, time=window(later, later + HOUR))
    policy = SeparationPolicy(Minima(time=time_minimum))
    assert airspace(b, policy=policy).check(a).clear is clear
    assert airspace(a, policy=policy).check(b).clear is clear


def test_route_leg_occupies_its_corridor_only_during_its_own_window() -> None:
    """A zone on the second leg, active only while the first leg is flown: clear. Widen
    the route's time buffer until the second leg's window reaches it: conflict."""
    start = (10.0, 40.0)
    turn = moved(start, 90.0, 60_000.0)
    end = moved(turn, 0.0, 60_000.0)
    points = [(*start, 1000.0, T0), (*turn, 1000.0, T0 + 600.0), (*end, 1000.0, T0 + 1200.0)]
    beside_second_leg = moved(turn, 0.0, 30_000.0)
    zone = circle(
        "zone", "blue", beside_second_leg, 2_000.0, kind=Kind.ZONE, time=window(T0, T0 + 500.0)
    )
    assert airspace(zone).check(route("flight", "red", points)).clear
    assert not airspace(zone).check(route("flight", "red", points, time_buffer=101.0)).clear
    assert airspace(zone).check(route("flight", "red", points, time_buffer=100.0)).clear


# --- who conflicts with whom ---------------------------------------------------------------


def test_same_party_operations_conflict_only_when_the_party_asks() -> None:
    center = (10.0, 40.0)
    a = circle("a", "red", center, 5_000.0)
    b = circle("b", "red", center, 5_000.0)
    assert airspace(b).check(a).clear
    policy = SeparationPolicy(self_checking=frozenset({"red"}))
    assert not airspace(b, policy=policy).check(a).clear
    policy = SeparationPolicy(self_checking=frozenset({"blue"}))
    assert airspace(b, policy=policy).check(a).clear


def test_zones_and_lines_bind_only_other_parties_operations() -> None:
    center = (10.0, 40.0)
    ring = ring_around(center, [10_000.0] * 5)
    red_zone = polygon("red zone", "red", ring, kind=Kind.ZONE)
    blue_zone = polygon("blue zone", "blue", ring, kind=Kind.ZONE)
    blue_line = line(
        "blue line", "blue", [moved(center, 270, 20e3), moved(center, 90, 20e3)], 500.0
    )
    red_op = circle("red op", "red", center, 2_000.0)
    blue_op = circle("blue op", "blue", center, 2_000.0)
    policy = SeparationPolicy(self_checking=frozenset(PARTIES))
    space = airspace(red_zone, blue_zone, blue_line, red_op, blue_op, policy=policy)

    def others(d: Declaration) -> set[str]:
        return {c.other for c in space.check(d).conflicts}

    assert others(red_zone) == {"blue op"}
    assert others(blue_zone) == {"red op"}
    assert others(blue_line) == {"red op"}
    assert others(red_op) == {"blue zone", "blue line", "blue op"}
    assert others(blue_op) == {"red zone", "red op"}


def test_zones_use_bare_overlap_whatever_the_pair_minima() -> None:
    """A zone is already the keep-out: an operation 1 km outside it is clear even though
    the parties agreed 5 NM between their operations."""
    center = (10.0, 40.0)
    zone = circle("zone", "blue", center, 10_000.0, kind=Kind.ZONE)
    outside = circle("op", "red", moved(center, 45.0, 12_000.0), 1_000.0)
    inside = circle("op2", "red", moved(center, 45.0, 10_500.0), 1_000.0)
    policy = SeparationPolicy(Minima(9_260.0, 300.0, 600.0))
    assert airspace(zone, policy=policy).check(outside).clear
    assert not airspace(zone, policy=policy).check(inside).clear


def test_an_update_is_not_checked_against_the_version_it_replaces() -> None:
    center = (10.0, 40.0)
    first = circle("op", "red", center, 5_000.0)
    space = airspace(first, circle("far", "blue", moved(center, 0.0, 50_000.0), 1_000.0))
    assert space.check(circle("op", "red", center, 6_000.0)).clear
    space.remove("op")
    space.add(circle("op", "red", center, 6_000.0))
    assert "op" in space
    assert space.check(circle("new", "blue", center, 1_000.0)).conflicts[0].other == "op"


def test_conflict_is_symmetric_near_the_minimum() -> None:
    """Two 60 km circles at 45°, one due south of the other, edges 1 m apart; zero
    minima except a 5 m horizontal one. Each is within 5 m of the other, so each
    check must find the other."""
    north = (10.0, 45.0)
    south = moved(north, 180.0, 120_001.0)
    a, b = circle("a", "red", north, 60_000.0), circle("b", "blue", south, 60_000.0)
    policy = SeparationPolicy(Minima(horizontal=5.0))
    a_finds_b = not airspace(b, policy=policy).check(a).clear
    b_finds_a = not airspace(a, policy=policy).check(b).clear
    assert a_finds_b == b_finds_a
