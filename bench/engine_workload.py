"""The engine benchmark's airspace: synthetic days over a region the size of Syria.

What every workload shares: the region, six parties and their minima, standing zones and
deconfliction lines, the helpers that draw shapes, bands and windows, and `generate`.
The headline workload (`day`, `engine_workload_day.py`) is the mix the issue names; the
session-1 workload (`dense`, `engine_workload_dense.py`) is kept for comparison. N
declarations fill one day (or `days`), so density grows with N.

Heights near the ground follow a smooth synthetic terrain (`ground_m`): the engine never
sees it, it only places drone bands where drones fly, a few tens of metres above the
ground, in heights above the ellipsoid as a GNSS-flown drone declares them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import combinations

import numpy as np
from pyproj import Geod

from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.outline import Corridor, PolygonOutline
from deconflict.geo.route import Route, Waypoint
from deconflict.geo.separation import Minima, SeparationPolicy
from deconflict.geo.units import FOOT, NAUTICAL_MILE
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume

LON_MIN, LAT_MIN, LON_MAX, LAT_MAX = 35.7, 32.3, 42.3, 37.3  # Syria's extent
DAY_START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
DAY = 86_400.0
MINUTE, HOUR = 60.0, 3600.0
M_PER_DEG_LAT = 110_900.0  # near 35° N; only used to place vertices, not to measure
GEOID_M = 25.0
"""Geoid above the ellipsoid over Syria (about +20 … +30 m): ground heights to W84."""
WGS84 = Geod(ellps="WGS84")

MILITARY_PARTIES = ("alpha", "bravo", "charlie")
DRONE_PARTIES = ("delta", "echo", "foxtrot")
PARTIES = MILITARY_PARTIES + DRONE_PARTIES
DRONE_PARTY_WEIGHTS = (0.05, 0.05, 0.05, 0.30, 0.30, 0.25)
MILITARY_PARTY_WEIGHTS = (0.30, 0.25, 0.25, 0.10, 0.05, 0.05)
ZONES, LINES = 8, 2

Maker = Callable[[np.random.Generator, list[str], float], list[Declaration]]


def separation_policy() -> SeparationPolicy:
    """5 NM / 1000 ft / 5 min between military parties, 0.5 NM / 100 ft / 0 s between
    drone operators, 1 NM / 500 ft / 1 min for everyone else."""
    military = Minima(5 * NAUTICAL_MILE, 1000 * FOOT, 300.0)
    drone = Minima(0.5 * NAUTICAL_MILE, 100 * FOOT, 0.0)
    pairs = {frozenset(pair): military for pair in combinations(MILITARY_PARTIES, 2)}
    pairs |= {frozenset(pair): drone for pair in combinations(DRONE_PARTIES, 2)}
    return SeparationPolicy(Minima(1 * NAUTICAL_MILE, 500 * FOOT, 60.0), pairs)


def ground_m(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Synthetic ground height above mean sea level: 0–1,300 m in features ~100 km wide
    (Syria runs from the coast to plateaus of 400–800 m and ranges over 1,500 m)."""
    wave = np.sin(1.9 * lon) * np.cos(2.3 * lat) + 0.5 * np.sin(0.7 * lon + 1.3 * lat)
    return np.clip(500.0 + 400.0 * wave, 0.0, None)


