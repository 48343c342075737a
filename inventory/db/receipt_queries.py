"""Read models for goods receipts and supplier returns: straight from the tables to schemas."""

from __future__ import annotations

from sqlalchemy import func, select

from inventory.db.base import db
from inventory.db.models import StockDocument, Warehouse
from inventory.db.procurement_models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    SupplierReturn,
)
from inventory.errors import NotFound

RECEIPT_LINE_COLUMNS = (
    GoodsReceiptLine.id,
    GoodsReceiptLine.po_line_id,
    GoodsReceiptLine.item_id,
    GoodsReceiptLine.received,
    GoodsReceiptLine.accepted,
    GoodsReceiptLine.rejected,
    GoodsReceiptLine.reason,
    GoodsReceiptLine.unit_price,
    GoodsReceiptLine.promised_date,
    GoodsReceiptLine.ordered_at,
    GoodsReceiptLine.sample_size,
    GoodsReceiptLine.defects_found,
    GoodsReceiptLine.inspection_result,
)


def get_receipt(receipt_id: int) -> dict:
    row = db.session.execute(
        select(*GoodsReceipt.__table__.c).where(GoodsReceipt.id == receipt_id)
    ).first()
    if row is None:
        raise NotFound(f"No goods receipt with id {receipt_id}.")
    return _with_lines([dict(row._mapping)])[0]


def get_return(return_id: int) -> dict:
    """The return with the cost centre its issue document is charged to (or None)."""
    row = db.session.execute(
        select(*SupplierReturn.__table__.c, StockDocument.cost_centre_id)
        .join(StockDocument, StockDocument.id == SupplierReturn.stock_document_id)
        .where(SupplierReturn.id == return_id)
    ).first()
    if row is None:
        raise NotFound(f"No supplier return with id {return_id}.")
    return dict(row._mapping)


def order_receipts(order_id: int, page_no: int, page_size: int) -> tuple[list[dict], int]:
    """One page of an order's receipts, newest first, with their lines (two queries)."""
    if db.session.get(PurchaseOrder, order_id) is None:
        raise NotFound(f"No purchase order with id {order_id}.")
    where = GoodsReceipt.order_id == order_id
    total = db.session.scalar(select(func.count()).select_from(GoodsReceipt).where(where))
    rows = db.session.execute(
        select(*GoodsReceipt.__table__.c)
        .where(where)
        .order_by(GoodsReceipt.id.desc())
        .limit(page_size)
        .offset((page_no - 1) * page_size)
    )
    return _with_lines([dict(r._mapping) for r in rows]), total or 0


def _with_lines(receipts: list[dict]) -> list[dict]:
    ids = [r["id"] for r in receipts]
    lines: dict[int, list[dict]] = {i: [] for i in ids}
    if ids:
        for row in db.session.execute(
            select(GoodsReceiptLine.receipt_id, *RECEIPT_LINE_COLUMNS)
            .where(GoodsReceiptLine.receipt_id.in_(ids))
            .order_by(GoodsReceiptLine.id)
        ):
            data = dict(row._mapping)
            lines[data.pop("receipt_id")].append(data)
    return [{**r, "lines": lines[r["id"]]} for r in receipts]


def supplier_receipts(supplier_id: int, limit: int) -> list[dict]:
    """The supplier's newest ``limit`` receipts (newest first) with their order, warehouse and
    totals received, accepted and rejected over their lines: its recent deliveries."""
    newest = (
        select(*GoodsReceipt.__table__.c)
        .where(GoodsReceipt.supplier_id == supplier_id)
        .order_by(GoodsReceipt.received_at.desc(), GoodsReceipt.id.desc())
        .limit(limit)
        .subquery()
    )
    # Summed over those receipts' lines only, never the whole line table.
    totals = (
        select(
            GoodsReceiptLine.receipt_id,
            func.count().label("lines"),
            func.sum(GoodsReceiptLine.received).label("received"),
            func.sum(GoodsReceiptLine.accepted).label("accepted"),
            func.sum(GoodsReceiptLine.rejected).label("rejected"),
        )
        .where(GoodsReceiptLine.receipt_id.in_(select(newest.c.id)))
        .group_by(GoodsReceiptLine.receipt_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            newest,
            Warehouse.code.label("warehouse_code"),
            totals.c.lines,
            totals.c.received,
            totals.c.accepted,
            totals.c.rejected,
        )
        .join(Warehouse, Warehouse.id == newest.c.warehouse_id)
        .outerjoin(totals, totals.c.receipt_id == newest.c.id)
        .order_by(newest.c.received_at.desc(), newest.c.id.desc())
    )
    return [dict(r._mapping) for r in rows]
