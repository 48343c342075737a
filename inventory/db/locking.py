"""Balance rows: create the missing ones and lock them, always in (item_id, warehouse_id) order."""

from __future__ import annotations

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from inventory.db.models import StockBalance
from inventory.domain.valuation import Balance, Key


def lock_balances(session: Session, keys: list[tuple[int, int]]) -> dict[Key, Balance]:
    """Return the balances of ``keys`` (sorted), each row locked until the transaction ends.

    One fixed order for every posting is what keeps concurrent postings from deadlocking: no
    transaction can hold a later row while waiting for an earlier one. On SQLite the writer
    already holds the database's write lock (BEGIN IMMEDIATE), so no row lock is needed.
    """
    if not keys:
        return {}
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(StockBalance)
        .values([{"item_id": i, "warehouse_id": w, "quantity": 0, "value": 0} for i, w in keys])
        .on_conflict_do_nothing(index_elements=["item_id", "warehouse_id"])
    )
    query = (
        select(
            StockBalance.item_id,
            StockBalance.warehouse_id,
            StockBalance.quantity,
            StockBalance.value,
        )
        .where(tuple_(StockBalance.item_id, StockBalance.warehouse_id).in_(keys))
        .order_by(StockBalance.item_id, StockBalance.warehouse_id)
    )
    if dialect == "postgresql":
        query = query.with_for_update()
    return {
        (row.item_id, row.warehouse_id): Balance(row.quantity, row.value)
        for row in session.execute(query)
    }
