"""Liveness, readiness and metrics: for orchestrators and Prometheus, without a token."""

from __future__ import annotations

import os

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

router = APIRouter(tags=["operability"])


@router.get("/healthz", summary="The process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database answers and is migrated")
def readyz(request: Request) -> Response:
    try:
        with request.app.state.hub.database.read() as connection:
            version = connection.execute(
                sa.text("SELECT version_num FROM alembic_version")
            ).scalar()
    except Exception as error:  # any failure means not ready; say which
        return JSONResponse({"status": "unavailable", "detail": str(error)[:200]}, status_code=503)
    return JSONResponse({"status": "ready", "schema": version})


@router.get("/metrics", summary="Prometheus metrics")
def metrics() -> Response:
    """This process's metrics, or, with several workers, all of theirs added up."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
