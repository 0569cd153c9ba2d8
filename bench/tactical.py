"""Tactical benchmark: one detection cycle over N live tracks, against all pairs.

Synthetic traffic at realistic densities, in two kinds of airspace mixed 9:1:

- en route: cruise levels FL280–FL400 every 1,000 ft (a fifth climbing or descending),
  230–260 m/s, spread over a mid-latitude region sized for 2 aircraft per 1,000 km²
  (busier than the core of Europe at its peak), so the region grows with N;
- terminal areas: clusters of 150 aircraft within 90 km of an airport, 0–4,500 m,
  70–150 m/s, climbing and descending at up to 10 m/s.

For N = 10^3, 10^4, 10^5 it times `Detector.detect` (the median of several cycles) and
the all-pairs numpy reference (the same exact test on every pair, chunked to bound
memory; at 10^5 on a sample of rows, extrapolated, since all 5·10^9 pairs take minutes),
and checks the two agree on the pairs they both cover. Then it replays the Paris
recording (read, ingest, one cycle per second) and reports reports/s.

    python bench/tactical.py [--sizes 1000,10000,100000] [--no-record]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.engine import RESULTS, _append, _commit, _load, _machine
from deconflict.engine.tactical.detector import Detector
from deconflict.engine.tactical.motion import kinematics
from deconflict.engine.tactical.pairs import pair_geometry
from deconflict.engine.tactical.state import Tracks, TrackStates, states_from_columns
from deconflict.feeds.recording import Recording
from deconflict.feeds.replay import cycles
from deconflict.geo.units import FOOT

PARIS = Path("/work/shared/data/paris_2021.csv.gz")
EN_ROUTE_DENSITY_PER_KM2 = 2e-3
TERMINAL_SIZE, TERMINAL_RADIUS_KM = 150, 90.0
LAT_MIN, LAT_MAX = 35.0, 60.0
TARGETS_MS = {10_000: 50.0, 100_000: 1000.0}
TARGET_RATIO = 20.0
REFERENCE_CHUNK = 2_000_000


def scene(n: int, seed: int = 20260101) -> TrackStates:
    """N tracks: 90 % en route over a region sized for the density, 10 % terminal."""
    rng = np.random.default_rng(seed)
    n_terminal = n // 10
    n_route = n - n_terminal
    area = n_route / EN_ROUTE_DENSITY_PER_KM2
    height_km = (LAT_MAX - LAT_MIN) * 111.0
    width_deg = area / height_km / (111.0 * np.cos(np.radians((LAT_MIN + LAT_MAX) / 2)))
    lat = rng.uniform(LAT_MIN, LAT_MAX, n_route)
    lon = rng.uniform(-width_deg / 2, width_deg / 2, n_route)
    lon = (lon + 180.0) % 360.0 - 180.0
    levels = np.arange(280, 401, 10) * 100 * FOOT
    alt = rng.choice(levels, n_route)
    moving = rng.random(n_route) < 0.2
    alt[moving] = rng.uniform(levels[0] - 3000, levels[-1], moving.sum())
    vertical = np.where(moving, rng.choice([-1.0, 1.0], n_route) * rng.uniform(5, 15, n_route), 0)
    speed = rng.uniform(230.0, 260.0, n_route)
    airports = max(1, n_terminal // TERMINAL_SIZE)
    centre_lat = rng.uniform(LAT_MIN + 1, LAT_MAX - 1, airports)
    centre_lon = rng.uniform(-width_deg / 2 + 1, width_deg / 2 - 1, airports)
    which = rng.integers(0, airports, n_terminal)
    r = TERMINAL_RADIUS_KM * np.sqrt(rng.random(n_terminal))
    a = rng.uniform(0, 2 * np.pi, n_terminal)
    t_lat = centre_lat[which] + r * np.cos(a) / 111.0
    t_lon = centre_lon[which] + r * np.sin(a) / (111.0 * np.cos(np.radians(t_lat)))
    t_alt = rng.uniform(0.0, 4500.0, n_terminal)
    t_vertical = rng.uniform(-10.0, 10.0, n_terminal)
    t_speed = rng.uniform(70.0, 150.0, n_terminal)
    parties = np.array(["alpha", "bravo", "charlie"])[rng.integers(0, 3, n)]
    return states_from_columns(
        0.0,
        [f"{k:06x}" for k in range(n)],
        parties.tolist(),
        np.concatenate([lon, t_lon]),
        np.concatenate([lat, t_lat]),
        np.concatenate([alt, t_alt]),
        np.concatenate([speed, t_speed]),
        rng.uniform(0.0, 360.0, n),
        np.concatenate([vertical, t_vertical]),
        time=-rng.uniform(0.0, 5.0, n),
    )


def reference(states: TrackStates, detector: Detector, rows: np.ndarray) -> tuple[set, float]:
    """All pairs (i, j > i) for i in `rows`: the exact test on each, chunked."""
    kin = kinematics(states)
    h, v, watched = detector.minima_matrices(states.parties)
    n = len(states)
    found: set[tuple[int, int]] = set()
    started = time.perf_counter()
    block: list[int] = []
    size = 0
    for i in [*rows.tolist(), None]:
        if i is not None:
            block.append(i)
            size += n - i - 1
        if block and (i is None or size >= REFERENCE_CHUNK):
            counts = n - np.asarray(block) - 1
            first = np.repeat(np.asarray(block, dtype=np.int64), counts)
            starts = np.cumsum(counts) - counts
            second = first + 1 + np.arange(len(first)) - np.repeat(starts, counts)
            pa, pb = states.party[first], states.party[second]
            ok = watched[pa, pb]
            first, second, pa, pb = first[ok], second[ok], pa[ok], pb[ok]
            g = pair_geometry(kin, first, second, h[pa, pb], v[pa, pb], detector.look_ahead)
            found.update(zip(first[g.conflict].tolist(), second[g.conflict].tolist(), strict=True))
            block, size = [], 0
    return found, time.perf_counter() - started


def run_size(n: int, repeats: int, threads: int = 1) -> dict[str, Any]:
    states = scene(n)
    detector = Detector(threads=threads)
    detector.detect(states)  # warm the minima cache and numpy
    times, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.thread_time()
        result = detector.detect(states)
        times.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    rng = np.random.default_rng(1)
    if n <= 10_000:
        rows, share = np.arange(n), 1.0
    else:
        rows = np.sort(rng.choice(n, n // 50, replace=False))
        share = (n - rows - 1).sum() / (n * (n - 1) / 2)
    expected, seconds = reference(states, detector, rows)
    chosen = np.zeros(n, dtype=bool)
    chosen[rows] = True
    got = {(i, j) for i, j in zip(result.i.tolist(), result.j.tolist(), strict=True) if chosen[i]}
    cycle_ms = float(np.median(times)) * 1000
    reference_ms = seconds / share * 1000
    return {
        "n": n,
        "cycle_ms": cycle_ms,
        "cpu_ms": float(np.median(cpu)) * 1000,
        "reference_ms": reference_ms,
        "sampled": share < 1.0,
        "ratio": reference_ms / cycle_ms,
        "candidates": result.candidates,
        "conflicts": len(result),
        "same": got == expected,
    }


def replay() -> dict[str, float]:
    """Read, ingest and one detection cycle per second over the Paris recording."""
    tracks = Tracks()
    detector = Detector()
    recording = Recording(PARIS)
    started = time.perf_counter()
    count = 0
    for now in cycles(recording, tracks):
        detector.detect(tracks.snapshot(now))
        count += 1
    seconds = time.perf_counter() - started
    return {"reports": recording.stats.accepted, "cycles": count, "seconds": seconds}


def _verdict(r: dict[str, Any]) -> str:
    target = TARGETS_MS.get(r["n"])
    marks = []
    if target is not None:
        marks.append(f"cycle {'✓' if r['cycle_ms'] < target else '✗'}")
    if r["n"] == 10_000:
        marks.append(f"ratio {'✓' if r['ratio'] >= TARGET_RATIO else '✗'}")
    return " ".join(marks) or "—"


COLUMNS = (
    ("tracks", lambda r: f"{r['n']:,}"),
    ("cycle ms (median)", lambda r: f"{r['cycle_ms']:.1f}"),
    ("cycle CPU ms", lambda r: f"{r['cpu_ms']:.1f}"),
    (
        "all-pairs ms",
        lambda r: f"{r['reference_ms']:,.0f}" + (" (sampled)" if r["sampled"] else ""),
    ),
    ("ratio", lambda r: f"{r['ratio']:,.0f}×"),
    ("candidate pairs", lambda r: f"{r['candidates']:,}"),
    ("conflicting pairs", lambda r: f"{r['conflicts']:,}"),
    ("same as all-pairs", lambda r: "yes" if r["same"] else "NO"),
    ("targets met?", _verdict),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=7, help="timed cycles per size")
    parser.add_argument("--threads", type=int, default=1, help="Detector(threads=…)")
    parser.add_argument("--no-replay", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=200)
    load = _load()
    results = []
    for n in (int(float(s)) for s in args.sizes.split(",")):
        console.print(f"[bold]N = {n:,}[/]: detecting, then all pairs…")
        results.append(run_size(n, args.repeats, args.threads))
    played = replay() if not args.no_replay and PARIS.exists() else None
    table = Table(title="deconflict tactical benchmark")
    for name, _ in COLUMNS:
        table.add_column(name, justify="right")
    for r in results:
        table.add_row(*(cell(r) for _, cell in COLUMNS))
    console.print(table)
    replay_line = ""
    if played:
        rate = played["reports"] / played["seconds"]
        replay_line = (
            f"- replay of paris_2021 (read + ingest + one cycle per second): "
            f"{played['reports']:,.0f} reports, {played['cycles']:,.0f} cycles in "
            f"{played['seconds']:.1f} s = {rate:,.0f} reports/s"
        )
        console.print(replay_line[2:])
    if not args.no_record:
        from datetime import UTC, datetime

        lines = [
            f"## {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} — tactical",
            "",
            f"- machine: {_machine()}",
            f"- commit: {_commit()}",
            f"- load average (1 min) at start / end: {load} / {_load()}",
            "- workload: synthetic tracks, 90 % en route (2 per 1,000 km², FL280–400) and "
            "10 % terminal areas (150 within 90 km); 5 NM / 1,000 ft / 300 s; "
            f"median of {args.repeats} cycles, {args.threads} detector thread(s) (CPU ms: the "
            "timing thread's own CPU time); all-pairs sampled on 2 % of rows at 10^5",
            "- targets: 10^4 tracks < 50 ms, 10^5 < 1 s per cycle, ≥ 20× all-pairs at 10^4",
        ]
        if replay_line:
            lines.append(replay_line)
        lines += [
            "",
            "| " + " | ".join(name for name, _ in COLUMNS) + " |",
            "|" + "|".join("---:" for _ in COLUMNS) + "|",
        ]
        lines += ["| " + " | ".join(cell(r) for _, cell in COLUMNS) + " |" for r in results]
        _append("\n".join(lines) + "\n")
        console.print(f"appended to {RESULTS.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
