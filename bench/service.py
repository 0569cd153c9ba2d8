"""Service benchmark: accepted operations per second and submit latency over real HTTP.

For each backend (SQLite, PostgreSQL) it

- pre-loads N stored operations (default 10^5) straight into the store's tables, in bulk
  (rows built by the store's own value and index-box functions, parsed in a process pool;
  executemany on SQLite, COPY on PostgreSQL), and times that;
- starts ``deconflict serve --workers 2`` on 127.0.0.1 with the bench endpoints on;
- drives ``POST /v1/operations`` with wrk (bench/wrk_submit.lua: one new, unique operation
  per request, spread over a large area and a week so that nearly all are accepted; six
  parties, each request with its party's bearer token) after a short warm-up, and
  reports accepted (201) operations per second, p50/p99 latency and the non-2xx count;
- repeats with one connection (latency without queueing);
- drives the bare endpoint ``POST /v1/_bench/insert`` (token check plus one insert) of
  the same app: the ceiling the HTTP stack and the database allow;
- reads each worker process's CPU time from /proc before and after, to show that the
  two workers share the load (and how much CPU the database and wrk took);
- runs the engine alone on the same operations (parsed from the same request bodies):
  ``Airspace.check`` then ``Airspace.add`` of each accepted one, in memory, one process,
  no HTTP, no database: the baseline.

The stored and new operations come from one deterministic sequence (see
``operation_body`` and bench/wrk_submit.lua, which must stay in step; the run checks that
a sample of what the server stored equals what this module generates).

Results print as a table and are appended to bench/RESULTS.md. Targets (DESIGN.md):
≥ 1,500 accepted operations/s on 2 cores, p99 submit < 25 ms.

    python bench/service.py [--stored 100000] [--duration 20] [--backends sqlite,postgresql]
                            [--quick] [--connections 16] [--wait-idle 600] [--profile 2000]

On a shared machine, `--wait-idle S` waits (up to S seconds) for other processes to go
quiet before each measured run; the "cores busy (others)" column shows how quiet it was.
"""

# printf-style formats on purpose: operation_body mirrors string.format in wrk_submit.lua
# ruff: noqa: UP031

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import pstats
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from deconflict.application.hub import ADMIN, Caller, Hub
from deconflict.application.manage_parties import put_agreement, put_party
from deconflict.application.outcome import sort_conflicts
from deconflict.application.policy import load as load_policy
from deconflict.config import Settings
from deconflict.engine import Airspace
from deconflict.engine.boxes import declaration_index_boxes
from deconflict.geo.declaration import Declaration
from deconflict.geo.geojson import read_collection
from deconflict.geo.separation import Minima
from deconflict.geo.units import FOOT, NAUTICAL_MILE
from deconflict.model.agreement import PairAgreement
from deconflict.model.operation import Operation
from deconflict.model.operation_state import OperationState
from deconflict.model.party import Party
from deconflict.store import operation as operation_store
from deconflict.store.backend import Database, connect
from deconflict.store.documents import to_document
from deconflict.store.migrate import upgrade
from deconflict.store.tables import operation_versions, operations, pieces

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "RESULTS.md"
if str(BENCH_DIR.parent) not in sys.path:  # run as a script: reach the `bench` package
    sys.path.insert(0, str(BENCH_DIR.parent))
from bench.engine import _append, _commit, _machine  # noqa: E402  (one header for every bench)

LUA = BENCH_DIR / "wrk_submit.lua"

TARGET_OPS = 1_500.0
TARGET_P99_MS = 25.0

# --- the workload -----------------------------------------------------------------------

LON0, LON1, LAT0, LAT1 = -10.0, 35.0, 25.0, 50.0  # the Mediterranean and the Middle East
SPAN_S = 7 * 86_400  # a week of plans
DIMENSIONS = 8  # lon, lat, start, duration, shape, size, altitude, party
MILITARY = ("alpha", "bravo", "charlie")
DRONES = ("delta", "echo", "foxtrot")
PARTIES = MILITARY + DRONES


def agreements() -> list[PairAgreement]:
    """Every pair agrees minima: 5 NM / 1000 ft / 5 min between military parties,
    0.5 NM / 100 ft / 0 s between drone operators, 1 NM / 500 ft / 1 min otherwise."""
    military = Minima(5 * NAUTICAL_MILE, 1000 * FOOT, 300.0)
    drone = Minima(0.5 * NAUTICAL_MILE, 100 * FOOT, 0.0)
    mixed = Minima(1 * NAUTICAL_MILE, 500 * FOOT, 60.0)
    out = []
    for a, b in combinations(PARTIES, 2):
        minima = military if {a, b} <= set(MILITARY) else drone if {a, b} <= set(DRONES) else mixed
        out.append(PairAgreement(frozenset((a, b)), minima))
    return out


def kronecker_alphas(d: int = DIMENSIONS) -> list[float]:
    """The R_d sequence's steps: powers of 1/φ_d, where φ_d^(d+1) = φ_d + 1."""
    x = 2.0
    for _ in range(60):
        x -= (x ** (d + 1) - x - 1) / ((d + 1) * x**d - 1)
    return [((1 / x) ** (i + 1)) % 1.0 for i in range(d)]


