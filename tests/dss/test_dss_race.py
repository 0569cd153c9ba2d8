"""The race: USSs with stale keys creating intersecting intents never both succeed.

A `deconflict serve --workers 2` process (two API processes on one database) takes
creates from several client processes at once (race_uss.py): in each, one thread per
USS, each with its own token, sends an intersecting intent for the same slot at the
same moment with an empty key. Per slot exactly one is created; the others get 409
(the key misses the winner's OVN); nothing else is answered. Then the store agrees.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from dss_helpers import SC, Authority, volume4d
from live_server import PostgresCluster, free_port, fresh_database, wait_ready

HERE = Path(__file__).resolve().parent
PROCESSES = 3
USSES = ("uss-a", "uss-b", "uss-c")
SLOTS = 30
ORIGIN = (8.0, 47.0)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_stale_keys_never_both_succeed(
    backend: str,
    postgres_cluster: PostgresCluster | None,
    key_dir: str,
    authority: Authority,
    tmp_path: Path,
) -> None:
    with fresh_database(backend, postgres_cluster, tmp_path) as url:
        port = free_port()
        config = tmp_path / "deconflict.toml"
        config.write_text(
            f'database_url = "{url}"\ndata_dir = "{key_dir}"\nhost = "127.0.0.1"\n'
            f'port = {port}\nworkers = 2\nlog_level = "warning"\n'
            f'dss_public_keys = ["{authority.public_pem}"]\n'
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_")}
        program = shutil.which("deconflict")
        command = [program] if program else [sys.executable, "-m", "deconflict.cli"]
        log_path = tmp_path / "server.log"
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [*command, "serve", "--config", str(config)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, 60.0, alive=lambda: server.poll() is None, log=log_path.read_text)
            results = _race(base, authority, tmp_path)
            _check(base, authority, results)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)


def _race(base: str, authority: Authority, directory: Path) -> dict[str, list[int]]:
    tokens = {uss: authority.token(uss, [SC]) for uss in USSES}
    base_time = time.time() + 3600
    processes = []
    for number in range(PROCESSES):
        spec = {
            "url": base,
            "tokens": tokens,
            "process": number,
            "slots": SLOTS,
            "origin": ORIGIN,
            "base_time": base_time,
        }
        path = directory / f"race-{number}.json"
        path.write_text(json.dumps(spec))
        processes.append(
            subprocess.Popen(
                [sys.executable, str(HERE / "race_uss.py"), str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results: dict[str, list[int]] = {}
    for process in processes:
        out, err = process.communicate(timeout=900)
        assert process.returncode == 0, err[-5000:]
        results |= json.loads(out)
    return results


def _check(base: str, authority: Authority, results: dict[str, list[int]]) -> None:
    assert len(results) == PROCESSES * SLOTS
    for slot, statuses in results.items():
        assert sorted(statuses) == [201] + [409] * (len(USSES) - 1), (slot, statuses)
    # The store agrees: one intent per slot.
    token = authority.token("auditor", [SC])
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for number in range(PROCESSES * SLOTS):
            lng = ORIGIN[0] + 0.02 * (number % 40)
            lat = ORIGIN[1] + 0.02 * (number // 40)
            area = {
                "area_of_interest": volume4d(
                    lng, lat, size=0.002, start=time.time(), end=time.time() + 86400
                )
            }
            found = client.post("/dss/v1/operational_intent_references/query", json=area)
            assert found.status_code == 200
            assert len(found.json()["operational_intent_references"]) == 1, number
