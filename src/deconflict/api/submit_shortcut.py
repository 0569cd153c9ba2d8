"""The submit endpoint's well-formed requests, served without FastAPI's routing.

``POST /v1/operations`` is the endpoint a busy hub serves most. Routing, dependency
solving and the framework's exception layers cost about a tenth of each submission's
CPU, for a request whose shape is fixed: a bearer token, an optional Idempotency-Key
and a FeatureCollection body. This pure ASGI layer (inside `Guard`, so limits, logs
and metrics are unchanged) serves such a request itself, through the very function the
route runs (`operation.submit_response`) and the very problem mappers the app's
handlers use.

Anything it does not recognise as well-formed (a body that is not JSON or not a
FeatureCollection, a missing or refused token, a query string, an overlong key) goes
to the app unchanged, body included, so every refusal keeps the one shape FastAPI and
`problems` give it; the documented route stays the contract (and the OpenAPI).
"""

from __future__ import annotations

import asyncio
import json
from functools import partial
from types import SimpleNamespace
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconflict.api.deps import FeatureCollection
from deconflict.api.operation import submit_response
from deconflict.api.problems import domain_problem, input_problem
from deconflict.geo.errors import InputError
from deconflict.model.errors import DomainError

PATH = "/v1/operations"
ROUTE = SimpleNamespace(path=PATH)
"""What `Guard` reads from ``scope["route"]`` for its metrics label."""
MAX_KEY_LENGTH = 200
"""As the route's `IdempotencyKey` header allows."""


class SubmitShortcut:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != PATH
            or scope.get("query_string")
        ):
            await self.app(scope, receive, send)
            return
        body, receive = await _buffered(receive)
        arguments = _recognised(scope, body)
        if arguments is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = ROUTE
        handlers = scope["app"].state.handlers
        work = partial(submit_response, *arguments)
        response = await asyncio.get_running_loop().run_in_executor(handlers, _served, work)
        await response(scope, receive, send)


def _served(work: partial[Any]) -> Any:
    """`work()`'s response, or the problem the app's handlers make of its refusal."""
    try:
        return work()
    except DomainError as error:
        return domain_problem(error)
    except InputError as error:
        return input_problem(error)


def _recognised(scope: Scope, body: bytes) -> tuple[Any, ...] | None:
    """(body, hub, caller, idempotency key) of a well-formed submission, else None."""
    authorization = key = None
    for name, value in scope["headers"]:  # the first of each, as the route reads them
        if name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif name == b"idempotency-key" and key is None:
            key = value.decode("latin-1")
    if key is not None and len(key) > MAX_KEY_LENGTH:
        return None
    state = scope["app"].state
    try:
        caller = state.verifier.verify(authorization)
        document = json.loads(body)
        collection = FeatureCollection.model_validate(document)
    except Exception:  # a refused token, bad JSON, another shape: the app answers it
        return None
    return collection, state.hub, caller, key


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a `receive` that gives it again first (for the app)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
