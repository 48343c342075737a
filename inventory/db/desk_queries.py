"""Read models for the warehouse desk and the counting pages: an item by its scanned SKU, the
documents of one day, item labels for a document's lines."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from inventory.db.base import db
from inventory.db.models import Item, StockDocument, StockDocumentLine, Warehouse


def item_by_sku(sku: str) -> dict | None:
    """The item whose SKU is ``sku`` whatever its case (``uq_item_sku_ci`` makes it one), or
    None. Leading and trailing blanks a scanner or a person adds are ignored."""
    wanted = sku.strip().lower()
    if not wanted:
        return None
    row = db.session.execute(
        select(Item.id, Item.sku, Item.name, Item.active, Item.valuation_cost).where(
            func.lower(Item.sku) == wanted
        )
    ).first()
    return None if row is None else dict(row._mapping)


def documents_created_between(start: datetime, end: datetime) -> Select:
    """Stock documents created in ``[start, end)``, newest first, with their warehouses' codes
    and line counts (the desk's "today" list; ``ix_stock_document_created_at`` bounds it)."""
    source = aliased(Warehouse)
    target = aliased(Warehouse)
    lines = (
        select(func.count())
        .where(StockDocumentLine.document_id == StockDocument.id)
        .correlate(StockDocument)
        .scalar_subquery()
    )
    return (
        select(
            StockDocument.id,
            StockDocument.type,
            StockDocument.status,
            StockDocument.reference,
            StockDocument.created_at,
            StockDocument.warehouse_id,
            source.code.label("warehouse_code"),
            StockDocument.to_warehouse_id,
            target.code.label("to_warehouse_code"),
            lines.label("line_count"),
        )
        .join(source, source.id == StockDocument.warehouse_id)
        .outerjoin(target, target.id == StockDocument.to_warehouse_id)
        .where(StockDocument.created_at >= start, StockDocument.created_at < end)
        .order_by(StockDocument.created_at.desc(), StockDocument.id.desc())
    )


def item_labels(item_ids: Iterable[int]) -> dict[int, dict]:
    """``{item id: {"sku", "name"}}`` for the given items."""
    wanted = sorted(set(item_ids))
    if not wanted:
        return {}
    rows = db.session.execute(select(Item.id, Item.sku, Item.name).where(Item.id.in_(wanted)))
    return {r.id: {"sku": r.sku, "name": r.name} for r in rows}


def warehouse_code(warehouse_id: int) -> str:
    """The warehouse's code, or its id as text when it is gone."""
    code = db.session.scalar(select(Warehouse.code).where(Warehouse.id == warehouse_id))
    return code if code is not None else str(warehouse_id)
