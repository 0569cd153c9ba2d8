"""``deconflict audit verify | asof | export``: check the record without trusting the hub.

Sources: a running server (``--url`` and ``--token``), the database itself
(``--database``, for an operator or an investigator holding a dump), or a file (a bundle
written by ``audit export``). The hub's verifier key should come from your own records
(``--key``); without it, the key the source states is used, and said so.

Exit status: 0 verified, 1 verification failed (the first bad index is printed),
2 bad input or unreachable source.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

EXIT_OK, EXIT_TAMPERED, EXIT_BAD = 0, 1, 2


def add_commands(commands: Any) -> None:
    audit = commands.add_parser("audit", help="verify, query and export the audit record")
    sub = audit.add_subparsers(dest="audit_command", required=True)

    def source(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="a bundle file")
        parser.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000")
        parser.add_argument("--token", help="bearer token for --url")
        parser.add_argument("--database", help="SQLAlchemy URL of the hub's database")
        parser.add_argument("--key", help="the hub's verifier key (name+id+key) you trust")
        parser.set_defaults(module=__name__)

    verify = sub.add_parser("verify", help="recompute the log and its signed checkpoints")
    source(verify)
    verify.add_argument(
        "--checkpoint", action="append", type=Path, default=[], help="a checkpoint you kept"
    )
    asof = sub.add_parser("asof", help="what a party had been told and acknowledged at T")
    asof.add_argument("time", help="RFC 3339 UTC, e.g. 2026-03-01T12:00:00Z")
    asof.add_argument("--party", required=True)
    source(asof)
    export = sub.add_parser("export", help="write a self-verifying bundle of events")
    export.add_argument("--from", dest="start", type=int, default=0)
    export.add_argument("--to", dest="end", type=int)
    export.add_argument("--output", "-o", type=Path, required=True)
    export.add_argument("--known", type=int, action="append", default=[])
    source(export)


class _Source:
    """Events, checkpoints and the stated key, from a server, a database or a file."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.bundle: dict[str, Any] | None = None
        if args.file is not None:
            self.bundle = json.loads(Path(args.file).read_text(encoding="utf-8"))

    def _get(self, path: str, **params: Any) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {self.args.token}"} if self.args.token else {}
        answer = httpx.get(
            self.args.url.rstrip("/") + path, params=params, headers=headers, timeout=60
        )
        answer.raise_for_status()
        return answer.json()

    def material(self) -> tuple[list[bytes], list[str], str]:
        """(event lines, checkpoint notes, stated key)."""
        if self.bundle is not None:
            lines = [e.encode() for e in self.bundle["events"]]
            return lines, list(self.bundle["checkpoints"]), self.bundle["public_key"]
        if self.args.url:
            lines: list[bytes] = []
            while True:
                page = self._get("/v1/audit/events", **{"from": len(lines)})
                lines += [e.encode() for e in page["events"]]
                if page["to"] >= page["size"] or not page["events"]:
                    break
            notes = self._get("/v1/audit/checkpoints")["checkpoints"]
            return lines, notes, self._get("/v1/audit/key")["key"]
        if self.args.database:
            return self._from_database()
        raise SystemExit("give a file, --url or --database")

    def _from_database(self) -> tuple[list[bytes], list[str], str]:
        import sqlalchemy as sa

        from deconflict.audit.sql_store import audit_checkpoints, audit_events

        engine = sa.create_engine(self.args.database)
        with engine.connect() as connection:
            lines = [
                bytes(r.line)
                for r in connection.execute(
                    sa.select(audit_events.c.line).order_by(audit_events.c.leaf_index)
                )
            ]
            notes = [
                str(r.note)
                for r in connection.execute(
                    sa.select(audit_checkpoints.c.note).order_by(audit_checkpoints.c.size)
                )
            ]
        engine.dispose()
        return lines, notes, ""


def _key(args: argparse.Namespace, stated: str, err: Console) -> str:
    if args.key:
        return str(args.key)
    if not stated:
        raise SystemExit("give the hub's verifier key with --key")
    err.print("[yellow]warning:[/] using the key the source states; pass --key you trust")
    return stated


def _verify(args: argparse.Namespace, out: Console, err: Console) -> int:
    from deconflict.audit import AuditError, CheckpointVerifier, verify_bundle, verify_log
    from deconflict.audit.errors import TamperError

    source = _Source(args)
    lines, notes, stated = source.material()
    key = _key(args, stated, err)
    kept = [p.read_text(encoding="utf-8") for p in args.checkpoint]
    try:
        if source.bundle is not None:
            report = verify_bundle(source.bundle, trusted_key=key, known_checkpoints=kept)
            out.print(
                f"verified: events [{report.start}, {report.end}) against checkpoint "
                f"{report.latest.size}"
            )
            return EXIT_OK
        verifier = CheckpointVerifier.from_text(key)
        result = verify_log(lines, [*notes, *kept], verifier)
    except TamperError as error:
        err.print(f"[bold red]FAILED[/]: first bad index {error.index}: {escape(str(error))}")
        return EXIT_TAMPERED
    except AuditError as error:
        err.print(f"[bold red]FAILED[/]: {escape(str(error))}")
        return EXIT_TAMPERED
    out.print(
        f"verified: {result.size} events, {result.checkpoints} signed checkpoints, "
        f"{result.attested} attested, root {result.root.hex()}"
    )
    return EXIT_OK


def _asof(args: argparse.Namespace, out: Console, err: Console) -> int:
    from datetime import UTC, datetime

    from deconflict.audit import as_of
    from deconflict.audit.event import AuditEvent

    moment = datetime.fromisoformat(args.time.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    lines, _, _ = _Source(args).material()
    events = [AuditEvent.from_line(line, position=i) for i, line in enumerate(lines)]
    known = as_of(events, args.party, moment)
    out.file.write(json.dumps(known.to_dict(), indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK


def _export(args: argparse.Namespace, out: Console, err: Console) -> int:
    from deconflict.audit import write_bundle

    source = _Source(args)
    if not source.args.url:
        err.print("export reads from a running server: give --url and --token")
        return EXIT_BAD
    params: dict[str, Any] = {"from": args.start}
    if args.end is not None:
        params["to"] = args.end
    if args.known:
        params["known"] = args.known
    bundle = source._get("/v1/audit/bundle", **params)
    write_bundle(bundle, args.output)
    out.print(
        f"wrote {len(bundle['events'])} events, {len(bundle['checkpoints'])} checkpoints "
        f"to {escape(str(args.output))}"
    )
    return EXIT_OK


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    import httpx

    handlers = {"verify": _verify, "asof": _asof, "export": _export}
    try:
        return handlers[args.audit_command](args, out, err)
    except (httpx.HTTPError, OSError, ValueError, SystemExit) as error:
        err.print(f"[bold red]error:[/] {escape(str(error))}")
        return EXIT_BAD
