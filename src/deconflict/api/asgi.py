"""The ASGI entry for servers (uvicorn workers): settings from DECONFLICT_* variables."""

from __future__ import annotations

from fastapi import FastAPI

from deconflict.api.app import create_app
from deconflict.config import load_settings


def build() -> FastAPI:
    """App factory (`uvicorn --factory deconflict.api.asgi:build`)."""
    return create_app(load_settings())
