"""One check for every code that must be unique whatever its case (SKU, warehouse, supplier and
cost centre codes), run inside the caller's transaction before it writes."""

from __future__ import annotations

from sqlalchemy.orm import InstrumentedAttribute

from inventory.db import code_queries
from inventory.errors import Conflict


def check_free(
    session,
    column: InstrumentedAttribute,
    code: str,
    record: str,
    label: str,
    exclude_id: int | None = None,
) -> None:
    """Refuse (409) ``code`` when another ``record`` (e.g. "item") holds it in any case, naming
    that record; ``label`` is how people call the code ("SKU", "code")."""
    found = code_queries.holder(session, column, code, exclude_id)
    if found is None:
        return
    holder_id, held = found
    same = "" if held == code else f" as {held!r}"
    raise Conflict(
        f"{record.capitalize()} {holder_id} already has the {label} {code!r}{same}; "
        f"{label}s are unique whatever their case. Choose another {label}, or use "
        f"{record} {holder_id}.",
        errors={column.key: ["Already in use."]},
        extra={"existing": {"id": holder_id, column.key: held}},
    )
