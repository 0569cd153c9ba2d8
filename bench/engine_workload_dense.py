"""The session-1 benchmark workload (`--workload dense`), kept to compare with.

Over the same region and day as `engine_workload`: about 60 % drone circles of
0.3–3 km up to 1,500 m for 15–120 min, 15 % military circles and polygons of 6–80 km,
1–5 km thick, for 30 min–4 h, and 25 % routes of 50–400 km. Its military volumes are
so many and so large that at 10^6 a check meets ~1,700 candidates and ~390 real
conflicts; `--days 100` spreads it thin (the figure session 2 quoted). The code is
the session-1 code unchanged, so a seed gives the same declarations as then.
"""

from __future__ import annotations

import math

import numpy as np

from bench.engine_workload import (
    DAY_START,
    DRONE_PARTY_WEIGHTS,
    MILITARY_PARTY_WEIGHTS,
    PARTIES,
    WGS84,
    Maker,
    centres,
    route_declarations,
    star_polygons,
)
from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.outline import Circle, PolygonOutline
from deconflict.geo.units import NAUTICAL_MILE
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume


def _parties(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> list[str]:
    return [PARTIES[i] for i in rng.choice(len(PARTIES), size=n, p=weights).tolist()]


def _windows(
    rng: np.random.Generator, n: int, low_s: float, high_s: float, span: float
) -> tuple[list, list]:
    duration = rng.uniform(low_s, high_s, n)
    start = DAY_START + rng.uniform(0.0, span - duration)
    return start.tolist(), (start + duration).tolist()


def _star_polygons(
    rng: np.random.Generator, n: int, radius_low: float, radius_high: float, vertices: tuple
) -> list[tuple[tuple[float, float], ...]]:
    """Simple polygons around random centres (the same random draws, in the same order,
    as this generator always made)."""
    lon, lat = centres(rng, n)
    base = rng.uniform(radius_low, radius_high, n)
    return star_polygons(rng, lon, lat, base, vertices)


def _drones(rng: np.random.Generator, ids: list[str], span: float) -> list[Declaration]:
    """Circles of 0.3–3 km, bottom 0–150 m, top up to 1,500 m, 15–120 min."""
    n = len(ids)
    lon, lat = centres(rng, n)
    radius = rng.uniform(300.0, 3000.0, n)
    lower = rng.uniform(0.0, 150.0, n)
    upper = lower + np.exp(rng.uniform(math.log(100.0), math.log(1350.0), n))
    start, end = _windows(rng, n, 15 * 60.0, 120 * 60.0, span)
    parties = _parties(rng, n, DRONE_PARTY_WEIGHTS)
    w84, operation = AltitudeReference.W84, Kind.OPERATION
    return [
        Declaration(
            ident,
            party,
            operation,
            (Volume(Circle((x, y), r), AltitudeBand(lo, hi, w84), TimeWindow(t0, t1)),),
        )
        for ident, party, x, y, r, lo, hi, t0, t1 in zip(
            ids,
            parties,
            lon.tolist(),
            lat.tolist(),
            radius.tolist(),
            lower.tolist(),
            upper.tolist(),
            start,
            end,
            strict=True,
        )
    ]


def _military(rng: np.random.Generator, ids: list[str], span: float) -> list[Declaration]:
    """Circles of 5–40 km or polygons of 4–8 vertices (6–30 km across), bands 1–5 km
    thick anywhere in 0–15 km, 30 min–4 h."""
    n = len(ids)
    circle = rng.random(n) < 0.5
    lon, lat = centres(rng, n)
    radius = rng.uniform(5_000.0, 40_000.0, n)
    shells = iter(_star_polygons(rng, int((~circle).sum()), 3_000.0, 15_000.0, (4, 8)))
    thickness = rng.uniform(1_000.0, 5_000.0, n)
    lower = rng.uniform(0.0, 15_000.0 - thickness)
    start, end = _windows(rng, n, 30 * 60.0, 4 * 3600.0, span)
    parties = _parties(rng, n, MILITARY_PARTY_WEIGHTS)
    amsl, operation = AltitudeReference.AMSL, Kind.OPERATION
    out = []
    for ident, party, is_circle, x, y, r, lo, dz, t0, t1 in zip(
        ids,
        parties,
        circle.tolist(),
        lon.tolist(),
        lat.tolist(),
        radius.tolist(),
        lower.tolist(),
        thickness.tolist(),
        start,
        end,
        strict=True,
    ):
        outline = Circle((x, y), r) if is_circle else PolygonOutline(next(shells))
        volume = Volume(outline, AltitudeBand(lo, lo + dz, amsl), TimeWindow(t0, t1))
        out.append(Declaration(ident, party, operation, (volume,)))
    return out


def _routes(rng: np.random.Generator, ids: list[str], span: float) -> list[Declaration]:
    """3–8 waypoints, 50–400 km, 100–250 m/s; climb to a 3–12 km cruise (half of them
    descend at the end); half-width 1–5 NM, vertical 150–300 m, time buffer 0–5 min."""
    n = len(ids)
    most = 8
    points = rng.integers(3, most + 1, n)
    total = rng.uniform(50_000.0, 400_000.0, n)
    weights = rng.uniform(0.5, 1.5, (n, most - 1))
    weights[np.arange(most - 1)[None, :] >= (points - 1)[:, None]] = 0.0
    legs = total[:, None] * weights / weights.sum(axis=1, keepdims=True)
    lon = np.empty((n, most))
    lat = np.empty((n, most))
    lon[:, 0], lat[:, 0] = centres(rng, n)
    towards, _, _ = WGS84.inv(lon[:, 0], lat[:, 0], np.full(n, 39.0), np.full(n, 34.8))
    heading = np.asarray(towards) + rng.uniform(-60.0, 60.0, n)
    for j in range(most - 1):
        step = np.maximum(legs[:, j], 1.0)  # unused legs get a 1 m step, then are dropped
        lon[:, j + 1], lat[:, j + 1], _ = WGS84.fwd(lon[:, j], lat[:, j], heading, step)
        heading = heading + rng.uniform(-40.0, 40.0, n)
    speed = rng.uniform(100.0, 250.0, n)
    duration = total / speed
    first = DAY_START + rng.uniform(0.0, span - duration)
    times = (
        first[:, None]
        + np.concatenate([np.zeros((n, 1)), np.cumsum(legs, axis=1)], axis=1) / (speed[:, None])
    )
    cruise = rng.uniform(3_000.0, 12_000.0, n)
    alt = np.repeat(cruise[:, None], most, axis=1)
    alt[:, 0] = rng.uniform(300.0, 1_500.0, n)
    descend = (rng.random(n) < 0.5) & (points >= 4)
    alt[np.arange(n), points - 1] = np.where(
        descend, rng.uniform(300.0, 1_500.0, n), alt[np.arange(n), points - 1]
    )
    half_width = rng.uniform(1.0, 5.0, n) * NAUTICAL_MILE
    vertical = rng.uniform(150.0, 300.0, n)
    buffer = rng.uniform(0.0, 300.0, n)
    parties = _parties(rng, n, MILITARY_PARTY_WEIGHTS)
    return route_declarations(
        ids,
        parties,
        points,
        (lon, lat, alt, times),
        (half_width, vertical, buffer),
        AltitudeReference.STD,
    )


DENSE_SHARES = {"drone": 0.60, "military": 0.15, "route": 0.25}
DENSE_MAKERS: dict[str, Maker] = {"drone": _drones, "military": _military, "route": _routes}