ALPHAS = kronecker_alphas()


def _u(n: int, i: int) -> float:
    v = 0.5 + ALPHAS[i] * n
    return v - math.floor(v)


def _stamp(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def operation_body(n: int, t0: int) -> tuple[str, str]:
    """(party, request body) of operation number `n`; bench/wrk_submit.lua builds the same
    text. 70 % circles of 0.3–3 km, 20 % rectangles, 10 % three-waypoint routes; 15 min
    to 2 h; bands from 0–150 m up to at most ~1.5 km; windows starting within a week."""
    floor = math.floor
    x = LON0 + _u(n, 0) * (LON1 - LON0)
    y = LAT0 + _u(n, 1) * (LAT1 - LAT0)
    start = t0 + floor(_u(n, 2) * SPAN_S)
    duration = 900 + floor(_u(n, 3) * 6300)
    shape, size = _u(n, 4), _u(n, 5)
    low = floor(_u(n, 6) * 150)
    party = PARTIES[floor(_u(n, 7) * len(PARTIES))]
    if shape < 0.7:
        geometry = '{"type":"Point","coordinates":[%.6f,%.6f]}' % (x, y)
        properties = (
            '"radius":%d,"altitude_lower":%d,"altitude_upper":%d,"start":"%s","end":"%s"'
            % (
                300 + floor(size * 2700),
                low,
                low + 100 + floor(size * 1250),
                _stamp(start),
                _stamp(start + duration),
            )
        )
    elif shape < 0.9:
        hy = (500 + size * 2500) / 111000.0
        hx = hy * 1.3
        corners = (x - hx, y - hy, x + hx, y - hy, x + hx, y + hy, x - hx, y + hy, x - hx, y - hy)
        geometry = (
            '{"type":"Polygon","coordinates":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],'
            "[%.6f,%.6f],[%.6f,%.6f]]]}" % corners
        )
        properties = '"altitude_lower":%d,"altitude_upper":%d,"start":"%s","end":"%s"' % (
            low,
            low + 100 + floor(size * 1250),
            _stamp(start),
            _stamp(start + duration),
        )
    else:
        leg = 20000 + floor(size * 40000)
        dx, dy = leg / 85000.0, leg / 222000.0
        step = floor(leg / 60)
        a0 = 100 + low
        a1 = a0 + 300 + floor(size * 900)
        geometry = (
            '{"type":"LineString","coordinates":[[%.6f,%.6f,%d],[%.6f,%.6f,%d],[%.6f,%.6f,%d]]}'
            % (x, y, a0, x + dx, y + dy, a1, x + 2 * dx, y, a0)
        )
        properties = (
            '"times":["%s","%s","%s"],"half_width":1000,"vertical_half_width":100,'
            '"time_buffer":60' % (_stamp(start), _stamp(start + step), _stamp(start + 2 * step))
        )
    text = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","id":"op-%d","geometry":%s,'
        '"properties":{"party":"%s","kind":"operation",%s}}]}' % (n, geometry, party, properties)
    )
    return party, text


def parse(text: str) -> Declaration:
    (declaration,) = read_collection(json.loads(text)).declarations
    return declaration


def numbers_sent(base: int, threads: list[dict[str, Any]]) -> list[int]:
    """The operation numbers a wrk run generated (bench/wrk_submit.lua's numbering)."""
    stride = len(threads)
    return sorted(base + c * stride + t["index"] for t in threads for c in range(t["generated"]))


# --- pre-loading the store ----------------------------------------------------------------


def _prepare(job: tuple[int, int, int, float]) -> list[tuple[Declaration, dict, list]]:
    """Declarations numbered [first, stop), with their table rows and index boxes."""
    first, stop, t0, now = job
    out = []
    for n in range(first, stop):
        declaration = parse(operation_body(n, t0)[1])
        operation = Operation(
            id=declaration.id,
            party=declaration.party,
            version=1,
            state=OperationState.ACCEPTED,
            declaration=declaration,
            submitted_at=now,
            updated_at=now,
        )
        # The store's own row builder, so bulk rows equal what `operation_store.insert` writes.
        values = operation_store._values(operation)
        boxes = declaration_index_boxes(declaration).tolist()
        out.append((declaration, values, boxes))
    return out


BOX_COLUMNS = ("lon_min", "lat_min", "alt_min", "t_min", "lon_max", "lat_max", "alt_max", "t_max")


def _bulk_insert(database: Database, batch: list[tuple[Declaration, dict, list]]) -> int:
    """Write one batch in one transaction; returns the number of index boxes."""
    operation_rows, version_rows, box_rows = [], [], []
    for declaration, values, boxes in batch:
        operation_rows.append({"id": declaration.id, **values})
        version_rows.append(
            {
                "id": declaration.id,
                "version": 1,
                "state": values["state"],
                "document": values["document"],
                "recorded_at": values["updated_at"],
            }
        )
        for box in boxes:
            row = dict(zip(BOX_COLUMNS, box, strict=True))
            box_rows.append({"owner_kind": "operation", "owner_id": declaration.id, **row})
    with database.write() as connection:
        if database.is_sqlite:
            _insert_sqlite(connection, operation_rows, version_rows, box_rows)
        else:
            _copy_postgresql(connection, operation_rows, version_rows, box_rows)
    return len(box_rows)


