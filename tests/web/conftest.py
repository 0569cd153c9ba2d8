"""Browser tests of the duty officer's screen, against a real `deconflict demo`.

One demo server and one Chromium for the session (each test gets fresh browser
contexts, so no state leaks between tests but nothing slow is repeated). Every request
the page makes is recorded, and a test fails if any leaves the server's origin: the
screen must work offline. Screenshots go to tests/web/artifacts/ (git-ignored).

Browser tests are skipped, with the reason, where Playwright or Chromium is missing
(.ci/run installs both: `apt-get install chromium`; the `test` extra has `playwright`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_support import Demo, chromium_path, demo_server, launch

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
VIEWPORT = {"width": 1280, "height": 800}  # SwiftShader draws every pixel on the CPU


def _browser_missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install playwright)"
    if chromium_path() is None:
        return "Chromium is not installed (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    missing = _browser_missing()
    if missing:
        pytest.skip(missing)  # no browser: no point starting the demo
    with demo_server(tmp_path_factory.mktemp("web-demo")) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class Contexts:
    """Opens browser contexts (one per duty officer) and checks they stayed offline."""

    def __init__(self, browser: Any, demo: Demo) -> None:
        self.browser = browser
        self.demo = demo
        self.opened: list[Any] = []
        self.outside: list[str] = []
        self.errors: list[str] = []

    def page(self, **options: Any) -> Any:
        context = self.browser.new_context(
            viewport=VIEWPORT,
            locale="en-GB",
            timezone_id="Asia/Damascus",  # UTC+3: local time differs from UTC on screen
            accept_downloads=True,
            **options,
        )
        self.opened.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        own = (self.demo.url, "blob:", "data:", "about:")
        context.on(
            "request",
            lambda request: (
                None if request.url.startswith(own) else self.outside.append(request.url)
            ),
        )
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def close(self) -> None:
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(browser: Any, demo: Demo) -> Iterator[Contexts]:
    opened = Contexts(browser, demo)
    try:
        yield opened
        assert opened.outside == [], f"the page reached outside its origin: {opened.outside}"
        assert opened.errors == [], f"uncaught errors in the page: {opened.errors}"
    finally:
        opened.close()
