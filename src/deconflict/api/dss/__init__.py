"""The ASTM F3548-21 DSS API under /dss/v1 (strategic coordination), as the standard's
OpenAPI definition says: its paths, scopes, status codes and ErrorResponse bodies."""

from __future__ import annotations

from fastapi import FastAPI

from deconflict.config import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Serve /dss/v1 and the hub's /uss/v1 details, with their own token verifier.

    Call it after the app's other middleware is added: its error-shape middleware must be
    the outermost, to reshape the refusals those make on DSS paths.
    """
    from deconflict.api import uss
    from deconflict.api.dss import auth, availability, references
    from deconflict.api.dss.shape import DssErrorShape

    app.state.dss_verifier = auth.DssVerifier(settings)
    for resource in references.RESOURCES:
        app.include_router(references.router(resource))
    for module in (availability, uss):
        app.include_router(module.router)
    app.add_middleware(DssErrorShape)