def _insert_sqlite(
    connection: Any, operation_rows: list, version_rows: list, box_rows: list
) -> None:
    connection.execute(operations.insert(), operation_rows)
    connection.execute(operation_versions.insert(), version_rows)
    next_id = connection.execute(sa.select(sa.func.max(pieces.c.id))).scalar() or 0
    for row in box_rows:
        next_id += 1
        row["id"] = next_id
    connection.execute(pieces.insert(), box_rows)
    connection.execute(
        sa.text(
            "INSERT INTO piece_boxes VALUES (:id, :lon_min, :lon_max, :lat_min, :lat_max,"
            " :alt_min, :alt_max, :t_min, :t_max)"
        ),
        box_rows,
    )


OPERATION_COLUMNS = (
    "id",
    "party",
    "version",
    "state",
    "priority",
    "document",
    "start",
    "end",
    "footprint",
    "submitted_at",
    "updated_at",
    "late_notice",
    "overridden_by",
    "awaiting",
)
JSON_COLUMNS = frozenset({"document", "late_notice", "overridden_by", "awaiting"})


def _copy_postgresql(
    connection: Any, operation_rows: list, version_rows: list, box_rows: list
) -> None:
    """COPY the rows in (the same values `operation_store.insert` writes row by row: JSON
    as json.dumps text, `geom` from the footprint WKT, `box` from the corners)."""
    cursor = connection.connection.driver_connection.cursor()
    columns = ", ".join(f'"{c}"' for c in OPERATION_COLUMNS)
    with cursor.copy(f"COPY operations ({columns}, geom) FROM STDIN") as copy:
        for row in operation_rows:
            copy.write_row(
                [json.dumps(row[c]) if c in JSON_COLUMNS else row[c] for c in OPERATION_COLUMNS]
                + [f"SRID=4326;{row['footprint']}"]
            )
    with cursor.copy(
        "COPY operation_versions (id, version, state, document, recorded_at) FROM STDIN"
    ) as copy:
        for row in version_rows:
            copy.write_row(
                [row["id"], 1, row["state"], json.dumps(row["document"]), row["recorded_at"]]
            )
    with cursor.copy(
        "COPY pieces (owner_kind, owner_id, lon_min, lon_max, lat_min, lat_max, alt_min,"
        " alt_max, t_min, t_max, box) FROM STDIN"
    ) as copy:
        for b in box_rows:
            low = " ".join(repr(b[k]) for k in ("lon_min", "lat_min", "alt_min", "t_min"))
            high = " ".join(repr(b[k]) for k in ("lon_max", "lat_max", "alt_max", "t_max"))
            copy.write_row(
                [b["owner_kind"], b["owner_id"]]
                + [b[k] for k in ("lon_min", "lon_max", "lat_min", "lat_max")]
                + [b[k] for k in ("alt_min", "alt_max", "t_min", "t_max")]
                + [f"LINESTRING ZM ({low}, {high})"]
            )
    cursor.close()


def setup_parties(hub: Hub) -> None:
    admin = Caller("bench-admin", None, frozenset({ADMIN}))
    for party in PARTIES:
        put_party(hub, admin, Party(party, party.capitalize()))
    for agreement in agreements():
        put_agreement(hub, admin, agreement)


def preload(database: Database, stored: int, t0: int, console: Any) -> dict[str, Any]:
    """Fill the store with operations 0 … stored-1; returns them and the timings."""
    now = time.time()
    chunk = 5_000
    jobs = [(i, min(i + chunk, stored), t0, now) for i in range(0, stored, chunk)]
    declarations: list[Declaration] = []
    boxes = 0
    compute_s = write_s = 0.0
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        waited = time.perf_counter()
        for batch in pool.map(_prepare, jobs):
            compute_s += time.perf_counter() - waited
            written = time.perf_counter()
            boxes += _bulk_insert(database, batch)
            write_s += time.perf_counter() - written
            declarations.extend(d for d, _, _ in batch)
            waited = time.perf_counter()
    if database.is_postgresql:
        analyze(database, "VACUUM ANALYZE")
    total_s = time.perf_counter() - started
    console.print(
        f"  pre-loaded {stored:,} operations ({boxes:,} index boxes) in {total_s:.1f} s "
        f"(waiting for parse/rows/boxes {compute_s:.1f} s, writing {write_s:.1f} s)"
    )
    return {"declarations": declarations, "preload_s": total_s, "boxes": boxes}


