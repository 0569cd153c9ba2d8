"""/uss/v1/operational_intents/{entityid}: the hub, as the USS of its native parties,
serves the details of their operations to USSs (the standard's USS API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from deconflict.api.dss.route import DssRoute, authorize
from deconflict.application import dss_details

router = APIRouter(prefix="/uss/v1", route_class=DssRoute, include_in_schema=False)


@router.get("/operational_intents/{entityid}", operation_id="getOperationalIntentDetails")
def get(request: Request, entityid: str) -> dict[str, Any]:
    caller = authorize(request, "getOperationalIntentDetails")
    return dss_details.get_details(request.app.state.hub, caller, entityid)
