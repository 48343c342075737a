"""Changing an item's valuation method: lock what a posting locks, in the same order, and read
the stock the item holds."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.db.models import Item, StockBalance

_balance = StockBalance.__table__
_item = Item.__table__


def lock_item_stock(session: Session, item_id: int) -> Decimal:
    """Lock the item's balance rows (warehouse order) and then its row FOR UPDATE, as a posting
    locks balances and then the item (KEY SHARE); return the quantity it holds everywhere, read
    after both locks, so no posting can add stock under the old method unseen."""
    session.execute(
        select(_balance.c.item_id)
        .where(_balance.c.item_id == item_id)
        .order_by(_balance.c.warehouse_id)
        .with_for_update()
    ).all()
    session.execute(select(_item.c.id).where(_item.c.id == item_id).with_for_update()).all()
    held = session.scalar(
        select(func.coalesce(func.sum(_balance.c.quantity), 0)).where(_balance.c.item_id == item_id)
    )
    return Decimal(int(held)).scaleb(-3)
