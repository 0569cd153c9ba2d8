"""/dss/v1/constraint_references: query, get, create, update, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from deconflict.api.dss.route import DssRoute, Params, authorize
from deconflict.application import dss_constraints

router = APIRouter(prefix="/dss/v1", route_class=DssRoute, include_in_schema=False)
PATH = "/constraint_references"


@router.post(f"{PATH}/query", operation_id="queryConstraintReferences")
def query(request: Request, params: Params) -> dict[str, Any]:
    caller = authorize(request, "queryConstraintReferences")
    return dss_constraints.query_constraints(request.app.state.hub, caller, params)


@router.get(PATH + "/{entityid}", operation_id="getConstraintReference")
def get(request: Request, entityid: str) -> dict[str, Any]:
    caller = authorize(request, "getConstraintReference")
    return dss_constraints.get_constraint(request.app.state.hub, caller, entityid)


@router.put(PATH + "/{entityid}", operation_id="createConstraintReference")
def create(request: Request, entityid: str, params: Params) -> JSONResponse:
    caller = authorize(request, "createConstraintReference")
    body = dss_constraints.put_constraint(request.app.state.hub, caller, entityid, None, params)
    return JSONResponse(body, status_code=201)


@router.put(PATH + "/{entityid}/{ovn}", operation_id="updateConstraintReference")
def update(request: Request, entityid: str, ovn: str, params: Params) -> dict[str, Any]:
    caller = authorize(request, "updateConstraintReference")
    return dss_constraints.put_constraint(request.app.state.hub, caller, entityid, ovn, params)


@router.delete(PATH + "/{entityid}/{ovn}", operation_id="deleteConstraintReference")
def delete(request: Request, entityid: str, ovn: str) -> dict[str, Any]:
    caller = authorize(request, "deleteConstraintReference")
    return dss_constraints.delete_constraint(request.app.state.hub, caller, entityid, ovn)
