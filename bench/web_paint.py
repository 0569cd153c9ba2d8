"""First paint of the map with the demo scenario, in the browser's own timing.

Starts `deconflict demo` (as tests/web does), then opens the screen `--loads` times in
fresh browser contexts of the distribution's headless Chromium (WebGL on SwiftShader),
each already signed in (the token is in the tab's session storage), and reads the page's
own performance marks, from navigation start:

- signed-in: the token was checked against the API;
- plan-loaded: the operations and zones the party may see arrived;
- map-loaded: MapLibre loaded its style (the 1:110m Natural Earth basemap);
- map-painted: the first frame drawn with the plan on the map (target < 2 s, DESIGN: the
  issue's "first paint"; reported, never asserted).

Prints a table and appends it to bench/RESULTS.md (unless --no-record).

    python bench/web_paint.py              # 5 loads per party
    python bench/web_paint.py --loads 10 --no-record
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "RESULTS.md"
if str(BENCH_DIR.parent) not in sys.path:  # run as a script: reach the `bench` package
    sys.path.insert(0, str(BENCH_DIR.parent))
from bench.engine import _commit, _load  # noqa: E402  (one header for every bench)

sys.path.insert(0, str(BENCH_DIR.parent / "tests" / "web"))  # the tests' demo and browser

from web_support import PARTIES, demo_server, launch  # noqa: E402

MARKS = ("signed-in", "plan-loaded", "map-loaded", "map-painted")


def measure(browser: Any, url: str, token: str) -> dict[str, float]:
    """One load of the screen, signed in; the page's marks in ms from navigation start."""
    context = browser.new_context(viewport={"width": 1400, "height": 850})
    context.add_init_script(f"sessionStorage.setItem('deconflict.token', {token!r})")
    page = context.new_page()
    page.goto(url + "/")
    page.wait_for_selector("body[data-map-painted='true']", state="attached", timeout=120_000)
    marks = page.evaluate(
        "() => Object.fromEntries(performance.getEntriesByType('mark')"
        ".map(m => [m.name.replace('deconflict:', ''), m.startTime]))"
    )
    context.close()
    return {name: float(marks[name]) for name in MARKS}


def _markdown(rows: list[tuple[str, list[dict[str, float]]]], load: str, chromium: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {now} — map first paint (`bench/web_paint.py`)",
        "",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {chromium} headless (SwiftShader WebGL)",
        f"- commit: {_commit()}",
        f"- load average (1 min) at start / end: {load} / {_load()} (on {os.cpu_count()} cores)",
        "- workload: `deconflict demo` (example scenario), the screen opened signed in, "
        "1400×850; ms from navigation start, median (min–max) over the loads",
        "- target: map-painted < 2000 ms (reported, not asserted)",
        "",
        "| party | loads | " + " | ".join(f"{m} ms" for m in MARKS) + " |",
        "|---|---:|" + "|".join("---:" for _ in MARKS) + "|",
    ]
    for party, samples in rows:
        cells = []
        for mark in MARKS:
            values = [s[mark] for s in samples]
            cells.append(f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})")
        lines.append(f"| {party} | {len(samples)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=5, help="page loads per party")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args(argv)
    load = _load()
    rows = []
    with (
        tempfile.TemporaryDirectory() as directory,
        demo_server(Path(directory)) as demo,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        chromium = f"Chromium {browser.version}"
        measure(browser, demo.url, demo.token(PARTIES[0]))  # warm the server's caches
        for party in PARTIES:
            samples = [measure(browser, demo.url, demo.token(party)) for _ in range(args.loads)]
            rows.append((party, samples))
            print(party, [round(s["map-painted"]) for s in samples], flush=True)
        browser.close()
    text = _markdown(rows, load, chromium)
    print()
    print(text)
    if not args.no_record:
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write("\n" + text)
        print(f"appended to {RESULTS.relative_to(BENCH_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
