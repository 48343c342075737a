"""The arrows of docs/design.md, checked by reading every import statement (with ``ast``).

- ``inventory.domain`` and ``forecasting`` are pure: no Flask, no SQLAlchemy, no delivery layer,
  no database package, no services, no clock; ``forecasting`` uses nothing from ``inventory``.
- ``inventory`` never imports the delivery layers ``api`` or ``web``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

DELIVERY = ("api", "web")
FRAMEWORKS = (
    "flask",
    "flask_sqlalchemy",
    "flask_smorest",
    "flask_migrate",
    "sqlalchemy",
    "alembic",
)
RULES = {
    "inventory/domain": (
        *FRAMEWORKS,
        *DELIVERY,
        "inventory.db",
        "inventory.services",
        "inventory.jobs",
        "inventory.clock",
        "celery",
        "psycopg",
    ),
    "forecasting": (*FRAMEWORKS, *DELIVERY, "inventory", "celery", "psycopg"),
    "inventory": DELIVERY,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in the file, relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # "from inventory import db" imports the module inventory.db
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def _forbidden(module: str, banned: tuple[str, ...]) -> bool:
    return any(module == b or module.startswith(b + ".") for b in banned)


def _python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", list(RULES))
def test_layer_imports_point_one_way(folder):
    banned = RULES[folder]
    broken = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _python_files(folder)
        for module in sorted(imports_of(path))
        if _forbidden(module, banned)
    ]
    assert broken == []


def test_the_layers_being_checked_exist():
    assert len(_python_files("inventory/domain")) >= 4
    assert len(_python_files("inventory")) > len(_python_files("inventory/domain"))


def test_the_import_reader_sees_every_form(tmp_path, monkeypatch):
    """The checker itself: it must catch the ways an import can hide."""
    monkeypatch.setattr("tests.api.test_architecture.ROOT", tmp_path)
    module = tmp_path / "inventory" / "domain" / "sneaky.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "import os\n"
        "from sqlalchemy.orm import Session\n"
        "from .. import db\n"
        "from ..services import stock\n"
        "def later():\n"
        "    import flask\n"
        "try:\n"
        "    import api.auth as a\n"
        "except ImportError:\n"
        "    pass\n"
    )
    found = imports_of(module)
    banned = RULES["inventory/domain"]
    assert {m for m in found if _forbidden(m, banned)} >= {
        "sqlalchemy.orm",
        "inventory.db",
        "inventory.services",
        "inventory.services.stock",
        "flask",
        "api.auth",
    }
    assert not _forbidden("os", banned)
    assert not _forbidden("inventory.domain.numbers", banned)
    assert not _forbidden("inventory.errors", banned)
    assert not _forbidden("flasky", ("flask",))
