"""What a posting reads before it locks: its items and warehouses, and which of its balance rows
exist, in one round trip.

Rows are ``(kind, id, warehouse_id, active, sku, valuation_cost)``: kind ``item``, ``warehouse`` or
``balance`` (a balance row's ``id`` is its item's). On PostgreSQL the lists go as array literals
to one statement of fixed text (``inventory.db.driver``); SQLite expands its ``IN`` lists.
"""

from __future__ import annotations

from sqlalchemy import Integer, bindparam, cast, literal_column, null, select, tuple_, union_all
from sqlalchemy.orm import Session

from inventory.db import driver
from inventory.db.base import is_postgresql
from inventory.db.models import Item, StockBalance, Warehouse

_item, _wh, _balance = Item.__table__.c, Warehouse.__table__.c, StockBalance.__table__.c

_POSTGRESQL = """
    SELECT 'item', id, CAST(NULL AS int), active, sku, valuation_cost
    FROM item WHERE id = ANY(CAST(%(item_ids)s AS int[]))
    UNION ALL
    SELECT 'warehouse', id, NULL, active, NULL, NULL
    FROM warehouse WHERE id = ANY(CAST(%(warehouse_ids)s AS int[]))
    UNION ALL
    SELECT 'balance', k.item_id, k.warehouse_id, NULL, NULL, NULL
    FROM unnest(CAST(%(key_items)s AS int[]), CAST(%(key_warehouses)s AS int[]))
             AS k(item_id, warehouse_id)
    -- one index lookup per key (see ``locking``)
    CROSS JOIN LATERAL (
        SELECT 1 FROM stock_balance s
        WHERE s.item_id = k.item_id AND s.warehouse_id = k.warehouse_id LIMIT 1
    ) b"""
_TYPES = (None, None, None, None, None, *driver.converters(_item.valuation_cost))
_SQLITE = union_all(
    select(
        literal_column("'item'"),
        _item.id,
        cast(null(), Integer),
        _item.active,
        _item.sku,
        _item.valuation_cost,
    ).where(_item.id.in_(bindparam("item_ids", expanding=True))),
    select(literal_column("'warehouse'"), _wh.id, null(), _wh.active, null(), null()).where(
        _wh.id.in_(bindparam("warehouse_ids", expanding=True))
    ),
    select(literal_column("'balance'"), _balance.item_id, _balance.warehouse_id, null(), null(),
           null()).where(tuple_(_balance.item_id, _balance.warehouse_id).in_(
               bindparam("keys", expanding=True))),
)  # fmt: skip


def references(
    session: Session, item_ids: set[int], warehouse_ids: set[int], keys: list[tuple[int, int]]
) -> list[tuple]:
    if is_postgresql(session):
        key_items, key_warehouses = driver.key_arrays(keys)
        params = {
            "item_ids": driver.int_array(item_ids),
            "warehouse_ids": driver.int_array(warehouse_ids),
            "key_items": key_items,
            "key_warehouses": key_warehouses,
        }
        return driver.rows(session, _POSTGRESQL, params, _TYPES)
    params = {"item_ids": list(item_ids), "warehouse_ids": list(warehouse_ids), "keys": keys}
    return [tuple(row) for row in session.execute(_SQLITE, params)]
