"""Small clients for the channel tests: an SSE reader, waiting for a condition."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx


class SseReader:
    """Reads /v1/stream in a thread, keeping every event (id, data) it gets."""

    def __init__(self, url: str, token: str, last_event_id: int | None = None) -> None:
        self.url, self.token, self.last = url, token, last_event_id
        self.events: list[tuple[int, dict[str, Any]]] = []
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
