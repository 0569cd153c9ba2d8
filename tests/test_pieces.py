"""Pieces: small enough for the planes, covering their shape, boxed safely; bad input refused.

Reach and coverage are measured independently of the engine: with `pyproj.Geod`, and in
PROJ's ellipsoidal azimuthal equidistant projection (not the engine's `LocalPlane`).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
from hypothesis import example, given, reject, settings
from hypothesis import strategies as st
from pyproj import Transformer

from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.errors import InputError
from deconflict.geo.geodesic_edges import densify_polygon
from deconflict.geo.outline import Circle, Corridor, PolygonOutline
from deconflict.geo.pieces import MAX_PIECE_REACH_M, Piece, PieceKind, pieces_of
from deconflict.geo.route import Route, Waypoint
from deconflict.geo.separation import Minima
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume
from engine_helpers import (
    GEOD,
    T0,
    airspace,
    azimuths,
    centers,
    circle,
    moved,
    polygon,
    ring_around,
)


def aeqd(center: tuple[float, float]) -> Transformer:
    """PROJ's ellipsoidal azimuthal equidistant projection around `center` (metres)."""
    return Transformer.from_crs(
        "EPSG:4326",
        f"+proj=aeqd +lon_0={center[0]} +lat_0={center[1]} +ellps=WGS84 +units=m",
        always_xy=True,
    )


def piece_points(piece: Piece) -> np.ndarray:
    """The lon/lat points that define a piece's core."""
    if piece.kind is PieceKind.POLYGON:
        assert piece.polygon is not None
        return np.asarray(piece.polygon.exterior.coords)
    lon_a, lat_a, lon_b, lat_b = piece.segment
    return np.array([[lon_a, lat_a], [lon_b, lat_b]])


def reach(piece: Piece) -> float:
    """Geodesic distance from the piece's centre to the farthest point it covers."""
    points = piece_points(piece)
    n = len(points)
    lon, lat = piece.center
    _, _, d = GEOD.inv(np.full(n, lon), np.full(n, lat), points[:, 0], points[:, 1])
    return float(np.max(d)) + piece.radius


def volume(outline: Circle | PolygonOutline | Corridor) -> Volume:
    return Volume(outline, AltitudeBand(0.0, 1000.0), TimeWindow(T0, T0 + 3600.0))


@st.composite
def big_outlines(draw: st.DrawFn) -> Circle | PolygonOutline | Corridor:
    """Outlines from a few km to 700 km across, at latitudes up to 78°."""
    center = draw(centers(max_abs_lat=78.0, max_abs_lon=150.0))
    shape = draw(st.sampled_from(["circle", "polygon", "corridor"]))
    if shape == "circle":
        return Circle(center, draw(st.floats(1_000.0, 350_000.0)))
    if shape == "polygon":
        n = draw(st.integers(3, 12))
        size = draw(st.floats(5_000.0, 350_000.0))
        radii = draw(st.lists(st.floats(0.6 * size, size), min_size=n, max_size=n))
        return PolygonOutline(ring_around(center, radii, draw(azimuths)))
    points = [center]
    for _ in range(draw(st.integers(1, 4))):
        points.append(moved(points[-1], draw(azimuths), draw(st.floats(1_000.0, 300_000.0))))
    try:
        return Corridor(tuple(points), draw(st.floats(10.0, 50_000.0)))
    except InputError:  # wandered beyond 85° or near the antimeridian
        reject()


def _diamond(north_south: float) -> PolygonOutline:
    """A diamond at 45° whose north and south vertices are `north_south` metres out."""
    c = (20.0, 45.0)
    ring = [moved(c, 0.0, north_south), moved(c, 270.0, 50_000.0)]
    ring += [moved(c, 180.0, north_south), moved(c, 90.0, 50_000.0)]
    return PolygonOutline((*ring, ring[0]))


# --- reach ---------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(outline=big_outlines())
@example(outline=_diamond(99_998.0))
@example(outline=Circle((10.0, 60.0), 99_950.0))
def test_every_piece_reaches_at_most_the_maximum(outline: Circle | PolygonOutline) -> None:
    """Measured with Geod. The diamond reaches 100,006 m from its box centre although the
    engine's plane says 99,998 m: it must be cut."""
    pieces = pieces_of(volume(outline))
    assert pieces
    for piece in pieces:
        assert reach(piece) <= MAX_PIECE_REACH_M


