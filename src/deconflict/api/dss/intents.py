"""/dss/v1/operational_intent_references: query, get, create, update, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from deconflict.api.dss.route import DssRoute, Params, authorize
from deconflict.application import dss_intents

router = APIRouter(prefix="/dss/v1", route_class=DssRoute, include_in_schema=False)
PATH = "/operational_intent_references"


@router.post(f"{PATH}/query", operation_id="queryOperationalIntentReferences")
def query(request: Request, params: Params) -> dict[str, Any]:
    caller = authorize(request, "queryOperationalIntentReferences")
    return dss_intents.query_intents(request.app.state.hub, caller, params)


@router.get(PATH + "/{entityid}", operation_id="getOperationalIntentReference")
def get(request: Request, entityid: str) -> dict[str, Any]:
    caller = authorize(request, "getOperationalIntentReference")
    return dss_intents.get_intent(request.app.state.hub, caller, entityid)


@router.put(PATH + "/{entityid}", operation_id="createOperationalIntentReference")
def create(request: Request, entityid: str, params: Params) -> JSONResponse:
    caller = authorize(request, "createOperationalIntentReference")
    body = dss_intents.put_intent(request.app.state.hub, caller, entityid, None, params)
    return JSONResponse(body, status_code=201)


@router.put(PATH + "/{entityid}/{ovn}", operation_id="updateOperationalIntentReference")
def update(request: Request, entityid: str, ovn: str, params: Params) -> dict[str, Any]:
    caller = authorize(request, "updateOperationalIntentReference")
    return dss_intents.put_intent(request.app.state.hub, caller, entityid, ovn, params)


@router.delete(PATH + "/{entityid}/{ovn}", operation_id="deleteOperationalIntentReference")
def delete(request: Request, entityid: str, ovn: str) -> dict[str, Any]:
    caller = authorize(request, "deleteOperationalIntentReference")
    return dss_intents.delete_intent(request.app.state.hub, caller, entityid, ovn)
