"""What a goods receipt (or its cancellation, or a return) reads and writes of an order's lines,
and the receipt's own rows.

On PostgreSQL the statements go to the driver directly (``inventory.db.driver``), with fixed
text and the rows as array literals, and a receipt's writes after its stock posting are one
statement of data-modifying CTEs (``write_receipt``): the receipt row with its link to the
stock document, the receipt's lines, the order lines' received quantities, the order's status
and its status change, and the audit event. SQLite writes the same rows a table at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Integer, bindparam, func, insert, null, select, update
from sqlalchemy.orm import Session

from inventory.db import driver
from inventory.db.audit_rows import INSERT as INSERT_AUDIT
from inventory.db.audit_rows import audit_params
from inventory.db.base import is_postgresql
from inventory.db.models import Warehouse
from inventory.db.procurement_models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
)
from inventory.db.status_writes import record_status_change
from inventory.db.types import Quantity, UnitCost


@dataclass
class OrderHead:
    """The order as receiving sees it, with the receiving warehouse's active flag."""

    id: int
    status: str
    supplier_id: int
    warehouse_id: int  # where the goods go: the one asked for, else the order's
    currency: str
    exchange_rate: Decimal | None
    sent_at: datetime | None
    warehouse_active: bool | None  # None: no such warehouse
    # PostgreSQL: the new receipt's id, drawn from its sequence with the lock, so the receipt row
    # is written with the rest (``write_receipt``); SQLite: None, the row is inserted up front.
    receipt_id: int | None


@dataclass
class OrderLine:
    """An order line as receiving sees it; ``received_quantity`` moves as goods come and go."""

    id: int
    item_id: int
    request_line_id: int | None
    quantity: Decimal
    unit_price: Decimal
    promised_date: date | None
    received_quantity: Decimal
    cancelled_quantity: Decimal


@dataclass(frozen=True)
class ReceiptWrites:
    """What a receipt writes once its stock document is posted."""

    receipt: dict  # the receipt row's columns, its id and stock document's included
    order_id: int
    ordered_at: datetime | None  # when the order was sent; every line carries it
    # the receipt's lines: their columns but receipt_id and ordered_at (stock_document_line_id
    # included: the document line each accepted quantity became, None for none accepted)
    lines: list[dict]
    received: list[OrderLine]  # the order lines whose received quantity moved
    move: tuple[str, str] | None  # the order's status (from, to), when it changes
    actor_id: int
    at: datetime
    why: str  # the status change's reason
    audit_event: dict  # the audit row's columns


_pol, _grl = PurchaseOrderLine.__table__, GoodsReceiptLine.__table__
_gr, _po = GoodsReceipt.__table__, PurchaseOrder.__table__
_wh = Warehouse.__table__
# The order row locked, and the warehouse the goods go to; on SQLite the writer's database lock
# stands for the row lock.
_ORDER_COLUMNS = ("id", "status", "supplier_id", "warehouse_id", "currency", "exchange_rate",
                  "sent_at")  # fmt: skip
_HEAD = {
    True: """
        SELECT o.id, o.status, o.supplier_id, w.id, o.currency, o.exchange_rate, o.sent_at,
               w.active, nextval('goods_receipt_id_seq')
        FROM purchase_order o
        LEFT JOIN warehouse w ON w.id = coalesce(CAST(%(warehouse_id)s AS int), o.warehouse_id)
        WHERE o.id = %(order_id)s
        FOR UPDATE OF o""",
    False: select(
        *(_wh.c.id if name == "warehouse_id" else _po.c[name] for name in _ORDER_COLUMNS),
        _wh.c.active,
        null(),
    )
    .outerjoin(
        _wh,
        _wh.c.id == func.coalesce(bindparam("warehouse_id", type_=Integer), _po.c.warehouse_id),
    )
    .where(_po.c.id == bindparam("order_id")),
}
_HEAD_TYPES = (*driver.converters(*(_po.c[name] for name in _ORDER_COLUMNS)), None, None)
_LINE_COLUMNS = [_pol.c[name] for name in OrderLine.__dataclass_fields__]
_LINES = {
    True: "SELECT " + ", ".join(c.name for c in _LINE_COLUMNS)
    + " FROM purchase_order_line WHERE order_id = %(order_id)s",
    False: select(*_LINE_COLUMNS).where(_pol.c.order_id == bindparam("order_id")),
}  # fmt: skip
_LINE_TYPES = driver.converters(*_LINE_COLUMNS)
_SET_RECEIVED = {  # keyed by "is this PostgreSQL?"
    True: """
        UPDATE purchase_order_line AS line SET received_quantity = v.quantity
        FROM unnest(CAST(%(ids)s AS int[]), CAST(%(quantities)s AS bigint[])) AS v(id, quantity)
        WHERE line.id = v.id""",
    False: update(_pol)
    .where(_pol.c.id == bindparam("line_id"))
    .values(received_quantity=bindparam("new_quantity")),
}
# SQLite's statements for ``start_receipt`` and ``write_receipt``, a table at a time.
_INSERT_RECEIPT = insert(_gr).returning(_gr.c.id)
_RECEIPT_COLUMNS = ("id", "order_id", "supplier_id", "warehouse_id", "status", "stock_document_id",
                    "received_by", "received_at", "cancelled_at")  # fmt: skip
