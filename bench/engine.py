"""Engine benchmark: build the 4D index over N stored declarations, then time checks.

A synthetic day of airspace over a region the size of Syria (lon 35.7–42.3, lat
32.3–37.3), six parties, N stored declarations: about 60 % small drone volumes, 15 %
larger military volumes (circles or small polygons), 25 % routes, plus a few zones and
deconfliction lines. For each N it measures

- generation: building the Python `Declaration` objects (reported, not a target);
- build: `Airspace.add_many` of all N (compile to pieces + bulk-load the index);
- memory: growth of the process's resident set (VmRSS) during the build;
- check: `Airspace.check(new)` of operations drawn from the same distribution but not
  stored (each check compiles its declaration, as real use does), p50/p99;
- baseline: the brute-force `check(new, use_index=False)` on the same data and the same
  new operations, and the ratio brute/indexed; both must report the same conflicts.

Each size runs in a fresh process so that the memory figures do not inherit the
previous size's heap. Results print as a table and are appended to bench/RESULTS.md.

    python bench/engine.py [--sizes 10000,100000,1000000] [--checks 1000] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import math
import multiprocessing
import os
import platform
import pstats
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Geod

from deconflict.engine import Airspace
from deconflict.engine.compile import compile_pieces
from deconflict.geo.altitude import AltitudeReference
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.outline import Circle, Corridor, PolygonOutline
from deconflict.geo.route import Route, Waypoint
from deconflict.geo.separation import Minima, SeparationPolicy
from deconflict.geo.units import FOOT, NAUTICAL_MILE
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "RESULTS.md"

# --- the synthetic airspace -----------------------------------------------------------

LON_MIN, LAT_MIN, LON_MAX, LAT_MAX = 35.7, 32.3, 42.3, 37.3
DAY_START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
DAY = 86_400.0
M_PER_DEG_LAT = 110_900.0  # near 35° N; only used to place vertices, not to measure
WGS84 = Geod(ellps="WGS84")

MILITARY_PARTIES = ("alpha", "bravo", "charlie")
DRONE_PARTIES = ("delta", "echo", "foxtrot")
PARTIES = MILITARY_PARTIES + DRONE_PARTIES
DRONE_PARTY_WEIGHTS = (0.05, 0.05, 0.05, 0.30, 0.30, 0.25)
MILITARY_PARTY_WEIGHTS = (0.30, 0.25, 0.25, 0.10, 0.05, 0.05)

SHARE_DRONE, SHARE_MILITARY = 0.60, 0.15  # the rest (25 %) are routes
ZONES, LINES = 8, 2

TARGET_BUILD_S = 30.0
TARGET_RSS_MB = 2048.0
TARGET_P99_MS = 2.0
TARGET_RATIO = 100.0


def separation_policy() -> SeparationPolicy:
    """5 NM / 1000 ft / 5 min between military parties, 0.5 NM / 100 ft / 0 s between
    drone operators, 1 NM / 500 ft / 1 min for everyone else."""
    military = Minima(5 * NAUTICAL_MILE, 1000 * FOOT, 300.0)
    drone = Minima(0.5 * NAUTICAL_MILE, 100 * FOOT, 0.0)
    pairs = {frozenset(pair): military for pair in combinations(MILITARY_PARTIES, 2)}
    pairs |= {frozenset(pair): drone for pair in combinations(DRONE_PARTIES, 2)}
    return SeparationPolicy(Minima(1 * NAUTICAL_MILE, 500 * FOOT, 60.0), pairs)


def _parties(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> list[str]:
    return [PARTIES[i] for i in rng.choice(len(PARTIES), size=n, p=weights).tolist()]


def _windows(
    rng: np.random.Generator, n: int, low_s: float, high_s: float, span: float
) -> tuple[list, list]:
    duration = rng.uniform(low_s, high_s, n)
    start = DAY_START + rng.uniform(0.0, span - duration)
    return start.tolist(), (start + duration).tolist()


def _centres(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(LON_MIN, LON_MAX, n), rng.uniform(LAT_MIN, LAT_MAX, n)


def _star_polygons(
    rng: np.random.Generator, n: int, radius_low: float, radius_high: float, vertices: tuple
) -> list[tuple[tuple[float, float], ...]]:
    """Simple polygons: vertices at jittered, increasing angles around a centre."""
    lon, lat = _centres(rng, n)
    base = rng.uniform(radius_low, radius_high, n)
    counts = rng.integers(vertices[0], vertices[1] + 1, n)
    shells = []
    for lon0, lat0, r, k in zip(
        lon.tolist(), lat.tolist(), base.tolist(), counts.tolist(), strict=True
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


def _drones(rng: np.random.Generator, ids: list[str], span: float) -> list[Declaration]:
    """Circles of 0.3–3 km, bottom 0–150 m, top up to 1,500 m, 15–120 min."""
    n = len(ids)
    lon, lat = _centres(rng, n)
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
    lon, lat = _centres(rng, n)
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
    lon[:, 0], lat[:, 0] = _centres(rng, n)
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
    std, operation = AltitudeReference.STD, Kind.OPERATION
    out = []
    for i, (ident, party) in enumerate(zip(ids, parties, strict=True)):
        k = int(points[i])
        waypoints = tuple(
            map(
                Waypoint,
                lon[i, :k].tolist(),
                lat[i, :k].tolist(),
                alt[i, :k].tolist(),
                times[i, :k].tolist(),
            )
        )
        route = Route(waypoints, float(half_width[i]), float(vertical[i]), float(buffer[i]), std)
        out.append(Declaration(ident, party, operation, route.legs(), route=route))
    return out


def _areas(rng: np.random.Generator, zones: int, lines: int, span: float) -> list[Declaration]:
    """Zones (polygons 30–100 km across, ground to 3–15 km) and deconfliction lines
    (200 km polylines with a 1–3 km buffer), standing the whole span."""
    w84 = AltitudeReference.W84
    window = TimeWindow(DAY_START, DAY_START + span)
    out = []
    tops = rng.uniform(3_000.0, 15_000.0, zones + lines).tolist()
    parties = _parties(rng, zones + lines, MILITARY_PARTY_WEIGHTS)
    for i, shell in enumerate(_star_polygons(rng, zones, 15_000.0, 50_000.0, (6, 10))):
        volume = Volume(PolygonOutline(shell), AltitudeBand(0.0, tops[i], w84), window)
        out.append(Declaration(f"zone-{i}", parties[i], Kind.ZONE, (volume,)))
    for i in range(lines):
        lon, lat = _centres(rng, 1)
        path = [(float(lon[0]), float(lat[0]))]
        heading = float(rng.uniform(0.0, 360.0))
        for _ in range(6):
            x, y, _ = WGS84.fwd(path[-1][0], path[-1][1], heading, 35_000.0)
            path.append((float(x), float(y)))
            heading += float(rng.uniform(-30.0, 30.0))
        outline = Corridor(tuple(path), float(rng.uniform(1_000.0, 3_000.0)))
        volume = Volume(outline, AltitudeBand(0.0, tops[zones + i], w84), window)
        out.append(Declaration(f"line-{i}", parties[zones + i], Kind.LINE, (volume,)))
    return out


def generate(
    n: int, seed: int, prefix: str = "op", areas: bool = True, days: float = 1.0
) -> list[Declaration]:
    """`n` declarations over `days` days, in random submission order (zones and lines
    first, if any)."""
    rng = np.random.default_rng(seed)
    span = days * DAY
    out = _areas(rng, ZONES, LINES, span) if areas else []
    operations = n - len(out)
    kinds = rng.choice(
        3, size=operations, p=(SHARE_DRONE, SHARE_MILITARY, 1 - SHARE_DRONE - SHARE_MILITARY)
    )
    made: list[Declaration | None] = [None] * operations
    for code, build in enumerate((_drones, _military, _routes)):
        slots = np.flatnonzero(kinds == code).tolist()
        for slot, declaration in zip(
            slots, build(rng, [f"{prefix}-{s}" for s in slots], span), strict=True
        ):
            made[slot] = declaration
    out.extend(d for d in made if d is not None)
    return out


# --- measuring ------------------------------------------------------------------------


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _reset_peak() -> None:
    """Reset VmHWM so that it reports the peak since now (Linux ≥ 4.0; best effort)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _top(profile: cProfile.Profile, limit: int = 25) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(profile, stream=stream)
    stats.strip_dirs().sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    return stream.getvalue()


