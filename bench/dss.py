"""DSS benchmark: ASTM F3548 query and create throughput and latency over real HTTP.

For each backend (SQLite, PostgreSQL) it

- stores N operational intents (default 10^5) through the store's own functions (the
  reference row, its operation and its index boxes, as a create writes them), in one
  transaction per 5,000, spread over a 4° × 2° grid of 0.01° cells and 48 hours;
- starts ``deconflict serve --workers 2`` on 127.0.0.1, trusting a generated RS256 key;
- drives ``POST /dss/v1/operational_intent_references/query`` with wrk
  (bench/wrk_dss.lua: a 0.02° square and two hours around a random stored cell; each
  answers a few references) and then ``PUT /dss/v1/operational_intent_references/{id}``
  (a new intent in a random cell, in the 48 hours after the stored ones, empty key),
  with several connections and then one (latency without queueing);
- prints a table and appends it to bench/RESULTS.md.

    python bench/dss.py [--stored 100000] [--duration 15] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import jwt  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from bench.engine import _commit, _load, _machine  # noqa: E402  (one header for every bench)
from bench.service import PostgreSQL, free_port  # noqa: E402
from deconflict.application.dss_common import boxes_of, declaration_of  # noqa: E402
from deconflict.geo.altitude import AltitudeReference  # noqa: E402
from deconflict.geo.outline import PolygonOutline  # noqa: E402
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume  # noqa: E402
from deconflict.model.dss import new_ovn  # noqa: E402
from deconflict.model.dss_volume import time_field  # noqa: E402
from deconflict.model.operation import Operation  # noqa: E402
from deconflict.model.operation_state import OperationState  # noqa: E402
from deconflict.store import dss_intents  # noqa: E402
from deconflict.store import operation as operation_store  # noqa: E402
from deconflict.store.backend import connect  # noqa: E402
from deconflict.store.dss_intents import IntentRecord  # noqa: E402
from deconflict.store.migrate import upgrade  # noqa: E402

RESULTS = REPO / "bench" / "RESULTS.md"
LUA = REPO / "bench" / "wrk_dss.lua"
LON0, LAT0, COLS, ROWS, HOURS = 6.0, 45.5, 400, 200, 48
CHUNK = 5000


def _square(x: float, y: float, h: float) -> PolygonOutline:
    ring = ((x - h, y - h), (x + h, y - h), (x + h, y + h), (x - h, y + h), (x - h, y - h))
    return PolygonOutline(ring)


def _extent(x: float, y: float, h: float, start: float) -> dict:
    vertices = [
        {"lng": a, "lat": b}
        for a, b in ((x - h, y - h), (x + h, y - h), (x + h, y + h), (x - h, y + h))
    ]
    return {
        "volume": {
            "outline_polygon": {"vertices": vertices},
            "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": 120, "reference": "W84", "units": "M"},
        },
        "time_start": time_field(start),
        "time_end": time_field(start + 3600),
    }


def load(url: str, stored: int, t0: float) -> float:
    """Store `stored` intents as a create would; seconds taken."""
    database = connect(url)
    upgrade(database)
    began = time.perf_counter()
    cells = COLS * ROWS
    for first in range(0, stored, CHUNK):
        with database.write() as connection:
            for n in range(first, min(first + CHUNK, stored)):
                cell = (n * 7919) % cells
                x = LON0 + (cell % COLS + 0.5) * 0.01
                y = LAT0 + (cell // COLS + 0.5) * 0.01
                start = t0 + ((n * 31) % HOURS) * 3600
                ident = str(uuid.UUID(int=n + 1, version=4))
                manager = f"uss-{n % 6}"
                volume = Volume(
                    _square(x, y, 0.004),
                    AltitudeBand(0.0, 120.0, AltitudeReference.W84),
                    TimeWindow(start, start + 3600),
                )
                declaration = declaration_of(ident, manager, [volume], operation=True)
                record = IntentRecord(
                    id=ident,
                    manager=manager,
                    version=1,
                    ovn=new_ovn(ident),
                    state="Accepted",
                    uss_base_url="https://bench.test",
                    subscription_id=None,
                    time_start=start,
                    time_end=start + 3600,
                    extents=[_extent(x, y, 0.004, start)],
                    updated_at=time.time(),
                )
                dss_intents.insert(connection, record)
                operation = Operation(
                    id=ident,
                    party=manager,
                    version=1,
                    state=OperationState.ACCEPTED,
                    declaration=declaration,
                    submitted_at=time.time(),
                    updated_at=time.time(),
                )
                operation_store.insert(connection, operation, boxes_of(declaration))
    database.engine.dispose()
    return time.perf_counter() - began


@contextlib.contextmanager
def serve(url: str, pem: Path, directory: Path) -> Iterator[str]:
    port = free_port()
    config = directory / "deconflict.toml"
    config.write_text(
        f'database_url = "{url}"\ndata_dir = "{directory}"\nhost = "127.0.0.1"\n'
        f'port = {port}\nworkers = 2\nlog_level = "warning"\n'
        f'dss_public_keys = ["{pem}"]\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_")}
    program = shutil.which("deconflict") or sys.executable
    command = [program] if program.endswith("deconflict") else [program, "-m", "deconflict.cli"]
    log = open(directory / "server.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [*command, "serve", "--config", str(config)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def wrk(base: str, mode: str, token: str, t0: float, connections: int, duration: int) -> dict:
    arguments = [
        f"mode={mode}",
        f"token={token}",
        f"t0={int(t0)}",
        f"lon0={LON0}",
        f"lat0={LAT0}",
        f"cols={COLS}",
        f"rows={ROWS}",
        f"hours={HOURS}",
    ]
    threads = 1 if connections == 1 else 2
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(LUA),
            base,
            "--",
            *arguments,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in output.splitlines() if x.startswith("BENCH_JSON "))
    return json.loads(line[len("BENCH_JSON ") :])


def run_backend(name: str, url: str, stored: int, duration: int, directory: Path) -> list[dict]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = directory / "authority.pem"
    pem.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    t0 = (time.time() // 3600 + 2) * 3600
    load_s = load(url, stored, t0)
    now = int(time.time())
    claims = {
        "sub": "bench-uss",
        "aud": "localhost",
        "iat": now,
        "exp": now + 7200,
        "scope": "utm.strategic_coordination",
    }
    token = jwt.encode(claims, key, algorithm="RS256")
    rows = []
    with serve(url, pem, directory) as base:
        wrk(base, "query", token, t0, 4, 3)  # warm-up
        for mode in ("query", "create"):
            for connections in (8, 1):
                result = wrk(base, mode, token, t0, connections, duration)
                seconds = result["duration_us"] / 1e6
                good = result["ok"] if mode == "query" else result["created"]
                rows.append(
                    {
                        "backend": name,
                        "mode": mode,
                        "connections": connections,
                        "per_s": good / seconds,
                        "p50_ms": result["latency_us"]["p50"] / 1000,
                        "p99_ms": result["latency_us"]["p99"] / 1000,
                        "requests": result["requests"],
                        "refused": result["refused"],
                        "other": result["other"] + result["errors"],
                        "load_s": load_s,
                    }
                )
                print(rows[-1], flush=True)
    return rows


def record(rows: list[dict], stored: int, load_at_start: str) -> str:
    lines = [
        "",
        f"## {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC — DSS (`bench/dss.py`)",
        "",
        f"- machine: {_machine()}",
        f"- commit: {_commit()}",
        f"- load average (1 min) at start / end: {load_at_start} / {_load()} "
        f"(on {os.cpu_count()} cores)",
        f"- {stored:,} operational intents stored (through the store's functions), 0.008° "
        "squares over a 4° × 2° grid and 48 h; `deconflict serve --workers 2`; wrk "
        "(bench/wrk_dss.lua), 8 connections then 1",
        "- query: a 0.02° square × 2 h around a random stored cell; create: a new intent, "
        "empty key, in the 48 h after the stored ones (refused = 409, a clash with another "
        "created one)",
        "",
        "| backend | call | connections | per s | p50 ms | p99 ms | requests | refused | other "
        "| load s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['mode']} | {r['connections']} | {r['per_s']:,.0f} | "
            f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['requests']:,} | {r['refused']} | "
            f"{r['other']} | {r['load_s']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args()
    rows: list[dict] = []
    load_at_start = _load()
    for name in options.backends.split(","):
        directory = Path(tempfile.mkdtemp(prefix=f"deconflict-bench-dss-{name}-"))
        if name == "sqlite":
            rows += run_backend(
                name,
                f"sqlite:///{directory / 'dss.db'}",
                options.stored,
                options.duration,
                directory,
            )
        else:
            with PostgreSQL.throwaway() as cluster:
                rows += run_backend(name, cluster.url, options.stored, options.duration, directory)
        shutil.rmtree(directory, ignore_errors=True)
    text = record(rows, options.stored, load_at_start)
    print(text)
    if not options.no_record:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write(text)


if __name__ == "__main__":
    main()
