"""/dss/v1 operational intent references, constraint references and subscriptions.

The three follow one pattern in the definition: `POST …/query`, `GET …/{id}`,
`PUT …/{id}` (create), `PUT …/{id}/{version}` (update), `DELETE …/{id}/{version}`, with
operation ids `query<Noun>s`, `get<Noun>`, `create<Noun>`, … and the scopes of
`scopes.SECURITY`. `Resource` describes one of them and `router` serves it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from deconflict.api.dss.route import DssRoute, Params, authorize
from deconflict.application import dss_constraints, dss_intents, dss_subscriptions
from deconflict.application.dss_common import UssCaller
from deconflict.application.hub import Hub
from deconflict.model.dss import DssBadRequest

UseCase = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Resource:
    """One kind of DSS entity: its path, its name in operation ids, its use cases."""

    path: str
    noun: str
    ident: str
    version: str
    query: Callable[[Hub, UssCaller, dict[str, Any]], dict[str, Any]]
    get: Callable[[Hub, UssCaller, str], dict[str, Any]]
    put: Callable[[Hub, UssCaller, str, str | None, dict[str, Any]], dict[str, Any]]
    delete: Callable[[Hub, UssCaller, str, str], dict[str, Any]]
    created: int = 201
    """The status of a create (the definition: 201, but 200 for a subscription)."""


def router(resource: Resource) -> APIRouter:
    """The five routes of `resource`; path values are read from the request (the use
    cases check them: a malformed id is the definition's 400, not a framework 422)."""
    serves = APIRouter(prefix="/dss/v1", route_class=DssRoute, include_in_schema=False)
    one = f"{resource.path}/{{{resource.ident}}}"
    versioned = f"{one}/{{{resource.version}}}"
    noun = resource.noun

    def ids(request: Request) -> tuple[str, str]:
        path = request.path_params
        return path[resource.ident], path.get(resource.version, "")

    @serves.post(f"{resource.path}/query", operation_id=f"query{noun}s")
    def query(request: Request, params: Params) -> dict[str, Any]:
        caller = authorize(request, f"query{noun}s")
        return resource.query(request.app.state.hub, caller, params)

    @serves.get(one, operation_id=f"get{noun}")
    def get(request: Request) -> dict[str, Any]:
        caller = authorize(request, f"get{noun}")
        return resource.get(request.app.state.hub, caller, ids(request)[0])

    @serves.put(one, operation_id=f"create{noun}")
    def create(request: Request, params: Params) -> JSONResponse:
        caller = authorize(request, f"create{noun}")
        body = resource.put(request.app.state.hub, caller, ids(request)[0], None, params)
        return JSONResponse(body, status_code=resource.created)

    @serves.put(versioned, operation_id=f"update{noun}")
    def update(request: Request, params: Params) -> dict[str, Any]:
        caller = authorize(request, f"update{noun}")
        ident, version = ids(request)
        return resource.put(request.app.state.hub, caller, ident, version, params)

    @serves.delete(versioned, operation_id=f"delete{noun}")
    def delete(request: Request) -> dict[str, Any]:
        caller = authorize(request, f"delete{noun}")
        ident, version = ids(request)
        return resource.delete(request.app.state.hub, caller, ident, version)

    # An empty version (`…/{id}/`) would otherwise be redirected to `…/{id}`: a delete
    # there is 405, an update a create. It names no version: a bad request.
    @serves.put(f"{one}/", operation_id=f"update{noun}", name=f"update{noun}Empty")
    def update_empty(request: Request) -> dict[str, Any]:
        authorize(request, f"update{noun}")
        raise DssBadRequest(f"the {resource.version} in the path is empty")

    @serves.delete(f"{one}/", operation_id=f"delete{noun}", name=f"delete{noun}Empty")
    def delete_empty(request: Request) -> dict[str, Any]:
        authorize(request, f"delete{noun}")
        raise DssBadRequest(f"the {resource.version} in the path is empty")

    return serves


RESOURCES = (
    Resource(
        path="/operational_intent_references",
        noun="OperationalIntentReference",
        ident="entityid",
        version="ovn",
        query=dss_intents.query_intents,
        get=dss_intents.get_intent,
        put=dss_intents.put_intent,
        delete=dss_intents.delete_intent,
    ),
    Resource(
        path="/constraint_references",
        noun="ConstraintReference",
        ident="entityid",
        version="ovn",
        query=dss_constraints.query_constraints,
        get=dss_constraints.get_constraint,
        put=dss_constraints.put_constraint,
        delete=dss_constraints.delete_constraint,
    ),
    Resource(
        path="/subscriptions",
        noun="Subscription",
        ident="subscriptionid",
        version="version",
        query=dss_subscriptions.query_subscriptions,
        get=dss_subscriptions.get_subscription,
        put=dss_subscriptions.put_subscription,
        delete=dss_subscriptions.delete_subscription,
        created=200,
    ),
)
