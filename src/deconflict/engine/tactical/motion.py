"""The motion model: each aircraft flies a straight line at constant velocity.

State-based prediction (DESIGN.md, Tactical): from an aircraft's latest report, its
position at time ``t`` is ``P + V·t`` in Earth-centred, Earth-fixed (ECEF) metres, where
``P`` is the reported position on the WGS84 ellipsoid (height 0: altitude is handled
separately, as a number) and ``V`` the ground velocity (ground speed along the track),
a vector tangent to the ellipsoid at ``P``. Altitude changes linearly at the vertical
rate. The same model carries a report forward to the cycle time (at most 20 s) and then
over the look-ahead, so there is one approximation, stated once:

- on a sphere a straight line tangent at ``P`` stays exactly above the great circle
  with the track's azimuth, and its ground distance from ``P`` after flying ``s`` is
  ``R·atan(s/R)``: 3.5 m short at 75 km (300 s at 250 m/s). On the ellipsoid it follows
  the geodesic as closely (tested against `pyproj.Geod.fwd`, `tests/tactical`).
- the line rises above the ground by ``s²/2R`` (440 m at 75 km). That height is not
  altitude (altitude is the separate linear term); it only leaks into the horizontal
  distance through the tilt between the two aircraft's verticals (see `pairs`).

Why ECEF rather than a projected plane: the pair test then needs no trigonometry per
pair (only sums and products of per-aircraft vectors computed once per cycle), and no
single plane has to cover a whole region.

For display and conformance, `positions_at` gives lon/lat/altitude at a time on the
local radii of curvature (error below 1 m per 20 s of extrapolation, metres at 300 s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deconflict.engine.tactical.state import TrackStates
from deconflict.geo.projection import WGS84_A, WGS84_E2


@dataclass(frozen=True, slots=True)
class Kinematics:
    """Per-aircraft vectors at the cycle time, as separate columns (metres, m/s).

    ``p`` is the position, ``v`` the ground velocity, ``u`` the unit normal of the
    ellipsoid (local vertical) at the reported position; ``alt`` and ``vs`` are the
    altitude (at the cycle time) and vertical rate; ``speed`` is |v|.
    """

    px: NDArray[np.float64]
    py: NDArray[np.float64]
    pz: NDArray[np.float64]
    vx: NDArray[np.float64]
    vy: NDArray[np.float64]
    vz: NDArray[np.float64]
    ux: NDArray[np.float64]
    uy: NDArray[np.float64]
    uz: NDArray[np.float64]
    alt: NDArray[np.float64]
    vs: NDArray[np.float64]
    speed: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.px)


def kinematics(states: TrackStates) -> Kinematics:
    """Every aircraft's position and velocity carried to `states.now` by the model."""
    phi = np.radians(states.lat)
    lam = np.radians(states.lon)
    sin_phi, cos_phi = np.sin(phi), np.cos(phi)
    sin_lam, cos_lam = np.sin(lam), np.cos(lam)
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * sin_phi * sin_phi)
    ux, uy, uz = cos_phi * cos_lam, cos_phi * sin_lam, sin_phi
    track = np.radians(states.track)
    east = states.ground_speed * np.sin(track)
    north = states.ground_speed * np.cos(track)
    # East is (-sin λ, cos λ, 0), north is (-sin φ cos λ, -sin φ sin λ, cos φ).
    vx = -east * sin_lam - north * sin_phi * cos_lam
    vy = east * cos_lam - north * sin_phi * sin_lam
    vz = north * cos_phi
    delta = states.now - states.time
    return Kinematics(
        n * cos_phi * cos_lam + vx * delta,
        n * cos_phi * sin_lam + vy * delta,
        n * (1.0 - WGS84_E2) * sin_phi + vz * delta,
        vx,
        vy,
        vz,
        ux,
        uy,
        uz,
        states.alt + states.vertical_rate * delta,
        states.vertical_rate.astype(np.float64, copy=True),
        states.ground_speed.astype(np.float64, copy=True),
    )


def positions_at(
    states: TrackStates, time: float | NDArray[np.float64], positions: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Lon, lat (degrees) and altitude (m) of the aircraft at `positions` at `time`.

    Moves along the track on the local radii of curvature: for display and for the
    conformance test, where an error of a metre per 20 s of extrapolation is immaterial.
    """
    delta = np.asarray(time, dtype=np.float64) - states.time[positions]
    lat = states.lat[positions]
    phi = np.radians(lat)
    s2 = np.sin(phi) ** 2
    w = 1.0 - WGS84_E2 * s2
    m_radius = WGS84_A * (1.0 - WGS84_E2) / w**1.5
    n_radius = WGS84_A / np.sqrt(w)
    track = np.radians(states.track[positions])
    distance = states.ground_speed[positions] * delta
    new_lat = lat + np.degrees(distance * np.cos(track) / m_radius)
    new_lon = states.lon[positions] + np.degrees(
        distance * np.sin(track) / (n_radius * np.cos(phi))
    )
    new_lon = (new_lon + 180.0) % 360.0 - 180.0
    alt = states.alt[positions] + states.vertical_rate[positions] * delta
    return new_lon, new_lat, alt