@pytest.mark.parametrize(
    ("outline", "at_least"),
    [
        (Circle((10.0, 45.0), 500_000.0), 20),
        (PolygonOutline(ring_around((30.0, 70.0), [150_000.0] * 6)), 4),
        (Corridor(((0.0, 10.0), (4.0, 10.0)), 1_000.0), 9),  # 438 km: 50 km capsules
    ],
)
def test_large_shapes_are_cut(outline: Circle | PolygonOutline | Corridor, at_least: int) -> None:
    pieces = pieces_of(volume(outline))
    assert len(pieces) >= at_least
    assert all(reach(p) <= MAX_PIECE_REACH_M for p in pieces)


def test_small_circle_stays_one_capsule() -> None:
    (piece,) = pieces_of(volume(Circle((10.0, 45.0), 60_000.0)))
    assert piece.kind is PieceKind.CAPSULE
    assert piece.radius == 60_000.0
    assert piece.segment == (10.0, 45.0, 10.0, 45.0)


# --- coverage ------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(
    lon=st.floats(-150.0, 150.0),
    lat=st.floats(-75.0, 75.0),
    radius=st.floats(60_001.0, 500_000.0),
    turn=st.floats(0.0, 1.0),
)
@example(lon=10.0, lat=75.0, radius=500_000.0, turn=0.0)
@example(lon=10.0, lat=0.0, radius=60_001.0, turn=0.5)
def test_union_of_a_big_circles_pieces_contains_the_circle(
    lon: float, lat: float, radius: float, turn: float
) -> None:
    pieces = pieces_of(volume(Circle((lon, lat), radius)))
    assert all(p.kind is PieceKind.POLYGON for p in pieces)
    to_plane = aeqd((lon, lat))
    union = shapely.union_all(
        [
            shapely.transform(
                p.polygon, lambda c: np.column_stack(to_plane.transform(c[:, 0], c[:, 1]))
            )
            for p in pieces
        ]
    )
    n = 3600
    azimuth = (np.arange(n) + turn) * 360.0 / n
    lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), azimuth, np.full(n, radius))
    x, y = to_plane.transform(lons, lats)
    on_circle = shapely.points(np.column_stack([x, y]))
    outside = ~shapely.covers(union, on_circle)
    assert not outside.any(), f"{outside.sum()} points of the circle are outside its pieces"


def _row_line_probes(outline: PolygonOutline) -> list[tuple[float, float]]:
    """Points a few metres north of every vertex the grid put on a row line inside the
    polygon: where the pieces of two rows meet."""
    pieces = pieces_of(volume(outline))
    shape = outline.shape.buffer(-0.05)
    rows = sorted({p.polygon.bounds[1] for p in pieces if p.polygon is not None})[1:]
    probes = []
    for row in rows:
        xs = {
            x
            for p in pieces
            if p.polygon is not None
            for x, y in p.polygon.exterior.coords
            if y == row and shape.contains(shapely.Point(x, y))
        }
        for x in sorted(xs):
            probes += [moved((x, row), 0.0, north) for north in (5.0, 20.0, 60.0, 200.0)]
    return probes


@pytest.mark.parametrize("lat", [0.5, 30.0, 45.0, 78.0])
def test_operation_just_beside_a_cut_inside_a_large_zone_conflicts(lat: float) -> None:
    """Where the pieces of two rows meet, no sliver of the zone may belong to neither:
    a 1 m operation 5–200 m north of every vertex on a row line is inside the zone."""
    outline = PolygonOutline(ring_around((20.0, lat), [250_000.0] * 8, rotation=22.5))
    zone = Declaration("zone", "blue", Kind.ZONE, (volume(outline),))
    space = airspace(zone)
    probes = _row_line_probes(outline)
    assert probes
    missed = [p for p in probes if space.check(circle("op", "red", p, 1.0)).clear]
    assert not missed, f"{len(missed)} of {len(probes)} points inside the zone are clear of it"


