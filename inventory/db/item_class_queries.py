"""Kept item classes (``item_class``) and what the jobs built on them read and write."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import delete, insert, select

from inventory.db.base import db
from inventory.db.health_models import CycleCount, ItemClass
from inventory.db.models import Item, StockBalance, Warehouse

CLASS_SORTS = {
    "item_id": ItemClass.item_id,
    "consumption_value": ItemClass.consumption_value,
    "demand_cv": ItemClass.demand_cv,
}


def item_costs() -> pd.DataFrame:
    """``[item_id, valuation_cost]`` of every active item."""
    rows = db.session.execute(select(Item.id, Item.valuation_cost).where(Item.active.is_(True)))
    return pd.DataFrame.from_records(rows.all(), columns=["item_id", "valuation_cost"])


def abc_by_item() -> dict[int, str]:
    """The kept ABC class of every classified item (empty before the first classification)."""
    return dict(db.session.execute(select(ItemClass.item_id, ItemClass.abc_class)).all())


def replace_classes(session, rows: list[dict]) -> None:
    """The one writer of ``item_class``: the whole table becomes ``rows``."""
    session.execute(delete(ItemClass))
    if rows:
        session.execute(insert(ItemClass), rows)


def classes(*, abc=None, xyz=None, category=None, item_id=None, sort=None):
    """The kept classes with each item's code, name and category, as a ``Select``."""
    query = select(
        ItemClass.item_id,
        Item.sku,
        Item.name,
        Item.category,
        ItemClass.abc_class,
        ItemClass.xyz_class,
        ItemClass.consumption_value,
        ItemClass.annual_quantity,
        ItemClass.demand_cv,
        ItemClass.computed_at,
    ).join(Item, Item.id == ItemClass.item_id)
    if abc:
        query = query.where(ItemClass.abc_class == abc)
    if xyz:
        query = query.where(ItemClass.xyz_class == xyz)
    if category is not None:
        query = query.where(Item.category == category)
    if item_id is not None:
        query = query.where(ItemClass.item_id == item_id)
    key = sort or "-consumption_value"
    column = CLASS_SORTS[key.lstrip("-")]
    return query.order_by(column.desc() if key.startswith("-") else column.asc(), ItemClass.item_id)


def count_candidates() -> dict[int, list[tuple[int, str]]]:
    """Per active warehouse, ``(item_id, class)`` of every active item with stock there: what
    cycle counts cover. Items never classified count as C."""
    rows = db.session.execute(
        select(StockBalance.warehouse_id, StockBalance.item_id, ItemClass.abc_class)
        .join(Item, Item.id == StockBalance.item_id)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .outerjoin(ItemClass, ItemClass.item_id == StockBalance.item_id)
        .where(StockBalance.quantity > 0, Item.active.is_(True), Warehouse.active.is_(True))
        .order_by(StockBalance.warehouse_id, StockBalance.item_id)
    )
    found: dict[int, list[tuple[int, str]]] = {}
    for warehouse_id, item_id, cls in rows:
        found.setdefault(warehouse_id, []).append((item_id, cls or "C"))
    return found


def cycle_count_done(day: date) -> set[int]:
    """The warehouses whose cycle count for ``day`` was already opened (or found empty)."""
    return set(db.session.scalars(select(CycleCount.warehouse_id).where(CycleCount.day == day)))


def record_cycle_count(
    session, *, day: date, warehouse_id: int, stocktake_id: int | None, due: int, at: datetime
) -> None:
    """The one writer of ``cycle_count``."""
    session.add(
        CycleCount(
            day=day,
            warehouse_id=warehouse_id,
            stocktake_id=stocktake_id,
            due_items=due,
            created_at=at,
        )
    )


def cycle_counts(day: date) -> list[dict]:
    rows = db.session.execute(
        select(CycleCount.warehouse_id, CycleCount.stocktake_id, CycleCount.due_items)
        .where(CycleCount.day == day)
        .order_by(CycleCount.warehouse_id)
    )
    return [dict(r._mapping) for r in rows]


def items_in_open_counts(warehouse_id: int) -> set[int]:
    """Items on an open stocktake of ``warehouse_id``: a cycle count leaves them to it."""
    from inventory.db.models import Stocktake, StocktakeLine

    return set(
        db.session.scalars(
            select(StocktakeLine.item_id)
            .join(Stocktake, Stocktake.id == StocktakeLine.stocktake_id)
            .where(Stocktake.warehouse_id == warehouse_id, Stocktake.status == "open")
        )
    )


def user_id(username: str) -> int | None:
    from inventory.db.models import User

    return db.session.scalar(select(User.id).where(User.username == username))


def first_classes(limit: int = 100_000) -> list[dict]:
    """The kept classes as dicts (tests and exports)."""
    return [dict(r._mapping) for r in db.session.execute(classes().limit(limit))]
