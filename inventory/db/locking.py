"""Balance rows: create the missing ones and lock them, always in (item_id, warehouse_id) order."""

from __future__ import annotations

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from inventory.db import driver
from inventory.db.base import is_postgresql
from inventory.db.models import Item, StockBalance
from inventory.domain.valuation import Balance, Key

# Built once: every posting runs these, and building a statement costs more than running it.
# On the Core table (not the mapped class), so an executemany skips the ORM's bulk machinery; a
# multi-row ``.values([...])`` would have no cache key and be compiled anew on every call.
_balances = StockBalance.__table__
# RETURNING lets SQLAlchemy send the rows as one multi-row INSERT ("insertmanyvalues") rather
# than one statement per row; what it returns (the rows it created) is not needed.
_ENSURE = {  # keyed by "is this PostgreSQL?"
    postgresql: insert(_balances)
    .on_conflict_do_nothing(index_elements=["item_id", "warehouse_id"])
    .returning(_balances.c.item_id)
    for postgresql, insert in ((True, pg_insert), (False, sqlite_insert))
}
_COLUMNS = (_balances.c.item_id, _balances.c.warehouse_id, _balances.c.quantity, _balances.c.value)
_items = Item.__table__
# One index lookup per key, locked in the keys' order: a join to an IN list would let the
# planner hash a small table's every row instead (measured: 4x the time at 2,000 rows).
# The item's valuation method is read under a KEY SHARE lock of its row, after the balance
# row's: a method change (``valuation_writes.lock_item_stock``) holds the item FOR UPDATE
# while it checks the item has no stock, so a posting waiting here reads the method it set.
# (Every ledger insert takes this same lock for its foreign key anyway.)
# ``posting_reads.references`` takes the same locks with it; rows ``b`` (the balance) and ``m``.
LOCKED_KEYS = """
        FROM unnest(CAST(%(key_items)s AS int[]), CAST(%(key_warehouses)s AS int[]))
                 AS k(item_id, warehouse_id)
        CROSS JOIN LATERAL (
            SELECT * FROM stock_balance s
            WHERE s.item_id = k.item_id AND s.warehouse_id = k.warehouse_id
            LIMIT 1 FOR UPDATE
        ) b
        CROSS JOIN LATERAL (
            SELECT i.valuation_method FROM item i WHERE i.id = k.item_id FOR KEY SHARE
        ) m"""
_LOCK = {  # keyed by "is this PostgreSQL?"; SQLite's writer holds the database lock already
    True: "SELECT b.item_id, b.warehouse_id, b.quantity, b.value, m.valuation_method"
    + LOCKED_KEYS,
    False: select(*_COLUMNS, _items.c.valuation_method)
    .join(_items, _items.c.id == _balances.c.item_id)
    .where(tuple_(_balances.c.item_id, _balances.c.warehouse_id).in_(
        bindparam("keys", expanding=True)))
    .order_by(_balances.c.item_id, _balances.c.warehouse_id),
}  # fmt: skip
_TYPES = (*driver.converters(*_COLUMNS), None)
FIFO = "fifo"


def lock_balances(
    session: Session, keys: list[tuple[int, int]], existing: set[Key] = frozenset()
) -> tuple[dict[Key, Balance], set[Key]]:
    """Return the balances of ``keys`` (sorted), each row locked until the transaction ends,
    and which of them are of FIFO items.

    One fixed order for every posting is what keeps concurrent postings from deadlocking: no
    transaction can hold a later row while waiting for an earlier one. On SQLite the writer
    already holds the database's write lock (BEGIN IMMEDIATE), so no row lock is needed.

    Missing rows are created first (rows ``existing`` names are known to be there already: a
    balance row is never deleted, so the caller's earlier read of them holds).
    """
    if not keys:
        return {}, set()
    postgresql = is_postgresql(session)
    missing = [key for key in keys if key not in existing]
    if missing:
        session.execute(
            _ENSURE[postgresql],
            [{"item_id": i, "warehouse_id": w, "quantity": 0, "value": 0} for i, w in missing],
        )
    if postgresql:
        items, warehouses = driver.key_arrays(sorted(keys))
        params = {"key_items": items, "key_warehouses": warehouses}
        rows = driver.rows(session, _LOCK[True], params, _TYPES)
    else:
        rows = session.execute(_LOCK[False], {"keys": keys})
    return locked_balances(rows)


def locked_balances(rows) -> tuple[dict[Key, Balance], set[Key]]:
    """``lock_balances``' answer from its rows ``(item_id, warehouse_id, quantity, value,
    valuation_method)``, however they were locked (``posting_reads.references`` locks them too)."""
    balances: dict[Key, Balance] = {}
    fifo: set[Key] = set()
    for item, wh, quantity, value, method in rows:
        balances[(item, wh)] = Balance(quantity, value)
        if method == FIFO:
            fifo.add((item, wh))
    return balances, fifo