def test_operation_inside_a_large_zone_at_a_random_point_conflicts() -> None:
    """Away from the row lines the pieces do cover the zone."""
    center = (20.0, 60.0)
    outline = PolygonOutline(ring_around(center, [250_000.0] * 8, rotation=22.5))
    zone = Declaration("zone", "blue", Kind.ZONE, (volume(outline),))
    space = airspace(zone)
    rng = np.random.default_rng(7)
    for az, d in zip(rng.uniform(0, 360, 60), rng.uniform(0, 220_000, 60), strict=True):
        op = circle("op", "red", moved(center, float(az), float(d)), 1.0)
        assert not space.check(op).clear


# --- boxes ---------------------------------------------------------------------------------


def _inside(box: tuple[float, float, float, float], lons: np.ndarray, lats: np.ndarray) -> bool:
    lon_min, lat_min, lon_max, lat_max = box
    return bool(
        np.all((lons >= lon_min) & (lons <= lon_max) & (lats >= lat_min) & (lats <= lat_max))
    )


@settings(max_examples=40, deadline=None)
@given(outline=big_outlines())
def test_boxes_contain_all_their_vertices(outline: Circle | PolygonOutline | Corridor) -> None:
    for piece in pieces_of(volume(outline)):
        points = piece_points(piece)
        assert _inside(piece.bbox, points[:, 0], points[:, 1])


def _around(points: np.ndarray, radius: float, k: int = 72) -> tuple[np.ndarray, np.ndarray]:
    """Points `radius` metres from each of `points`, every 360/k degrees."""
    n = len(points)
    lons, lats, _ = GEOD.fwd(
        np.repeat(points[:, 0], k),
        np.repeat(points[:, 1], k),
        np.tile(np.arange(k) * 360.0 / k, n),
        np.full(n * k, radius),
    )
    return np.asarray(lons), np.asarray(lats)


def _geodesic_samples(points: np.ndarray, n: int = 32) -> np.ndarray:
    """Points along the geodesics between consecutive `points` (ends included)."""
    samples = [points]
    for (lon_a, lat_a), (lon_b, lat_b) in itertools.pairwise(points):
        if (lon_a, lat_a) != (lon_b, lat_b):
            samples.append(np.asarray(GEOD.npts(lon_a, lat_a, lon_b, lat_b, n)))
    return np.vstack(samples)


@st.composite
def capsule_outlines(draw: st.DrawFn) -> Circle | Corridor:
    outline = draw(big_outlines().filter(lambda o: not isinstance(o, PolygonOutline)))
    if isinstance(outline, Circle):
        return Circle(outline.center, min(outline.radius, 60_000.0))
    return outline


@settings(max_examples=40, deadline=None)
@given(outline=capsule_outlines())
@example(outline=Circle((10.0, 78.0), 60_000.0))
@example(outline=Corridor(((0.0, 78.0), (4.0, 78.0)), 50_000.0))
def test_capsule_boxes_contain_every_point_within_the_radius(outline: Circle | Corridor) -> None:
    """Circles and corridor segments: the box holds the core's geodesic and every point
    within the radius of it (the index must never drop a candidate)."""
    for piece in pieces_of(volume(outline)):
        assert piece.kind is PieceKind.CAPSULE
        core = _geodesic_samples(piece_points(piece))
        lons, lats = _around(core, piece.radius)
        assert _inside(piece.bbox, lons, lats)


@settings(max_examples=40, deadline=None)
@given(outline=big_outlines().filter(lambda o: not isinstance(o, Corridor)))
@example(outline=Circle((0.0, 4.0), 100_000.0))
@example(
    outline=PolygonOutline(((10.0, 44.0), (16.0, 44.0), (16.0, 48.0), (10.0, 48.0), (10.0, 44.0)))
)
def test_polygon_piece_boxes_contain_their_edges(outline: Circle | PolygonOutline) -> None:
    """A polygon piece's edges are geodesics (the planes draw them as chords): the box must
    hold them, not only the vertices."""
    for piece in pieces_of(volume(outline)):
        edges = _geodesic_samples(piece_points(piece))
        assert _inside(piece.bbox, edges[:, 0], edges[:, 1])


# --- bad input -----------------------------------------------------------------------------