def run_size(
    n: int, checks: int, brute_checks: int, seed: int, profile_dir: str | None, days: float = 1.0
) -> dict[str, Any]:
    """Generate, build and check at one size; returns the measurements."""
    policy = separation_policy()
    gc.collect()
    rss_start = _status_mb("VmRSS")
    started = time.perf_counter()
    stored = generate(n, seed, days=days)
    generate_s = time.perf_counter() - started
    new = generate(checks, seed + 1, prefix="new", areas=False, days=days)
    gc.collect()
    rss_generated = _status_mb("VmRSS")

    _reset_peak()
    airspace = Airspace(policy)
    started, started_cpu = time.perf_counter(), time.thread_time()
    airspace.add_many(stored)
    build_s = time.perf_counter() - started
    build_cpu_s = time.thread_time() - started_cpu
    gc.collect()
    rss_built = _status_mb("VmRSS")
    peak = _status_mb("VmHWM")
    pieces = len(airspace._table)  # no public count of pieces

    for declaration in new[: min(20, checks)]:  # warm caches (party matrices, imports)
        airspace.check(declaration)
    indexed_ms = np.empty(len(new))
    indexed_cpu_ms = np.empty(len(new))
    found = []
    for i, declaration in enumerate(new):
        started_ns, started_cpu_ns = time.perf_counter_ns(), time.thread_time_ns()
        report = airspace.check(declaration)
        indexed_ms[i] = (time.perf_counter_ns() - started_ns) / 1e6
        indexed_cpu_ms[i] = (time.thread_time_ns() - started_cpu_ns) / 1e6
        found.append(sorted(c.other for c in report.conflicts))

    candidates = 0
    for declaration in new:
        candidates += sum(
            len(p.rows) for p in airspace.probe(declaration, compile_pieces(declaration))
        )

    brute_ms = np.empty(min(brute_checks, len(new)))
    mismatches = 0
    for i, declaration in enumerate(new[: len(brute_ms)]):
        started_ns = time.perf_counter_ns()
        report = airspace.check(declaration, use_index=False)
        brute_ms[i] = (time.perf_counter_ns() - started_ns) / 1e6
        mismatches += sorted(c.other for c in report.conflicts) != found[i]

    profiles: dict[str, str] = {}
    if profile_dir is not None:
        out = Path(profile_dir)
        out.mkdir(parents=True, exist_ok=True)
        profile = cProfile.Profile()
        profile.enable()
        for declaration in new:
            airspace.check(declaration)
        profile.disable()
        profile.dump_stats(out / f"check-{n}.prof")
        profiles["check"] = _top(profile)
        del airspace
        gc.collect()
        profile = cProfile.Profile()
        again = Airspace(policy)
        profile.enable()
        again.add_many(stored)
        profile.disable()
        profile.dump_stats(out / f"build-{n}.prof")
        profiles["build"] = _top(profile)

    subset = indexed_ms[: len(brute_ms)]
    return {
        "stored": len(stored),
        "pieces": pieces,
        "generate_s": generate_s,
        "generate_mb": rss_generated - rss_start,
        "build_s": build_s,
        "build_cpu_s": build_cpu_s,
        "rss_mb": rss_built - rss_generated,
        "peak_mb": peak - rss_generated,
        "p50_ms": float(np.percentile(indexed_ms, 50)),
        "p99_ms": float(np.percentile(indexed_ms, 99)),
        "max_ms": float(indexed_ms.max()),
        "cpu_p50_ms": float(np.percentile(indexed_cpu_ms, 50)),
        "cpu_p99_ms": float(np.percentile(indexed_cpu_ms, 99)),
        "brute_p50_ms": float(np.percentile(brute_ms, 50)),
        "brute_checks": len(brute_ms),
        "ratio": float(np.median(brute_ms) / np.median(subset)),
        "candidates": candidates / len(new),
        "conflicts": sum(len(f) for f in found) / len(new),
        "checks": len(new),
        "mismatches": int(mismatches),
        "profiles": profiles,
    }


