"""Engine benchmark: build the 4D index over N stored declarations, then time checks.

The workload (`bench/engine_workload.py`) is a synthetic day of airspace over a region
the size of Syria (lon 35.7–42.3, lat 32.3–37.3), six parties: small drone operations,
drone routes, military orbits, areas and routes, a few zones and deconfliction lines
(`--workload day`, the default); `--workload dense` is the session-1 mix, `--days`
spreads either over more days. For each N it measures

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
    python bench/engine.py --workload dense [--days 100]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import multiprocessing
import os
import platform
import pstats
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from deconflict.engine import Airspace
from deconflict.engine.compile import compile_pieces

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "RESULTS.md"
if str(BENCH_DIR.parent) not in sys.path:  # run as a script: reach the `bench` package
    sys.path.insert(0, str(BENCH_DIR.parent))
from bench.engine_workload import generate, generate_with_kinds, separation_policy  # noqa: E402

WORKLOADS = {
    "day": "the day's mix (small drone areas and routes, military orbits, areas, routes)",
    "dense": "the session-1 mix (60 % drone circles to 3 km, 15 % military volumes to "
    "80 km, 25 % routes)",
}

TARGET_BUILD_S = 30.0
TARGET_RSS_MB = 2048.0
TARGET_P99_MS = 2.0
TARGET_RATIO = 100.0


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
    n: int,
    checks: int,
    brute_checks: int,
    seed: int,
    profile_dir: str | None,
    days: float = 1.0,
    workload: str = "day",
) -> dict[str, Any]:
    """Generate, build and check at one size; returns the measurements."""
    policy = separation_policy()
    gc.collect()
    rss_start = _status_mb("VmRSS")
    started = time.perf_counter()
    stored = generate(n, seed, days=days, workload=workload)
    generate_s = time.perf_counter() - started
    new, new_kinds = generate_with_kinds(
        checks, seed + 1, prefix="new", areas_too=False, days=days, workload=workload
    )
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

    # The same checks again, three times each back to back, keeping the least CPU time:
    # what a check costs when nothing else disturbs it (on a machine shared with other
    # work, the single-shot times above also carry others' interference).
    best_cpu_ms = np.full(len(new), np.inf)
    for i, declaration in enumerate(new):
        for _ in range(3):
            started_cpu_ns = time.thread_time_ns()
            airspace.check(declaration)
            best_cpu_ms[i] = min(best_cpu_ms[i], (time.thread_time_ns() - started_cpu_ns) / 1e6)

    candidates = np.empty(len(new))
    pieces_per_check = np.empty(len(new))
    for i, declaration in enumerate(new):
        compiled = compile_pieces(declaration)
        pieces_per_check[i] = len(compiled)
        candidates[i] = sum(len(p.rows) for p in airspace.probe(declaration, compiled))
    conflicts = np.array([len(f) for f in found], dtype=np.float64)
    by_kind = []
    for kind in sorted(set(new_kinds)):
        at = np.array([k == kind for k in new_kinds])
        by_kind.append(
            {
                "kind": kind,
                "checks": int(at.sum()),
                "pieces": float(pieces_per_check[at].mean()),
                "candidates": float(candidates[at].mean()),
                "candidates_max": float(candidates[at].max()),
                "conflicts": float(conflicts[at].mean()),
                "conflicts_max": float(conflicts[at].max()),
                "cpu_p50_ms": float(np.percentile(indexed_cpu_ms[at], 50)),
                "cpu_p99_ms": float(np.percentile(indexed_cpu_ms[at], 99)),
                "cpu_max_ms": float(indexed_cpu_ms[at].max()),
                "best_p50_ms": float(np.percentile(best_cpu_ms[at], 50)),
                "best_p99_ms": float(np.percentile(best_cpu_ms[at], 99)),
            }
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
        "best_p50_ms": float(np.percentile(best_cpu_ms, 50)),
        "best_p99_ms": float(np.percentile(best_cpu_ms, 99)),
        "brute_p50_ms": float(np.percentile(brute_ms, 50)),
        "brute_checks": len(brute_ms),
        "ratio": float(np.median(brute_ms) / np.median(subset)),
        "candidates": float(candidates.mean()),
        "conflicts": float(conflicts.mean()),
        "by_kind": by_kind,
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
    ("best of 3 CPU p50/p99 ms", lambda r: f"{r['best_p50_ms']:.2f} / {r['best_p99_ms']:.2f}"),
    ("brute p50 ms", lambda r: f"{r['brute_p50_ms']:.1f} (×{r['brute_checks']})"),
    ("ratio", lambda r: f"{r['ratio']:,.0f}×"),
    ("candidates/check", lambda r: f"{r['candidates']:,.0f}"),
    ("conflicts/check", lambda r: f"{r['conflicts']:.1f}"),
    ("same as brute", lambda r: "yes" if r["mismatches"] == 0 else f"NO ({r['mismatches']})"),
    ("targets met?", _verdicts),
)


KIND_COLUMNS = (
    ("stored", lambda r, k: f"{r['stored']:,}"),
    ("kind", lambda r, k: k["kind"]),
    ("checks", lambda r, k: f"{k['checks']}"),
    ("pieces", lambda r, k: f"{k['pieces']:.1f}"),
    ("candidates (max)", lambda r, k: f"{k['candidates']:,.0f} ({k['candidates_max']:,.0f})"),
    ("conflicts (max)", lambda r, k: f"{k['conflicts']:.1f} ({k['conflicts_max']:,.0f})"),
    (
        "CPU p50 / p99 / max ms",
        lambda r, k: f"{k['cpu_p50_ms']:.2f} / {k['cpu_p99_ms']:.2f} / {k['cpu_max_ms']:.2f}",
    ),
    ("best of 3 CPU p50 / p99 ms", lambda r, k: f"{k['best_p50_ms']:.2f} / {k['best_p99_ms']:.2f}"),
)
"""A row per kind of new operation: which kinds make the slow tail, and why."""


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


def _markdown(
    results: list[dict[str, Any]], checks: int, seed: int, days: float, load: str, workload: str
) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {now}",
        "",
        f"- machine: {_machine()}",
        f"- commit: {_commit()}",
        f"- load average (1 min) at start / end: {load} / {_load()} (on {os.cpu_count()} cores)",
        f"- workload `{workload}`: {WORKLOADS[workload]}; 6 parties over {days:g} day(s); "
        f"{checks} new operations checked per size (seed {seed}); brute force on the first "
        "few of them",
        "- targets (at 10^6): build < 30 s, RSS growth < 2 GB, check p99 < 2 ms, "
        "brute/indexed ≥ 100×",
        "",
        "| " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|" + "|".join("---:" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(cell(r) for _, cell in COLUMNS) + " |" for r in results]
    lines += ["", "Checks by kind of new operation (CPU times):", ""]
    lines += [
        "| " + " | ".join(name for name, _ in KIND_COLUMNS) + " |",
        "|" + "|".join("---:" for _ in KIND_COLUMNS) + "|",
    ]
    lines += [
        "| " + " | ".join(cell(r, k) for _, cell in KIND_COLUMNS) + " |"
        for r in results
        for k in r["by_kind"]
    ]
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
        "--workload",
        choices=sorted(WORKLOADS),
        default="day",
        help="day: the mix the issue names (default); dense: the session-1 mix",
    )
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
        call = (n, args.checks, brute, args.seed, args.profile, args.days, args.workload)
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
    kinds = Table(title="checks by kind of new operation (CPU times)")
    for name, _ in KIND_COLUMNS:
        kinds.add_column(name, justify="right")
    for result in results:
        for kind in result["by_kind"]:
            kinds.add_row(*(cell(result, kind) for _, cell in KIND_COLUMNS))
    console.print(kinds)
    if not args.no_record:
        _append(_markdown(results, args.checks, args.seed, args.days, load, args.workload))
        console.print(f"appended to {RESULTS.relative_to(BENCH_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
