"""A tiny USS for the hub to call: a real HTTP server on 127.0.0.1, in a thread.

It serves what a USS serves to its peers for strategic coordination:
`POST /uss/v1/operational_intents` (notifyOperationalIntentDetailsChanged, 204), and an
OAuth 2.0 token endpoint (`POST /token`, client credentials) standing for the
authorization server. It can be down (nothing listens on its port yet) or failing
(answers 500), and keeps everything it was sent.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from live_server import free_port

NOTIFY_PATH = "/uss/v1/operational_intents"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: Any


class UssReceiver:
    """`url` is fixed at creation; the server listens only once `start` is called."""

    def __init__(self, *, failing: bool = False, token: str = "issued-token") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.failing = failing
        self.token = token
        self.notifications: list[Received] = []
        self.token_requests: list[Received] = []
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> UssReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if self.path == "/token":
                    form = dict(urllib.parse.parse_qsl(raw.decode()))
                    receiver.token_requests.append(Received(self.path, headers, form))
                    answer = json.dumps(
                        {"access_token": receiver.token, "token_type": "Bearer", "expires_in": 3600}
                    ).encode()
                    self._answer(200, answer)
                    return
                receiver.notifications.append(Received(self.path, headers, json.loads(raw)))
                self._answer(500 if receiver.failing else 204)

            def _answer(self, status: int, body: bytes = b"") -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                if body:
                    self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __enter__(self) -> UssReceiver:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
