"""/dss/v1/subscriptions: query, get, create, update, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from deconflict.api.dss.route import DssRoute, Params, authorize
from deconflict.application import dss_subscriptions

router = APIRouter(prefix="/dss/v1", route_class=DssRoute, include_in_schema=False)
PATH = "/subscriptions"


@router.post(f"{PATH}/query", operation_id="querySubscriptions")
def query(request: Request, params: Params) -> dict[str, Any]:
    caller = authorize(request, "querySubscriptions")
    return dss_subscriptions.query_subscriptions(request.app.state.hub, caller, params)


@router.get(PATH + "/{subscriptionid}", operation_id="getSubscription")
def get(request: Request, subscriptionid: str) -> dict[str, Any]:
    caller = authorize(request, "getSubscription")
    return dss_subscriptions.get_subscription(request.app.state.hub, caller, subscriptionid)


@router.put(PATH + "/{subscriptionid}", operation_id="createSubscription")
def create(request: Request, subscriptionid: str, params: Params) -> dict[str, Any]:
    caller = authorize(request, "createSubscription")
    hub = request.app.state.hub
    return dss_subscriptions.put_subscription(hub, caller, subscriptionid, None, params)


@router.put(PATH + "/{subscriptionid}/{version}", operation_id="updateSubscription")
def update(request: Request, subscriptionid: str, version: str, params: Params) -> dict[str, Any]:
    caller = authorize(request, "updateSubscription")
    hub = request.app.state.hub
    return dss_subscriptions.put_subscription(hub, caller, subscriptionid, version, params)


@router.delete(PATH + "/{subscriptionid}/{version}", operation_id="deleteSubscription")
def delete(request: Request, subscriptionid: str, version: str) -> dict[str, Any]:
    caller = authorize(request, "deleteSubscription")
    hub = request.app.state.hub
    return dss_subscriptions.delete_subscription(hub, caller, subscriptionid, version)
