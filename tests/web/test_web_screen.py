"""The duty officer's screen in a real browser, against a real `deconflict demo`.

Sign in as each party, scrub the time bar and see exactly the operations the API says
occupy the airspace then, draw a conflicting route and see the conflict, submit, edit
and cancel one's own, acknowledge a notice across two browser contexts, switch to
Arabic (right-to-left), and keep axe-core's critical findings at zero. Screenshots go to
tests/web/artifacts/; DECONFLICT_SCREENSHOT=1 also refreshes docs/screenshot.png.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from web_support import PARTIES, Demo, first_paint_ms, sign_in

ROOT = Path(__file__).resolve().parents[2]
AXE = sorted((Path(__file__).resolve().parent / "assets").glob("axe-core-*.min.js"))
MINUTE_MS = 60_000


def parse(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def operations(demo: Demo, party: str) -> list[dict[str, Any]]:
    with demo.api(party) as api:
        return api.get("/v1/operations", params={"limit": 500}).json()["operations"]


def expected_at(demo: Demo, party: str, instant_ms: float) -> str:
    """What the map must show at the instant: the API's operations flying then."""
    ids = [
        o["id"]
        for o in operations(demo, party)
        if o["state"] not in ("cancelled", "ended")
        and parse(o["start"]) <= instant_ms < parse(o["end"])
    ]
    return " ".join(sorted(ids))


def first_start(demo: Demo) -> float:
    return min(parse(o["start"]) for o in operations(demo, "coalition"))


def set_instant(page: Any, instant_ms: float) -> None:
    """Type the instant (UTC) into the time bar's field, as a keyboard user would."""
    text = datetime.fromtimestamp(instant_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M")
    page.fill("#time-input", text)
    page.dispatch_event("#time-input", "change")


def map_shows(page: Any, ids: str) -> None:
    page.wait_for_function(
        "ids => document.querySelector('#map').dataset.operations === ids", arg=ids
    )


def map_has(page: Any, ident: str, shown: bool) -> None:
    page.wait_for_function(
        "([id, shown]) => document.querySelector('#map').dataset.operations"
        ".split(' ').includes(id) === shown",
        arg=[ident, shown],
    )


def shot(page: Any, artifacts: Path, name: str) -> Path:
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def click_map(page: Any, lon: float, lat: float) -> None:
    """A click on the map canvas where (lon, lat) is drawn."""
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.deconflict.map.project([lon, lat]);"
        " return [p.x, p.y]; }",
        [lon, lat],
    )
    box = page.locator("#map canvas").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


@pytest.mark.parametrize("party", PARTIES)
def test_each_party_signs_in_and_sees_what_it_may_see(
    party: str, contexts: Any, demo: Demo, artifacts: Path
) -> None:
    page = contexts.page()
    sign_in(page, demo, party)
    assert party in page.inner_text("#party-badge")
    paint = first_paint_ms(page)
    (artifacts / f"first-paint-{party}.json").write_text(json.dumps({"ms": paint}))
    instant = first_start(demo) + 90 * MINUTE_MS
    set_instant(page, instant)
    expected = expected_at(demo, party, instant)
    assert expected, "the scenario flies at this instant"
    map_shows(page, expected)
    listed = page.locator("#active-list li[data-id]").evaluate_all(
        "items => items.map(i => i.dataset.id)"
    )
    assert " ".join(sorted(listed)) == expected
    other = next(o for o in operations(demo, party) if o["party"] != party and o["id"] in expected)
    page.click(f"#active-list li[data-id='{other['id']}'] button")
    details = page.inner_text("#selection")
    assert other["id"] in details
    if other["detail"] != "full":  # need-to-know: no mission, and it says why
        assert "volumes only" in details
        assert "Mission" not in details
    assert page.locator("#selection-edit").count() == 0  # never another party's to change
    path = shot(page, artifacts, f"signed-in-{party}")
    if party == "coalition" and os.environ.get("DECONFLICT_SCREENSHOT") == "1":
        shutil.copyfile(path, ROOT / "docs" / "screenshot.png")
    page.click("#toggle-3d")  # footprints extruded over their altitude bands
    page.wait_for_function("() => window.deconflict.map.getPitch() > 50")
    assert page.get_attribute("#toggle-3d", "aria-pressed") == "true"
    shot(page, artifacts, f"3d-{party}")