def log_uniform(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    """Sizes and durations spread over a range of ratios, most of them small."""
    return np.exp(rng.uniform(math.log(low), math.log(high), n))


def parties(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> list[str]:
    return [PARTIES[i] for i in rng.choice(len(PARTIES), size=n, p=weights).tolist()]


def windows(rng: np.random.Generator, duration: np.ndarray, span: float) -> tuple[list, list]:
    """Windows of the given durations, starting uniformly over the span."""
    start = DAY_START + rng.uniform(0.0, span - duration)
    return start.tolist(), (start + duration).tolist()


def centres(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(LON_MIN, LON_MAX, n), rng.uniform(LAT_MIN, LAT_MAX, n)


def star_polygons(
    rng: np.random.Generator,
    lon: np.ndarray,
    lat: np.ndarray,
    radius: np.ndarray,
    vertices: tuple[int, int],
) -> list[tuple[tuple[float, float], ...]]:
    """Simple polygons: vertices at jittered, increasing angles around each centre."""
    counts = rng.integers(vertices[0], vertices[1] + 1, len(lon))
    shells = []
    for lon0, lat0, r, k in zip(
        lon.tolist(), lat.tolist(), radius.tolist(), counts.tolist(), strict=True
    ):
        step = 2 * math.pi / k
        angles = np.arange(k) * step + rng.uniform(-0.3, 0.3, k) * step
        radii = r * rng.uniform(0.6, 1.0, k)
        x, y = radii * np.sin(angles), radii * np.cos(angles)
        lons = lon0 + x / (M_PER_DEG_LAT * math.cos(math.radians(lat0)))
        lats = lat0 + y / M_PER_DEG_LAT
        ring = list(zip(lons.tolist(), lats.tolist(), strict=True))
        shells.append((*ring, ring[0]))
    return shells


def volumes(
    ids: list[str],
    party: list[str],
    outlines: list,
    lower: np.ndarray,
    upper: np.ndarray,
    reference: AltitudeReference,
    start: list[float],
    end: list[float],
) -> list[Declaration]:
    """One-volume operations."""
    return [
        Declaration(
            ident,
            who,
            Kind.OPERATION,
            (Volume(outline, AltitudeBand(lo, hi, reference), TimeWindow(t0, t1)),),
        )
        for ident, who, outline, lo, hi, t0, t1 in zip(
            ids, party, outlines, lower.tolist(), upper.tolist(), start, end, strict=True
        )
    ]


def routes(
    rng: np.random.Generator,
    ids: list[str],
    span: float,
    *,
    points: tuple[int, int],
    length: np.ndarray,
    speed: np.ndarray,
    altitude: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    heading: Callable[[np.ndarray, np.ndarray], np.ndarray],
    turn_deg: float,
    half_width: np.ndarray,
    vertical: np.ndarray,
    buffer: np.ndarray,
    reference: AltitudeReference,
    party_weights: tuple[float, ...],
) -> list[Declaration]:
    """Routes of `points` waypoints (legs of random share), `length` metres flown at
    `speed`; `heading(lon, lat)` gives the first course from the first waypoints, and
    `altitude(lon, lat, count)` the waypoints' altitudes (n × most) from their positions
    and the number each route uses."""
    n = len(ids)
    most = points[1]
    count = rng.integers(points[0], most + 1, n)
    weights = rng.uniform(0.5, 1.5, (n, most - 1))
    weights[np.arange(most - 1)[None, :] >= (count - 1)[:, None]] = 0.0
    legs = length[:, None] * weights / weights.sum(axis=1, keepdims=True)
    lon = np.empty((n, most))
    lat = np.empty((n, most))
    lon[:, 0], lat[:, 0] = centres(rng, n)
    course = heading(lon[:, 0], lat[:, 0])
    for j in range(most - 1):
        step = np.maximum(legs[:, j], 1.0)  # unused legs get a 1 m step, then are dropped
        lon[:, j + 1], lat[:, j + 1], _ = WGS84.fwd(lon[:, j], lat[:, j], course, step)
        course = course + rng.uniform(-turn_deg, turn_deg, n)
    duration = length / speed
    first = DAY_START + rng.uniform(0.0, span - duration)
    elapsed = np.concatenate([np.zeros((n, 1)), np.cumsum(legs, axis=1)], axis=1)
    times = first[:, None] + elapsed / speed[:, None]
    alt = altitude(lon, lat, count)
    who = parties(rng, n, party_weights)
    return route_declarations(
        ids, who, count, (lon, lat, alt, times), (half_width, vertical, buffer), reference
    )


def route_declarations(
    ids: list[str],
    who: list[str],
    count: np.ndarray,
    waypoints: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    widths: tuple[np.ndarray, np.ndarray, np.ndarray],
    reference: AltitudeReference,
) -> list[Declaration]:
    """One route operation per row: its first `count` waypoints of (lon, lat, alt, time),
    n × most each, and its (half-width, vertical half-width, time buffer)."""
    lon, lat, alt, times = waypoints
    half_width, vertical, buffer = widths
    out = []
    for i, (ident, party) in enumerate(zip(ids, who, strict=True)):
        k = int(count[i])
        points = tuple(
            map(
                Waypoint,
                lon[i, :k].tolist(),
                lat[i, :k].tolist(),
                alt[i, :k].tolist(),
                times[i, :k].tolist(),
            )
        )
        route = Route(points, float(half_width[i]), float(vertical[i]), float(buffer[i]), reference)
        out.append(Declaration(ident, party, Kind.OPERATION, route.legs(), route=route))
    return out


def areas(rng: np.random.Generator, zones: int, lines: int, span: float) -> list[Declaration]:
    """Zones (polygons 30–100 km across, ground to 3–15 km) and deconfliction lines
    (200 km polylines with a 1–3 km buffer), standing the whole span."""
    w84 = AltitudeReference.W84
    window = TimeWindow(DAY_START, DAY_START + span)
    out = []
    tops = rng.uniform(3_000.0, 15_000.0, zones + lines).tolist()
    owners = parties(rng, zones + lines, MILITARY_PARTY_WEIGHTS)
    lon, lat = centres(rng, zones)
    for i, shell in enumerate(
        star_polygons(rng, lon, lat, rng.uniform(15_000.0, 50_000.0, zones), (6, 10))
    ):
        volume = Volume(PolygonOutline(shell), AltitudeBand(0.0, tops[i], w84), window)
        out.append(Declaration(f"zone-{i}", owners[i], Kind.ZONE, (volume,)))
    for i in range(lines):
        x0, y0 = centres(rng, 1)
        path = [(float(x0[0]), float(y0[0]))]
        heading = float(rng.uniform(0.0, 360.0))
        for _ in range(6):
            x, y, _ = WGS84.fwd(path[-1][0], path[-1][1], heading, 35_000.0)
            path.append((float(x), float(y)))
            heading += float(rng.uniform(-30.0, 30.0))
        outline = Corridor(tuple(path), float(rng.uniform(1_000.0, 3_000.0)))
        volume = Volume(outline, AltitudeBand(0.0, tops[zones + i], w84), window)
        out.append(Declaration(f"line-{i}", owners[zones + i], Kind.LINE, (volume,)))
    return out


def mix(
    rng: np.random.Generator,
    operations: int,
    shares: dict[str, float],
    makers: dict[str, Maker],
    prefix: str,
    span: float,
) -> tuple[list[Declaration], list[str]]:
    """`operations` operations of the given kinds in random submission order, and the
    kind of each."""
    names = list(shares)
    kinds = rng.choice(len(names), size=operations, p=[shares[name] for name in names])
    made: list[Declaration | None] = [None] * operations
    for code, name in enumerate(names):
        slots = np.flatnonzero(kinds == code).tolist()
        for slot, declaration in zip(
            slots, makers[name](rng, [f"{prefix}-{s}" for s in slots], span), strict=True
        ):
            made[slot] = declaration
    return [d for d in made if d is not None], [names[k] for k in kinds.tolist()]


def generate(
    n: int,
    seed: int,
    prefix: str = "op",
    areas_too: bool = True,
    days: float = 1.0,
    workload: str = "day",
) -> list[Declaration]:
    """`n` declarations of `workload` over `days` days, in random submission order
    (zones and lines first, if any)."""
    return generate_with_kinds(n, seed, prefix, areas_too, days, workload)[0]


def generate_with_kinds(
    n: int,
    seed: int,
    prefix: str = "op",
    areas_too: bool = True,
    days: float = 1.0,
    workload: str = "day",
) -> tuple[list[Declaration], list[str]]:
    """`generate`, and the kind of each declaration ("zone", "line" or one of the mix)."""
    rng = np.random.default_rng(seed)
    span = days * DAY
    if workload == "dense":
        from bench.engine_workload_dense import DENSE_MAKERS, DENSE_SHARES

        shares, makers = DENSE_SHARES, DENSE_MAKERS
    elif workload == "day":
        from bench.engine_workload_day import DAY_MAKERS, DAY_SHARES

        shares, makers = DAY_SHARES, DAY_MAKERS
    else:
        raise ValueError(f"unknown workload {workload!r} (known: day, dense)")
    out = areas(rng, ZONES, LINES, span) if areas_too else []
    operations, kinds = mix(rng, n - len(out), shares, makers, prefix, span)
    return out + operations, [d.kind.value for d in out] + kinds
