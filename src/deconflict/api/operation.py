"""/v1/operations: submit, read, search, change, move through states, what-if."""

from __future__ import annotations

import time
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from deconflict.api.deps import (
    CallerDep,
    FeatureCollection,
    HubDep,
    IdempotencyKey,
    body_hash,
    expected_version,
    off_loop,
    one_declaration,
)
from deconflict.api.middleware import ACCEPTED, CONFLICTS, REJECTED, STORE
from deconflict.api.views import decision_view, seen_view, verdict_view
from deconflict.application.change_state import approve, change_state
from deconflict.application.check_plans import check_plans
from deconflict.application.hub import Caller, Hub
from deconflict.application.outcome import Decision
from deconflict.application.query_operations import (
    get_operation,
    list_operations,
    operation_history,
)
from deconflict.application.submit_operation import submit_operation
from deconflict.application.update_operation import update_operation
from deconflict.geo.errors import InputError
from deconflict.geo.units import format_time, parse_time
from deconflict.model.errors import Rejected
from deconflict.model.operation import Operation
from deconflict.model.operation_state import OperationState

router = APIRouter(prefix="/v1", tags=["operations"])

IfMatch = Annotated[str | None, Header(alias="If-Match", description="ETag (version) you change")]


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


class Plans(BaseModel):
    """Candidate plans to compare: each a FeatureCollection of one declaration."""

    model_config = ConfigDict(extra="forbid")
    plans: list[FeatureCollection] = Field(min_length=1, max_length=20)


