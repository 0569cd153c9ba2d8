"""Request-scoped dependencies: the hub, the authenticated caller, request bodies."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Header, Request
from pydantic import BaseModel, ConfigDict

from deconflict.api.auth import Verifier
from deconflict.api.problems import pointer
from deconflict.application.hub import Caller, Hub
from deconflict.geo.declaration import Declaration
from deconflict.geo.errors import InputError
from deconflict.geo.geojson import read_collection
from deconflict.model.errors import InvalidRequest, StaleVersion

T = TypeVar("T")


async def off_loop(request: Request, work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` on the app's handler threads (`app.state.handlers`), awaited.

    For the busiest endpoints, instead of FastAPI's per-call thread hand-off (AnyIO's
    pool, which under load starts and retires threads): a standard executor keeps its
    threads and hands work over through one queue.
    """
    executor: ThreadPoolExecutor = request.app.state.handlers
    return await asyncio.get_running_loop().run_in_executor(executor, partial(work, *args))


async def hub(request: Request) -> Hub:
    return request.app.state.hub  # type: ignore[no-any-return]


async def caller(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer token (JWT)")] = None,
) -> Caller:
    verifier: Verifier = request.app.state.verifier
    return verifier.verify(authorization)


HubDep = Annotated[Hub, Depends(hub)]
CallerDep = Annotated[Caller, Depends(caller)]


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection in the documented schema (docs/geojson.md)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]
    bbox: list[float] | None = None


SAFE_ID = re.compile(r"^[A-Za-z0-9._:~-]{1,128}$")
"""Ids that can be written in a URL path as they are (no '/', '?', '#', '%', spaces)."""


def one_declaration(body: FeatureCollection, base: str = "") -> Declaration:
    """The single declaration a request body describes (features may share its id).

    Errors are located by a JSON Pointer into the body (below `base`).
    """
    # The body's own lists and dicts, not a copy (`model_dump` would copy every vertex).
    document: dict[str, Any] = {"type": body.type, "features": body.features}
    if body.bbox is not None:
        document["bbox"] = body.bbox
    try:
        return _one_declaration(document)
    except InputError as error:
        error.pointer = pointer(error, document, base)  # type: ignore[attr-defined]
        raise


def _one_declaration(document: dict[str, Any]) -> Declaration:
    scenario = read_collection(document)
    if len(scenario.declarations) != 1:
        raise InputError(
            f"the body describes {len(scenario.declarations)} declarations; send exactly one "
            "(features of one declaration share its id)",
            field="features",
        )
    declaration = scenario.declarations[0]
    if not SAFE_ID.match(declaration.id):
        raise InputError(
            "ids are 1–128 letters, digits and . _ : ~ - (they appear in URLs)",
            feature=declaration.id,
            field="id",
        )
    return declaration


def body_hash(key: str | None, body: BaseModel | None, *scope: str) -> str:
    """A digest of the request (what it asks, and of which path), to tell a retry from a
    different request that reuses the same idempotency key; without a key, nothing is
    remembered and there is nothing to tell apart."""
    if key is None:
        return ""
    dumped = body.model_dump() if body is not None else None
    canonical = json.dumps([list(scope), dumped], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="Makes a retried write apply once"),
]


def expected_version(if_match: str | None, version: int | None) -> int:
    """The version a change is based on: from If-Match (an ETag) or `?version=`."""
    if if_match is not None:
        text = if_match.strip().removeprefix("W/").strip('"')
        try:
            return int(text)
        except ValueError:
            raise StaleVersion(f"If-Match {if_match!r} is not a version of this object") from None
    if version is not None:
        return version
    raise InvalidRequest(
        "say which version you change: an If-Match header or ?version=", pointer="/version"
    )
