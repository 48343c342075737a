"""The arrows of docs/design.md, checked by reading every import statement (with ``ast``).

- ``inventory.domain`` and ``forecasting`` are pure: no Flask, no SQLAlchemy, no delivery layer,
  no database package, no services, no clock; ``forecasting`` uses nothing from ``inventory``.
- ``inventory`` never imports the delivery layers ``api``, ``web`` or ``delivery``.
- ``api`` and ``web`` are siblings that never import each other; what both need lives in
  ``delivery`` (roles, charts, exports, schemas), which imports neither.
- ``inventory.services`` builds no SQL: of SQLAlchemy a service imports only its exceptions
  (``sqlalchemy.exc``) and the session's types (``sqlalchemy.orm``); ``inventory/db/`` builds the
  statements. The modules that still build their own are listed, each with why, and the list only
  shrinks: a new one fails, and so does a listed one that no longer needs its place.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

DELIVERY = ("api", "web", "delivery")
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
    "delivery": ("api", "web"),
    "web": ("api",),
    "api": ("web",),
}
# The app factory (``create_app`` in api/__init__.py) is the one place that wires both sides.
WIRING = {"api/__init__.py"}


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
        if str(path.relative_to(ROOT)) not in WIRING
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


# What a service may import of SQLAlchemy: nothing that builds a statement.
SERVICE_SQLALCHEMY_ALLOWED = ("sqlalchemy.exc", "sqlalchemy.orm")
# Services that still build SQL (select/insert/update/delete/text/func...), each with why. Shrink
# this list as their statements move to ``inventory/db/*_queries.py`` / ``*_writes.py``; never
# grow it.
SERVICES_STILL_BUILDING_SQL = {
    "approvals": "reads rules and decisions, LOCK TABLE approval_rule, shifts approval rounds",
    "budgets": "sums committed requests and finds a centre's overlapping budgets",
    "demo": "seeding checks whether data exists and finds the demo users by name",
    "inspection": "inspection plans and the skip-lot state (its upsert picks a dialect)",
    "order_from_requests": "locks the requests and lines it orders and marks the lines ordered",
    "purchase_requests": "checks items, loads and replaces request lines, sums a request",
    "stocktakes": "opens a count by INSERT … SELECT, reads balances, updates counted lines",
}


def _builds_sql(path: Path) -> list[str]:
    return sorted(
        module
        for module in imports_of(path)
        if _forbidden(module, ("sqlalchemy",))
        and not _forbidden(module, SERVICE_SQLALCHEMY_ALLOWED)
    )


def test_services_build_no_sql_beyond_the_listed_ones():
    building = {
        path.stem: _builds_sql(path)
        for path in _python_files("inventory/services")
        if _builds_sql(path)
    }
    assert sorted(set(building) - set(SERVICES_STILL_BUILDING_SQL)) == [], building
    assert sorted(set(SERVICES_STILL_BUILDING_SQL) - set(building)) == [], (
        "no longer builds SQL: take it off SERVICES_STILL_BUILDING_SQL"
    )


def test_the_sql_check_sees_statement_builders_and_spares_exceptions(tmp_path, monkeypatch):
    monkeypatch.setattr("tests.api.test_architecture.ROOT", tmp_path)
    module = tmp_path / "inventory" / "services" / "x.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from sqlalchemy import select, text\n"
        "from sqlalchemy.exc import IntegrityError\n"
        "from sqlalchemy.orm import Session\n"
        "from sqlalchemy.dialects.postgresql import insert\n"
    )
    assert _builds_sql(module) == [
        "sqlalchemy",
        "sqlalchemy.dialects.postgresql",
        "sqlalchemy.dialects.postgresql.insert",
        "sqlalchemy.select",
        "sqlalchemy.text",
    ]
    module.write_text("import sqlalchemy as sa\n")
    assert _builds_sql(module) == ["sqlalchemy"]
    module.write_text("from sqlalchemy.exc import IntegrityError\nimport sqlalchemy.orm\n")
    assert _builds_sql(module) == []