@router.post(
    "/operations",
    status_code=201,
    summary="Submit an operation",
    response_model=dict[str, Any],
)
async def submit(
    body: FeatureCollection,
    hub: HubDep,
    caller: CallerDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Check the operation against everything in force and accept it, in one atomic step,
    or refuse it (409) with the conflicts and verified suggestions."""
    # The busiest endpoint: run on the app's own threads and answer with the JSON made
    # here, which spares FastAPI's thread start-ups and its response validation.
    return await off_loop(request, submit_response, body, hub, caller, idempotency_key)


def submit_response(
    body: FeatureCollection, hub: Hub, caller: Caller, idempotency_key: str | None
) -> Response:
    """The submission's answer (201, or 200 for a replay); refusals raise. Also what
    `submit_shortcut` serves well-formed requests with, off the framework's path."""
    declaration = one_declaration(body)
    started = time.perf_counter()
    try:
        decision = submit_operation(
            hub,
            caller,
            declaration,
            idempotency_key=idempotency_key,
            request_hash=body_hash(idempotency_key, body, "POST /v1/operations"),
        )
    except Rejected as refusal:
        REJECTED.inc()
        CONFLICTS.inc(len(refusal.details["report"].conflicts))
        raise
    finally:
        STORE.labels("submit_operation").observe(time.perf_counter() - started)
    if not decision.replayed:
        ACCEPTED.inc()
    return JSONResponse(
        decision_view(decision),
        status_code=200 if decision.replayed else 201,
        headers={
            "Location": f"/v1/operations/{decision.operation.id}",
            "ETag": f'"{decision.operation.version}"',
        },
    )


@router.post("/operations:check", summary="Check plans without submitting (what-if)")
def what_if(body: Plans, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    """Each plan's conflicts and suggestions against what is in force now, and what
    submitting it would do (accepted, pending, rejected). Nothing is written."""
    plans = [one_declaration(plan, f"/plans/{n}") for n, plan in enumerate(body.plans)]
    return {"results": [verdict_view(v) for v in check_plans(hub, caller, plans)]}


@router.get("/operations", summary="Search operations")
def search(
    hub: HubDep,
    caller: CallerDep,
    bbox: Annotated[
        str | None, Query(description="lon_min,lat_min,lon_max,lat_max", examples=["35,32,42,37"])
    ] = None,
    start: Annotated[str | None, Query(description="RFC 3339: overlapping from")] = None,
    end: Annotated[str | None, Query(description="RFC 3339: overlapping until")] = None,
    party: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[list[OperationState] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Operations the caller may see, in id order, a page at a time."""
    area = None
    if bbox is not None:
        try:
            lon_min, lat_min, lon_max, lat_max = (float(v) for v in bbox.split(","))
        except ValueError:
            raise InputError(
                "must be four numbers: lon_min,lat_min,lon_max,lat_max", field="bbox"
            ) from None
        if not (-180 <= lon_min < lon_max <= 180 and -90 <= lat_min < lat_max <= 90):
            raise InputError("is not a valid lon/lat box", field="bbox")
        area = shapely.box(lon_min, lat_min, lon_max, lat_max)
    window = {}
    for name, text in (("start", start), ("end", end)):
        if text is not None:
            try:
                window[name] = parse_time(text)
            except InputError as error:
                raise InputError(error.message, field=name) from None
    found = list_operations(
        hub,
        caller,
        area=area,
        start=window.get("start"),
        end=window.get("end"),
        party=party,
        states=state,
        limit=limit + 1,
        offset=offset,
    )
    page = found[:limit]
    return {
        "operations": [seen_view(s) for s in page],
        "offset": offset,
        "limit": limit,
        "next_offset": offset + limit if len(found) > limit else None,
    }


@router.get("/operations/{operation_id}", summary="Get an operation")
def get(operation_id: str, hub: HubDep, caller: CallerDep, response: Response) -> dict[str, Any]:
    seen = get_operation(hub, caller, operation_id)
    _etag(response, seen.operation.version)
    return seen_view(seen)


@router.get("/operations/{operation_id}/history", summary="Every version of an operation")
def history(operation_id: str, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    versions = operation_history(hub, caller, operation_id)
    return {
        "id": operation_id,
        "versions": [
            {"version": v, "state": s, "geojson": d, "recorded_at": format_time(t)}
            for v, s, d, t in versions
        ],
    }


@router.put("/operations/{operation_id}", summary="Change an operation's plan")
def update(
    operation_id: str,
    body: FeatureCollection,
    hub: HubDep,
    caller: CallerDep,
    response: Response,
    if_match: IfMatch = None,
    version: Annotated[int | None, Query(ge=1)] = None,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """A new version, accepted only if it adds or worsens no conflict; the old version
    stays in force otherwise. Stale version: 412."""
    declaration = one_declaration(body)
    if declaration.id != operation_id:
        raise InputError(
            f"the body describes {declaration.id!r}, not {operation_id!r}", field="features"
        )
    decision = update_operation(
        hub,
        caller,
        declaration,
        expected_version(if_match, version),
        idempotency_key=idempotency_key,
        request_hash=body_hash(idempotency_key, body, f"PUT /v1/operations/{operation_id}"),
    )
    _etag(response, decision.operation.version)
    return decision_view(decision)


def _transition(target: OperationState):  # type: ignore[no-untyped-def]
    def handler(
        operation_id: str,
        hub: HubDep,
        caller: CallerDep,
        response: Response,
        if_match: IfMatch = None,
        version: Annotated[int | None, Query(ge=1)] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        expected = (
            None if if_match is None and version is None else expected_version(if_match, version)
        )
        decision = change_state(
            hub,
            caller,
            operation_id,
            target,
            expected,
            idempotency_key=idempotency_key,
            request_hash=body_hash(
                idempotency_key, None, f"POST /v1/operations/{operation_id}:{target}"
            ),
        )
        _etag(response, decision.operation.version)
        return decision_view(decision)

    return handler


def _bare(operation: Operation) -> Decision:
    return Decision(operation, None)


for _verb, _state in (
    ("activate", OperationState.ACTIVATED),
    ("end", OperationState.ENDED),
    ("cancel", OperationState.CANCELLED),
):
    router.add_api_route(
        f"/operations/{{operation_id}}:{_verb}",
        _transition(_state),
        methods=["POST"],
        summary=f"{_verb.capitalize()} an operation",
    )


@router.post("/operations/{operation_id}:approve", summary="Acknowledge an operation in your zone")
def approve_operation(
    operation_id: str, hub: HubDep, caller: CallerDep, response: Response
) -> dict[str, Any]:
    """The owner of a zone the operation enters lets it proceed (pending → accepted once
    every such party has)."""
    operation = approve(hub, caller, operation_id)
    _etag(response, operation.version)
    return decision_view(_bare(operation))