def test_the_time_bar_scrubs_plays_and_returns_to_now(
    contexts: Any, demo: Demo, artifacts: Path
) -> None:
    page = contexts.page()
    sign_in(page, demo, "coalition")
    start = first_start(demo)
    early, late = start + 20 * MINUTE_MS, start + 5 * 60 * MINUTE_MS
    set_instant(page, early)
    map_shows(page, expected_at(demo, "coalition", early))
    set_instant(page, late)
    map_shows(page, expected_at(demo, "coalition", late))
    assert expected_at(demo, "coalition", early) != expected_at(demo, "coalition", late)
    shot(page, artifacts, "time-bar-late")

    # The slider by keyboard: one step is one minute.
    before = page.input_value("#time-range")
    page.focus("#time-range")
    page.keyboard.press("ArrowRight")
    assert int(page.input_value("#time-range")) - int(before) == MINUTE_MS

    # Play moves the instant forward; pause stops it.
    page.click("#time-play")
    page.wait_for_function(
        "n => Number(document.querySelector('#time-range').value) > n", arg=int(before) + MINUTE_MS
    )
    page.click("#time-play")
    assert page.get_attribute("#time-play", "aria-pressed") == "false"

    page.click("#time-now")
    now = float(page.input_value("#time-range"))
    assert abs(now - time.time() * 1000) < 5 * MINUTE_MS
    map_shows(page, expected_at(demo, "coalition", now))

    # The timeline: one bar per operation; a bar moves the instant into its window.
    page.click("#tab-timeline")
    bars = page.locator(".gantt-bar")
    assert bars.count() == len(operations(demo, "coalition"))
    page.click(".gantt-bar[data-id='co-hawg21']")
    assert "co-hawg21" in page.get_attribute("#map", "data-operations").split()
    shot(page, artifacts, "timeline")


def test_a_drawn_route_into_the_other_partys_orbit_shows_its_conflicts(
    contexts: Any, demo: Demo, artifacts: Path
) -> None:
    page = contexts.page()
    sign_in(page, demo, "coalition")
    forpost = next(o for o in operations(demo, "coalition") if o["id"] == "ru-forpost1")
    window_start = parse(forpost["start"]) + 60 * MINUTE_MS
    set_instant(page, window_start + 10 * MINUTE_MS)
    page.click("#tab-plan")
    page.fill("#plan-id", "co-ui-conflict")
    page.click("#plan-draw")
    click_map(page, 37.95, 34.35)
    click_map(page, 38.65, 34.75)
    page.click("#plan-draw")  # done drawing
    assert len(page.input_value("#plan-coordinates").splitlines()) == 2
    page.select_option("#plan-altitude-unit", "m")
    page.fill("#plan-lower", "3200")
    page.fill("#plan-upper", "4000")
    page.fill(
        "#plan-start", datetime.fromtimestamp(window_start / 1000, UTC).strftime("%Y-%m-%dT%H:%M")
    )
    page.fill(
        "#plan-end",
        datetime.fromtimestamp((window_start + 20 * MINUTE_MS) / 1000, UTC).strftime(
            "%Y-%m-%dT%H:%M"
        ),
    )

    page.click("#plan-check")  # what-if: nothing written
    page.wait_for_selector("#plan-conflicts li")
    conflicts = page.inner_text("#plan-conflicts")
    assert "ru-forpost1" in conflicts
    assert page.locator("#plan-suggestions li").count() >= 1
    with demo.api("coalition") as api:
        assert api.get("/v1/operations/co-ui-conflict").status_code == 404

    page.click("#plan-submit")
    page.wait_for_selector("#plan-result .verdict.bad:has-text('Refused')")
    assert "ru-forpost1" in page.inner_text("#plan-conflicts")
    page.click("#tab-airspace")
    assert "in conflict" in page.inner_text("#active-list li[data-id='ru-forpost1']")
    with demo.api("coalition") as api:
        assert api.get("/v1/operations/co-ui-conflict").status_code == 404
    shot(page, artifacts, "conflict")