def _verdicts(r: dict[str, Any]) -> str:
    marks = (
        ("build", r["build_s"] < TARGET_BUILD_S),
        ("RSS", r["rss_mb"] < TARGET_RSS_MB),
        ("p99", r["p99_ms"] < TARGET_P99_MS),
        ("ratio", r["ratio"] >= TARGET_RATIO),
    )
    return " ".join(f"{name} {'✓' if ok else '✗'}" for name, ok in marks)


COLUMNS = (
    ("stored declarations", lambda r: f"{r['stored']:,}"),
    ("stored pieces", lambda r: f"{r['pieces']:,}"),
    ("generate s", lambda r: f"{r['generate_s']:.1f}"),
    ("build s", lambda r: f"{r['build_s']:.1f}"),
    ("build CPU s", lambda r: f"{r['build_cpu_s']:.1f}"),
    ("RSS MB", lambda r: f"{r['rss_mb']:,.0f}"),
    ("peak MB", lambda r: f"{r['peak_mb']:,.0f}"),
    ("check p50 ms", lambda r: f"{r['p50_ms']:.2f}"),
    ("check p99 ms", lambda r: f"{r['p99_ms']:.2f}"),
    ("check max ms", lambda r: f"{r['max_ms']:.1f}"),
    ("check CPU p50/p99 ms", lambda r: f"{r['cpu_p50_ms']:.2f} / {r['cpu_p99_ms']:.2f}"),
    ("brute p50 ms", lambda r: f"{r['brute_p50_ms']:.1f} (×{r['brute_checks']})"),
    ("ratio", lambda r: f"{r['ratio']:,.0f}×"),
    ("candidates/check", lambda r: f"{r['candidates']:,.0f}"),
    ("conflicts/check", lambda r: f"{r['conflicts']:.1f}"),
    ("same as brute", lambda r: "yes" if r["mismatches"] == 0 else f"NO ({r['mismatches']})"),
    ("targets met?", _verdicts),
)


