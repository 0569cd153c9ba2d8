"""Small clients for the channel tests: an SSE reader, waiting for a condition, a
`deconflict serve` process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from live_server import wait_ready


class SseReader:
    """Reads /v1/stream in a thread, keeping every event (id, data) it gets."""

    def __init__(self, url: str, token: str, last_event_id: int | None = None) -> None:
        self.url, self.token, self.last = url, token, last_event_id
        self.events: list[tuple[int, dict[str, Any]]] = []
        self.received: list[float] = []
        """When each event arrived (time.time(), the hub's clock on this machine)."""
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.connected = threading.Event()

    def __enter__(self) -> SseReader:
        self.thread.start()
        assert self.connected.wait(20), "the stream did not open"
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        try:
            self._read()
        except httpx.HTTPError:
            if not self.stop.is_set():  # the server went away while the test still reads
                raise

    def _read(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
        if self.last is not None:
            headers["Last-Event-ID"] = str(self.last)
        with (
            httpx.Client(timeout=httpx.Timeout(5, read=60)) as client,
            client.stream("GET", f"{self.url}/v1/stream", headers=headers) as answer,
        ):
            assert answer.status_code == 200, answer.read()
            self.connected.set()
            ident, data = None, []
            for line in answer.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith("id: "):
                    ident = int(line[4:])
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "" and data:
                    self.received.append(time.time())
                    self.events.append((ident or 0, json.loads("".join(data))))
                    ident, data = None, []


def wait_for(what: Callable[[], Any], timeout: float = 20.0, message: str = "") -> Any:
    """Poll `what` until it returns something truthy (a condition, not a timing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting: {message}")


def notices_of(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/v1/notices", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["notices"]


def deconflict_command(*args: str) -> list[str]:
    program = shutil.which("deconflict")
    return [program, *args] if program else [sys.executable, "-m", "deconflict.cli", *args]


@contextmanager
def served(database_url: str, key_dir: str, port: int, log: Path) -> Iterator[subprocess.Popen]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_")}
    env |= {
        "DECONFLICT_DATABASE_URL": database_url,
        "DECONFLICT_DATA_DIR": key_dir,
        "DECONFLICT_PORT": str(port),
        "DECONFLICT_LOG_LEVEL": "warning",
    }
    """`deconflict serve` as a process of its own on `port` (killed at the end)."""
    with open(log, "a") as sink:
        process = subprocess.Popen(
            deconflict_command("serve"),
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(
            f"http://127.0.0.1:{port}",
            60.0,
            alive=lambda: process.poll() is None,
            log=lambda: log.read_text(errors="replace"),
        )
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
