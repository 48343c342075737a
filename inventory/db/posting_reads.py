"""What a posting reads: the document (locked) and its lines or ledger entries, the labels a
shortage message names, and, first of all (``references``), its items and warehouses and which
of its balance rows exist, in one round trip.

``references``' rows are ``(kind, id, warehouse_id, active, sku, valuation_cost, quantity,
value)``: kind ``item``, ``warehouse``, ``cost_centre`` (the one the document is charged to, when
it exists) or ``balance`` (a balance row's ``id`` is its item's), and one row ``closed`` whose
``sku`` is the last closed period (``YYYY-MM``; None). On PostgreSQL the lists go as array
literals to one statement of fixed text (``inventory.db.driver``); SQLite expands its ``IN``
lists.

On PostgreSQL, when every balance row of ``keys`` exists (a posting's steady state), the same
statement also locks them as ``locking.lock_balances`` would, in the keys' order, and returns
them as rows ``locked`` (``sku`` the item's valuation method, with ``quantity`` and ``value``):
the posting then needs no round trip of its own for the lock. When one is missing it locks
nothing: creating it first and then locking all of them in order is ``lock_balances``' job, as
the fixed lock order requires. (SQLite's writer holds the database's lock already.)
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    Integer,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from inventory.db import driver
from inventory.db.base import is_postgresql
from inventory.db.locking import LOCKED_KEYS
from inventory.db.models import (
    Item,
    StockBalance,
    StockDocument,
    StockDocumentLine,
    StockLedger,
    Warehouse,
)
from inventory.db.procurement_models import CostCentre
from inventory.db.valuation_models import AccountingPeriod

_item, _wh, _balance = Item.__table__.c, Warehouse.__table__.c, StockBalance.__table__.c
_centre = CostCentre.__table__.c

_POSTGRESQL = (
    """
    SELECT 'item', id, CAST(NULL AS int), active, sku, valuation_cost,
           CAST(NULL AS bigint), CAST(NULL AS bigint)
    FROM item WHERE id = ANY(CAST(%(item_ids)s AS int[]))
    UNION ALL
    SELECT 'warehouse', id, NULL, active, NULL, NULL, NULL, NULL
    FROM warehouse WHERE id = ANY(CAST(%(warehouse_ids)s AS int[]))
    UNION ALL
    SELECT 'cost_centre', id, NULL, active, NULL, NULL, NULL, NULL
    FROM cost_centre WHERE id = CAST(%(cost_centre_id)s AS int)
    UNION ALL
    SELECT 'balance', k.item_id, k.warehouse_id, NULL, NULL, NULL, NULL, NULL
    FROM unnest(CAST(%(key_items)s AS int[]), CAST(%(key_warehouses)s AS int[]))
             AS k(item_id, warehouse_id)
    -- one index lookup per key (see ``locking``)
    CROSS JOIN LATERAL (
        SELECT 1 FROM stock_balance s
        WHERE s.item_id = k.item_id AND s.warehouse_id = k.warehouse_id LIMIT 1
    ) b
    UNION ALL
    SELECT 'closed', NULL, NULL, NULL, max(period), NULL, NULL, NULL FROM accounting_period
    UNION ALL
    -- Last, so what the branches above read is read before any lock is waited for, as when the
    -- lock was a statement of its own. ``lock_balances``' locks, in the keys' (sorted) order,
    -- behind a one-time filter: all of them exist, or nothing is locked.
    SELECT 'locked', b.item_id, b.warehouse_id, NULL, m.valuation_method, NULL,
           b.quantity, b.value"""
    + LOCKED_KEYS
    + """
    WHERE NOT EXISTS (
        SELECT 1
        FROM unnest(CAST(%(key_items)s AS int[]), CAST(%(key_warehouses)s AS int[]))
                 AS n(item_id, warehouse_id)
        WHERE NOT EXISTS (
            SELECT 1 FROM stock_balance s
            WHERE s.item_id = n.item_id AND s.warehouse_id = n.warehouse_id
        )
    )"""
)
_TYPES = (
    None,
    None,
    None,
    None,
    None,
    *driver.converters(_item.valuation_cost, _balance.quantity, _balance.value),
)
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
    select(literal_column("'cost_centre'"), _centre.id, null(), _centre.active, null(),
           null()).where(_centre.id == bindparam("cost_centre_id")),
    select(literal_column("'balance'"), _balance.item_id, _balance.warehouse_id, null(), null(),
           null()).where(tuple_(_balance.item_id, _balance.warehouse_id).in_(
               bindparam("keys", expanding=True))),
    select(literal_column("'closed'"), null(), null(), null(),
           func.max(AccountingPeriod.__table__.c.period), null()),
)  # fmt: skip


def references(
    session: Session,
    item_ids: set[int],
    warehouse_ids: set[int],
    keys: list[tuple[int, int]],
    cost_centre_id: int | None = None,
) -> list[tuple]:
    if is_postgresql(session):
        key_items, key_warehouses = driver.key_arrays(keys)
        params = {
            "item_ids": driver.int_array(item_ids),
            "warehouse_ids": driver.int_array(warehouse_ids),
            "key_items": key_items,
            "key_warehouses": key_warehouses,
            "cost_centre_id": cost_centre_id,
        }
        return driver.rows(session, _POSTGRESQL, params, _TYPES)
    params = {
        "item_ids": list(item_ids),
        "warehouse_ids": list(warehouse_ids),
        "keys": keys,
        "cost_centre_id": cost_centre_id,
    }
    # SQLite locks nothing row by row, so its rows end at valuation_cost: no quantity, no value
    return [(*row, None, None) for row in session.execute(_SQLITE, params)]


def locked_document(session: Session, document_id: int) -> StockDocument | None:
    """The document, its row locked until the transaction ends (None if there is none)."""
    return session.get(StockDocument, document_id, with_for_update=True)


def document_lines(session: Session, document_id: int) -> list[StockDocumentLine]:
    """The document's lines in line order."""
    return list(
        session.execute(
            select(StockDocumentLine)
            .where(StockDocumentLine.document_id == document_id)
            .order_by(StockDocumentLine.line_no)
        ).scalars()
    )


def posted_entries(session: Session, document_id: int) -> list:
    """The document's own ledger entries (not reversals) in the order they were written:
    rows of ``id, line_id, item_id, warehouse_id, quantity, unit_cost, value``."""
    return session.execute(
        select(
            StockLedger.id,
            StockLedger.line_id,
            StockLedger.item_id,
            StockLedger.warehouse_id,
            StockLedger.quantity,
            StockLedger.unit_cost,
            StockLedger.value,
        )
        .where(StockLedger.document_id == document_id, StockLedger.reversal.is_(False))
        .order_by(StockLedger.id)
    ).all()


def item_labels(session: Session, item_ids: set[int]) -> dict[int, tuple[str, Decimal]]:
    """``{item_id: (sku, valuation_cost)}`` of ``item_ids``."""
    return {
        row.id: (row.sku, row.valuation_cost)
        for row in session.execute(
            select(Item.id, Item.sku, Item.valuation_cost).where(Item.id.in_(item_ids))
        )
    }


def warehouse_codes(session: Session, warehouse_ids: set[int]) -> dict[int, str]:
    """``{warehouse_id: code}`` of ``warehouse_ids``."""
    return dict(
        session.execute(
            select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(warehouse_ids))
        ).all()
    )
