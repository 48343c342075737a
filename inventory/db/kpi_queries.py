"""Aggregates the KPIs are computed from, each one statement over the ledger or the documents
(docs/reports.md, "KPIs", gives the formulas)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, literal, select

from inventory.db.base import db
from inventory.db.models import (
    StockDocument,
    StockDocumentLine,
    StockLedger,
    Stocktake,
    StocktakeLine,
)
from inventory.db.report_sql import epoch_seconds, moment, pg, raw, scaled

L, D = StockLedger, StockDocument


def _warehouse(query, column, warehouse_id: int | None):
    return query if warehouse_id is None else query.where(column == warehouse_id)


def stock_value_before(at: datetime, warehouse_id: int | None) -> Decimal:
    """Σ ledger value posted before ``at``: the stock value at that instant, exact."""
    query = _warehouse(
        select(func.sum(L.value)).where(L.posted_at < moment(at)), L.warehouse_id, warehouse_id
    )
    return db.session.scalar(query) or Decimal(0)


def consumption(start: datetime, stop: datetime, warehouse_id: int | None) -> tuple:
    """(quantity, value) issued for use in ``[start, stop)``: issue documents other than
    returns to suppliers, net of cancellations, as positive numbers."""
    query = (
        select(-func.sum(L.quantity), -func.sum(L.value))
        .join(D, D.id == L.document_id)
        .where(
            D.type == "issue",
            ~D.source.like("supplier_return:%"),
            L.posted_at >= moment(start),
            L.posted_at < moment(stop),
        )
    )
    quantity, value = db.session.execute(_warehouse(query, L.warehouse_id, warehouse_id)).one()
    return quantity or Decimal(0), value or Decimal(0)


def _greatest(a, b):
    return func.greatest(a, b) if pg() else func.max(a, b)


def _least(a, b):
    return func.least(a, b) if pg() else func.min(a, b)


def stock_out(start: datetime, stop: datetime, warehouse_id: int | None) -> tuple[int, float]:
    """(item-warehouse pairs with any ledger row before ``stop``, Σ days those pairs spent at a
    zero balance inside ``[start, stop)``). A pair is at zero from a ledger row that leaves it
    at zero until its next row."""
    start_s = literal(start.timestamp())
    stop_s = literal(stop.timestamp())
    at = epoch_seconds(L.posted_at)
    rows = _warehouse(
        select(
            L.item_id,
            L.warehouse_id,
            raw(L.balance_quantity).label("balance"),
            at.label("at_s"),
            func.lead(at)
            .over(partition_by=(L.item_id, L.warehouse_id), order_by=(L.posted_at, L.id))
            .label("next_s"),
        ).where(L.posted_at < moment(stop)),
        L.warehouse_id,
        warehouse_id,
    ).subquery()
    begin = _greatest(rows.c.at_s, start_s)
    end = _least(func.coalesce(rows.c.next_s, stop_s), stop_s)
    zero = select(func.sum(end - begin)).where(rows.c.balance == 0, end > begin).scalar_subquery()
    pairs = select(func.count()).select_from(
        select(rows.c.item_id, rows.c.warehouse_id).distinct().subquery()
    )
    found = db.session.execute(select(pairs.scalar_subquery(), zero)).one()
    return int(found[0] or 0), float(found[1] or 0) / 86400.0


def issue_lines(start: datetime, stop: datetime, warehouse_id: int | None) -> tuple[int, int]:
    """(issue document lines created in ``[start, stop)``, those of them that were posted —
    including documents posted and cancelled later: the stock did go out)."""
    posted = func.sum(func.cast(D.posted_at.is_not(None), db.Integer))
    query = (
        select(func.count(), posted)
        .select_from(StockDocumentLine)
        .join(D, D.id == StockDocumentLine.document_id)
        .where(
            D.type == "issue",
            ~D.source.like("supplier_return:%"),
            D.created_at >= moment(start),
            D.created_at < moment(stop),
        )
    )
    total, filled = db.session.execute(_warehouse(query, D.warehouse_id, warehouse_id)).one()
    return int(total or 0), int(filled or 0)


def counted_lines(start: datetime, stop: datetime, warehouse_id: int | None) -> list[dict]:
    """The lines of stocktakes posted in ``[start, stop)`` with what the tolerance rule needs:
    book and counted quantity, the book unit cost and the stocktake's tolerances."""
    line, take = StocktakeLine, Stocktake
    query = (
        select(
            raw(line.counted_quantity).label("counted"),
            raw(line.book_quantity).label("book"),
            raw(line.book_unit_cost).label("cost"),
            raw(take.quantity_tolerance_pct).label("pct"),
            raw(take.value_tolerance).label("tolerance"),
        )
        .join(take, take.id == line.stocktake_id)
        .where(
            take.status == "posted",
            take.posted_at >= moment(start),
            take.posted_at < moment(stop),
            line.counted_quantity.is_not(None),
        )
    )
    query = _warehouse(query, take.warehouse_id, warehouse_id)
    return [
        {
            "counted": scaled(r.counted, 3),
            "book": scaled(r.book or 0, 3),
            "cost": scaled(r.cost or 0, 4),
            "pct": scaled(r.pct, 2),
            "tolerance": scaled(r.tolerance, 2),
        }
        for r in db.session.execute(query)
    ]