# --- processes ----------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def analyze(database: Database, statement: str = "ANALYZE") -> None:
    """Bring PostgreSQL's statistics up to date, as autovacuum does within a minute or so
    on a running hub. After the warm-up, the tables the pre-load left empty (cell locks,
    notices, the audit queue) have rows, but the plans the server cached for them while
    they were empty still scan them whole (4.7 ms per cell lock at 27,000 cells, measured
    with pg_stat_statements): without this the run measures those first seconds."""
    with database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(statement)


def autovacuums(database: Database) -> int | None:
    """Autovacuum and autoanalyze passes over the hub's tables so far (None on SQLite).
    Counted around each run, they show which run a pass overlapped: one over the queue
    tables (notices, the audit queue) slows the submissions that meet it."""
    if not database.is_postgresql:
        return None
    with database.engine.connect() as connection:
        return int(
            connection.exec_driver_sql(
                "SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0)"
                " FROM pg_stat_user_tables"
            ).scalar_one()
        )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_cpu_seconds() -> float:
    """CPU time all processes on the machine have used (busy jiffies in /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = values
    return (user + nice + system + irq + softirq) / CLOCK_TICKS


def wait_idle(limit_s: float, console: Any, cores: float = 0.2, window_s: float = 3.0) -> None:
    """Wait (at most `limit_s`) until the machine's busy CPU over a window is below `cores`."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        before = machine_cpu_seconds()
        time.sleep(window_s)
        busy = (machine_cpu_seconds() - before) / window_s
        if busy < cores:
            return
        console.print(f"  waiting for an idle machine ({busy:.2f} cores busy)…")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def connections_of(pid: int, port: int) -> int:
    """Established TCP connections to `port` that process `pid` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                count += fields[3] == "01" and local_port == port and fields[9] in inodes
    return count


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgreSQL:
    """A throwaway cluster from scripts/pg-throwaway (or a given URL, left alone)."""

    url: str
    directory: Path | None = None

    @classmethod
    @contextlib.contextmanager
    def throwaway(cls) -> Iterator[PostgreSQL]:
        directory = Path(tempfile.mkdtemp(prefix="deconflict-bench-pg-"))
        port = free_port()
        url = subprocess.run(
            [str(REPO / "scripts" / "pg-throwaway"), str(directory), str(port)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        try:
            yield cls(url, directory)
        finally:
            binary = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key)[-1]
            owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
            subprocess.run(
                [
                    *owner,
                    str(binary / "pg_ctl"),
                    "-D",
                    str(directory / "data"),
                    "stop",
                    "-m",
                    "fast",
                ],
                capture_output=True,
                check=False,
            )
            shutil.rmtree(directory, ignore_errors=True)

    def pids(self) -> list[int]:
        """The postmaster and its children (backends, writer, WAL…)."""
        if self.directory is None:
            return []
        try:
            postmaster = int((self.directory / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        return [postmaster, *children(postmaster)]


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in path.parent.name.split(".") if p.isdigit())


@dataclass
class Server:
    """`deconflict serve --workers N` in a subprocess, with its worker pids."""

    process: subprocess.Popen
    port: int
    workers: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def serve(database_url: str, data_dir: Path, workers: int, log: Path) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        "DECONFLICT_DATABASE_URL": database_url,
        "DECONFLICT_DATA_DIR": str(data_dir),
        "DECONFLICT_BENCH_ENDPOINTS": "true",
        "DECONFLICT_PORT": str(port),
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "deconflict.cli", "serve", "--workers", str(workers)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
        )
    server = Server(process, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited ({process.returncode}); see {log}")
            spawned = [p for p in children(process.pid) if "multiprocessing.spawn" in cmdline(p)]
            if workers == 1:  # `serve` runs the app in its own process
                spawned = [process.pid]
            if len(spawned) == workers and _ready(server.url):
                server.workers = spawned
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not become ready; see {log}")
            time.sleep(0.2)
        for _ in range(4 * workers):  # let every worker finish its start-up
            _ready(server.url)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for pid in [*server.workers, process.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.wait()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=5) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


# --- load -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    mode: str  # submit | bare
    duration_s: float
    connections: int
    threads: int


def run_wrk(
    server: Server, load: Load, base: int, t0: int, tokens: dict[str, str]
) -> dict[str, Any]:
    """One wrk run; its BENCH_JSON summary plus the raw output."""
    arguments = [
        f"mode={load.mode}",
        f"base={base}",
        f"threads={load.threads}",
        f"t0={t0}",
        f"span={SPAN_S}",
        f"lon0={LON0!r}",
        f"lon1={LON1!r}",
        f"lat0={LAT0!r}",
        f"lat1={LAT1!r}",
        "alphas=" + ",".join(repr(a) for a in ALPHAS),
        "tokens=" + ",".join(f"{party}:{token}" for party, token in tokens.items()),
    ]
    command = [
        shutil.which("wrk") or "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{max(1, round(load.duration_s))}s",  # wrk takes whole seconds
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        server.url,
        "--",
        *arguments,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        time.sleep(min(1.0, load.duration_s / 2))
        connections = [connections_of(pid, server.port) for pid in server.workers]
        stdout, stderr = process.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({process.returncode}): {stderr or stdout}")
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["raw"] = stdout
    result["connections_per_worker"] = connections
    result["wrk_cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["seconds"] = result["duration_us"] / 1e6
    for key in ("generated", "created", "refused", "ok", "other"):
        result[key] = sum(t[key] for t in result["threads"])
    result["other_status"] = next(
        (t["other_status"] for t in result["threads"] if t["other_status"]), ""
    )
    return result


def mint_tokens(data_dir: Path) -> dict[str, str]:
    from deconflict.api.auth import mint_token

    settings = Settings(data_dir=str(data_dir))
    return {
        party: mint_token(
            settings,
            subject=f"{party}-bench",
            party=party,
            scopes=["deconflict.read", "deconflict.write"],
        )
        for party in PARTIES
    }


# --- the engine baseline ------------------------------------------------------------------


def engine_baseline(
    policy: Any, stored: list[Declaration], new: list[Declaration]
) -> dict[str, Any]:
    """Check each new declaration against what is stored and add it if nothing blocks it:
    the engine's share of a submit, with no HTTP and no database."""
    airspace = Airspace(policy)
    started = time.perf_counter()
    airspace.add_many(stored)
    build_s = time.perf_counter() - started
    for declaration in new[:20]:  # warm caches, as the service's warm-up does
        airspace.check(declaration)
    times = np.empty(len(new))
    accepted = 0
    started = time.perf_counter()
    for i, declaration in enumerate(new):
        began = time.perf_counter_ns()
        report = airspace.check(declaration)
        if not sort_conflicts(report, declaration).blocking:
            airspace.add(declaration)
            accepted += 1
        times[i] = (time.perf_counter_ns() - began) / 1e6
    elapsed = time.perf_counter() - started
    return {
        "build_s": build_s,
        "checked": len(new),
        "accepted": accepted,
        "ops": accepted / elapsed,
        "p50_ms": float(np.percentile(times, 50)),
        "p99_ms": float(np.percentile(times, 99)),
    }


