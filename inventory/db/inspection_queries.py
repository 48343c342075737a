"""The inspection plans a receipt reads: one query for all its items.

On PostgreSQL a statement of fixed text through the driver (``inventory.db.driver``), the items
as an array literal; SQLite expands its ``IN`` list.
"""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from inventory.db import driver
from inventory.db.base import is_postgresql
from inventory.db.procurement_models import InspectionPlan, SupplierItem

_COLUMNS = (InspectionPlan.id, InspectionPlan.item_id, InspectionPlan.mode, InspectionPlan.aql)
_TYPES = driver.converters(*_COLUMNS)
# Item plans (no supplier item) first, so that a supplier item's plan comes after its item's.
_POSTGRESQL = """
    SELECT p.id, p.item_id, p.mode, p.aql
    FROM inspection_plan p LEFT JOIN supplier_item si ON si.id = p.supplier_item_id
    WHERE p.item_id = ANY(CAST(%(item_ids)s AS int[]))
      AND (p.supplier_item_id IS NULL OR si.supplier_id = %(supplier_id)s)
    ORDER BY p.supplier_item_id IS NOT NULL"""
_SQLITE = (
    select(*_COLUMNS)
    .outerjoin(SupplierItem, SupplierItem.id == InspectionPlan.supplier_item_id)
    .where(
        InspectionPlan.item_id.in_(bindparam("item_ids", expanding=True)),
        or_(
            InspectionPlan.supplier_item_id.is_(None),
            SupplierItem.supplier_id == bindparam("supplier_id"),
        ),
    )
    .order_by(InspectionPlan.supplier_item_id.is_not(None))
)


def plans_for_items(session: Session, supplier_id: int, item_ids: set[int]) -> list[tuple]:
    """``(id, item_id, mode, aql)`` of the plans that apply to ``item_ids`` from
    ``supplier_id``: item plans first, then the supplier's own."""
    if is_postgresql(session):
        params = {"item_ids": driver.int_array(item_ids), "supplier_id": supplier_id}
        return driver.rows(session, _POSTGRESQL, params, _TYPES)
    return [tuple(r) for r in session.execute(_SQLITE, {"item_ids": list(item_ids),
                                                       "supplier_id": supplier_id})]  # fmt: skip
