"""Every setting is documented, and the documented defaults are the real ones."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from deconflict.config import Settings, load_settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def _documented() -> dict[str, str]:
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", DOC.read_text(encoding="utf-8"), re.M)
    return {name: default.strip() for name, default in rows}


def test_every_setting_is_documented() -> None:
    names = {f.name for f in fields(Settings) if f.name != "extra"}
    assert names == set(_documented())


def test_documented_defaults_are_true() -> None:
    settings = Settings()
    for name, default in _documented().items():
        value = getattr(settings, name)
        if default == "none":
            assert value in (None, ()), name
        elif isinstance(value, float):
            assert float(default.strip("`")) == value, name
        else:
            assert default.strip("`") == str(value).lower(), name


def test_environment_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "deconflict.toml"
    config.write_text('port = 9000\nworkers = 3\npublic_keys = ["a.pem"]\n', encoding="utf-8")
    settings = load_settings(config, env={"DECONFLICT_PORT": "9100"})
    assert (settings.port, settings.workers, settings.public_keys) == (9100, 3, ("a.pem",))


def test_unknown_setting_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "deconflict.toml"
    config.write_text("prot = 9000\n", encoding="utf-8")
    try:
        load_settings(config, env={})
    except ValueError as error:
        assert "prot" in str(error)
    else:
        raise AssertionError("a misspelt setting was accepted")