IN_PROCESS_PASS = 10
"""Submissions between two sequencer passes in the in-process run: about what a
numbering pass (every 20 ms) finds at a few hundred operations per second."""


def in_process(
    database: Database, t0: int, first: int, count: int, pg: PostgreSQL | None
) -> dict[str, Any]:
    """The service's own work per accepted operation, without HTTP and without
    concurrency: `submit_operation` on `count` new operations in this one thread, with a
    sequencer pass (numbering, then merging into the log) after every `IN_PROCESS_PASS`.

    Its CPU per operation (this process plus, on PostgreSQL, the server's) bounds what
    the design can reach: two cores cannot serve more than 2 / that, even with a free
    HTTP stack and a perfect split of the work (SQLite's single writer lowers it more).
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from deconflict.application.submit_operation import submit_operation
    from deconflict.audit.checkpoint import CheckpointSigner
    from deconflict.channel import sequencer
    from deconflict.channel.log_batch import Frontier
    from deconflict.model.errors import Rejected

    hub = Hub(database)
    signer = CheckpointSigner(Ed25519PrivateKey.generate(), "bench")
    frontier = Frontier()
    declarations = [parse(operation_body(n, t0)[1]) for n in range(first, first + count)]
    callers = {
        party: Caller(f"{party}-bench", party, frozenset({"deconflict.write"})) for party in PARTIES
    }

    def sequence() -> None:
        while sequencer.number_pass(database, time.time) == sequencer.BATCH:
            pass
        while sequencer.merge_pass(database, time.time, signer, known=frontier).events:
            pass

    sequence()  # whatever the server left
    db_pids = pg.pids() if pg else []
    db_before = {pid: cpu_seconds(pid) for pid in db_pids}
    cpu_before = time.process_time()
    started = time.perf_counter()
    accepted = 0
    for i, declaration in enumerate(declarations, start=1):
        with contextlib.suppress(Rejected):
            submit_operation(hub, callers[declaration.party], declaration)
            accepted += 1
        if i % IN_PROCESS_PASS == 0:
            sequence()
    sequence()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    cpu += sum(cpu_seconds(pid) - before for pid, before in db_before.items())
    return {
        "accepted": accepted,
        "ops": accepted / elapsed,
        "cpu_ms": 1000 * cpu / max(accepted, 1),
    }


def profile_submit(
    database: Database, t0: int, first: int, count: int, tokens: dict[str, str]
) -> str:
    """cProfile of `submit_operation` called in-process on `count` new operations."""
    from deconflict.application.submit_operation import submit_operation
    from deconflict.model.errors import Rejected

    hub = Hub(database)
    callers = {
        party: Caller(f"{party}-bench", party, frozenset({"deconflict.write"})) for party in tokens
    }
    declarations = [parse(operation_body(n, t0)[1]) for n in range(first, first + count)]
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for declaration in declarations:
        with contextlib.suppress(Rejected):
            submit_operation(hub, callers[declaration.party], declaration)
    profile.disable()
    elapsed = time.perf_counter() - started
    stream = io.StringIO()
    stream.write(f"{count} submit_operation calls in {elapsed:.2f} s (under cProfile)\n")
    stats = pstats.Stats(profile, stream=stream)
    stats.strip_dirs().sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    return stream.getvalue()


# --- one backend ----------------------------------------------------------------------------


def same_as_generated(
    database: Database, numbers: list[int], t0: int
) -> tuple[int, int, list[str]]:
    """(compared, equal, what differed): stored documents of a sample against this
    module's generator."""
    sample = numbers[:: max(1, len(numbers) // 50)][:50]
    compared = equal = 0
    differences: list[str] = []
    with database.read() as connection:
        for n in sample:
            stored = operation_store.get(connection, f"op-{n}")
            if stored is None:
                continue
            compared += 1
            mine = to_document(parse(operation_body(n, t0)[1]))
            theirs = to_document(stored.declaration)
            if theirs == mine:
                equal += 1
            else:
                differences.append(f"op-{n}: stored {theirs} != generated {mine}")
    return compared, equal, differences


def run_backend(
    name: str, url: str, pg: PostgreSQL | None, args: argparse.Namespace, console: Any
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"deconflict-bench-{name}-"))
    result: dict[str, Any] = {"backend": name, "stored": args.stored}
    try:
        data_dir = work / "data"
        data_dir.mkdir()
        if name == "sqlite":
            url = f"sqlite:///{work / 'bench.db'}"
        database = connect(url)
        upgrade(database)
        hub = Hub(database)
        setup_parties(hub)
        with database.read() as connection:
            policy = load_policy(connection).policy
        t0 = (int(time.time()) // 3600 + 2) * 3600  # plans start an hour or more from now
        console.print(f"[bold]{name}[/]: pre-loading {args.stored:,} operations…")
        loaded = preload(database, args.stored, t0, console)
        result["preload_s"] = loaded["preload_s"]
        tokens = mint_tokens(data_dir)
        base = args.stored
        with serve(url, data_dir, args.workers, work / "server.log") as server:
            console.print(f"  serving on {server.url}, worker pids {server.workers}")
            loaded_load = Load("submit", args.duration, args.connections, args.threads)
            warm = run_wrk(
                server,
                Load("submit", args.warmup, args.connections, args.threads),
                base,
                t0,
                tokens,
            )
            base += warm["generated"]
            console.print(f"  warm-up: {warm['created'] / warm['seconds']:,.0f} accepted/s")
            if database.is_postgresql:
                analyze(database)

            if args.wait_idle:
                wait_idle(args.wait_idle, console)
            processes = {f"worker {i + 1}": pid for i, pid in enumerate(server.workers)}
            if server.process.pid not in server.workers:
                processes["supervisor"] = server.process.pid
            before = {label: cpu_seconds(pid) for label, pid in processes.items()}
            db_pids = pg.pids() if pg else []
            db_before = {pid: cpu_seconds(pid) for pid in db_pids}
            machine_before = machine_cpu_seconds()
            vacuums_before = autovacuums(database)
            submit = run_wrk(server, loaded_load, base, t0, tokens)
            machine = machine_cpu_seconds() - machine_before
            vacuums_between = autovacuums(database)
            cpu = {label: cpu_seconds(pid) - before[label] for label, pid in processes.items()}
            db_after = {pid: cpu_seconds(pid) for pid in {*db_pids, *(pg.pids() if pg else [])}}
            cpu["database"] = sum(v - db_before.get(pid, 0.0) for pid, v in db_after.items())
            cpu["wrk"] = submit["wrk_cpu_s"]
            cpu["other processes"] = max(machine - sum(cpu.values()), 0.0)
            submit_numbers = numbers_sent(base, submit["threads"])
            base += submit["generated"]
            console.print(
                f"  submit: {submit['created'] / submit['seconds']:,.0f} accepted/s, "
                f"p99 {submit['latency_us']['p99'] / 1000:.1f} ms"
            )

            single = run_wrk(
                server, Load("submit", max(5.0, args.duration / 4), 1, 1), base, t0, tokens
            )
            base += single["generated"]
            vacuums_after = autovacuums(database)
            if vacuums_before is not None and vacuums_between is not None:
                assert vacuums_after is not None
                result["autovacuums"] = (
                    vacuums_between - vacuums_before,
                    vacuums_after - vacuums_between,
                )
            before = {label: cpu_seconds(pid) for label, pid in processes.items()}
            bare = run_wrk(
                server,
                Load("bare", max(5.0, args.duration / 2), args.connections, args.threads),
                base,
                t0,
                tokens,
            )
            bare_cpu = sum(cpu_seconds(pid) - before[label] for label, pid in processes.items())
            console.print(f"  bare endpoint: {bare['requests'] / bare['seconds']:,.0f} req/s")
            if args.verbose:
                console.print(submit["raw"], markup=False, highlight=False)
        compared, equal, differences = same_as_generated(database, submit_numbers, t0)
        for difference in differences:
            console.print(difference, markup=False, highlight=False)

        console.print(f"  engine alone on the same {len(submit_numbers):,} operations…")
        new = [parse(operation_body(n, t0)[1]) for n in submit_numbers]
        engine = engine_baseline(policy, loaded["declarations"], new)
        del loaded

        console.print(f"  in process, one thread, on {args.in_process:,} new operations…")
        alone = in_process(database, t0, base, args.in_process, pg)
        base += args.in_process

        if args.profile:
            console.print(f"  cProfile of {args.profile} in-process submit_operation calls…")
            result["profile"] = profile_submit(database, t0, base, args.profile, tokens)

        workers_cpu = [cpu[label] for label in processes if label.startswith("worker")]
        own_cpu = sum(v for k, v in cpu.items() if k != "other processes")
        seconds = submit["seconds"]
        result.update(
            {
                "connections": args.connections,
                "accepted_ops": submit["created"] / seconds,
                "created": submit["created"],
                "refused": submit["refused"],
                "non_2xx": submit["refused"] + submit["other"],
                "other": submit["other"],
                "other_status": submit["other_status"],
                "socket_errors": {k: v for k, v in submit["errors"].items() if v and k != "status"}
                or "none",
                "p50_ms": submit["latency_us"]["p50"] / 1000,
                "p99_ms": submit["latency_us"]["p99"] / 1000,
                "single_p50_ms": single["latency_us"]["p50"] / 1000,
                "single_p99_ms": single["latency_us"]["p99"] / 1000,
                "single_ops": single["created"] / single["seconds"],
                "bare_rps": bare["requests"] / bare["seconds"],
                "bare_non_2xx": bare["other"] + bare["refused"],
                "bare_cpu_ms": 1000 * bare_cpu / max(bare["requests"], 1),
                "capacity_ops": (os.cpu_count() or 1)
                / max(own_cpu / max(submit["created"], 1), 1e-9),
                "engine": engine,
                "in_process": alone,
                "cpu": cpu,
                "cores_busy": sum(cpu.values()) / seconds,
                "foreign_cores": cpu["other processes"] / seconds,
                "worker_split": [w / max(sum(workers_cpu), 1e-9) for w in workers_cpu],
                "worker_connections": submit["connections_per_worker"],
                "service_cpu_ms": 1000
                * (sum(workers_cpu) + cpu.get("supervisor", 0.0) + cpu["database"])
                / max(submit["created"] + submit["refused"] + submit["other"], 1),
                "generator_check": (compared, equal),
            }
        )
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- reporting ----------------------------------------------------------------------------


def _verdicts(r: dict[str, Any]) -> str:
    ops_ok = r["accepted_ops"] >= TARGET_OPS
    p99_ok = r["p99_ms"] < TARGET_P99_MS
    return (
        f"ops {r['accepted_ops'] / TARGET_OPS:.2f}× {'✓' if ops_ok else '✗'}, "
        f"p99 {r['p99_ms'] / TARGET_P99_MS:.2f}× {'✓' if p99_ok else '✗'}"
    )


COLUMNS = (
    ("backend", lambda r: r["backend"]),
    ("stored", lambda r: f"{r['stored']:,}"),
    ("pre-load s", lambda r: f"{r['preload_s']:.1f}"),
    ("accepted ops/s", lambda r: f"{r['accepted_ops']:,.0f}"),
    ("p50 ms", lambda r: f"{r['p50_ms']:.1f}"),
    ("p99 ms", lambda r: f"{r['p99_ms']:.1f}"),
    ("non-2xx", lambda r: f"{r['non_2xx']:,} of {r['created'] + r['non_2xx']:,}"),
    ("1 conn p50/p99 ms", lambda r: f"{r['single_p50_ms']:.1f} / {r['single_p99_ms']:.1f}"),
    ("bare req/s", lambda r: f"{r['bare_rps']:,.0f}"),
    ("engine ops/s", lambda r: f"{r['engine']['ops']:,.0f}"),
    ("service/engine", lambda r: f"{r['accepted_ops'] / r['engine']['ops']:.2f}"),
    ("service/bare", lambda r: f"{r['accepted_ops'] / r['bare_rps']:.2f}"),
    (
        "worker CPU split (conns)",
        lambda r: " / ".join(
            f"{s:.0%} ({c})"
            for s, c in zip(r["worker_split"], r["worker_connections"], strict=True)
        ),
    ),
    ("CPU ms/op (bare)", lambda r: f"{r['service_cpu_ms']:.2f} ({r['bare_cpu_ms']:.2f})"),
    ("CPU-bound ops/s", lambda r: f"{r['capacity_ops']:,.0f}"),
    (
        "in-process ops/s (CPU ms/op)",
        lambda r: f"{r['in_process']['ops']:,.0f} ({r['in_process']['cpu_ms']:.2f})",
    ),
    ("cores busy (others)", lambda r: f"{r['cores_busy']:.2f} ({r['foreign_cores']:.2f})"),
    ("vs target", _verdicts),
)


def _versions() -> str:
    out = []
    for name in ("uvicorn", "fastapi", "sqlalchemy", "psycopg"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            out.append(f"{name} {version(name)}")
    return ", ".join(out)


def _markdown(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {now} — service (`bench/service.py`)",
        "",
        f"- machine: {_machine()}",
        f"- commit: {_commit()}",
        f"- stack: {_versions()}",
        f"- workload: `deconflict serve --workers {args.workers}` on 127.0.0.1 (server, "
        f"database and wrk share the machine's cores); {args.stored:,} operations stored "
        f"(6 parties, {LON1 - LON0:g}°×{LAT1 - LAT0:g}° over 7 days); wrk {args.threads} "
        f"thread(s), {args.connections} connections, {args.duration:g} s after a "
        f"{args.warmup:g} s warm-up; one new operation per request (70 % circles, 20 % "
        "rectangles, 10 % routes); '1 conn' is a second run with one connection",
        "- engine = `Airspace.check` + `add` of the same operations, one process, in memory; "
        "bare = `POST /v1/_bench/insert` (token check + one insert) of the same app",
        "- CPU ms/op: CPU time of the workers, their supervisor and the database per request "
        "answered (in brackets the same for the bare endpoint, workers only); CPU-bound "
        "ops/s: the cores divided by the CPU (service, database, wrk) spent per accepted "
        "operation: what the run would reach if all cores worked for it; cores busy: that "
        "CPU per second of the run, and in brackets what other processes on the machine took "
        "meanwhile (noise)",
        f"- targets: ≥ {TARGET_OPS:,.0f} accepted ops/s on 2 cores, p99 submit < "
        f"{TARGET_P99_MS:g} ms",
        "",
        "| " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|" + "|".join("---:" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(cell(r) for _, cell in COLUMNS) + " |" for r in results]
    notes = [_vacuum_note(r) for r in results if "autovacuums" in r]
    if notes:
        lines += ["", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def _vacuum_note(result: dict[str, Any]) -> str:
    loaded, single = result["autovacuums"]
    return (
        f"{result['backend']}: autovacuum/autoanalyze passes on the hub's tables during the "
        f"{result['connections']}-connection run {loaded}, during the one-connection run {single}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stored", type=int, default=100_000, help="operations pre-loaded")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up load")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="S",
        help="before each measured run, wait up to S seconds for other processes to go quiet",
    )
    parser.add_argument("--postgresql-url", help="use this database instead of a throwaway one")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        default=0,
        help="also cProfile N in-process submit_operation calls per backend",
    )
    parser.add_argument(
        "--in-process",
        type=int,
        metavar="N",
        default=2000,
        help="new operations submitted in-process, one thread, no HTTP (the design's cost)",
    )
    parser.add_argument("--quick", action="store_true", help="10^4 stored, 5 s (a smoke test)")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output")
    args = parser.parse_args(argv)
    if args.quick:
        args.stored, args.duration, args.warmup = 10_000, 5.0, 1.0
        args.in_process = min(args.in_process, 300)
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed")

    from rich.console import Console
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=240)
    results = []
    for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if name == "sqlite":
            results.append(run_backend(name, "", None, args, console))
        elif name == "postgresql":
            if args.postgresql_url:
                pg = PostgreSQL(args.postgresql_url)
                results.append(run_backend(name, pg.url, pg, args, console))
            else:
                with PostgreSQL.throwaway() as pg:
                    results.append(run_backend(name, pg.url, pg, args, console))
        else:
            parser.error(f"unknown backend {name!r} (sqlite, postgresql)")

    table = Table(title="deconflict service benchmark")
    for name, _ in COLUMNS:
        table.add_column(name, justify="right")
    for result in results:
        table.add_row(*(cell(result) for _, cell in COLUMNS))
    console.print(table)
    for r in results:
        engine, cpu = r["engine"], r["cpu"]
        compared, equal = r["generator_check"]
        console.print(
            f"[bold]{r['backend']}[/]: {r['created']:,} accepted, {r['refused']:,} refused (409)"
            + (f", {r['other']:,} other (first: {r['other_status']})" if r["other"] else "")
            + f", socket errors {r['socket_errors']}; engine accepted {engine['accepted']:,} of "
            f"{engine['checked']:,} (check+add p50 {engine['p50_ms']:.2f} ms, p99 "
            f"{engine['p99_ms']:.2f} ms; build {engine['build_s']:.1f} s); one connection "
            f"{r['single_ops']:,.0f} accepted/s; CPU s during the run: "
            + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
            + f" ({r['cores_busy']:.2f} cores busy); stored = generated for "
            f"{equal}/{compared} sampled operations"
            + (f"; {_vacuum_note(r)}" if "autovacuums" in r else "")
        )
        if "profile" in r:
            console.print(r["profile"], markup=False, highlight=False)
    for r in results:
        if r["foreign_cores"] > 0.1:
            console.print(
                f"[red]{r['backend']}: other processes used {r['foreign_cores']:.2f} cores "
                "during the run: the figures are disturbed[/]"
            )
    if any(r["generator_check"][0] != r["generator_check"][1] for r in results):
        console.print("[red]the Lua generator is out of step with operation_body[/]")
    if not args.no_record:
        _append(_markdown(results, args))
        console.print(f"appended to {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
