"""Errors in the standard's shape, for the DSS routes only, and who is calling.

`DssRoute` wraps every /dss/v1 and /uss/v1 handler: whatever a use case raises becomes
the status the definition lists for it with an ErrorResponse body (`{"message": …}`), or
an AirspaceConflictResponse for a key that misses OVNs. The native API keeps its
RFC 9457 problems (api/problems.py): this mapping never leaves these routes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Body, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from deconflict.api.dss.auth import DssUnauthorized, DssVerifier
from deconflict.api.dss.scopes import STATUSES_WITH_413, allowed
from deconflict.application.dss_common import UssCaller
from deconflict.geo.errors import InputError
from deconflict.model import errors
from deconflict.model.dss import AreaTooLarge, DssConflict, MissingKeys, UssDown

log = logging.getLogger("deconflict.dss")

Params = Annotated[dict[str, Any], Body()]
"""A JSON object body (checked field by field by the use case, as the standard says)."""

_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (DssUnauthorized, 401),
    (errors.NotAllowed, 403),
    (errors.NotFound, 404),
    (MissingKeys, 409),
    (DssConflict, 409),
    (errors.AlreadyExists, 409),
    (errors.StaleVersion, 409),
    (UssDown, 412),
    (errors.DomainError, 400),
    (InputError, 400),
    (RequestValidationError, 400),
)


def error_response(error: Exception, operation_id: str | None) -> JSONResponse:
    """The standard's answer to `error` for this operation."""
    if isinstance(error, HTTPException):
        return JSONResponse({"message": str(error.detail)}, status_code=error.status_code)
    if isinstance(error, AreaTooLarge):
        status = 413 if operation_id in STATUSES_WITH_413 else 400
        return JSONResponse({"message": error.message}, status_code=status)
    if isinstance(error, MissingKeys):
        body = {
            "message": error.message,
            "missing_operational_intents": error.intents,
            "missing_constraints": error.constraints,
        }
        return JSONResponse(body, status_code=409)
    if isinstance(error, RequestValidationError):
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"{where}: {first.get('msg', 'invalid')}"
    else:
        message = getattr(error, "message", None) or str(error)
    status = next(s for cls, s in _STATUS if isinstance(error, cls))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"message": message}, status_code=status, headers=headers)


_HANDLED = (*(cls for cls, _ in _STATUS), HTTPException)


class DssRoute(APIRoute):
    """A route whose every refusal is in the standard's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        operation_id = self.operation_id

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except _HANDLED as error:
                return error_response(error, operation_id)
            except Exception:  # a bug: logged, and still answered in the standard's shape
                log.exception("unexpected error in %s", operation_id)
                return JSONResponse({"message": "internal error"}, status_code=500)

        return guarded


def authorize(request: Request, operation_id: str) -> UssCaller:
    """The calling USS, if its token verifies and grants a scope this operation takes."""
    verifier: DssVerifier = request.app.state.dss_verifier
    subject, scopes = verifier.verify(request.headers.get("authorization"))
    if not allowed(operation_id, scopes):
        raise errors.NotAllowed(f"the token's scopes do not allow {operation_id}")
    settings = request.app.state.settings
    hub_url = settings.dss_base_url or str(request.base_url).rstrip("/")
    return UssCaller(
        manager=subject,
        scopes=scopes,
        hub_url=hub_url,
        http_base_urls=settings.dss_allow_http_base_urls,
    )
