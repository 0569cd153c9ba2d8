"""The local plane against `pyproj.Geod`: the error bound the engine's distances rest on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deconflict.geo.projection import MAX_REACH_M, MAX_RELATIVE_ERROR, LocalPlane
from engine_helpers import GEOD, azimuths, centers

reaches = st.floats(0.0, MAX_REACH_M, allow_nan=False)
any_center = centers(max_abs_lat=84.0, max_abs_lon=180.0)


def _plane_and_geodesic(
    center: tuple[float, float], az1: float, d1: float, az2: float, d2: float
) -> tuple[float, float]:
    """Planar and geodesic distance between two points placed around `center`."""
    lons, lats, _ = GEOD.fwd([center[0]] * 2, [center[1]] * 2, [az1, az2], [d1, d2])
    plane = LocalPlane(*center)
    x, y = plane.forward(lons, lats)
    planar = float(np.hypot(x[1] - x[0], y[1] - y[0]))
    geodesic = float(GEOD.inv(lons[0], lats[0], lons[1], lats[1])[2])
    return planar, geodesic


@settings(max_examples=300, deadline=None)
@given(center=any_center, az1=azimuths, d1=reaches, az2=azimuths, d2=reaches)
@example(center=(10.0, 45.0), az1=0.0, d1=199_000.0, az2=0.0, d2=200_000.0)
@example(center=(10.0, -45.0), az1=180.0, d1=199_990.0, az2=180.0, d2=200_000.0)
def test_plane_distance_within_stated_bound(
    center: tuple[float, float], az1: float, d1: float, az2: float, d2: float
) -> None:
    """MAX_RELATIVE_ERROR holds for any two points within MAX_REACH_M of the centre. The
    examples are the worst case: a short north-south segment at the edge of the reach at
    45°, where the meridional radius has changed by 3.2e-4 from the centre's."""
    planar, geodesic = _plane_and_geodesic(center, az1, d1, az2, d2)
    assert abs(planar - geodesic) <= MAX_RELATIVE_ERROR * geodesic + 1e-6


@settings(max_examples=300, deadline=None)
@given(center=any_center, az1=azimuths, d1=reaches, az2=azimuths, d2=reaches)
@example(center=(10.0, 45.0), az1=0.0, d1=199_000.0, az2=0.0, d2=200_000.0)
@example(center=(10.0, -45.0), az1=180.0, d1=199_000.0, az2=180.0, d2=200_000.0)
@example(center=(0.0, 84.0), az1=90.0, d1=200_000.0, az2=270.0, d2=200_000.0)
@example(center=(179.5, 30.0), az1=90.0, d1=200_000.0, az2=270.0, d2=200_000.0)
def test_plane_distance_within_design_tolerance(
    center: tuple[float, float], az1: float, d1: float, az2: float, d2: float
) -> None:
    """What the design asks of any distance: within 0.1 % of the geodesic, at any two
    points within the trusted reach of the centre."""
    planar, geodesic = _plane_and_geodesic(center, az1, d1, az2, d2)
    assert abs(planar - geodesic) <= 1e-3 * geodesic + 1e-6


@settings(max_examples=200, deadline=None)
@given(center=any_center, az=azimuths, d=reaches)
def test_radial_distance_from_centre(center: tuple[float, float], az: float, d: float) -> None:
    """From the centre itself the plane is azimuthal: the radial distance is the geodesic
    one to well inside the stated bound."""
    lon, lat, _ = GEOD.fwd(center[0], center[1], az, d)
    x, y = LocalPlane(*center).forward(lon, lat)
    assert abs(float(np.hypot(x, y)) - d) <= MAX_RELATIVE_ERROR * d + 1e-6


@settings(max_examples=200, deadline=None)
@given(center=any_center, az=azimuths, d=reaches)
def test_forward_inverse_round_trip(center: tuple[float, float], az: float, d: float) -> None:
    lon, lat, _ = GEOD.fwd(center[0], center[1], az, d)
    plane = LocalPlane(*center)
    x, y = plane.forward(lon, lat)
    lon2, lat2 = plane.inverse(x, y)
    assert float(GEOD.inv(lon, lat, float(lon2), float(lat2))[2]) < 1e-6
    x2, y2 = plane.forward(lon2, lat2)
    assert float(np.hypot(x2 - x, y2 - y)) < 1e-6


def test_centre_maps_to_origin_and_axes_point_east_and_north() -> None:
    plane = LocalPlane(20.0, 50.0)
    x, y = plane.forward(20.0, 50.0)
    assert abs(float(x)) < 1e-9
    assert abs(float(y)) < 1e-9
    east = GEOD.fwd(20.0, 50.0, 90.0, 10_000.0)
    north = GEOD.fwd(20.0, 50.0, 0.0, 10_000.0)
    xe, ye = plane.forward(east[0], east[1])
    xn, yn = plane.forward(north[0], north[1])
    assert float(xe) == pytest.approx(10_000.0, rel=MAX_RELATIVE_ERROR)
    assert abs(float(ye)) < 1.0  # a geodesic leaving east curves slightly south
    assert float(yn) == pytest.approx(10_000.0, rel=MAX_RELATIVE_ERROR)
    assert abs(float(xn)) < 1e-6
