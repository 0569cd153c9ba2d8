"""Every error as an RFC 9457 problem (``application/problem+json``), mapped in one place.

The body always has ``type``, ``title``, ``status`` and ``detail``; bad input adds a
``pointer`` (JSON Pointer into the request, RFC 6901) naming the field; a refused plan
adds ``conflicts`` and ``suggestions``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from deconflict.api.auth import AuthError
from deconflict.api.dss.shape import PREFIXES as DSS_PREFIXES
from deconflict.geo.errors import InputError
from deconflict.model import errors

log = logging.getLogger("deconflict.http")

PROBLEM = "application/problem+json"
BASE = "https://deconflict.invalid/problems/"

_STATUS: dict[type[errors.DomainError], tuple[int, str]] = {
    errors.InvalidRequest: (422, "invalid-request"),
    errors.NotFound: (404, "not-found"),
    errors.AlreadyExists: (409, "already-exists"),
    errors.NotAllowed: (403, "forbidden"),
    errors.StaleVersion: (412, "stale-version"),
    errors.InvalidTransition: (409, "invalid-transition"),
    errors.IdempotencyMismatch: (422, "idempotency-key-reused"),
    errors.Rejected: (409, "conflict"),
}


def problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": BASE + kind, "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def pointer(error: InputError, body: Any = None, base: str = "") -> str:
    """A JSON Pointer (RFC 6901) into the request body at the field the error names.

    `body` is the FeatureCollection the error came from (to find the feature's index);
    without it, the field is taken as a top-level member of the body.
    """
    field = (error.field or "").replace("[", ".").replace("]", "")
    parts = [p for p in field.split(".") if p]
    if error.feature is not None:
        if parts and parts[0] not in ("geometry", "properties", "id", "type"):
            parts.insert(0, "properties")
        index = _feature_index(body, error.feature) if isinstance(body, dict) else None
        if index is not None:
            parts = ["features", str(index), *parts]
    path = "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)
    return base + ("/" + path if path else "")


def _feature_index(body: dict[str, Any], name: str) -> int | None:
    features = body.get("features")
    if not isinstance(features, list):
        return None
    if name.startswith("#") and name[1:].isdigit():
        return int(name[1:])
    for index, feature in enumerate(features):
        if not isinstance(feature, dict):
            continue
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        if str(feature.get("id", props.get("id"))) == name:
            return index
    return None


def input_problem(error: InputError) -> JSONResponse:
    located = getattr(error, "pointer", None)
    return problem(
        422,
        "invalid-input",
        "Invalid input",
        str(error),
        pointer=located if located is not None else pointer(error),
        feature=error.feature,
        field=error.field,
    )


def domain_problem(error: errors.DomainError) -> JSONResponse:
    status, kind = next(
        (v for cls, v in _STATUS.items() if isinstance(error, cls)), (400, "bad-request")
    )
    extra: dict[str, Any] = {}
    if isinstance(error, errors.Rejected):
        report = error.details["report"].as_dict()
        extra = {"conflicts": report["conflicts"], "suggestions": report["suggestions"]}
    elif error.details:
        extra = {k: v for k, v in error.details.items() if isinstance(v, str | int | float)}
    return problem(status, kind, kind.replace("-", " ").capitalize(), error.message, **extra)


def install(app: FastAPI) -> None:
    """Register the handlers: domain errors, bad input, auth, validation, HTTP errors."""

    @app.exception_handler(errors.DomainError)
    async def _domain(_: Request, error: errors.DomainError) -> JSONResponse:
        return domain_problem(error)

    @app.exception_handler(InputError)
    async def _input(_: Request, error: InputError) -> JSONResponse:
        return input_problem(error)

    @app.exception_handler(AuthError)
    async def _auth(_: Request, error: AuthError) -> JSONResponse:
        return problem(401, "unauthorized", "Unauthorized", str(error))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        location = [str(p) for p in first.get("loc", ())]
        # A bad member name (pydantic's "[key]" step) is pointed at by its member.
        steps = [p for p in location[1:] if p != "[key]"]
        return problem(
            422,
            "invalid-input",
            "Invalid input",
            f"{'.'.join(location)}: {first.get('msg', 'invalid')}",
            pointer="".join("/" + p.replace("~", "~0").replace("/", "~1") for p in steps),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # A fault of the hub, never of the input: logged with its traceback under the
        # request's id, which the answer gives so that an operator can find it.
        request_id = getattr(request.state, "request_id", None)
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return _database_lost(request, error, request_id)
        log.error(
            "unexpected error in %s %s",
            request.method,
            request.url.path,
            exc_info=error,
            extra={"fields": {"request_id": request_id}},
        )
        detail = (
            "the hub failed to answer this request; its log has the details under request "
            f"id {request_id}"
        )
        if request.url.path.startswith(DSS_PREFIXES):  # the standard's ErrorResponse there
            return JSONResponse({"message": detail}, status_code=500)
        return problem(500, "internal-error", "Internal error", detail, request_id=request_id)

    def _database_lost(request: Request, error: DBAPIError, request_id: str | None) -> JSONResponse:
        # The database closed the connection under this request (a restart); the pool is
        # being renewed. Lost at the commit, a write's fate is unknown here: sent again
        # with its Idempotency-Key it is applied once either way.
        log.warning(
            "database connection lost in %s %s: %s",
            request.method,
            request.url.path,
            str(error.orig)[:200],
            extra={"fields": {"request_id": request_id}},
        )
        detail = (
            "the hub lost its database connection during this request; send it again (a "
            f"write with the same Idempotency-Key is applied once) (request id {request_id})"
        )
        headers = {"Retry-After": "1"}
        if request.url.path.startswith(DSS_PREFIXES):
            return JSONResponse({"message": detail}, status_code=503, headers=headers)
        answer = problem(
            503, "database-unavailable", "Database unavailable", detail, request_id=request_id
        )
        answer.headers.update(headers)
        return answer

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        kind = {
            404: "not-found",
            405: "method-not-allowed",
            413: "too-large",
            415: "unsupported-media-type",
        }
        return problem(
            error.status_code,
            kind.get(error.status_code, "http-error"),
            str(error.detail)
            if error.status_code >= 500
            else kind.get(error.status_code, "HTTP error").replace("-", " ").capitalize(),
            str(error.detail),
        )
