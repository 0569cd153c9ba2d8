"""The screen's files, without a browser: served with the right headers, complete in the
package, and never pointing outside the origin.

These run everywhere (no Chromium needed) and guard what `pip install` ships: every file
under web/static/ must match pyproject's package-data, or an installed UI would 404.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.config import Settings

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "src" / "deconflict" / "web" / "static"
OUR_CODE = [STATIC / "index.html", STATIC / "app.css", *sorted((STATIC / "app").glob("*.js"))]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    directory = tmp_path_factory.mktemp("web-assets")
    settings = Settings(database_url=f"sqlite:///{directory / 'x.db'}", data_dir=str(directory))
    return TestClient(create_app(settings))  # no `with`: the background workers stay off


def test_the_screen_is_served_at_the_root_with_a_strict_policy(client: TestClient) -> None:
    answer = client.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-eval" not in policy
    assert client.get("/docs").status_code == 200  # the API's documentation stays


def test_every_file_the_page_names_is_served(client: TestClient) -> None:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    names = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert len(names) > 10
    for name in names:
        answer = client.get(name)
        assert answer.status_code == 200, name
        if name.endswith((".js", ".mjs")):
            assert answer.headers["content-type"].startswith("text/javascript"), name


def test_every_module_import_resolves() -> None:
    for module in sorted((STATIC / "app").glob("*.js")):
        for target in re.findall(r'from "(\.[^"]+)"', module.read_text(encoding="utf-8")):
            assert (module.parent / target).resolve().is_file(), f"{module.name}: {target}"


def test_vendored_files_are_cached_for_good_and_ours_revalidated(client: TestClient) -> None:
    vendored = next(STATIC.glob("vendor/maplibre-gl-*/maplibre-gl.mjs"))
    answer = client.get(f"/static/{vendored.relative_to(STATIC)}")
    assert "immutable" in answer.headers["cache-control"]
    assert client.get("/static/app/main.js").headers["cache-control"] == "no-cache"
    assert client.get("/").headers["cache-control"] == "no-cache"


def test_our_code_names_no_other_origin() -> None:
    for path in [*OUR_CODE, *sorted((STATIC / "i18n").glob("*.json"))]:
        assert not re.search(r"https?://", path.read_text(encoding="utf-8")), path.name


def test_the_package_data_covers_every_shipped_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["deconflict"]
    package = ROOT / "src" / "deconflict"
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


def test_the_languages_say_the_same_things() -> None:
    import json

    english = json.loads((STATIC / "i18n" / "en.json").read_text(encoding="utf-8"))
    for name in ("ru", "ar"):
        other = json.loads((STATIC / "i18n" / f"{name}.json").read_text(encoding="utf-8"))
        assert other.keys() == english.keys(), name
        for key, text in english.items():
            assert set(re.findall(r"\{\w+\}", other[key])) == set(re.findall(r"\{\w+\}", text)), (
                name,
                key,
            )
