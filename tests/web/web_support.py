"""The browser side of the web tests: Chromium driven by Playwright, and the demo server.

`demo_server` runs `deconflict demo` itself (a subprocess: real SQLite, the example
scenario loaded, the real web assets) on a free port of 127.0.0.1, and mints tokens with
the development key the demo created in its data folder. `launch` starts the
distribution's Chromium (`/usr/bin/chromium`, or CHROMIUM): Playwright's own browser
downloads are never used. Shared by tests/web/conftest.py and bench/web_paint.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from deconflict.api.auth import mint_token
from deconflict.config import Settings

READ, WRITE = "deconflict.read", "deconflict.write"
PARTIES = ("coalition", "russia")
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root in containers
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    """The distribution's Chromium, if installed."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Demo:
    """A running `deconflict demo`, and tokens for its parties."""

    url: str
    data: Path
    log: Path

    def settings(self) -> Settings:
        return Settings(data_dir=str(self.data))

    def token(self, party: str, scopes: tuple[str, ...] = (READ, WRITE)) -> str:
        return mint_token(
            self.settings(), subject=f"{party}-duty", party=party, scopes=list(scopes)
        )

    def api(self, party: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(party)}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0)


@contextlib.contextmanager
def demo_server(directory: Path, ready_timeout_s: float = 90.0) -> Iterator[Demo]:
    """`deconflict demo` on a free port while the block runs; its log on failure."""
    port = free_port()
    log = directory / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_")}
    command = [sys.executable, "-m", "deconflict.cli", "demo", "--port", str(port)]
    command += ["--data", str(directory / "demo")]
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"deconflict demo died:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"deconflict demo not ready in {ready_timeout_s} s")
            time.sleep(0.2)
        yield Demo(url, directory / "demo", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def launch(playwright: Any) -> Any:
    """Headless Chromium from the distribution (WebGL 2 through SwiftShader)."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def sign_in(page: Any, demo: Demo, party: str, timeout_ms: float = 60_000) -> None:
    """Open the screen and sign in with the party's token, as a duty officer would."""
    page.goto(demo.url + "/")
    page.fill("#login-token", demo.token(party))
    page.click("#login-submit")
    page.wait_for_selector("body[data-ready='true']", state="attached", timeout=timeout_ms)
    page.wait_for_selector("body[data-map-painted='true']", state="attached", timeout=timeout_ms)


def first_paint_ms(page: Any) -> float:
    """Navigation start → the first frame with the plan on the map (the page's own mark)."""
    return float(
        page.evaluate("performance.getEntriesByName('deconflict:map-painted')[0].startTime")
    )
