"""The `day` workload: the mix of one day's operations the issue names.

Small drone operations of hundreds of metres and tens of minutes near the ground, drone
routes, military orbits and racetracks, military areas and transit routes; the reasons
for each range are in bench/README.md. Nothing here is tuned to the engine's targets.
"""

from __future__ import annotations

import numpy as np

from bench.engine_workload import (
    DRONE_PARTY_WEIGHTS,
    GEOID_M,
    HOUR,
    LAT_MAX,
    LAT_MIN,
    LON_MAX,
    LON_MIN,
    MILITARY_PARTY_WEIGHTS,
    MINUTE,
    WGS84,
    Maker,
    centres,
    ground_m,
    log_uniform,
    parties,
    routes,
    star_polygons,
    volumes,
    windows,
)
from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.declaration import Declaration
from deconflict.geo.outline import Circle, Corridor, PolygonOutline
from deconflict.geo.units import FOOT, NAUTICAL_MILE

MILITARY_ROUTE_SHARE = 0.003
"""At 10^6 a day this is 3,000 sorties, the peak of the largest air campaign flown
(about 3,000 a day over Iraq and Kuwait in 1991); at 10^4 it is 30, a quiet day. Military
flying is bounded by aircraft and crews; it is the drones that make up the rest of N."""
DAY_SHARES = {
    "military route": MILITARY_ROUTE_SHARE,
    "military orbit": MILITARY_ROUTE_SHARE / 3,  # a third of sorties hold an orbit or track
    "military area": MILITARY_ROUTE_SHARE / 6,  # a sixth work in a reserved area
    "drone route": 0.10,  # one small-drone flight in ten is flown beyond sight, on a route
}
DAY_SHARES["drone area"] = 1.0 - sum(DAY_SHARES.values())
"""Shares of the operations in the `day` workload (see bench/README.md)."""


def drone_areas(rng: np.random.Generator, ids: list[str], span: float) -> list[Declaration]:
    """Small drone operations: circles of 100 m–1 km (three in four) or polygons
    300 m–1.5 km across, from the ground to 50–300 m above it, for 10–60 min."""
    n = len(ids)
    lon, lat = centres(rng, n)
    circle = rng.random(n) < 0.75
    radius = log_uniform(rng, 100.0, 1_000.0, n)
    half_across = rng.uniform(150.0, 750.0, n)
    chosen = ~circle
    shells = iter(star_polygons(rng, lon[chosen], lat[chosen], half_across[chosen], (4, 6)))
    outlines = [
        Circle((x, y), r) if c else PolygonOutline(next(shells))
        for c, x, y, r in zip(
            circle.tolist(), lon.tolist(), lat.tolist(), radius.tolist(), strict=True
        )
    ]
    ground = ground_m(lon, lat) + GEOID_M
    top = log_uniform(rng, 50.0, 300.0, n)
    start, end = windows(rng, log_uniform(rng, 10 * MINUTE, 60 * MINUTE, n), span)
    who = parties(rng, n, DRONE_PARTY_WEIGHTS)
    w84 = AltitudeReference.W84
    return volumes(ids, who, outlines, ground, ground + top, w84, start, end)


def drone_routes(rng: np.random.Generator, ids: list[str], span: float) -> list[Declaration]:
    """Drones flown beyond sight (survey, delivery, tactical reconnaissance): 2–5
    waypoints, 10–100 km at 20–40 m/s, 100–1,500 m above the ground they overfly;
    corridors 100–500 m each side, 50–100 m up and down, 0–2 min of time buffer."""
    n = len(ids)
    above = log_uniform(rng, 100.0, 1_500.0, n)

    def altitude(lon: np.ndarray, lat: np.ndarray, count: np.ndarray) -> np.ndarray:
        return ground_m(lon, lat) + GEOID_M + above[:, None]

    return routes(
        rng,
        ids,
        span,
        points=(2, 5),
        length=log_uniform(rng, 10_000.0, 100_000.0, n),
        speed=rng.uniform(20.0, 40.0, n),
        altitude=altitude,
        heading=lambda lon, lat: rng.uniform(0.0, 360.0, n),
        turn_deg=60.0,
        half_width=rng.uniform(100.0, 500.0, n),
        vertical=rng.uniform(50.0, 100.0, n),
        buffer=rng.uniform(0.0, 120.0, n),
        reference=AltitudeReference.W84,
        party_weights=DRONE_PARTY_WEIGHTS,
    )


