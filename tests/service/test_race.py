"""The race: two conflicting operations of different parties are never both accepted.

A `deconflict serve --workers 2` process (SQLite configured by a TOML file, PostgreSQL
by DECONFLICT_* variables) takes well over 10,000 submissions from several client
processes at once (race_client.py): pairs of threads, one per party, submit overlapping
operations for the same slot at the same moment. Afterwards every answer is accounted
for (accepted + refused = submitted, no 5xx), and the accepted set is checked pair by
pair with the engine's brute force (`use_index=False`) and with plain geodesy.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import (
    ADMIN,
    READ,
    WRITE,
    PostgresCluster,
    fresh_database,
    serve_with_two_workers,
    worker_processes,
)
from pyproj import Geod

from deconflict.api.auth import mint_token
from deconflict.config import Settings
from deconflict.engine import Airspace
from deconflict.geo.geojson import read_collection
from deconflict.geo.separation import Minima, SeparationPolicy

HERE = Path(__file__).resolve().parent
CLIENT = HERE / "race_client.py"
PROCESSES = 4
PAIRS_PER_PROCESS = 4
SLOTS_PER_PAIR = 313
SUBMISSIONS = PROCESSES * PAIRS_PER_PROCESS * SLOTS_PER_PAIR * 2  # 10,016
MINIMA = {"horizontal": 500, "vertical": 100, "time_buffer": 60}
RADIUS_M = 1000.0
CLIENT_TIMEOUT_S = 900
GEOD = Geod(ellps="WGS84")


def run_clients(url: str, tokens: dict[str, str], directory: Path) -> list[dict[str, Any]]:
    base_time = (int(time.time()) // 3600 + 24) * 3600
    processes = []
    for number in range(PROCESSES):
        spec = {
            "url": url,
            "tokens": tokens,
            "process": number,
            "pairs": PAIRS_PER_PROCESS,
            "slots_per_pair": SLOTS_PER_PAIR,
            "seed": 20261125,
            "grid": 5,
            "hours": 1440,
            "levels": 3,
            "hot_hours": 6,
            "hot_share": 0.05,
            "origin": [36.0, 34.0],
            "step_deg": 0.027,
            "jitter_deg": 0.003,
            "radius_m": RADIUS_M,
            "base_time": base_time,
        }
        path = directory / f"client-{number}.json"
        path.write_text(json.dumps(spec))
        processes.append(
            subprocess.Popen(
                [sys.executable, str(CLIENT), str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = []
    for process in processes:
        out, err = process.communicate(timeout=CLIENT_TIMEOUT_S)
        assert process.returncode == 0, err[-5000:]
        results.append(json.loads(out))
    return results


def accepted_on_server(admin: httpx.Client) -> list[dict[str, Any]]:
    operations, offset = [], 0
    while offset is not None:
        page = admin.get(
            "/v1/operations", params={"state": "accepted", "limit": 200, "offset": offset}
        )
        assert page.status_code == 200, page.text
        body = page.json()
        operations += body["operations"]
        offset = body["next_offset"]
    return operations


def geodesic_violations(declarations: list, minima: Minima) -> list[tuple[str, str, float]]:
    """Pairs of different parties' circles closer than the minima, by plain geodesy.

    Independent of the engine: two circles' edges are `distance - r1 - r2` apart; only
    clear violations (1 m inside the minimum) count, so rounding cannot raise a false alarm.
    """
    volumes = sorted(
        ((d, d.volumes[0]) for d in declarations), key=lambda item: item[1].window.start
    )
    longest = max((v.window.end - v.window.start for _, v in volumes), default=0.0)
    found = []
    for i, (a, va) in enumerate(volumes):
        for b, vb in volumes[i + 1 :]:
            if vb.window.start - va.window.start >= longest + minima.time:
                break  # sorted by start: nothing later can come within the time minimum
            if a.party == b.party:
                continue
            time_gap = max(vb.window.start - va.window.end, va.window.start - vb.window.end)
            vertical_gap = max(vb.band.lower - va.band.upper, va.band.lower - vb.band.upper)
            if time_gap >= minima.time or vertical_gap >= minima.vertical:
                continue
            (lon_a, lat_a), (lon_b, lat_b) = va.outline.center, vb.outline.center
            distance = GEOD.inv(lon_a, lat_a, lon_b, lat_b)[2]
            gap = distance - va.outline.radius - vb.outline.radius
            if gap < minima.horizontal - 1.0:
                found.append((a.id, b.id, gap))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_no_two_conflicting_operations_are_both_accepted(
    backend: str,
    postgres_cluster: PostgresCluster | None,
    key_dir: str,
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=key_dir)
    with (
        fresh_database(backend, postgres_cluster, tmp_path) as database_url,
        serve_with_two_workers(backend, database_url, key_dir, tmp_path) as served,
    ):
        headers = {
            "Authorization": "Bearer "
            + mint_token(settings, subject="race-admin", party=None, scopes=[ADMIN])
        }
        url = served.url
        workers = worker_processes(served.pid)
        assert workers == -1 or workers >= 2, f"{workers} worker processes"
        with httpx.Client(base_url=url, headers=headers, timeout=120.0) as admin:
            for party in ("red", "blue"):
                assert admin.put(f"/v1/parties/{party}", json={"name": party}).status_code == 201
            agreed = admin.put("/v1/agreements", json={"parties": ["red", "blue"], **MINIMA})
            assert agreed.status_code == 200, agreed.text
            tokens = {
                party: mint_token(
                    settings, subject=f"race-{party}", party=party, scopes=[READ, WRITE]
                )
                for party in ("red", "blue")
            }
            started = time.monotonic()
            results = run_clients(url, tokens, tmp_path)
            duration = time.monotonic() - started
            stored = accepted_on_server(admin)

    submitted = sum(r["submitted"] for r in results)
    statuses: dict[str, int] = {}
    for result in results:
        for status, count in result["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    accepted_ids = [ident for r in results for ident in r["accepted"]]
    accepted = statuses.get("201", 0) + statuses.get("replayed", 0)
    refused = statuses.get("409", 0)
    print(
        f"\nrace on {backend} ({workers} server workers): {submitted} submitted by "
        f"{PROCESSES} processes × "
        f"{PAIRS_PER_PROCESS * 2} threads, {accepted} accepted, {refused} refused, "
        f"{duration:.1f} s ({submitted / duration:.0f}/s); statuses {statuses}"
    )
    unexpected = [u for r in results for u in r["unexpected"]]
    assert not unexpected, unexpected[:5]
    assert submitted == SUBMISSIONS >= 10_000
    assert set(statuses) <= {"201", "409", "replayed"}, statuses
    assert accepted + refused == submitted
    assert len(set(accepted_ids)) == len(accepted_ids) == accepted
    assert 0.2 * submitted < refused < 0.8 * submitted, "most slots must be contested"

    # The server holds exactly what it answered 201 for.
    assert sorted(o["id"] for o in stored) == sorted(accepted_ids)
    declarations = []
    for operation in stored:
        (declaration,) = read_collection(operation["geojson"]).declarations
        declarations.append(declaration)

    minima = Minima(MINIMA["horizontal"], MINIMA["vertical"], MINIMA["time_buffer"])
    policy = SeparationPolicy(pairs={frozenset({"red", "blue"}): minima})
    airspace = Airspace(policy)
    airspace.add_many(declarations)
    conflicting = {
        (declaration.id, conflict.other)
        for declaration in declarations
        for conflict in airspace.check(declaration, use_index=False).conflicts
    }
    assert not conflicting, sorted(conflicting)[:10]
    assert not geodesic_violations(declarations, minima)
