"""Footprints never cut into what they outline: every point of a circle lies inside."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from deconflict.geo.errors import InputError
from deconflict.geo.footprint import outline_area_m2, outline_footprint
from deconflict.geo.outline import Circle, Corridor, PolygonOutline

WGS84 = Geod(ellps="WGS84")


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(-170.0, 170.0),
    lat=st.floats(-84.0, 84.0),
    radius=st.floats(10.0, 500_000.0),
)
def test_a_circles_footprint_contains_the_circle(lon: float, lat: float, radius: float) -> None:
    """Points on the geodesic circle (pyproj, 720 azimuths) all lie inside the footprint
    (to 1e-6°, 0.1 m), up to 84° of latitude: its straight lon/lat edges sag inside less
    than its 2 m margin. And it exceeds the circle by little (at most 0.2 % of the
    radius plus 3 m)."""
    try:
        shape = outline_footprint(Circle((lon, lat), radius))
    except InputError:  # reaches beyond 85° or the antimeridian
        reject()
    azimuths = np.linspace(0.0, 360.0, 720, endpoint=False)
    lons, lats, _ = WGS84.fwd(
        np.full(azimuths.size, lon), np.full(azimuths.size, lat), azimuths, np.full(720, radius)
    )
    assert shapely.dwithin(shape, shapely.points(lons, lats), 1e-6).all()
    ring = np.asarray(shape.exterior.coords)
    _, _, reach = WGS84.inv(
        np.full(len(ring), lon), np.full(len(ring), lat), ring[:, 0], ring[:, 1]
    )
    assert reach.max() <= radius * 1.002 + 3.0


@settings(max_examples=100, deadline=None)
@given(
    lon=st.floats(-170.0, 170.0),
    lat=st.floats(-80.0, 80.0),
    width=st.floats(0.001, 0.5),
    height=st.floats(0.001, 0.5),
)
def test_an_outlines_area_is_its_area_on_the_ellipsoid(
    lon: float, lat: float, width: float, height: float
) -> None:
    """The geodesic area of a quadrilateral agrees with a second algorithm: its planar
    area in a Lambert azimuthal equal-area projection centred on it (to 0.1 %; edges are
    straight there, geodesic here, which differs by far less). A circle is π r²."""
    ring = ((lon, lat), (lon + width, lat), (lon + width * 1.2, lat + height), (lon, lat + height))
    outline = PolygonOutline((*ring, ring[0]))
    laea = Transformer.from_crs(
        "EPSG:4326",
        f"+proj=laea +lat_0={lat + height / 2} +lon_0={lon + width / 2} +ellps=WGS84",
        always_xy=True,
    )
    planar = shapely.Polygon([laea.transform(x, y) for x, y in ring]).area
    assert abs(outline_area_m2(outline) - planar) <= planar * 1e-3
    assert outline_area_m2(Circle((lon, lat), 1234.0)) == pytest.approx(math.pi * 1234.0**2)


@st.composite
def corridors(draw: st.DrawFn) -> Corridor:
    """Paths of 1–3 legs of 1–300 km, 10 m – 30 km wide, up to 80° of latitude."""
    lon, lat = draw(st.floats(-150.0, 150.0)), draw(st.floats(-80.0, 80.0))
    points = [(lon, lat)]
    for _ in range(draw(st.integers(1, 3))):
        x, y, _ = WGS84.fwd(*points[-1], draw(st.floats(0.0, 360.0)), draw(st.floats(1e3, 3e5)))
        points.append((float(x), float(y)))
    try:
        return Corridor(tuple(points), draw(st.floats(10.0, 30_000.0)))
    except InputError:  # beyond 85° or near the antimeridian
        reject()


@settings(max_examples=200, deadline=None)
@given(corridor=corridors())
def test_a_corridors_footprint_contains_the_corridor(corridor: Corridor) -> None:
    """Points at the half-width from each leg's geodesic (pyproj: 200 along each leg, on
    both sides, and round both ends) all lie inside the footprint, to 1e-7° (1 cm)."""
    shape = outline_footprint(corridor)
    lons, lats = [], []
    for (lon_a, lat_a), (lon_b, lat_b) in itertools.pairwise(corridor.path):
        middle = np.array(WGS84.npts(lon_a, lat_a, lon_b, lat_b, 200), dtype=np.float64)
        x = np.concatenate([[lon_a], middle[:, 0]])
        y = np.concatenate([[lat_a], middle[:, 1]])
        along, _, _ = WGS84.inv(x, y, np.full(x.size, lon_b), np.full(x.size, lat_b))
        back, _, _ = WGS84.inv(lon_b, lat_b, lon_a, lat_a)
        x, y = np.append(x, lon_b), np.append(y, lat_b)
        along = np.append(along, back + 180.0)
        for side in (-90.0, 90.0):
            px, py, _ = WGS84.fwd(x, y, along + side, np.full(x.size, corridor.radius))
            lons.append(px)
            lats.append(py)
    for lon, lat in corridor.path:
        azimuths = np.linspace(0.0, 360.0, 72, endpoint=False)
        n = azimuths.size
        px, py, _ = WGS84.fwd(
            np.full(n, lon), np.full(n, lat), azimuths, np.full(n, corridor.radius)
        )
        lons.append(px)
        lats.append(py)
    points = shapely.points(np.concatenate(lons), np.concatenate(lats))
    inside = shapely.dwithin(shape, points, 1e-7)
    worst = float(shapely.distance(shape, points).max()) * 111_320.0  # roughly, in metres
    assert inside.all(), f"{(~inside).sum()} of {inside.size} outside, by up to ~{worst:.2f} m"
