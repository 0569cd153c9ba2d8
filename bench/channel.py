"""Channel benchmark: notice creation → delivery latency, and the record's SQL cost.

1. Latency. A `deconflict serve` process (SQLite; PostgreSQL with --postgres URL;
   --workers N worker processes) with 101 parties: one sender and 100 receivers, every
   receiver concerned by every operation (no area of interest), so each accepted
   operation makes 100 notices.
   - SSE: 100 receivers connected to /v1/stream at once (one asyncio client process);
   - webhook: the same 100 parties with webhook URLs on one local HTTP server.
   Latency = receive time − the notice's `created_at` (the hub's clock at the submit;
   same machine, same clock), p50/p99 over every notice. Operations are submitted at
   `--rate` per second for `--seconds`, after one warm-up operation per channel whose
   notices are not measured (the webhook receivers' first connections are opened then).
2. The record in SQL: the sequencer's merge rate (queued events → Merkle log on
   SQLite, events/s) and proof cost against the SQL node store at `--sql-events`.
   Append and proof cost at 10^6 events in memory is `bench/audit.py` (reused here with
   `--audit`, which runs its 10^6 size; its table is appended separately).

Targets (the issue): p99 creation → delivery < 100 ms; proofs O(log n).

    python bench/channel.py [--rate 5] [--seconds 20] [--receivers 100] [--workers 1] [--audit]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.audit import _commit, _load, _machine  # noqa: E402
from bench.service import free_port  # noqa: E402

ADMIN, READ, WRITE = "deconflict.admin", "deconflict.read", "deconflict.write"


@contextmanager
def server(database_url: str, data_dir: Path, workers: int = 1) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DECONFLICT_DATABASE_URL": database_url,
        "DECONFLICT_DATA_DIR": str(data_dir),
        "DECONFLICT_PORT": str(port),
        "DECONFLICT_LOG_LEVEL": "warning",
        "DECONFLICT_WORKERS": str(workers),
    }
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "deconflict.cli", "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def tokens(data_dir: Path, parties: list[str]) -> dict[str | None, str]:
    from deconflict.api.auth import mint_token
    from deconflict.config import Settings

    settings = Settings(data_dir=str(data_dir))
    found: dict[str | None, str] = {
        None: mint_token(settings, subject="admin", party=None, scopes=[ADMIN])
    }
    for party in parties:
        found[party] = mint_token(
            settings, subject=f"{party}-duty", party=party, scopes=[READ, WRITE]
        )
    return found


def body(ident: str, i: int) -> dict[str, Any]:
    start = int(time.time()) + 7200 + 60 * i
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": ident,
                "geometry": {
                    "type": "Point",
                    "coordinates": [30.0 + (i % 200) * 0.1, 30.0 + (i // 200) * 0.1],
                },
                "properties": {
                    "party": "sender",
                    "kind": "operation",
                    "radius": "1 km",
                    "altitude_lower": 0,
                    "altitude_upper": 500,
                    "start": datetime.fromtimestamp(start, UTC).isoformat(),
                    "end": datetime.fromtimestamp(start + 600, UTC).isoformat(),
                },
            }
        ],
    }


WARM = "warm"
"""Ids of the warm-up operations: their notices are delivered but not measured."""


def submit(url: str, token: str, rate: float, seconds: float, tag: str) -> int:
    """One warm-up operation (first connections, caches), then `rate` × `seconds` more."""
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    answer = client.post("/v1/operations", json=body(f"{tag}-{WARM}", 10_000))
    assert answer.status_code == 201, answer.text
    time.sleep(1.0)
    count, started, total = 0, time.monotonic(), int(rate * seconds)
    while count < total:  # a fixed number, paced at `rate`: receivers know how many
        answer = client.post("/v1/operations", json=body(f"{tag}-{count}", count))
        assert answer.status_code == 201, answer.text
        count += 1
        time.sleep(max(0.0, started + count / rate - time.monotonic()))
    client.close()
    return count


async def sse_receivers(
    url: str,
    toks: dict,
    receivers: list[str],
    expected: int,
    latencies: list[float],
    ready: threading.Event,
) -> None:
    async def one(session: aiohttp.ClientSession, party: str, opened: asyncio.Event) -> None:
        headers = {"Authorization": f"Bearer {toks[party]}", "Accept": "text/event-stream"}
        async with session.get(url + "/v1/stream", headers=headers) as answer:
            opened.set()
            got = 0
            async for line in answer.content:
                if line.startswith(b"data: "):
                    notice = json.loads(line[6:])
                    if notice["about"][0].endswith(WARM):
                        continue
                    latencies.append(time.time() - notice["created_at"])
                    got += 1
                    if got >= expected:
                        return

    # aiohttp, as the hub's dispatcher: httpx's async client cost milliseconds of CPU per
    # event here, which the latency measured (the receivers are not what is measured).
    connector = aiohttp.TCPConnector(limit=len(receivers) + 10)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        opened = [asyncio.Event() for _ in receivers]
        tasks = [
            asyncio.create_task(one(session, p, e)) for p, e in zip(receivers, opened, strict=True)
        ]
        await asyncio.gather(*(e.wait() for e in opened))
        ready.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=300)


@contextmanager
def webhook_receiver(latencies: list[float]) -> Iterator[str]:
    """One HTTP server on 127.0.0.1 standing for the 100 parties' receivers (uvicorn in a
    thread, keep-alive, a listen backlog like a production server's: the standard
    library's `http.server`, with its backlog of 5 and a thread per connection, measured
    itself rather than the hub). Yields the webhook URL."""
    import uvicorn

    async def app(scope: dict, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        content, more = b"", True
        while more:
            message = await receive()
            content += message.get("body", b"")
            more = message.get("more_body", False)
        notice = json.loads(content)
        if not notice["about"][0].endswith(WARM):
            latencies.append(time.time() - notice["created_at"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", backlog=2048
    )
    receiver = uvicorn.Server(config)
    thread = threading.Thread(target=receiver.run, daemon=True)
    thread.start()
    while not receiver.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        receiver.should_exit = True
        thread.join(timeout=10)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000


def run_latency(args: argparse.Namespace, database_url: str, data_dir: Path) -> list[dict]:
    receivers = [f"r{i:03d}" for i in range(args.receivers)]
    toks = tokens(data_dir, ["sender", *receivers])
    rows = []
    with server(database_url, data_dir, args.workers) as url:
        admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {toks[None]}"})
        for party in ["sender", *receivers]:
            assert admin.put(f"/v1/parties/{party}", json={"name": party}).status_code in (200, 201)
        # SSE
        expected = int(args.rate * args.seconds)
        latencies: list[float] = []
        ready = threading.Event()
        thread = threading.Thread(
            target=lambda: asyncio.run(
                sse_receivers(url, toks, receivers, expected, latencies, ready)
            ),
            daemon=True,
        )
        thread.start()
        ready.wait(120)
        sent = submit(url, toks["sender"], args.rate, args.seconds, "sse")
        thread.join(timeout=300)
        rows.append(
            {
                "channel": "SSE",
                "ops": sent,
                "notices": len(latencies),
                "expected": sent * len(receivers),
                "p": percentiles(latencies),
            }
        )
        # webhooks
        hooks: list[float] = []
        with webhook_receiver(hooks) as hook_url:
            for party in receivers:
                admin.put(f"/v1/parties/{party}", json={"name": party, "webhook_url": hook_url})
            sent = submit(url, toks["sender"], args.rate, args.seconds, "hook")
            deadline = time.monotonic() + 300
            while len(hooks) < sent * len(receivers) and time.monotonic() < deadline:
                time.sleep(0.2)
        rows.append(
            {
                "channel": "webhook",
                "ops": sent,
                "notices": len(hooks),
                "expected": sent * len(receivers),
                "p": percentiles(hooks),
            }
        )
        admin.close()
    return rows


def run_sql_record(n: int, data_dir: Path) -> dict[str, Any]:
    """The sequencer's merge rate into SQLite, and proofs against the SQL node store."""
    import random

    import sqlalchemy as sa

    from deconflict.audit import AuditLog
    from deconflict.audit.sql_store import SqlLogStore
    from deconflict.channel import keys, sequencer
    from deconflict.store.backend import connect
    from deconflict.store.channel_tables import audit_queue
    from deconflict.store.migrate import upgrade

    database = connect(f"sqlite:///{data_dir / 'record.db'}")
    upgrade(database)
    signer = keys.hub_signer(data_dir)
    now = time.time()
    with database.write() as connection:
        connection.execute(
            audit_queue.insert(),
            [
                {
                    "time": now,
                    "kind": "notice.delivered",
                    "actor": "hub",
                    "subjects": [f"n-{i}"],
                    "payload": {"to": f"r{i % 100:03d}", "channel": "sse"},
                }
                for i in range(n)
            ],
        )
    started = time.perf_counter()
    while sequencer.pending(database):
        sequencer.run_pass(database, time.time, signer, force_checkpoint=True)
    merge_s = time.perf_counter() - started
    rng = random.Random(1)
    inc, con = [], []
    with database.read() as connection:
        log = AuditLog(SqlLogStore(connection))
        size = log.size
        for _ in range(200):
            t = time.perf_counter()
            log.inclusion_proof(rng.randrange(size), size)
            inc.append(time.perf_counter() - t)
            t = time.perf_counter()
            log.consistency_proof(rng.randrange(1, size), size)
            con.append(time.perf_counter() - t)
        count = connection.execute(sa.text("SELECT count(*) FROM audit_checkpoints")).scalar()
    database.engine.dispose()
    return {
        "n": size,
        "rate": n / merge_s,
        "inc": percentiles(inc),
        "con": percentiles(con),
        "checkpoints": count,
    }


