"""Crash tests with real processes: the server killed (SIGKILL) between commit and
delivery, the receiver killed mid-stream; after restarts every notice arrives, none is
lost, and a repeat carries the same id."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import httpx
from channel_helpers import deconflict_command, served, wait_for
from live_server import free_port
from service_helpers import make_party, op, unique

from deconflict.api.auth import mint_token
from deconflict.config import Settings

READ, WRITE, ADMIN = "deconflict.read", "deconflict.write", "deconflict.admin"


def _listener(url: str, token: str, state: Path, out: Path) -> subprocess.Popen:
    sink = open(out, "a")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        deconflict_command(
            "listen", "--url", url, "--token", token, "--state", str(state), "--json"
        ),
        stdout=sink,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def _printed(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines() if line.startswith("{")]


def test_kill_server_and_receiver_nothing_is_lost(
    database_url: str, key_dir: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=key_dir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log, state, out = tmp_path / "server.log", tmp_path / "state", tmp_path / "out.jsonl"

    def token(party: str | None, scopes: list[str]) -> str:
        return mint_token(settings, subject=f"{party}-duty", party=party, scopes=scopes)

    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token(None, [ADMIN])}"})
    coalition = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token('coalition', [READ, WRITE])}"}
    )
    russia_token = token("russia", [READ, WRITE])
    submitted: list[str] = []

    def submit(count: int, lon: float) -> None:
        for i in range(count):
            ident = unique("op")
            body = op(ident, "coalition", lon=lon + 0.15 * i)
            assert coalition.post("/v1/operations", json=body).status_code == 201
            submitted.append(ident)

    with served(database_url, key_dir, port, log) as server:
        make_party(admin, "coalition")
        make_party(admin, "russia")
        receiver = _listener(url, russia_token, state, out)
        submit(4, 36.0)
        wait_for(lambda: len(_printed(out)) >= 2, message="the receiver printed some")
        os.kill(receiver.pid, signal.SIGKILL)  # the receiver, mid-stream
        receiver.wait()
        submit(6, 37.0)
        os.kill(server.pid, signal.SIGKILL)  # the server, right after the commits
        server.wait()
    with served(database_url, key_dir, port, log):
        receiver = _listener(url, russia_token, state, out)
        try:
            submit(3, 38.0)
            wait_for(
                lambda: {n["about"][0] for n in _printed(out)} >= set(submitted),
                timeout=60,
                message="every notice after the restarts",
            )
        finally:
            receiver.kill()
            receiver.wait()
        printed = _printed(out)
        about = [n["about"][0] for n in printed]
        assert set(about) == set(submitted)  # none lost
        by_id: dict[str, dict] = {}
        for notice in printed:  # a repeat is the same notice, with the same id
            seen = by_id.setdefault(notice["id"], notice)
            assert (seen["seq"], seen["about"]) == (notice["seq"], notice["about"])
        assert len(by_id) == len(submitted)
        verified = subprocess.run(
            deconflict_command("audit", "verify", "--url", url, "--token", token(None, [ADMIN])),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
    admin.close()
    coalition.close()