_INSERT_LINES = insert(_grl).returning(_grl.c.id, sort_by_parameter_order=True)
_SET_DOCUMENT = (
    update(_gr).where(_gr.c.id == bindparam("receipt_id")).values(stock_document_id=bindparam("d"))
)
_MOVE_ORDER = (
    update(_po)
    .where(_po.c.id == bindparam("order_id"))
    .values(status=bindparam("to_status"), updated_at=bindparam("at"))
)
# PostgreSQL's: one statement. Every CTE runs whether or not the outer query reads it; the
# conditional ones carry their condition in a WHERE.
_WRITE = """
WITH receipt AS (
    INSERT INTO goods_receipt (id, order_id, supplier_id, warehouse_id, status, stock_document_id,
                               received_by, received_at, cancelled_at)
    VALUES (%(receipt_id)s, %(receipt_order_id)s, %(receipt_supplier_id)s,
            %(receipt_warehouse_id)s, %(receipt_status)s, %(receipt_stock_document_id)s,
            %(receipt_received_by)s, %(receipt_received_at)s, %(receipt_cancelled_at)s)
), line AS (
    INSERT INTO goods_receipt_line (receipt_id, po_line_id, item_id, received, accepted,
        rejected, reason, unit_price, promised_date, ordered_at, sample_size, defects_found,
        inspection_result, stock_document_line_id)
    SELECT CAST(%(receipt_id)s AS int), l.po_line_id, l.item_id, l.received, l.accepted,
           l.rejected, l.reason, l.unit_price, l.promised_date,
           CAST(%(ordered_at)s AS timestamptz), l.sample_size, l.defects_found,
           l.inspection_result, l.stock_document_line_id
    FROM unnest(CAST(%(po_line_id)s AS int[]), CAST(%(item_id)s AS int[]),
                CAST(%(received)s AS bigint[]), CAST(%(accepted)s AS bigint[]),
                CAST(%(rejected)s AS bigint[]), CAST(%(reason)s AS text[]),
                CAST(%(unit_price)s AS bigint[]), CAST(%(promised_date)s AS date[]),
                CAST(%(sample_size)s AS int[]), CAST(%(defects_found)s AS int[]),
                CAST(%(inspection_result)s AS text[]),
                CAST(%(stock_document_line_id)s AS bigint[]))
         WITH ORDINALITY
         AS l(po_line_id, item_id, received, accepted, rejected, reason, unit_price,
              promised_date, sample_size, defects_found, inspection_result,
              stock_document_line_id, n)
    -- ids are drawn as the rows are inserted, in this order: sorted, they match the lines
    ORDER BY l.n
    RETURNING id
), received AS (
    UPDATE purchase_order_line AS line SET received_quantity = v.quantity
    FROM unnest(CAST(%(ids)s AS int[]), CAST(%(quantities)s AS bigint[])) AS v(id, quantity)
    WHERE line.id = v.id
), moved AS (
    UPDATE purchase_order SET status = CAST(%(to_status)s AS varchar), updated_at = %(at)s
    WHERE id = CAST(%(order_id)s AS int) AND CAST(%(to_status)s AS varchar) IS NOT NULL
), change AS (
    -- the one status_change row not written by ``status_writes`` (see there): same columns
    INSERT INTO status_change (subject_type, subject_id, from_status, to_status, actor_id, at,
                               reason)
    SELECT 'purchase_order', CAST(%(order_id)s AS int), CAST(%(from_status)s AS varchar),
           CAST(%(to_status)s AS varchar), CAST(%(actor_id)s AS int), %(at)s, CAST(%(why)s AS text)
    WHERE CAST(%(to_status)s AS varchar) IS NOT NULL
), audit AS (
    INSERT INTO audit_event (at, actor_id, action, entity_type, entity_id, before, after,
                             request_id)
    VALUES (%(audit_at)s, %(audit_actor_id)s, %(audit_action)s, %(audit_entity_type)s,
            %(audit_entity_id)s, CAST(%(audit_before)s AS json),
            CAST(%(audit_after)s AS json), %(audit_request_id)s)
)
SELECT array_agg(id ORDER BY id) FROM line
"""
# The arrays carry what the fixed-point columns store: the scaled integers.
_qty, _price = Quantity().process_bind_param, UnitCost().process_bind_param
_SCALED = {"received": _qty, "accepted": _qty, "rejected": _qty, "unit_price": _price}
_INTS = ("po_line_id", "item_id", "promised_date", "sample_size", "defects_found",
         "stock_document_line_id")  # fmt: skip
