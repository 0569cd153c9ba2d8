"""The `deconflict` command line: ``deconflict check FILE…`` today, the service later.

Exit codes are part of the interface (scripts and CI rely on them): 0 clear, 1 conflicts
found, 2 bad input. Bad input is always one line naming the feature and the field;
a traceback is a bug.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from deconflict import __version__
from deconflict.geo.errors import InputError
from deconflict.geo.geojson_files import read_files
from deconflict.geo.separation import Minima, SeparationPolicy
from deconflict.geo.units import parse_duration, parse_length

EXIT_CLEAR, EXIT_CONFLICTS, EXIT_BAD_INPUT = 0, 1, 2


COMMAND_MODULES: tuple[str, ...] = (
    "deconflict.cli_tracks",
    "deconflict.cli_channel",
    "deconflict.cli_audit",
)
"""Modules that add commands: each has ``add_commands(commands)``, which adds subparsers
(setting ``module`` to its own name as a default), and ``run(args, out, err) -> int``.
They import only argparse-level things at module level, so `check` stays quick."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deconflict", description="Multi-party airspace deconfliction."
    )
    parser.add_argument("--version", action="version", version=f"deconflict {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help="find conflicts between the operations, zones and lines in GeoJSON files",
        description=(
            "Check every operation in the files against every other party's operations, "
            "zones and lines, and suggest how to clear each conflict. "
            "Exit status: 0 clear, 1 conflicts, 2 bad input."
        ),
    )
    check.add_argument("files", nargs="+", type=Path, metavar="FILE.geojson")
    check.add_argument(
        "--format", choices=("table", "json", "geojson"), default="table", help="output format"
    )
    check.add_argument(
        "--horizontal",
        help=(
            'default horizontal minimum, e.g. "5 NM" (replaces the files\' default; '
            "minima a file sets for a pair still apply)"
        ),
    )
    check.add_argument("--vertical", help='default vertical minimum, e.g. "1000 ft"')
    check.add_argument("--time-buffer", help='default time buffer, e.g. "5 min"')
    check.add_argument(
        "--no-suggestions", action="store_true", help="skip resolution suggestions (faster)"
    )
    serve = commands.add_parser("serve", help="run the service (HTTP API)")
    serve.add_argument("--config", type=Path, help="TOML configuration file")
    serve.add_argument("--host", help="address to listen on (default from config: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default from config: 8000)")
    serve.add_argument("--workers", type=int, help="worker processes")
    demo = commands.add_parser(
        "demo", help="run the service on a fresh SQLite file with the example scenario"
    )
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument(
        "--data", type=Path, default=Path(".deconflict-demo"), help="folder for the demo's files"
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(commands)
    token = commands.add_parser(
        "token",
        help="mint a development token (signed by the local key)",
        description=(
            "Mint a bearer token for the native API (ES256, the local development key) or, "
            "with --dss, for the ASTM F3548 DSS API under /dss/v1 (RS256: the local DSS "
            "development key, or --key)."
        ),
    )
    token.add_argument("--party", help="the party the token acts for (native API)")
    token.add_argument(
        "--scope",
        action="append",
        metavar="SCOPE",
        help=(
            "repeat for several: deconflict.read, deconflict.write, deconflict.admin "
            "(default: read and write); with --dss: utm.strategic_coordination (default), "
            "utm.constraint_management, utm.constraint_processing, "
            "utm.conformance_monitoring_sa, utm.availability_arbitration"
        ),
    )
    token.add_argument(
        "--subject", default="cli-user", help="the token's sub (with --dss: the USS's id)"
    )
    token.add_argument("--hours", type=float, default=12.0)
    token.add_argument("--config", type=Path, help="TOML configuration file")
    token.add_argument(
        "--dss", action="store_true", help="a token for the DSS API (/dss/v1), RS256"
    )
    token.add_argument(
        "--audience",
        help="with --dss: the aud claim (default: the first dss_audience, else the host name)",
    )
    token.add_argument(
        "--key",
        type=Path,
        help="with --dss: sign with this RSA private key (PEM) instead of the development key",
    )
    token.add_argument("--kid", help="with --dss: the key id to name in the token's header")
    backup = commands.add_parser("backup", help="copy the SQLite database while it runs")
    backup.add_argument("destination", type=Path)
    backup.add_argument("--config", type=Path, help="TOML configuration file")
    return parser


def _policy(files_policy: SeparationPolicy, args: argparse.Namespace) -> SeparationPolicy:
    if args.horizontal is None and args.vertical is None and args.time_buffer is None:
        return files_policy
    base = files_policy.default
    values = {"horizontal": base.horizontal, "vertical": base.vertical, "time": base.time}
    for option, key, parse in (
        ("--horizontal", "horizontal", parse_length),
        ("--vertical", "vertical", parse_length),
        ("--time-buffer", "time", parse_duration),
    ):
        text = getattr(args, option[2:].replace("-", "_"))
        if text is None:
            continue
        try:
            values[key] = parse(text)
            Minima(**{key: values[key]})
        except InputError as error:
            raise InputError(f"command line, option {option}: {error.message}") from None
    default = Minima(**values)
    return SeparationPolicy(default, files_policy.pairs, files_policy.self_checking)


def _progress_bar(err: Console) -> Callable[[int, int], None] | None:
    """A transient progress bar on stderr, for runs long enough to need one."""
    if not err.is_terminal:
        return None
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if total < 200:
            return
        if "bar" not in state:
            state["bar"] = Progress(console=err, transient=True)
            state["task"] = state["bar"].add_task("checking operations", total=total)
            state["bar"].start()
        state["bar"].update(state["task"], completed=done)
        if done == total:
            state["bar"].stop()

    return update


def _check(args: argparse.Namespace, out: Console, err: Console) -> int:
    from deconflict.engine.scenario import check_scenario
    from deconflict.render import render_geojson, render_json, render_table

    scenario = read_files(args.files)
    policy = _policy(scenario.policy, args)
    result = check_scenario(
        scenario.declarations,
        policy,
        suggest=not args.no_suggestions,
        with_areas=args.format == "geojson",
        on_progress=_progress_bar(err),
    )
    if args.format == "json":
        out.file.write(json.dumps(render_json(result), indent=2) + "\n")
    elif args.format == "geojson":
        out.file.write(json.dumps(render_geojson(result)) + "\n")
    else:
        render_table(result, out, suggested=not args.no_suggestions)
    return EXIT_CONFLICTS if result.conflict_count else EXIT_CLEAR


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = _parser().parse_args(argv)
    out, err = Console(), Console(stderr=True)
    try:
        if args.command == "check":
            return _check(args, out, err)
        if getattr(args, "module", None):
            return int(importlib.import_module(args.module).run(args, out, err))
        from deconflict import cli_service

        return cli_service.run(args, out, err)
    except InputError as error:
        err.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
