"""The FastAPI application: routers, problem handlers, middleware, one `Hub`."""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from deconflict import __version__
from deconflict.api import (
    audit,
    channel,
    dss,
    health,
    notice,
    operation,
    party,
    problems,
    stream,
    track,
    web,
    zone,
)
from deconflict.api.auth import Verifier
from deconflict.api.middleware import WRITE_BATCH, Guard, JsonLogFormatter
from deconflict.api.submit_shortcut import SubmitShortcut
from deconflict.application.hub import Hub
from deconflict.application.retention import purge
from deconflict.config import Settings
from deconflict.store.backend import connect
from deconflict.store.migrate import upgrade

RETENTION_PERIOD_S = 600.0
BACKGROUND_LOOPS = 10
"""Threads of a process besides its handlers that use the database: the channel's loops,
streams, the tactical loop, retention, checkpoints (a pool sized below the threads
opened and closed connections under load)."""
CHECKPOINT_PERIOD_S = 1.0
"""SQLite: how often the log is copied back into the database, off the write path."""


def _logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger("deconflict")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def _handlers(settings: Settings) -> ThreadPoolExecutor:
    """The threads the busiest endpoints run on (`deps.off_loop`)."""
    return ThreadPoolExecutor(settings.threads, thread_name_prefix="handler")


def create_app(settings: Settings, *, hub: Hub | None = None, migrate: bool = True) -> FastAPI:
    """The service for `settings` (a ready `hub` may be passed, e.g. with a test clock)."""
    _logging(settings.log_level)
    if hub is None:
        # Handler threads, as many AnyIO threads for the other sync endpoints, the loops.
        pool = 2 * settings.threads + BACKGROUND_LOOPS
        hub = Hub(connect(settings.database_url, pool_size=pool))
    if migrate:
        upgrade(hub.database)
    log = logging.getLogger("deconflict.retention")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Handlers mostly hold the interpreter lock, so many threads only queue for it.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        app.state.handlers = _handlers(settings)
        stop = threading.Event()

        def keep_tidy() -> None:
            while not stop.wait(RETENTION_PERIOD_S):
                try:
                    removed = purge(hub, settings.retention_days * 86400.0)
                    if removed:
                        log.info("moved %d finished operations out of the hot tables", removed)
                except Exception:  # a failed pass is retried next period; never kill the app
                    log.exception("retention pass failed")

        def checkpoint() -> None:
            while not stop.wait(CHECKPOINT_PERIOD_S):
                try:
                    hub.database.checkpoint()
                except Exception:  # e.g. another process's checkpoint: the next one goes on
                    logging.getLogger("deconflict.store").debug("checkpoint skipped", exc_info=True)

        worker = threading.Thread(target=keep_tidy, name="retention", daemon=True)
        worker.start()
        if hub.database.is_sqlite:
            threading.Thread(target=checkpoint, name="wal-checkpoint", daemon=True).start()
        # Everything loaded so far (modules, numpy, shapely, SQLAlchemy, Babel…) lives as
        # long as the process: take it out of the collector's full passes, each of which
        # otherwise walked it all and stopped every thread for 100+ ms every few seconds
        # under load (the tail of a notice's delivery time).
        gc.freeze()
        yield
        stop.set()
        app.state.handlers.shutdown(wait=False)

    app = FastAPI(
        lifespan=lifespan,
        title="deconflict",
        version=__version__,
        description=(
            "Multi-party airspace deconfliction: zones, planned operations, conflicts found "
            "and refused atomically, with verified suggestions. Errors are RFC 9457 problems."
        ),
    )
    app.state.hub = hub
    if hub.database.groups is not None:
        hub.database.groups.on_batch = WRITE_BATCH.observe
    app.state.verifier = Verifier(settings)
    app.state.settings = settings
    app.state.handlers = _handlers(settings)  # replaced by a fresh one at each start-up
    problems.install(app)
    for module in (operation, zone, party, health):
        app.include_router(module.router)
    for module in (track, stream, notice, channel, audit):
        app.include_router(module.router)
    if settings.bench_endpoints:
        from deconflict.api import bench_probe

        app.include_router(bench_probe.router)
    app.add_middleware(SubmitShortcut)  # inside the guard: limits, logs, metrics still apply
    app.add_middleware(Guard, max_body_bytes=settings.max_body_bytes)
    # The DSS's error reshaping must wrap everything (outermost), the screen come last.
    dss.install(app, settings)  # ASTM F3548-21 under /dss/v1
    web.install(app)  # the duty officer's screen at /, after the API routes

    return app