def test_a_clear_route_is_submitted_edited_and_cancelled(
    contexts: Any, demo: Demo, artifacts: Path
) -> None:
    page = contexts.page()
    sign_in(page, demo, "coalition")
    start = first_start(demo) + 30 * MINUTE_MS
    set_instant(page, start + 5 * MINUTE_MS)
    page.click("#tab-plan")
    page.fill("#plan-id", "co-ui-clear")
    # Typed, not drawn: the keyboard path, deep inside the coalition's own zone.
    page.fill("#plan-coordinates", "41.6, 36.6\n41.9, 36.8")
    page.fill("#plan-lower", "100")
    page.fill("#plan-upper", "110")
    page.fill("#plan-callsign", "UI 1")
    page.fill("#plan-start", datetime.fromtimestamp(start / 1000, UTC).strftime("%Y-%m-%dT%H:%M"))
    page.fill(
        "#plan-end",
        datetime.fromtimestamp((start + 15 * MINUTE_MS) / 1000, UTC).strftime("%Y-%m-%dT%H:%M"),
    )
    page.click("#plan-check")
    page.wait_for_selector("#plan-result .verdict.good")
    with page.expect_download() as download:  # the draft as a GeoJSON file
        page.click("#plan-export")
    draft_file = artifacts / "co-ui-clear.geojson"
    download.value.save_as(draft_file)
    draft = json.loads(draft_file.read_text())
    assert draft["features"][0]["id"] == "co-ui-clear"
    assert draft["features"][0]["geometry"]["type"] == "LineString"
    page.click("#plan-submit")
    map_has(page, "co-ui-clear", True)
    with demo.api("coalition") as api:
        stored = api.get("/v1/operations/co-ui-clear").json()
    assert stored["state"] == "accepted"
    assert stored["geojson"]["features"][0]["properties"]["callsign"] == "UI 1"

    page.click("#tab-airspace")
    page.click("#active-list li[data-id='co-ui-clear'] button")
    page.click("#selection-edit")
    assert page.input_value("#plan-id") == "co-ui-clear"
    page.fill("#plan-upper", "130")
    page.click("#plan-submit")
    page.wait_for_selector("#plan-result .verdict.good")
    with demo.api("coalition") as api:
        changed = api.get("/v1/operations/co-ui-clear").json()
    assert changed["version"] == 2

    page.click("#tab-airspace")
    page.click("#active-list li[data-id='co-ui-clear'] button")
    page.click("#selection-cancel_operation")
    page.click("#selection-cancel_operation")  # the second click confirms
    map_has(page, "co-ui-clear", False)
    with demo.api("coalition") as api:
        assert api.get("/v1/operations/co-ui-clear").json()["state"] == "cancelled"
    shot(page, artifacts, "submitted-and-cancelled")

    page.click("#tab-plan")  # the exported file comes back into the form
    page.click("#plan-reset")
    page.set_input_files("#plan-import", str(draft_file))
    page.wait_for_selector("#plan-result:has-text('Imported co-ui-clear.geojson')")
    assert page.input_value("#plan-id") == "co-ui-clear"
    assert page.input_value("#plan-coordinates").splitlines() == ["41.6, 36.6", "41.9, 36.8"]


def test_a_hotline_message_is_acknowledged_in_the_other_partys_browser(
    contexts: Any, demo: Demo, artifacts: Path
) -> None:
    with demo.api("coalition") as api:
        if api.get("/v1/notices", params={"limit": 1}).status_code == 404:
            pytest.skip("the notices API (/v1/notices, /v1/stream) is not in this build")
    sender = contexts.page()
    receiver = contexts.page()
    sign_in(sender, demo, "russia")
    sign_in(receiver, demo, "coalition")
    text = f"Hotline check {time.time_ns()}: confirm you read this"

    sender.click("#tab-inbox")
    sender.select_option("#hotline-to", "coalition")
    sender.fill("#hotline-text", text)
    sender.click("#hotline-send")
    sender.wait_for_selector(f"#notice-list li.outgoing:has-text('{text}') .awaiting-ack")

    receiver.click("#tab-inbox")
    item = receiver.locator(f"#notice-list li.unacknowledged:has-text('{text}')")
    item.wait_for(timeout=30_000)  # arrives over the SSE stream, nobody reloads
    assert "acknowledge within" in item.locator(".deadline").inner_text()
    assert receiver.inner_text("#inbox-count") != ""
    shot(receiver, artifacts, "inbox-before-acknowledgement")
    item.locator("button.acknowledge").click()
    receiver.wait_for_selector(f"#notice-list li.acknowledged:has-text('{text}')")

    sender.wait_for_selector(
        f"#notice-list li.outgoing:has-text('{text}') .acknowledged-at", timeout=30_000
    )
    assert "coalition-duty" in sender.inner_text(f"#notice-list li.outgoing:has-text('{text}')")
    shot(sender, artifacts, "inbox-acknowledgement-arrived")