def _route(*points: tuple[float, float, float, float], **kw: float) -> Route:
    return Route(
        tuple(Waypoint(*p) for p in points),
        kw.get("half_width", 1000.0),
        kw.get("vertical_half_width", 100.0),
        kw.get("time_buffer", 0.0),
    )


BAD_INPUT = [
    pytest.param(
        lambda: PolygonOutline(((0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0))),
        "geometry.coordinates",
        id="self-intersecting polygon",
    ),
    pytest.param(
        lambda: PolygonOutline(((0.0, 0.0), (1.0, 0.0), (1.0, 1.0))),
        "geometry.coordinates",
        id="unclosed ring",
    ),
    pytest.param(
        lambda: PolygonOutline(((0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (0.0, 0.0))),
        "geometry.coordinates",
        id="polygon without area",
    ),
    pytest.param(lambda: Circle((10.0, 45.0), 0.0), "radius", id="radius 0"),
    pytest.param(lambda: Circle((10.0, 45.0), -5.0), "radius", id="negative radius"),
    pytest.param(lambda: Circle((10.0, 20.0), 2_000_001.0), "radius", id="radius over 2000 km"),
    pytest.param(lambda: Corridor(((10.0, 45.0), (11.0, 45.0)), 0.0), "buffer", id="half-width 0"),
    pytest.param(
        lambda: Corridor(((10.0, 45.0),), 100.0), "geometry.coordinates", id="one-point line"
    ),
    pytest.param(lambda: AltitudeBand(1000.0, 1000.0), "altitude_lower", id="lower = upper"),
    pytest.param(lambda: AltitudeBand(2000.0, 1000.0), "altitude_lower", id="lower > upper"),
    pytest.param(lambda: AltitudeBand(-600.0, 1000.0), "altitude_lower", id="below -500 m"),
    pytest.param(lambda: AltitudeBand(0.0, 30_001.0), "altitude_upper", id="above 30 km"),
    pytest.param(lambda: TimeWindow(T0, T0), "end", id="end = start"),
    pytest.param(lambda: TimeWindow(T0, T0 - 1.0), "end", id="end before start"),
    pytest.param(lambda: TimeWindow(T0, T0 + 367 * 86400.0), "end", id="window over a year"),
    pytest.param(
        lambda: Circle((10.0, 85.5), 1_000.0), "geometry.coordinates", id="circle beyond 85°"
    ),
    pytest.param(
        lambda: Circle((10.0, -84.9), 50_000.0), "radius", id="circle reaching beyond 85°"
    ),
    pytest.param(
        lambda: Circle((179.0, 0.0), 1_000.0), "geometry.coordinates", id="circle near +180°"
    ),
    pytest.param(
        lambda: Circle((177.9, 0.0), 20_000.0), "radius", id="circle reaching the antimeridian"
    ),
    pytest.param(
        lambda: PolygonOutline(((10.0, 84.0), (11.0, 86.0), (12.0, 84.0), (10.0, 84.0))),
        "geometry.coordinates",
        id="polygon beyond 85°",
    ),
    pytest.param(
        lambda: PolygonOutline(((-179.5, 0.0), (-179.0, 1.0), (-178.5, 0.0), (-179.5, 0.0))),
        "geometry.coordinates",
        id="polygon near -180°",
    ),
    pytest.param(
        lambda: Corridor(((178.5, 0.0), (170.0, 0.0)), 100.0),
        "geometry.coordinates",
        id="line near +180°",
    ),
    pytest.param(
        lambda: Corridor(((0.0, 80.0), (0.0, 86.0)), 100.0),
        "geometry.coordinates",
        id="line beyond 85°",
    ),
    pytest.param(
        lambda: Circle((200.0, 0.0), 1_000.0), "geometry.coordinates", id="longitude out of range"
    ),
    pytest.param(
        lambda: _route((10.0, 45.0, 1000.0, T0), (10.0, 85.5, 1000.0, T0 + 7200.0)),
        "geometry.coordinates[1]",
        id="route waypoint beyond 85°",
    ),
    pytest.param(
        lambda: _route((10.0, 45.0, 1000.0, T0), (10.1, 45.0, 1000.0, T0)),
        "times",
        id="route waypoints not in time order",
    ),
    pytest.param(
        lambda: _route((10.0, 45.0, 1000.0, T0), (20.0, 45.0, 1000.0, T0 + 60.0)),
        "times",
        id="route faster than Mach 4",
    ),
    pytest.param(
        lambda: _route(
            (10.0, 45.0, 1000.0, T0), (10.1, 45.0, 1000.0, T0 + 60.0), vertical_half_width=-1.0
        ),
        "vertical_half_width",
        id="negative vertical half-width",
    ),
    pytest.param(
        lambda: Minima(horizontal=100_001.0), "horizontal", id="horizontal minimum over 100 km"
    ),
    pytest.param(lambda: Minima(vertical=-1.0), "vertical", id="negative vertical minimum"),
]


@pytest.mark.parametrize(("build", "field"), BAD_INPUT)
def test_bad_input_raises_input_error_naming_the_field(build: object, field: str) -> None:
    with pytest.raises(InputError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field
    assert caught.value.message


def test_route_leg_without_vertical_extent_is_refused() -> None:
    flat = _route(
        (10.0, 45.0, 1000.0, T0), (10.1, 45.0, 1000.0, T0 + 600.0), vertical_half_width=0.0
    )
    with pytest.raises(InputError) as caught:
        flat.legs()
    assert caught.value.field == "vertical_half_width"


def test_operation_longer_than_a_week_is_refused() -> None:
    long = Volume(
        Circle((10.0, 45.0), 1_000.0), AltitudeBand(0.0, 1000.0), TimeWindow(T0, T0 + 8 * 86400.0)
    )
    with pytest.raises(InputError) as caught:
        Declaration("op", "red", Kind.OPERATION, (long,))
    assert (caught.value.feature, caught.value.field) == ("op", "end")
    Declaration("zone", "red", Kind.ZONE, (long,))  # zones may stand for longer


def test_declaration_without_volumes_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        Declaration("empty", "red", Kind.ZONE, ())
    assert caught.value.feature == "empty"


def test_polygon_builder_round_trip() -> None:
    """The test helper itself: a ring around a centre is valid, closed and counter-clockwise."""
    ring = ring_around((10.0, 45.0), [1_000.0, 2_000.0, 1_500.0])
    assert ring[0] == ring[-1]
    assert shapely.Polygon(ring).exterior.is_ccw
    assert polygon("p", "red", ring).volumes[0].outline.shape.is_valid


# --- area -----------------------------------------------------------------------------------


@st.composite
def spiky_polygons(draw: st.DrawFn) -> PolygonOutline:
    """Needles: two sides leaving one tip at nearly the same azimuth, of different
    lengths, closed around by a third vertex, anywhere up to 78°. The shorter side's end
    lies metres from the longer side: as geodesics they bow differently, and may cross
    although they do not in degrees."""
    tip = draw(centers(max_abs_lat=78.0, max_abs_lon=150.0))
    heading = draw(azimuths)
    apart = draw(st.floats(1e-4, 0.1)) * draw(st.sampled_from([-1.0, 1.0]))
    short = draw(st.floats(5_000.0, 150_000.0))
    long = short * draw(st.floats(1.05, 2.0))
    near, far = moved(tip, heading, short), moved(tip, heading + apart, long)
    side = heading - math.copysign(90.0, apart)  # the short side's side of the long one
    around = moved(moved(tip, heading, (short + long) / 2), side, draw(st.floats(1e3, 1e5)))
    try:
        return PolygonOutline((tip, near, around, far, tip))
    except InputError:  # not simple, in degrees or along its geodesic edges: refused
        reject()


@settings(max_examples=60, deadline=None)
@given(outline=spiky_polygons())
def test_pieces_tile_the_polygon_exactly(outline: PolygonOutline) -> None:
    """Every accepted polygon's pieces are valid and cover its drawing once: their areas
    add up to its area (the engine once tiled a geodesically self-crossing spike into
    pieces three times its size, and failed on another in GEOS)."""
    pieces = pieces_of(volume(outline), 0)
    drawn = densify_polygon(outline.shape)
    assert drawn.is_valid
    assert all(p.polygon is not None and p.polygon.is_valid for p in pieces)
    total = sum(p.polygon.area for p in pieces if p.polygon is not None)
    assert total == pytest.approx(drawn.area, rel=1e-9, abs=1e-15)
