"""Cross-cutting HTTP concerns: request ids and JSON logs, body limits, content types,
and the request metrics. Pure ASGI, so bodies are limited while they stream in."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Histogram(
    "deconflict_request_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
log = logging.getLogger("deconflict.http")

JSON_TYPES = ("application/json", "application/geo+json", "application/merge-patch+json")


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: what log shippers read without parsing rules."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def _problem(status: int, kind: str, detail: str) -> tuple[Message, Message]:
    body = json.dumps(
        {
            "type": f"https://deconflict.invalid/problems/{kind}",
            "title": kind.replace("-", " ").capitalize(),
            "status": status,
            "detail": detail,
        }
    ).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/problem+json")],
    }
    return start, {"type": "http.response.body", "body": body}


class Guard:
    """Request id, JSON access log, metrics, body size and content type, in one wrapper."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id  # `request.state.request_id`
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        method = scope["method"]
        refusal = None
        if method in ("POST", "PUT", "PATCH"):
            length = headers.get("content-length")
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
                refusal = _problem(
                    413, "too-large", f"bodies are limited to {self.max_body_bytes} bytes"
                )
            elif (length not in (None, "0")) and kind not in JSON_TYPES:
                refusal = _problem(415, "unsupported-media-type", "send application/json")
        if refusal is None and method in ("POST", "PUT", "PATCH"):
            # Read the whole body first, so a chunked one (no Content-Length) is limited
            # too, and refused with 413 before any handler sees it.
            chunks, size, more = [], 0, True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body_bytes:
                    refusal = _problem(413, "too-large", "the body is too large")
                    break
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
            replayed = {"done": False}

            async def replay() -> Message:
                if not replayed["done"]:
                    replayed["done"] = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            downstream: Receive = replay
        else:
            downstream = receive
        try:
            if refusal is not None:
                for message in refusal:
                    await send_wrapper(message)
            else:
                await self.app(scope, downstream, send_wrapper)
        finally:  # a failed request is logged and measured too (as a 500, answered outside)
            self._record(scope, method, request_id, status["code"], started)

    def _record(
        self, scope: Scope, method: str, request_id: str, status: int, started: float
    ) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        REQUESTS.labels(method, path, str(status)).observe(elapsed)
        log.info(
            "%s %s %s",
            method,
            scope["path"],
            status,
            extra={
                "fields": {
                    "request_id": request_id,
                    "method": method,
                    "path": scope["path"],
                    "status": status,
                    "ms": round(elapsed * 1000, 2),
                }
            },
        )


ACCEPTED = Counter("deconflict_operations_accepted_total", "Operations accepted")
REJECTED = Counter("deconflict_operations_rejected_total", "Operations refused for conflicts")
CONFLICTS = Counter("deconflict_conflicts_found_total", "Conflicts found by checks")
STORE = Histogram("deconflict_store_seconds", "Time in use-case transactions", ["use_case"])
WRITE_BATCH = Histogram(
    "deconflict_write_batch_units",
    "Writes sharing one SQLite transaction (group commit)",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
