"""``deconflict listen``: a reference receiver that prints a party's notices as they come
and acknowledges them from the terminal.

It follows ``/v1/stream`` (Server-Sent Events), reconnecting with ``Last-Event-ID`` after
any disconnect, and keeps the last position in a state file, so a receiver killed and
restarted gets every notice it had not printed (at least once: it de-duplicates by
notice id within a run). Type ``ack <notice id>`` (or ``a <id>``) and Enter to
acknowledge; ``--ack`` acknowledges every notice needing it as it arrives; ``--sign-key``
signs acknowledgements with the officer's Ed25519 key (PEM).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

EXIT_OK, EXIT_BAD = 0, 2


def add_commands(commands: Any) -> None:
    listen = commands.add_parser(
        "listen", help="print a party's notices as they arrive, and acknowledge them"
    )
    listen.add_argument("--url", default="http://127.0.0.1:8000")
    listen.add_argument("--token", required=True, help="bearer token of the party")
    listen.add_argument("--state", type=Path, help="file keeping the last stream position")
    listen.add_argument("--ack", action="store_true", help="acknowledge every notice at once")
    listen.add_argument("--officer", help="officer id to acknowledge as (default: token subject)")
    listen.add_argument("--sign-key", type=Path, help="officer's Ed25519 private key (PEM)")
    listen.add_argument("--json", action="store_true", help="print one JSON object per notice")
    listen.add_argument("--max", type=int, help="stop after this many notices")
    listen.set_defaults(module=__name__)


class Listener:
    def __init__(self, args: argparse.Namespace, out: Console, err: Console) -> None:
        import httpx

        self.args, self.out, self.err = args, out, err
        self.client = httpx.Client(
            base_url=args.url,
            headers={"Authorization": f"Bearer {args.token}"},
            timeout=httpx.Timeout(10.0, read=60.0),
        )
        self.seen: set[str] = set()
        self.count = 0
        self.last = self._load()
        self.key = None
        if args.sign_key:
            from cryptography.hazmat.primitives import serialization

            self.key = serialization.load_pem_private_key(args.sign_key.read_bytes(), None)

    def _load(self) -> int:
        path = self.args.state
        if path and path.exists():
            return int(path.read_text().strip() or 0)
        return 0

    def _save(self) -> None:
        if self.args.state:
            temporary = self.args.state.with_suffix(".tmp")
            temporary.write_text(str(self.last))
            temporary.replace(self.args.state)

    def ack(self, ident: str, digest: str | None = None) -> None:
        body: dict[str, Any] = {}
        if self.args.officer:
            body["officer"] = self.args.officer
        if self.key is not None:
            from deconflict.channel.keys import sign_digest

            if digest is None:
                digest = self.client.get(f"/v1/notices/{ident}").json().get("digest")
            body["signature"] = sign_digest(self.key, str(digest))  # type: ignore[arg-type]
        answer = self.client.post(f"/v1/notices/{ident}:ack", json=body)
        if answer.status_code == 200:
            self.err.print(f"acknowledged {escape(ident)}")
        else:
            self.err.print(f"[red]ack {escape(ident)} failed[/]: {escape(answer.text)}")

    def show(self, notice: dict[str, Any]) -> None:
        if self.args.json:
            self.out.file.write(json.dumps(notice, ensure_ascii=False) + "\n")
            self.out.file.flush()
        else:
            flag = " [bold red]CRITICAL[/]" if notice.get("critical") else ""
            need = " (acknowledge)" if notice.get("needs_ack") else ""
            self.out.print(
                f"[bold]{notice['seq']}[/] {escape(notice['id'])} {escape(notice['kind'])}"
                f"{flag}{need}\n  {escape(notice['text'])}"
            )

    def follow(self) -> int:
        while True:
            headers = {"Accept": "text/event-stream"}
            if self.last:
                headers["Last-Event-ID"] = str(self.last)
            try:
                with self.client.stream("GET", "/v1/stream", headers=headers) as answer:
                    if answer.status_code != 200:
                        self.err.print(f"[red]stream refused[/]: {answer.status_code}")
                        return EXIT_BAD
                    if self._read(answer):
                        return EXIT_OK
            except Exception as error:  # reconnect on anything the network throws
                self.err.print(f"[yellow]disconnected[/] ({type(error).__name__}); reconnecting")
                time.sleep(1.0)

    def _read(self, answer: Any) -> bool:
        data: list[str] = []
        for line in answer.iter_lines():
            if line.startswith("data: "):
                data.append(line[6:])
            elif line == "" and data:
                notice = json.loads("".join(data))
                data = []
                if notice["id"] not in self.seen:
                    self.seen.add(notice["id"])
                    self.show(notice)
                    if self.args.ack and notice.get("needs_ack"):
                        self.ack(notice["id"], notice.get("digest"))
                    self.count += 1
                self.last = max(self.last, int(notice["seq"]))
                self._save()
                if self.args.max and self.count >= self.args.max:
                    return True
        return False

    def keyboard(self) -> None:
        for line in sys.stdin:
            words = line.split()
            if len(words) == 2 and words[0] in ("ack", "a"):
                self.ack(words[1])


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    listener = Listener(args, out, err)
    if sys.stdin is not None:
        threading.Thread(target=listener.keyboard, daemon=True).start()
    return listener.follow()
