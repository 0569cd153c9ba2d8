"""Footprints never cut into what they outline: every point of a circle lies inside."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from deconflict.geo.footprint import outline_area_m2, outline_footprint
from deconflict.geo.outline import Circle, PolygonOutline

WGS84 = Geod(ellps="WGS84")


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(-170.0, 170.0),
    lat=st.floats(-60.0, 60.0),
    radius=st.floats(10.0, 500_000.0),
)
def test_a_circles_footprint_contains_the_circle(lon: float, lat: float, radius: float) -> None:
    """Points on the geodesic circle (pyproj, 720 azimuths) all lie inside the footprint
    (to 1e-6°, 0.1 m: its edges are straight in lon/lat, the circle's are not), and it
    exceeds the circle by little (at most 0.2 % of the radius plus 3 m).

    Up to 60° of latitude: nearer the poles a straight lon/lat edge sags further inside
    the circle than 0.1 m (known; area tests there may miss by that much)."""
    shape = outline_footprint(Circle((lon, lat), radius))
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
