"""Audit log benchmark: append cost and O(log n) proofs at 10^3 … 10^6 events.

For each N it fills an in-memory `AuditLog` with N synthetic events (notices,
deliveries, acks, operation changes; a few hundred bytes each) and measures

- append: `AuditLog.append` end to end (canonical JSON, payload digest, leaf hash, the
  nodes the leaf completes), events/s; and the tree part alone (`completed_nodes` +
  store) on precomputed leaf hashes;
- root: `AuditLog.root(N)` from the node store (O(log n) lookups);
- inclusion and consistency proofs: generation from the node store and verification
  (RFC 9162 2.1.3.2 / 2.1.4.2), p50/p99 µs over random indexes / old sizes, and their
  length in hashes (mean / max): it should grow by one per doubling of N;
- baseline, in the same run: the naive recomputation a log without a node store must
  do, i.e. the RFC's recursive MTH over all N leaf hashes for a root, and PATH with
  MTH of each sibling recomputed from leaves for a proof (O(n) per answer). Repeated
  fewer times as N grows; the ratio naive/stored compares medians of proof generation;
- verify: `verify_log` over all N stored lines (decode, chain, every leaf, the root),
  wall and CPU time; and, in the same run, the long way it took before (every line
  re-encoded in Python three times: `long_way`), for the speed-up.

Each size runs in a fresh process so its RSS figure starts clean. Results print as a
table and are appended to bench/RESULTS.md.

    python bench/audit.py [--sizes 1000,10000,100000,1000000] [--proofs 1000] [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.audit import (
    AuditLog,
    CheckpointSigner,
    EventKind,
    MemoryLogStore,
    merkle,
    verify_log,
)

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "RESULTS.md"
if str(BENCH_DIR.parent) not in sys.path:  # run as a script: reach the `bench` package
    sys.path.insert(0, str(BENCH_DIR.parent))
from bench.engine import _commit, _load, _machine  # noqa: E402  (one header for every bench)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KINDS = (
    EventKind.OPERATION_SUBMITTED,
    EventKind.NOTICE_CREATED,
    EventKind.NOTICE_DELIVERED,
    EventKind.NOTICE_READ,
    EventKind.NOTICE_ACKNOWLEDGED,
    EventKind.OPERATION_ACCEPTED,
)
PARTIES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")


# --- the naive baseline: RFC 9162 recursion over the leaf hashes ------------------------


def naive_mth(leaves: list[bytes], a: int, b: int) -> bytes:
    if b - a == 1:
        return leaves[a]
    k = 1 << ((b - a - 1).bit_length() - 1)
    return hashlib.sha256(
        b"\x01" + naive_mth(leaves, a, a + k) + naive_mth(leaves, a + k, b)
    ).digest()


def naive_path(leaves: list[bytes], m: int, a: int, b: int) -> list[bytes]:
    if b - a == 1:
        return []
    k = 1 << ((b - a - 1).bit_length() - 1)
    if m < k:
        return [*naive_path(leaves, m, a, a + k), naive_mth(leaves, a + k, b)]
    return [*naive_path(leaves, m - k, a + k, b), naive_mth(leaves, a, a + k)]


# --- measuring ----------------------------------------------------------------------


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e6


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@contextmanager
def long_way() -> Iterator[None]:
    """`verify_log` as it read lines before the short way (the same-run baseline): each
    line decoded and re-encoded in Python, the event rebuilt, payload and record encoded
    again, the time parsed with `strptime`."""
    from deconflict.audit import canonical, event
    from deconflict.audit import log as log_module

    saved = (
        log_module.leaf_facts,
        canonical._fast_canonical,
        event.AuditEvent.__dict__["_from_canonical_line"],
        event._CANONICAL_TIME,
    )
    log_module.leaf_facts = lambda line: None  # type: ignore[assignment]
    canonical._fast_canonical = lambda data: canonical._UNDECIDED  # type: ignore[assignment]
    event.AuditEvent._from_canonical_line = classmethod(lambda cls, *_: None)  # type: ignore[assignment,method-assign]
    event._CANONICAL_TIME = re.compile("(?!)")  # never matches: strptime every time
    try:
        yield
    finally:
        (
            log_module.leaf_facts,
            canonical._fast_canonical,
            event.AuditEvent._from_canonical_line,
            event._CANONICAL_TIME,
        ) = saved  # type: ignore[assignment]


def run_size(n: int, proofs: int, seed: int, verify: bool) -> dict[str, Any]:
    rng = random.Random(seed)
    rss0 = _rss_mb()
    log = AuditLog(MemoryLogStore())
    start = time.perf_counter()
    for i in range(n):
        party = PARTIES[i % 6]
        log.append(
            KINDS[i % len(KINDS)],
            party,
            [f"notice-{i // 4}", f"op-{i // 7}"],
            {"to": PARTIES[(i + 1) % 6], "version": i % 5, "channel": "webhook", "alt_m": 1520.5},
            time=T0 + timedelta(milliseconds=i),
        )
    append_s = time.perf_counter() - start
    rss = _rss_mb() - rss0
    store: MemoryLogStore = log.store  # type: ignore[assignment]
    leaves = [store.node(0, i) for i in range(n)]

    tree_only = merkle.MemoryNodes()
    start = time.perf_counter()
    for leaf in leaves:
        tree_only.append_leaf(leaf)
    tree_s = time.perf_counter() - start
    del tree_only

    signer = CheckpointSigner(Ed25519PrivateKey.from_private_bytes(bytes(32)), "bench/audit")
    log.sign_checkpoint(signer, time=T0)
    root = log.root()
    root_us = statistics.median(_timed(lambda: log.root(n)) for _ in range(200))

    clock = time.perf_counter
    inc_gen, inc_ver, inc_len = [], [], []
    for _ in range(proofs):
        m = rng.randrange(n)
        t0 = clock()
        path = log.inclusion_proof(m, n)
        t1 = clock()
        merkle.verify_inclusion(leaves[m], m, n, path, root)
        t2 = clock()
        inc_gen.append((t1 - t0) * 1e6)
        inc_ver.append((t2 - t1) * 1e6)
        inc_len.append(len(path))
    con_gen, con_ver, con_len = [], [], []
    for _ in range(proofs):
        m = rng.randrange(1, n) if n > 1 else 1
        old_root = log.root(m)
        t0 = clock()
        path = log.consistency_proof(m, n)
        t1 = clock()
        merkle.verify_consistency(m, n, old_root, root, path)
        t2 = clock()
        con_gen.append((t1 - t0) * 1e6)
        con_ver.append((t2 - t1) * 1e6)
        con_len.append(len(path))

    naive_reps = max(1, min(50, 2_000_000 // (n * 2)))
    naive_root = [_timed(lambda: naive_mth(leaves, 0, n)) for _ in range(naive_reps)]
    assert naive_mth(leaves, 0, n) == root
    naive_proof = []
    for _ in range(naive_reps):
        m = rng.randrange(n)
        t0 = clock()
        path = naive_path(leaves, m, 0, n)
        naive_proof.append((clock() - t0) * 1e6)
        assert path == log.inclusion_proof(m, n)

    verify_s = verify_cpu = long_s = long_cpu = float("nan")
    if verify:
        lines = list(store.lines(0, n))
        start, cpu = time.perf_counter(), time.thread_time()
        report = verify_log(lines, log.checkpoints(), signer.verifier)
        verify_s, verify_cpu = time.perf_counter() - start, time.thread_time() - cpu
        assert report.attested == n
        with long_way():
            start, cpu = time.perf_counter(), time.thread_time()
            again = verify_log(lines, log.checkpoints(), signer.verifier)
            long_s, long_cpu = time.perf_counter() - start, time.thread_time() - cpu
        assert again == report

    return {
        "n": n,
        "append_rate": n / append_s,
        "tree_rate": n / tree_s,
        "root_us": root_us,
        "inc_gen": _percentiles(inc_gen),
        "inc_ver": _percentiles(inc_ver),
        "inc_len": (statistics.fmean(inc_len), max(inc_len)),
        "con_gen": _percentiles(con_gen),
        "con_ver": _percentiles(con_ver),
        "con_len": (statistics.fmean(con_len), max(con_len)),
        "naive_root_ms": statistics.median(naive_root) / 1000,
        "naive_proof_ms": statistics.median(naive_proof) / 1000,
        "naive_reps": naive_reps,
        "ratio": statistics.median(naive_proof) / _percentiles(inc_gen)[0],
        "verify_s": verify_s,
        "verify_cpu": verify_cpu,
        "long_s": long_s,
        "long_cpu": long_cpu,
        "rss_mb": rss,
        "line_bytes": statistics.fmean(len(store.line(i)) for i in range(min(n, 1000))),
    }


def _pair(p: tuple[float, float], digits: int = 1) -> str:
    return f"{p[0]:.{digits}f} / {p[1]:.{digits}f}"


COLUMNS: tuple[tuple[str, Callable[[dict[str, Any]], str]], ...] = (
    ("events", lambda r: f"{r['n']:,}"),
    ("append events/s", lambda r: f"{r['append_rate']:,.0f}"),
    ("tree-only appends/s", lambda r: f"{r['tree_rate']:,.0f}"),
    ("RSS MB", lambda r: f"{r['rss_mb']:,.0f}"),
    ("root µs", lambda r: f"{r['root_us']:.1f}"),
    ("inclusion gen p50/p99 µs", lambda r: _pair(r["inc_gen"])),
    ("inclusion verify p50/p99 µs", lambda r: _pair(r["inc_ver"])),
    ("inclusion hashes mean/max", lambda r: f"{r['inc_len'][0]:.1f} / {r['inc_len'][1]}"),
    ("consistency gen p50/p99 µs", lambda r: _pair(r["con_gen"])),
    ("consistency verify p50/p99 µs", lambda r: _pair(r["con_ver"])),
    ("consistency hashes mean/max", lambda r: f"{r['con_len'][0]:.1f} / {r['con_len'][1]}"),
    ("naive root ms", lambda r: f"{r['naive_root_ms']:.2f}"),
    ("naive proof ms (×reps)", lambda r: f"{r['naive_proof_ms']:.2f} (×{r['naive_reps']})"),
    ("naive/stored proof", lambda r: f"{r['ratio']:,.0f}×"),
    ("verify_log s (CPU)", lambda r: f"{r['verify_s']:.2f} ({r['verify_cpu']:.2f})"),
    ("long way s (CPU)", lambda r: f"{r['long_s']:.2f} ({r['long_cpu']:.2f})"),
    ("verify speed-up (CPU)", lambda r: f"{r['long_cpu'] / r['verify_cpu']:.1f}×"),
)


def _markdown(results: list[dict[str, Any]], proofs: int, seed: int, load: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    line_bytes = results[0]["line_bytes"] if results else 0
    lines = [
        f"## {now} — audit (`bench/audit.py`)",
        "",
        f"- machine: {_machine()}",
        f"- commit: {_commit()}",
        f"- load average (1 min) at start / end: {load} / {_load()} (on {os.cpu_count()} cores)",
        f"- workload: N synthetic events (~{line_bytes:.0f} bytes per stored line) appended "
        f"to an in-memory `AuditLog`; {proofs} inclusion and {proofs} consistency proofs "
        f"at random indexes / old sizes (seed {seed}); naive = RFC 9162 recursive MTH/PATH "
        "over all N leaf hashes (no node store), repeated ×reps",
        "- expectation: proof length and proof time grow by a constant per doubling of N "
        "(O(log n)); naive grows linearly",
        "",
        "| " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|" + "|".join("---:" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(cell(r) for _, cell in COLUMNS) + " |" for r in results]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--proofs", type=int, default=1000, help="proofs of each kind per size")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--quick", action="store_true", help="10^3 and 10^4 only")
    parser.add_argument("--no-verify", action="store_true", help="skip verify_log")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--in-process", action="store_true", help="run every size in this process")
    args = parser.parse_args(argv)
    sizes = [1000, 10_000] if args.quick else [int(float(s)) for s in args.sizes.split(",")]
    load = _load()
    results = []
    for n in sizes:
        print(f"N = {n:,} …", flush=True)
        call = (n, args.proofs, args.seed, not args.no_verify)
        if args.in_process:
            result = run_size(*call)
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                result = pool.submit(run_size, *call).result()
        results.append(result)
        print(
            f"  append {result['append_rate']:,.0f}/s, inclusion p50 "
            f"{result['inc_gen'][0]:.1f} µs ({result['inc_len'][1]} hashes), "
            f"naive proof {result['naive_proof_ms']:.2f} ms",
            flush=True,
        )
    text = _markdown(results, args.proofs, args.seed, load)
    print()
    print(text)
    if not args.no_record:
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write("\n" + text)
        print(f"appended to {RESULTS.relative_to(BENCH_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
