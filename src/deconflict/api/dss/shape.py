"""Refusals made before a DSS route runs (body too large, not JSON, no such path) in the
standard's ErrorResponse shape.

The service's outer layers (the size guard, routing) answer RFC 9457 problems; on
/dss/v1 and /uss/v1 this middleware turns such a problem into `{"message": detail}`
with the same status. Other responses pass untouched, unbuffered.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIXES = ("/dss/v1", "/uss/v1")


class DssErrorShape:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIXES):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def reshape(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"application/problem+json"):
                    start = message
                    return
                await send(message)
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                try:
                    detail = json.loads(b"".join(chunks)).get("detail", "")
                except (ValueError, AttributeError):
                    detail = ""
                body = json.dumps({"message": str(detail)}).encode()
                headers = [
                    (k, v)
                    for k, v in start.get("headers", [])
                    if k not in (b"content-type", b"content-length")
                ]
                headers += [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
            else:
                await send(message)

        await self.app(scope, receive, reshape)
