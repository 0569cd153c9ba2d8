"""The service's commands: ``serve``, ``demo``, ``token``, ``backup``.

Kept apart from `cli.py` so that ``deconflict check`` never imports the web stack.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import time
from dataclasses import fields, replace
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from deconflict.config import Settings, load_settings

EXIT_OK, EXIT_FAILED = 0, 2


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(getattr(args, "config", None))
    for name in ("host", "port", "workers"):
        value = getattr(args, name, None)
        if value is not None:
            settings = replace(settings, **{name: value})
    return settings


def _environment(settings: Settings) -> None:
    """Hand every setting to the worker processes, which read DECONFLICT_* variables
    (one forgotten here would silently be its default in the workers)."""
    for item in fields(Settings):
        value = getattr(settings, item.name)
        if item.name == "extra" or value is None:
            continue
        text = ",".join(value) if isinstance(value, tuple) else str(value)
        os.environ[f"DECONFLICT_{item.name.upper()}"] = text


def serve(settings: Settings) -> int:
    import uvicorn

    from deconflict.api.app import create_app
    from deconflict.api.workers import run_workers
    from deconflict.store.backend import connect
    from deconflict.store.migrate import upgrade

    upgrade(connect(settings.database_url))  # once, before workers start
    if settings.workers > 1:
        _environment(settings)
        # Workers keep their metrics in files here, and /metrics adds them up.
        metrics = Path(settings.data_dir).resolve() / "metrics"
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        run_workers(settings.host, settings.port, settings.workers)
    else:
        uvicorn.run(
            create_app(settings), host=settings.host, port=settings.port, log_level="warning"
        )
    return EXIT_OK


def demo(args: argparse.Namespace, out: Console) -> int:
    from deconflict.api.auth import mint_token
    from deconflict.application.hub import ADMIN, READ, WRITE, Hub
    from deconflict.demo import SCENARIO, load_scenario
    from deconflict.store.backend import connect
    from deconflict.store.migrate import upgrade

    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    database = data / "demo.db"
    for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)
    settings = Settings(
        database_url=f"sqlite:///{database.resolve()}",
        data_dir=str(data.resolve()),
        host=args.host,
        port=args.port,
    )
    hub = Hub(connect(settings.database_url))
    upgrade(hub.database)
    loaded = load_scenario(hub, SCENARIO, time.time())
    base = f"http://{settings.host}:{settings.port}"
    out.print(f"[bold]deconflict demo[/] — example scenario loaded into {escape(str(database))}")
    out.print(f"  {len(loaded.accepted)} operations accepted, {len(loaded.refused)} refused:")
    for ident, reason in loaded.refused:
        out.print(f"    [red]{escape(ident)}[/]: {escape(reason)}")
    out.print(f"\n  map and API:  {base}/\n  API docs:     {base}/docs\n")
    for party in loaded.parties:
        token = mint_token(settings, subject=f"{party}-duty", party=party, scopes=[READ, WRITE])
        out.print(f"  token for [bold]{escape(party)}[/]:\n{token}\n", soft_wrap=True)
    admin = mint_token(settings, subject="demo-admin", party=None, scopes=[ADMIN])
    out.print(f"  admin token:\n{admin}\n", soft_wrap=True)
    out.print(f"  try: curl -H 'Authorization: Bearer <token>' {base}/v1/operations\n")
    return serve(settings)


def _fail(err: Console, message: str) -> int:
    """One line on stderr, never wrapped (scripts read it), and the failure status."""
    err.print(escape(message), highlight=False, soft_wrap=True)
    return EXIT_FAILED


NATIVE_SCOPES = ("deconflict.read", "deconflict.write", "deconflict.admin")
DSS_SCOPES = (
    "utm.strategic_coordination",
    "utm.constraint_management",
    "utm.constraint_processing",
    "utm.conformance_monitoring_sa",
    "utm.availability_arbitration",
)


def token(args: argparse.Namespace, out: Console, err: Console) -> int:
    """Print a token: native (ES256, dev key) or, with --dss, RS256 for /dss/v1."""
    settings = _settings(args)
    if not 0 < args.hours <= 24 * 366:
        return _fail(err, "error: --hours must be above 0 and at most a year (8784)")
    known = DSS_SCOPES if args.dss else NATIVE_SCOPES
    scopes = args.scope or (["utm.strategic_coordination"] if args.dss else list(known[:2]))
    unknown = [s for s in scopes if s not in known]
    if unknown:
        return _fail(err, f"error: unknown scope {unknown[0]!r} (known: {', '.join(known)})")
    if not args.dss:
        if args.audience or args.key or args.kid:
            return _fail(err, "error: --audience, --key and --kid go with --dss")
        from deconflict.api.auth import mint_token

        minted = mint_token(
            settings,
            subject=args.subject,
            party=args.party,
            scopes=scopes,
            lifetime_s=args.hours * 3600,
        )
    else:
        if args.party:
            return _fail(err, "error: a DSS token names a USS (--subject), not a --party")
        from deconflict.api.dss.auth import mint_dss_token

        try:
            minted = mint_dss_token(
                settings,
                subject=args.subject,
                scopes=scopes,
                audience=args.audience,
                lifetime_s=args.hours * 3600,
                key_path=args.key,
                kid=args.kid,
            )
        except ValueError as error:
            return _fail(err, f"error: {error}")
    out.file.write(minted + "\n")
    return EXIT_OK


def backup(args: argparse.Namespace, out: Console, err: Console) -> int:
    """SQLite's online backup: a consistent copy while the service keeps writing."""
    settings = _settings(args)
    url = settings.database_url
    if not url.startswith("sqlite:///"):
        err.print(
            "backup copies SQLite databases; for PostgreSQL use its own tools, e.g. "
            "pg_dump --format=custom (see docs/operations.md)"
        )
        return EXIT_FAILED
    source = sqlite3.connect(url.removeprefix("sqlite:///"))
    target = sqlite3.connect(args.destination)
    with target:
        source.backup(target)
    source.close()
    target.close()
    out.print(f"backed up to {escape(str(args.destination))}")
    return EXIT_OK


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    if args.command == "serve":
        try:
            settings = _settings(args)
        except ValueError as error:  # an unknown or inconsistent setting
            return _fail(err, f"configuration: {error}")
        return serve(settings)
    if args.command == "demo":
        return demo(args, out)
    if args.command == "token":
        return token(args, out, err)
    if args.command == "backup":
        return backup(args, out, err)
    return EXIT_FAILED
