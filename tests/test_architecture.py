"""The layers of DESIGN.md stay as drawn: inner layers never import outer ones.

Two independent checks: import-linter with the project's contracts, and a direct read
of every module's imports (with `ast`) for the pure layers, `engine` and `geo`.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import deconflict

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(deconflict.__file__).resolve().parent
PURE_LAYERS = ("engine", "geo")
OUTSIDE_WORLD = frozenset({"fastapi", "starlette", "sqlalchemy", "httpx", "rich"})
"""Web, database and terminal libraries: none of them belongs in the engine or geo."""
ALLOWED_INSIDE = {
    "geo": {"deconflict.geo"},
    "engine": {"deconflict.engine", "deconflict.geo"},
}
"""Which parts of deconflict each pure layer may import (DESIGN.md: engine → geo)."""


def _lint_imports() -> str:
    found = shutil.which("lint-imports")
    if found:
        return found
    beside = Path(sys.executable).with_name("lint-imports")
    if beside.exists():
        return str(beside)
    pytest.fail("lint-imports (import-linter) is not installed")


def _run_lint_imports(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_lint_imports(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


def _contract_names() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [c["name"] for c in config["tool"]["importlinter"]["contracts"]]


def test_lint_imports_with_the_project_configuration_passes() -> None:
    result = _run_lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_contract_is_kept(tmp_path: Path) -> None:
    """The project's contracts, run with external packages included so they can run."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if "include_external_packages" not in text:
        marker = 'root_package = "deconflict"'
        assert marker in text, "the import-linter section changed shape; update this test"
        text = text.replace(marker, f"{marker}\ninclude_external_packages = true", 1)
    config = tmp_path / "pyproject.toml"
    config.write_text(text, encoding="utf-8")
    result = _run_lint_imports("--config", str(config), cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    names = _contract_names()
    assert len(names) >= 3
    for name in names:
        assert f"{name} KEPT" in output, f"contract {name!r} not reported kept:\n{output}"
    assert "0 broken" in output


# --- a direct reading of the imports ---------------------------------------------------


def _modules(layer: str) -> list[Path]:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no modules found in deconflict.{layer}"
    return files


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, wherever it appears
    (inside functions and ``if TYPE_CHECKING:`` blocks too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _imports_in(path.read_text(encoding="utf-8"), package, str(path))


def _imports_in(source: str, package: str, filename: str = "<source>") -> list[tuple[int, str]]:
    tree = ast.parse(source, filename=filename)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


def _within(module: str, prefixes: set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("layer", PURE_LAYERS)
def test_pure_layers_import_no_web_database_or_terminal_library(layer: str) -> None:
    offending = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {module}"
        for path in _modules(layer)
        for line, module in _imports(path)
        if _top(module) in OUTSIDE_WORLD
    ]
    assert offending == []


@pytest.mark.parametrize("layer", PURE_LAYERS)
def test_pure_layers_import_only_inner_parts_of_deconflict(layer: str) -> None:
    allowed = ALLOWED_INSIDE[layer]
    offending = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {module}"
        for path in _modules(layer)
        for line, module in _imports(path)
        if _top(module) == "deconflict" and module != "deconflict" and not _within(module, allowed)
    ]
    assert offending == []


def test_the_import_reader_sees_imports_everywhere() -> None:
    """The reader itself: relative imports resolved, nested and guarded ones found."""
    source = (
        "from __future__ import annotations\n"
        "import numpy as np, rich.console\n"
        "from typing import TYPE_CHECKING\n"
        "from . import exact\n"
        "from ..geo.units import parse_time\n"
        "if TYPE_CHECKING:\n"
        "    from sqlalchemy import Table\n"
        "def later():\n"
        "    import httpx\n"
        "    from .scenario import check_scenario\n"
    )
    modules = [module for _, module in _imports_in(source, "deconflict.engine")]
    assert modules == [
        "__future__",
        "numpy",
        "rich.console",
        "typing",
        "deconflict.engine",
        "deconflict.geo.units",
        "sqlalchemy",
        "httpx",
        "deconflict.engine.scenario",
    ]
    lines = [line for line, _ in _imports_in(source, "deconflict.engine")]
    assert lines == [1, 2, 2, 3, 4, 5, 7, 9, 10]


def test_importing_the_engine_loads_no_outer_library() -> None:
    """At run time too: importing engine and geo pulls in none of the outer libraries."""
    code = (
        "import sys\n"
        "import deconflict.engine, deconflict.geo.geojson, deconflict.engine.scenario\n"
        f"outer = {sorted(OUTSIDE_WORLD)!r}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in outer)\n"
        "loaded += sorted(m for m in sys.modules if m in ('deconflict.cli', 'deconflict.render'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