def military_orbits(rng: np.random.Generator, ids: list[str], span: float) -> list[Declaration]:
    """Half are reconnaissance orbits of large drones (circles of 3–10 km, 1,000–2,000 ft
    thick between FL120 and FL250, 2–10 h), half combat-air-patrol and tanker racetracks
    (30–80 km long, 5–10 km each side, 2,000–4,000 ft thick between FL200 and FL340,
    1–4 h)."""
    n = len(ids)
    orbit = rng.random(n) < 0.5
    lon, lat = centres(rng, n)
    radius = rng.uniform(3_000.0, 10_000.0, n)
    length = rng.uniform(30_000.0, 80_000.0, n)
    half_width = rng.uniform(5_000.0, 10_000.0, n)
    heading = rng.uniform(0.0, 360.0, n)
    far_lon, far_lat, _ = WGS84.fwd(lon, lat, heading, length)
    outlines = [
        Circle((x, y), r) if o else Corridor(((x, y), (fx, fy)), w)
        for o, x, y, r, fx, fy, w in zip(
            orbit.tolist(),
            lon.tolist(),
            lat.tolist(),
            radius.tolist(),
            np.asarray(far_lon).tolist(),
            np.asarray(far_lat).tolist(),
            half_width.tolist(),
            strict=True,
        )
    ]
    thickness = (
        np.where(orbit, rng.uniform(1_000.0, 2_000.0, n), rng.uniform(2_000.0, 4_000.0, n)) * FOOT
    )
    lowest, highest = np.where(orbit, 12_000.0, 20_000.0), np.where(orbit, 25_000.0, 34_000.0)
    lower = rng.uniform(lowest * FOOT, highest * FOOT - thickness)
    duration = np.where(
        orbit, rng.uniform(2 * HOUR, 10 * HOUR, n), rng.uniform(1 * HOUR, 4 * HOUR, n)
    )
    start, end = windows(rng, duration, span)
    who = parties(rng, n, MILITARY_PARTY_WEIGHTS)
    std = AltitudeReference.STD
    return volumes(ids, who, outlines, lower, lower + thickness, std, start, end)


def military_areas(rng: np.random.Generator, ids: list[str], span: float) -> list[Declaration]:
    """Strike, close-support and training areas: polygons 10–40 km across, bands
    1.5–4.5 km thick with a floor at 500–6,000 m above sea level, for 30–120 min."""
    n = len(ids)
    lon, lat = centres(rng, n)
    shells = star_polygons(rng, lon, lat, rng.uniform(5_000.0, 20_000.0, n), (5, 8))
    lower = rng.uniform(500.0, 6_000.0, n)
    thickness = rng.uniform(1_500.0, 4_500.0, n)
    start, end = windows(rng, rng.uniform(30 * MINUTE, 120 * MINUTE, n), span)
    who = parties(rng, n, MILITARY_PARTY_WEIGHTS)
    outlines = [PolygonOutline(shell) for shell in shells]
    amsl = AltitudeReference.AMSL
    return volumes(ids, who, outlines, lower, lower + thickness, amsl, start, end)


def military_routes(rng: np.random.Generator, ids: list[str], span: float) -> list[Declaration]:
    """Transits of manned sorties and large drones: 3–8 waypoints, 50–400 km at
    130–250 m/s; from 300–1,500 m above a departure, a cruise at FL100–FL360, half of
    them back down at the end; 2–5 NM each side, 150–300 m up and down, 0–5 min of time
    buffer, on flight levels."""
    n = len(ids)
    cruise = rng.uniform(10_000.0 * FOOT, 36_000.0 * FOOT, n)
    low_start = rng.uniform(300.0, 1_500.0, n)
    low_end = rng.uniform(300.0, 1_500.0, n)
    descend = rng.random(n) < 0.5

    def altitude(lon: np.ndarray, lat: np.ndarray, count: np.ndarray) -> np.ndarray:
        ground = ground_m(lon, lat)
        alt = np.repeat(cruise[:, None], lon.shape[1], axis=1)
        alt[:, 0] = ground[:, 0] + low_start
        last = count - 1
        rows = np.arange(len(lon))
        alt[rows, last] = np.where(
            descend & (count >= 4), ground[rows, last] + low_end, alt[rows, last]
        )
        return alt

    def towards_the_middle(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        middle_lon, middle_lat = (LON_MIN + LON_MAX) / 2.0, (LAT_MIN + LAT_MAX) / 2.0
        course, _, _ = WGS84.inv(lon, lat, np.full(n, middle_lon), np.full(n, middle_lat))
        return np.asarray(course) + rng.uniform(-60.0, 60.0, n)

    return routes(
        rng,
        ids,
        span,
        points=(3, 8),
        length=rng.uniform(50_000.0, 400_000.0, n),
        speed=rng.uniform(130.0, 250.0, n),
        altitude=altitude,
        heading=towards_the_middle,
        turn_deg=40.0,
        half_width=rng.uniform(2.0, 5.0, n) * NAUTICAL_MILE,
        vertical=rng.uniform(150.0, 300.0, n),
        buffer=rng.uniform(0.0, 300.0, n),
        reference=AltitudeReference.STD,
        party_weights=MILITARY_PARTY_WEIGHTS,
    )


DAY_MAKERS: dict[str, Maker] = {
    "drone area": drone_areas,
    "drone route": drone_routes,
    "military orbit": military_orbits,
    "military area": military_areas,
    "military route": military_routes,
}