_TEXTS = ("reason", "inspection_result")


def lock_order(session: Session, order_id: int, warehouse_id: int | None) -> OrderHead | None:
    """Lock the order (None if there is none) and read it, with the warehouse ``warehouse_id``
    (default: the order's)."""
    params = {"order_id": order_id, "warehouse_id": warehouse_id}
    if is_postgresql(session):
        found = driver.rows(session, _HEAD[True], params, _HEAD_TYPES)
        row = found[0] if found else None
    else:
        row = session.execute(_HEAD[False], params).first()
    if row is None:
        return None
    head = OrderHead(*row)
    if head.warehouse_active is None:  # no such warehouse: say which was asked for
        head.warehouse_id = warehouse_id
    return head


def order_lines(session: Session, order_id: int) -> dict[int, OrderLine]:
    """The order's lines by id. Every writer of them holds the order row's lock, so reading
    them needs no lock of its own."""
    params = {"order_id": order_id}
    if is_postgresql(session):
        rows = driver.rows(session, _LINES[True], params, _LINE_TYPES)
    else:
        rows = session.execute(_LINES[False], params)
    return {row[0]: OrderLine(*row) for row in rows}


def set_received(session: Session, lines: Iterable[OrderLine]) -> None:
    """Write the ``received_quantity`` of ``lines``."""
    lines = list(lines)
    if not lines:
        return
    if is_postgresql(session):
        driver.execute(session, _SET_RECEIVED[True], _received_arrays(lines))
    else:
        rows = [{"line_id": x.id, "new_quantity": x.received_quantity} for x in lines]
        session.execute(_SET_RECEIVED[False], rows)


def start_receipt(session: Session, order: OrderHead, receipt: dict) -> int:
    """The new receipt's id: drawn already on PostgreSQL (written by ``write_receipt``); on
    SQLite the row (``receipt``'s columns) is inserted now."""
    if order.receipt_id is not None:
        return order.receipt_id
    return session.execute(_INSERT_RECEIPT, receipt).scalar_one()


def write_receipt(session: Session, w: ReceiptWrites) -> list[int]:
    """Write ``w``; return the receipt lines' ids in the order of ``w.lines``."""
    before, after = w.move or (None, None)
    if is_postgresql(session):
        params = {name: driver.int_array(row[name] for row in w.lines) for name in _INTS}
        params |= {name: driver.text_array(row[name] for row in w.lines) for name in _TEXTS}
        params |= {name: driver.int_array(scaled(row[name], None) for row in w.lines)
                   for name, scaled in _SCALED.items()}  # fmt: skip
        params |= _received_arrays(w.received) | audit_params(w.audit_event)
        r = w.receipt
        params |= {f"receipt_{name}": r[name] for name in _RECEIPT_COLUMNS}
        params |= {"ordered_at": w.ordered_at, "order_id": w.order_id, "from_status": before,
                   "to_status": after, "actor_id": w.actor_id, "at": w.at,
                   "why": w.why}  # fmt: skip
        return driver.execute(session, _WRITE, params).fetchone()[0]
    receipt_id, document_id = w.receipt["id"], w.receipt["stock_document_id"]
    if document_id is not None:
        session.execute(_SET_DOCUMENT, {"receipt_id": receipt_id, "d": document_id})
    rows = [{**row, "receipt_id": receipt_id, "ordered_at": w.ordered_at} for row in w.lines]
    line_ids = list(session.execute(_INSERT_LINES, rows).scalars())
    set_received(session, w.received)
    if w.move:
        session.execute(_MOVE_ORDER, {"order_id": w.order_id, "to_status": after, "at": w.at})
        record_status_change(
            session, "purchase_order", w.order_id, before, after, w.actor_id, w.at, w.why
        )
    session.execute(INSERT_AUDIT, w.audit_event)
    return line_ids


def _received_arrays(lines: list[OrderLine]) -> dict:
    return {
        "ids": driver.int_array(x.id for x in lines),
        "quantities": driver.int_array(_qty(x.received_quantity, None) for x in lines),
    }


def warehouse_active(session: Session, warehouse_id: int) -> bool | None:
    """Whether the warehouse is active; None if there is none."""
    return session.scalar(select(_wh.c.active).where(_wh.c.id == warehouse_id))


def receipt_order_id(session: Session, receipt_id: int) -> int | None:
    """The order the receipt belongs to; None if there is no such receipt."""
    return session.scalar(select(_gr.c.order_id).where(_gr.c.id == receipt_id))


def accepted_by_line(session: Session, receipt_id: int) -> list:
    """The receipt's lines as ``(po_line_id, accepted)`` rows."""
    return session.execute(
        select(GoodsReceiptLine.po_line_id, GoodsReceiptLine.accepted).where(
            GoodsReceiptLine.receipt_id == receipt_id
        )
    ).all()