def _machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    ram = _meminfo_gb()
    return f"{cpu}, {os.cpu_count()} cores, {ram:.0f} GB RAM, Python {platform.python_version()}"


def _meminfo_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024.0**2
    return float("nan")


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=BENCH_DIR, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain") else "")


def _load() -> str:
    """The 1-minute load average: other work on the machine skews every timing."""
    return Path("/proc/loadavg").read_text().split()[0]


def _markdown(results: list[dict[str, Any]], checks: int, seed: int, days: float, load: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {now}",
        "",
        f"- machine: {_machine()}",
        f"- commit: {_commit()}",
        f"- load average (1 min) at start / end: {load} / {_load()} (on {os.cpu_count()} cores)",
        f"- workload: 6 parties over {days:g} day(s); {checks} new operations checked per size "
        f"(seed {seed}); brute force on the first few of them",
        "- targets (at 10^6): build < 30 s, RSS growth < 2 GB, check p99 < 2 ms, "
        "brute/indexed ≥ 100×",
        "",
        "| " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|" + "|".join("---:" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(cell(r) for _, cell in COLUMNS) + " |" for r in results]
    return "\n".join(lines) + "\n"


HEADER = """# Benchmark results

Appended by `python bench/engine.py` (see bench/README.md), newest last. "RSS MB" is the
growth of the process's resident memory during the build, "peak MB" its high-water mark
during the build, both relative to the memory after generating the declarations.
Times are wall-clock unless marked CPU (the thread's CPU time, which other load on the
machine disturbs less: compare the load average stated with each run).
"""


def _append(text: str) -> None:
    if not RESULTS.exists():
        RESULTS.write_text(HEADER)
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write("\n" + text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated N")
    parser.add_argument("--checks", type=int, default=1000, help="indexed checks per size")
    parser.add_argument(
        "--brute-checks",
        type=int,
        default=None,
        help="brute-force checks per size (default: 200 up to 10^4, 50 up to 10^5, else 20)",
    )
    parser.add_argument("--quick", action="store_true", help="10^4 only (a smoke test)")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument(
        "--days",
        type=float,
        default=1.0,
        help="spread the declarations over this many days (default 1: the stated workload; "
        "more keeps the density per hour lower at large N)",
    )
    parser.add_argument("--profile", metavar="DIR", help="also write cProfile stats to DIR")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--in-process", action="store_true", help="run every size in this process")
    args = parser.parse_args(argv)
    sizes = [10_000] if args.quick else [int(float(s)) for s in args.sizes.split(",")]

    from rich.console import Console
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=240)
    results = []
    load = _load()
    for n in sizes:
        brute = args.brute_checks or (200 if n <= 10_000 else 50 if n <= 100_000 else 20)
        console.print(f"[bold]N = {n:,}[/]: generating, building, {args.checks} checks…")
        call = (n, args.checks, brute, args.seed, args.profile, args.days)
        if args.in_process:
            result = run_size(*call)
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                result = pool.submit(run_size, *call).result()
        for name, text in result.pop("profiles").items():
            console.print(f"[bold]profile: {name} at N = {n:,}[/]")
            console.print(text, markup=False, highlight=False)
        results.append(result)
        console.print(
            f"  generate {result['generate_s']:.1f} s, build {result['build_s']:.1f} s, "
            f"p99 {result['p99_ms']:.2f} ms, ratio {result['ratio']:,.0f}×"
        )

    table = Table(title="deconflict engine benchmark")
    for name, _ in COLUMNS:
        table.add_column(name, justify="right")
    for result in results:
        table.add_row(*(cell(result) for _, cell in COLUMNS))
    console.print(table)
    if not args.no_record:
        _append(_markdown(results, args.checks, args.seed, args.days, load))
        console.print(f"appended to {RESULTS.relative_to(BENCH_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
