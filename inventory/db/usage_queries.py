"""Whether an item or a warehouse is in use: what master data checks before a change that would
rewrite history (an item's unit) or a delete."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from inventory.db.models import (
    StockDocument,
    StockDocumentLine,
    StockLedger,
    Stocktake,
    StocktakeLine,
)


def item_has_movements(session: Session, item_id: int) -> bool:
    """Whether the ledger holds a movement of the item."""
    return bool(session.scalar(select(exists().where(StockLedger.item_id == item_id))))


def is_referenced(session: Session, kind: str, row_id: int) -> bool:
    """Whether stock documents, the ledger or stocktakes refer to the ``kind`` (``item`` or
    ``warehouse``) ``row_id``."""
    if kind == "item":
        checks = [
            StockDocumentLine.item_id == row_id,
            StockLedger.item_id == row_id,
            StocktakeLine.item_id == row_id,
        ]
        tables = [StockDocumentLine, StockLedger, StocktakeLine]
    else:
        checks = [
            (StockDocument.warehouse_id == row_id) | (StockDocument.to_warehouse_id == row_id),
            StockLedger.warehouse_id == row_id,
            Stocktake.warehouse_id == row_id,
        ]
        tables = [StockDocument, StockLedger, Stocktake]
    return any(
        session.scalar(select(exists().where(cond)).select_from(table))
        for cond, table in zip(checks, tables, strict=True)
    )
