"""/dss/v1/uss_availability/{uss_id} (get, set) and /dss/v1/reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from deconflict.api.dss.route import DssRoute, Params, authorize
from deconflict.application import dss_availability

router = APIRouter(prefix="/dss/v1", route_class=DssRoute, include_in_schema=False)


@router.get("/uss_availability/{uss_id}", operation_id="getUssAvailability")
def get(request: Request, uss_id: str) -> dict[str, Any]:
    authorize(request, "getUssAvailability")
    return dss_availability.get_availability(request.app.state.hub, uss_id)


@router.put("/uss_availability/{uss_id}", operation_id="setUssAvailability")
def put(request: Request, uss_id: str, params: Params) -> dict[str, Any]:
    caller = authorize(request, "setUssAvailability")
    return dss_availability.set_availability(request.app.state.hub, caller, uss_id, params)


@router.post("/reports", operation_id="makeDssReport")
def report(request: Request, params: Params) -> JSONResponse:
    caller = authorize(request, "makeDssReport")
    body = dss_availability.make_report(request.app.state.hub, caller, params)
    return JSONResponse(body, status_code=201)
