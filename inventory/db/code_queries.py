"""Who holds a code: SKUs and the codes of warehouses, suppliers and cost centres are unique
whatever their case (migration 0003 indexes ``lower(code)``), so they are looked up that way."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute


def holder(
    session, column: InstrumentedAttribute, code: str, exclude_id: int | None = None
) -> tuple[int, str] | None:
    """``(id, code)`` of the record whose ``column`` is ``code`` ignoring case, apart from
    ``exclude_id``; None when the code is free. Compares with the database's own ``lower``, the
    expression the unique index holds, so the check and the index agree."""
    model = column.class_
    query = select(model.id, column).where(func.lower(column) == func.lower(code))
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    found = session.execute(query.limit(1)).first()
    return None if found is None else (found[0], found[1])
