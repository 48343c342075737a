"""What a goods receipt (or its cancellation, or a return) reads and writes of an order's lines,
and the receipt's own lines.

On PostgreSQL the rows go as arrays, unnested by one statement of fixed text (see
``inventory.db.arrays``): the 20 order-line updates of a 20-line receipt are one statement, not
20, and the receipt's lines one short INSERT rather than a VALUES list of 260 parameters that
psycopg would convert anew every time. SQLite gets the same rows as plain executemany.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from inventory.db.arrays import is_postgresql
from inventory.db.procurement_models import GoodsReceiptLine, PurchaseOrderLine
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


_pol = PurchaseOrderLine.__table__
_grl = GoodsReceiptLine.__table__
_LINES = select(*(_pol.c[name] for name in OrderLine.__dataclass_fields__)).where(
    _pol.c.order_id == bindparam("order_id")
)
_SET_RECEIVED = {
    True: text("""
        UPDATE purchase_order_line AS line SET received_quantity = v.quantity
        FROM unnest(CAST(:ids AS int[]), CAST(:quantities AS bigint[])) AS v(id, quantity)
        WHERE line.id = v.id"""),
    False: update(_pol)
    .where(_pol.c.id == bindparam("line_id"))
    .values(received_quantity=bindparam("new_quantity")),
}
_INSERT_LINES = {
    True: text("""
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
        RETURNING id"""),
    False: insert(_grl).returning(_grl.c.id, sort_by_parameter_order=True),
}
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
        params = {
            "ids": [x.id for x in lines],
            "quantities": [_qty(x.received_quantity, None) for x in lines],
        }
        session.execute(_SET_RECEIVED[True], params)
    else:
        rows = [{"line_id": x.id, "new_quantity": x.received_quantity} for x in lines]
        session.execute(_SET_RECEIVED[False], rows)


def insert_receipt_lines(
    session: Session, receipt_id: int, ordered_at: datetime | None, rows: list[dict]
) -> list[int]:
    """Insert the receipt's lines (each a dict of the columns but ``receipt_id`` and
    ``ordered_at``, which all share); return their ids in the order of ``rows``."""
    if is_postgresql(session):
        params = {name: [row[name] for row in rows] for name in _PLAIN}
        for name, scaled in _SCALED.items():
            params[name] = [scaled(row[name], None) for row in rows]
        params |= {"receipt_id": receipt_id, "ordered_at": ordered_at}
        return sorted(session.execute(_INSERT_LINES[True], params).scalars())
    full = [{**row, "receipt_id": receipt_id, "ordered_at": ordered_at} for row in rows]
    return list(session.execute(_INSERT_LINES[False], full).scalars())
