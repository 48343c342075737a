"""What a goods receipt (or its cancellation, or a return) reads and writes of an order's lines,
and the receipt's own rows.

On PostgreSQL the rows go as arrays, unnested by statements of fixed text (see
``inventory.db.arrays``), and a receipt's writes after its stock posting are one statement of
data-modifying CTEs (``write_receipt``): the link to the stock document, the receipt's lines,
the order lines' received quantities, the order's status and its status change, and the audit
event. SQLite writes the same rows a table at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from inventory.db.audit_rows import INSERT as INSERT_AUDIT
from inventory.db.audit_rows import audit_params
from inventory.db.base import is_postgresql
from inventory.db.procurement_models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    StatusChange,
)
from inventory.db.types import Quantity, UnitCost


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

    receipt_id: int
    document_id: int | None  # None when nothing was accepted
    order_id: int
    ordered_at: datetime | None  # when the order was sent; every line carries it
    lines: list[dict]  # the receipt's lines: their columns but receipt_id and ordered_at
    received: list[OrderLine]  # the order lines whose received quantity moved
    move: tuple[str, str] | None  # the order's status (from, to), when it changes
    actor_id: int
    at: datetime
    why: str  # the status change's reason
    audit_event: dict  # the audit row's columns


_pol, _grl = PurchaseOrderLine.__table__, GoodsReceiptLine.__table__
_gr, _po = GoodsReceipt.__table__, PurchaseOrder.__table__
_LINES = select(*(_pol.c[name] for name in OrderLine.__dataclass_fields__)).where(
    _pol.c.order_id == bindparam("order_id")
)
_SET_RECEIVED = {  # keyed by "is this PostgreSQL?"
    True: text("""
        UPDATE purchase_order_line AS line SET received_quantity = v.quantity
        FROM unnest(CAST(:ids AS int[]), CAST(:quantities AS bigint[])) AS v(id, quantity)
        WHERE line.id = v.id"""),
    False: update(_pol)
    .where(_pol.c.id == bindparam("line_id"))
    .values(received_quantity=bindparam("new_quantity")),
}
# SQLite's statements for ``write_receipt``, a table at a time.
_INSERT_LINES = insert(_grl).returning(_grl.c.id, sort_by_parameter_order=True)
_SET_DOCUMENT = (
    update(_gr).where(_gr.c.id == bindparam("receipt_id")).values(stock_document_id=bindparam("d"))
)
_MOVE_ORDER = (
    update(_po)
    .where(_po.c.id == bindparam("order_id"))
    .values(status=bindparam("to_status"), updated_at=bindparam("at"))
)
_INSERT_CHANGE = insert(StatusChange.__table__)
# PostgreSQL's: one statement. Every CTE runs whether or not the outer query reads it; the
# conditional ones carry their condition in a WHERE.
_WRITE = text("""
WITH document AS (
    UPDATE goods_receipt SET stock_document_id = CAST(:document_id AS bigint)
    WHERE id = CAST(:receipt_id AS int) AND CAST(:document_id AS bigint) IS NOT NULL
), line AS (
    INSERT INTO goods_receipt_line (receipt_id, po_line_id, item_id, received, accepted,
        rejected, reason, unit_price, promised_date, ordered_at, sample_size, defects_found,
        inspection_result)
    SELECT CAST(:receipt_id AS int), l.po_line_id, l.item_id, l.received, l.accepted,
           l.rejected, l.reason, l.unit_price, l.promised_date,
           CAST(:ordered_at AS timestamptz), l.sample_size, l.defects_found,
           l.inspection_result
    FROM unnest(CAST(:po_line_id AS int[]), CAST(:item_id AS int[]),
                CAST(:received AS bigint[]), CAST(:accepted AS bigint[]),
                CAST(:rejected AS bigint[]), CAST(:reason AS text[]),
                CAST(:unit_price AS bigint[]), CAST(:promised_date AS date[]),
                CAST(:sample_size AS int[]), CAST(:defects_found AS int[]),
                CAST(:inspection_result AS text[]))
         WITH ORDINALITY
         AS l(po_line_id, item_id, received, accepted, rejected, reason, unit_price,
              promised_date, sample_size, defects_found, inspection_result, n)
    -- ids are drawn as the rows are inserted, in this order: sorted, they match the lines
    ORDER BY l.n
    RETURNING id
), received AS (
    UPDATE purchase_order_line AS line SET received_quantity = v.quantity
    FROM unnest(CAST(:ids AS int[]), CAST(:quantities AS bigint[])) AS v(id, quantity)
    WHERE line.id = v.id
), moved AS (
    UPDATE purchase_order SET status = CAST(:to_status AS varchar), updated_at = :at
    WHERE id = CAST(:order_id AS int) AND CAST(:to_status AS varchar) IS NOT NULL
), change AS (
    INSERT INTO status_change (subject_type, subject_id, from_status, to_status, actor_id, at,
                               reason)
    SELECT 'purchase_order', CAST(:order_id AS int), CAST(:from_status AS varchar),
           CAST(:to_status AS varchar), CAST(:actor_id AS int), :at, CAST(:why AS text)
    WHERE CAST(:to_status AS varchar) IS NOT NULL
), audit AS (
    INSERT INTO audit_event (at, actor_id, action, entity_type, entity_id, before, after,
                             request_id)
    VALUES (:audit_at, :audit_actor_id, :audit_action, :audit_entity_type, :audit_entity_id,
            CAST(:audit_before AS json), CAST(:audit_after AS json), :audit_request_id)
)
SELECT array_agg(id ORDER BY id) FROM line
""")
# The arrays carry what the fixed-point columns store: the scaled integers.
_qty, _price = Quantity().process_bind_param, UnitCost().process_bind_param
_SCALED = {"received": _qty, "accepted": _qty, "rejected": _qty, "unit_price": _price}
_PLAIN = ("po_line_id", "item_id", "reason", "promised_date", "sample_size", "defects_found",
          "inspection_result")  # fmt: skip


def order_lines(session: Session, order_id: int) -> dict[int, OrderLine]:
    """The order's lines by id. Every writer of them holds the order row's lock, so reading
    them needs no lock of its own."""
    rows = session.execute(_LINES, {"order_id": order_id})
    return {row.id: OrderLine(*row) for row in rows}


def set_received(session: Session, lines: Iterable[OrderLine]) -> None:
    """Write the ``received_quantity`` of ``lines``."""
    lines = list(lines)
    if not lines:
        return
    if is_postgresql(session):
        session.execute(_SET_RECEIVED[True], _received_arrays(lines))
    else:
        rows = [{"line_id": x.id, "new_quantity": x.received_quantity} for x in lines]
        session.execute(_SET_RECEIVED[False], rows)


def write_receipt(session: Session, w: ReceiptWrites) -> list[int]:
    """Write ``w``; return the receipt lines' ids in the order of ``w.lines``."""
    before, after = w.move or (None, None)
    if is_postgresql(session):
        params = {name: [row[name] for row in w.lines] for name in _PLAIN}
        params |= {name: [scaled(row[name], None) for row in w.lines]
                   for name, scaled in _SCALED.items()}  # fmt: skip
        params |= _received_arrays(w.received) | audit_params(w.audit_event)
        params |= {"receipt_id": w.receipt_id, "document_id": w.document_id,
                   "ordered_at": w.ordered_at, "order_id": w.order_id, "from_status": before,
                   "to_status": after, "actor_id": w.actor_id, "at": w.at,
                   "why": w.why}  # fmt: skip
        return list(session.execute(_WRITE, params).scalar_one())
    if w.document_id is not None:
        session.execute(_SET_DOCUMENT, {"receipt_id": w.receipt_id, "d": w.document_id})
    rows = [{**row, "receipt_id": w.receipt_id, "ordered_at": w.ordered_at} for row in w.lines]
    line_ids = list(session.execute(_INSERT_LINES, rows).scalars())
    set_received(session, w.received)
    if w.move:
        session.execute(_MOVE_ORDER, {"order_id": w.order_id, "to_status": after, "at": w.at})
        change = {"subject_type": "purchase_order", "subject_id": w.order_id,
                  "from_status": before, "to_status": after, "actor_id": w.actor_id,
                  "at": w.at, "reason": w.why}  # fmt: skip
        session.execute(_INSERT_CHANGE, change)
    session.execute(INSERT_AUDIT, w.audit_event)
    return line_ids


def _received_arrays(lines: list[OrderLine]) -> dict:
    return {
        "ids": [x.id for x in lines],
        "quantities": [_qty(x.received_quantity, None) for x in lines],
    }