def markdown(args: argparse.Namespace, rows: list[dict], record: dict, load: tuple) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {stamp} — channel (`bench/channel.py`)",
        "",
        f"- machine: {_machine()}",
        f"- commit: {_commit()}",
        f"- load average (1 min) at start / end: {load[0]} / {load[1]} (on 2 cores)",
        f"- workload: {args.workers} `deconflict serve` worker(s) on "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}, {args.receivers} receiver parties "
        f"(each concerned by every operation), {args.rate} operations/s for {args.seconds} s; "
        "latency = receive time − the notice's `created_at` (hub clock at submit)",
        "- target: p99 creation → delivery < 100 ms",
        "",
        "| channel | operations | notices delivered / expected | p50 ms | p99 ms | max ms "
        "| target met? |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        p50, p99, top = r["p"]
        lines.append(
            f"| {r['channel']} | {r['ops']} | {r['notices']:,} / {r['expected']:,} | "
            f"{p50:.1f} | {p99:.1f} | {top:.1f} | {'✓' if p99 < 100 else '✗'} |"
        )
    lines += [
        "",
        "| record in SQLite | events | sequencer merge events/s | inclusion proof p50/p99 µs "
        "| consistency proof p50/p99 µs | checkpoints |",
        "|---|---:|---:|---:|---:|---:|",
        f"| `SqlLogStore` | {record['n']:,} | {record['rate']:,.0f} | "
        f"{record['inc'][0] * 1000:.0f} / {record['inc'][1] * 1000:.0f} | "
        f"{record['con'][0] * 1000:.0f} / {record['con'][1] * 1000:.0f} | "
        f"{record['checkpoints']} |",
        "",
        "Append and proof cost at 10^6 events (in memory): see the `bench/audit.py` table.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=5.0, help="operations per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--receivers", type=int, default=100)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server worker processes (with 2, about half the streams are on the worker "
        "that did not write the notices: the cross-process path)",
    )
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL instead of SQLite")
    parser.add_argument("--sql-events", type=int, default=100_000)
    parser.add_argument("--audit", action="store_true", help="also run bench/audit.py at 10^6")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    load_start = _load()
    directory = Path(tempfile.mkdtemp(prefix="bench-channel-"))
    try:
        hub_url = args.postgres or f"sqlite:///{directory / 'hub.db'}"
        rows = run_latency(args, hub_url, directory)
        record = run_sql_record(args.sql_events, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    text = markdown(args, rows, record, (load_start, _load()))
    print(text)
    if not args.no_record:
        with (BENCH_DIR / "RESULTS.md").open("a", encoding="utf-8") as results:
            results.write("\n" + text)
    if args.audit:
        subprocess.run(
            [sys.executable, str(BENCH_DIR / "audit.py"), "--sizes", "1000000", "--no-verify"],
            check=False,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