def test_arabic_turns_the_whole_screen_right_to_left(
    contexts: Any, demo: Demo, artifacts: Path
) -> None:
    page = contexts.page()
    sign_in(page, demo, "russia")
    arabic = json.loads((ROOT / "src/deconflict/web/static/i18n/ar.json").read_text("utf-8"))
    russian = json.loads((ROOT / "src/deconflict/web/static/i18n/ru.json").read_text("utf-8"))
    page.select_option("#language", "ru")
    page.wait_for_function("() => document.documentElement.lang === 'ru'")
    assert page.inner_text("#tab-inbox span[data-i18n]") == russian["tab_inbox"]
    assert page.evaluate("document.documentElement.dir") == "ltr"

    page.select_option("#language", "ar")
    page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    assert page.evaluate("document.documentElement.lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.inner_text("#tab-plan") == arabic["tab_plan"]
    # The layout mirrors, not just the text: the side panel moves to the left.
    side = page.locator("#side").bounding_box()
    pane = page.locator(".map-pane").bounding_box()
    assert side["x"] < pane["x"]
    shot(page, artifacts, "arabic")
    label = page.inner_text("#time-label")
    assert "بالتوقيت العالمي" in label, label
    page.reload()  # the choice is kept
    page.wait_for_function("() => document.documentElement.dir === 'rtl'")


@pytest.mark.skipif(not AXE, reason="axe-core is not in tests/web/assets (run scripts/build-web)")
def test_keyboard_and_axe_find_no_critical_problem(contexts: Any, demo: Demo) -> None:
    page = contexts.page(bypass_csp=True)  # axe is injected as an inline script
    page.goto(demo.url + "/")
    page.wait_for_selector("#login[open]")

    def critical() -> list[str]:
        page.add_script_tag(path=str(AXE[-1]))
        found = page.evaluate("axe.run(document).then(r => r.violations)")
        return [f"{v['id']}: {v['help']}" for v in found if v["impact"] == "critical"]

    assert critical() == []  # the sign-in dialog
    page.keyboard.type(demo.token("coalition"))  # the token field has the focus
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-ready='true']", state="attached")

    page.keyboard.press("Tab")  # the first stop is the skip link
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.focus("#tab-airspace")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.id") == "tab-timeline"
    assert page.is_visible("#panel-timeline")
    for tab in ("airspace", "timeline", "plan", "inbox"):
        page.click(f"#tab-{tab}")
        assert critical() == [], tab
    page.select_option("#language", "ar")
    page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    assert critical() == []


def test_live_tracks_appear_with_their_heading(contexts: Any, demo: Demo, artifacts: Path) -> None:
    with demo.api("coalition") as api:
        if api.get("/v1/tracks").status_code == 404:
            pytest.skip("the tracks API (/v1/tracks) is not in this build")
    page = contexts.page()
    sign_in(page, demo, "coalition")
    report = {
        "aircraft": "ui-test-1",
        "time": time.time(),
        "lon": 40.5,
        "lat": 36.4,
        "alt": 6000.0,
        "altitude_reference": "AMSL",
        "ground_speed": 200.0,
        "track": 90.0,
        "own": True,
    }
    with demo.api("coalition") as api:
        assert api.post("/v1/tracks", json=[report]).json()["accepted"] == 1
    page.wait_for_selector("#tracks-status:has-text('1 aircraft reporting')")
    vector = page.evaluate(
        "async () => (await window.deconflict.map.getSource('track-vectors').getData())"
        ".features[0].geometry.coordinates"
    )
    assert vector[0] == [40.5, 36.4]
    assert vector[1][0] > 40.5 and abs(vector[1][1] - 36.4) < 0.01  # heading east
    shot(page, artifacts, "tracks")
