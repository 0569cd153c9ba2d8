"""audit/ sits beside store/: it imports no outer layer, and only sql_store knows SQL.

(Until the import-linter contracts in pyproject.toml name `deconflict.audit`, this
direct read of the imports keeps the rule.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import deconflict.audit

PACKAGE = Path(deconflict.audit.__file__).resolve().parent
FORBIDDEN = ("deconflict.api", "deconflict.application", "deconflict.engine", "deconflict.store")
WEB_OR_SQL = ("fastapi", "starlette", "httpx", "sqlalchemy")


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_audit_imports_inward_only() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 9
    for module in modules:
        for name in imports(module):
            assert not name.startswith(FORBIDDEN), f"{module.name} imports {name}"
            if module.name != "sql_store.py":
                assert not name.startswith(WEB_OR_SQL), f"{module.name} imports {name}"


def test_nothing_imports_the_optional_sql_store() -> None:
    for module in PACKAGE.glob("*.py"):
        if module.name != "sql_store.py":
            assert "deconflict.audit.sql_store" not in imports(module), module.name
