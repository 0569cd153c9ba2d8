"""A local plane around a point, in which planar distances are geodesic to 0.04 %.

Why hand-written: the engine projects a handful of candidate shapes per check, with a
different centre each time; building a `pyproj.Transformer` per centre costs more than
the whole check budget. This is the azimuthal equidistant projection on the sphere,
then stretched by the WGS84 radii of curvature at the centre (prime vertical ``N``
east-west, meridional ``M`` north-south), which removes the ellipsoid's first-order
anisotropy (up to 0.34 % on a sphere of any single radius).

Error bound (measured against `pyproj.Geod.inv` over latitudes −84°…84°, random
directions and lengths from 10 m to 20 km, and pinned by `tests/test_projection.py`):
for two points within ``ρ`` of the centre the planar distance is within

    ======  ===========
    ρ       relative
    ======  ===========
    50 km   0.008 %
    100 km  0.016 %
    150 km  0.024 %
    200 km  0.032 %
    ======  ===========

The worst case is a short north-south segment far from the centre: the meridional
radius of curvature changes along the way and the plane keeps the centre's. Relative
error times distance can still be metres at 100 km, so the engine re-measures on the
ellipsoid any gap that close to its minimum (`engine.exact`).

`MAX_REACH_M` is the radius inside which the engine relies on it; `geo.pieces` keeps
every piece small enough, and minima large enough to exceed it are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)

MAX_REACH_M = 200_000.0
"""Distances are trusted (to `MAX_RELATIVE_ERROR`) between points this close to the centre."""

MAX_RELATIVE_ERROR = 3.5e-4
"""Relative distance error inside `MAX_REACH_M` (0.035 %, below the 0.1 % the design asks)."""

METRES_PER_DEGREE_LAT_MIN = 110_574.0
"""Shortest degree of latitude (at the equator): converts metres to a safe degree margin."""


def radii_of_curvature(lat_deg: float) -> tuple[float, float]:
    """Meridional (M) and prime-vertical (N) radii of curvature of WGS84 at a latitude."""
    s2 = math.sin(math.radians(lat_deg)) ** 2
    w = 1 - WGS84_E2 * s2
    return WGS84_A * (1 - WGS84_E2) / w**1.5, WGS84_A / math.sqrt(w)


def project(
    lon: ArrayLike, lat: ArrayLike, lon0: ArrayLike, lat0: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`LocalPlane(lon0, lat0).forward(lon, lat)`, with a centre per point if arrays.

    One vectorised call projects many points each into its own plane: how the engine
    screens a new declaration's pieces against all their candidates at once.
    """
    lat0_rad = np.radians(np.asarray(lat0, dtype=np.float64))
    s2 = np.sin(lat0_rad) ** 2
    w = 1 - WGS84_E2 * s2
    m_scale = WGS84_A * (1 - WGS84_E2) / w**1.5
    n_scale = WGS84_A / np.sqrt(w)
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    # Longitude difference wrapped to [-180, 180) so shapes beside the centre stay beside it.
    dlon = np.radians((np.asarray(lon, dtype=np.float64) - lon0 + 180.0) % 360.0 - 180.0)
    cos_phi, cos_phi0, sin_phi0 = np.cos(phi), np.cos(lat0_rad), np.sin(lat0_rad)
    hav = np.sin((phi - lat0_rad) / 2) ** 2 + cos_phi0 * cos_phi * np.sin(dlon / 2) ** 2
    c = 2 * np.arcsin(np.sqrt(np.minimum(np.maximum(hav, 0.0), 1.0)))  # `np.clip`, cheaper
    small = c < 1e-9
    k = np.where(small, 1.0, c / np.sin(np.where(small, 1.0, c)))
    x = n_scale * k * cos_phi * np.sin(dlon)
    y = m_scale * k * (cos_phi0 * np.sin(phi) - sin_phi0 * cos_phi * np.cos(dlon))
    return x, y


@dataclass(frozen=True, slots=True)
class LocalPlane:
    """Forward and inverse mapping between lon/lat degrees and metres around a centre."""

    lon0: float
    lat0: float

    @property
    def _scales(self) -> tuple[float, float]:
        m, n = radii_of_curvature(self.lat0)
        return n, m

    def forward(
        self, lon: ArrayLike, lat: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Project degrees to metres east (x) and north (y) of the centre."""
        return project(lon, lat, self.lon0, self.lat0)

    def inverse(
        self, x: ArrayLike, y: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Map metres east/north of the centre back to lon/lat degrees."""
        n_scale, m_scale = self._scales
        u = np.asarray(x, dtype=np.float64) / n_scale
        v = np.asarray(y, dtype=np.float64) / m_scale
        c = np.hypot(u, v)
        phi0 = math.radians(self.lat0)
        small = c == 0.0  # only the centre itself: sin(c) / c is exact for any c > 0
        safe_c = np.where(small, 1.0, c)
        sin_c, cos_c = np.sin(c), np.cos(c)
        sin_phi = cos_c * math.sin(phi0) + np.where(small, 0.0, v * sin_c * math.cos(phi0) / safe_c)
        phi = np.arcsin(np.clip(sin_phi, -1.0, 1.0))
        dlon = np.arctan2(u * sin_c, c * math.cos(phi0) * cos_c - v * math.sin(phi0) * sin_c)
        dlon = np.where(small, 0.0, dlon)
        lon = (self.lon0 + np.degrees(dlon) + 180.0) % 360.0 - 180.0
        return lon, np.degrees(phi)
