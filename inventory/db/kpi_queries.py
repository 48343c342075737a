"""Aggregates the KPIs are computed from, each one statement over the ledger or the documents
(docs/reports.md, "KPIs", gives the formulas)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, or_, select, tuple_
from sqlalchemy.orm import aliased

from inventory.db.base import db
from inventory.db.models import (
    StockBalance,
    StockDocument,
    StockDocumentLine,
    StockLedger,
    Stocktake,
    StocktakeLine,
)
from inventory.db.report_sql import epoch_seconds, moment, pg, raw, scaled

L, D, B = StockLedger, StockDocument, StockBalance


def _warehouse(query, column, warehouse_id: int | None):
    return query if warehouse_id is None else query.where(column == warehouse_id)


def stock_value_before(at: datetime, warehouse_id: int | None) -> Decimal:
    """Σ ledger value posted before ``at``: the stock value at that instant, exact. Read as the
    balances now less what was posted since ``at`` (the balances are the ledger's running sum,
    kept in the same transaction), so a recent ``at`` reads a few rows, not the whole past."""
    now = _warehouse(select(func.sum(B.value)), B.warehouse_id, warehouse_id)
    since = _warehouse(
        select(func.sum(L.value)).where(L.posted_at >= moment(at)), L.warehouse_id, warehouse_id
    )
    found = db.session.execute(select(now.scalar_subquery(), since.scalar_subquery())).one()
    if found[0] is None and found[1] is None:
        return Decimal(0)
    return (found[0] or Decimal(0)) - (found[1] or Decimal(0))


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


def opening_and_consumption(
    start: datetime, stop: datetime, warehouse_id: int | None
) -> tuple[Decimal, Decimal, Decimal]:
    """(``stock_value_before(start)``, then ``consumption(start, stop)``'s quantity and value)
    in one statement: both read the ledger rows posted since ``start``, so they are read once,
    the issue documents (few) hashed beside them."""
    issues = select(D.id).where(D.type == "issue", ~D.source.like("supplier_return:%")).subquery()
    used = and_(issues.c.id.is_not(None), L.posted_at < moment(stop))
    since = _warehouse(
        select(
            func.sum(L.value).label("value"),
            func.sum(L.quantity).filter(used).label("used_quantity"),
            func.sum(L.value).filter(used).label("used_value"),
        )
        .outerjoin(issues, issues.c.id == L.document_id)
        .where(L.posted_at >= moment(start)),
        L.warehouse_id,
        warehouse_id,
    ).subquery()
    now = _warehouse(select(func.sum(B.value)), B.warehouse_id, warehouse_id).scalar_subquery()
    found = db.session.execute(
        select(now.label("now"), since.c.value, since.c.used_quantity, since.c.used_value)
    ).one()
    zero = Decimal(0)
    opening = (found.now or zero) - (found.value or zero)
    return opening, -(found.used_quantity or zero), -(found.used_value or zero)


def _greatest(a, b):
    return func.greatest(a, b) if pg() else func.max(a, b)


def _least(a, b):
    return func.least(a, b) if pg() else func.min(a, b)


def _zero_rows(start: datetime, stop: datetime, warehouse_id: int | None):
    """The rows leaving a pair at zero that can count inside ``[start, stop)``: those posted in
    it, and per pair the latest one before ``start`` (an earlier one's next row comes before
    ``start`` too). Both from the small partial index ``ix_stock_ledger_zero``."""
    at_zero = raw(L.balance_quantity) == 0
    columns = (L.id, L.item_id, L.warehouse_id, L.posted_at)
    inside = _warehouse(
        select(*columns).where(at_zero, L.posted_at >= moment(start), L.posted_at < moment(stop)),
        L.warehouse_id,
        warehouse_id,
    )
    newest_first = func.row_number().over(
        partition_by=(L.item_id, L.warehouse_id), order_by=(L.posted_at.desc(), L.id.desc())
    )
    before = _warehouse(
        select(*columns, newest_first.label("newest")).where(at_zero, L.posted_at < moment(start)),
        L.warehouse_id,
        warehouse_id,
    ).subquery()
    last_before = select(before.c.id, before.c.item_id, before.c.warehouse_id, before.c.posted_at)
    return inside.union_all(last_before.where(before.c.newest == 1)).subquery()


def stock_out(start: datetime, stop: datetime, warehouse_id: int | None) -> tuple[int, float]:
    """(item-warehouse pairs with any ledger row before ``stop``, Σ days those pairs spent at a
    zero balance inside ``[start, stop)``). A pair is at zero from a ledger row that leaves it
    at zero until its next row.

    Set-based, not a window over the whole ledger: only the rows that leave a balance at zero
    and can reach into the window are read (``_zero_rows``), each with the time of its next row
    (the least later ``(posted_at, id)`` of its pair, one index probe); the pairs are the
    balances (every posted pair has one) with a ledger row before ``stop``."""
    start_s = literal(start.timestamp())
    stop_s = literal(stop.timestamp())
    zero_rows = _zero_rows(start, stop, warehouse_id)
    later = aliased(L)
    next_at = (
        select(func.min(later.posted_at))
        .where(
            later.item_id == zero_rows.c.item_id,
            later.warehouse_id == zero_rows.c.warehouse_id,
            later.posted_at < moment(stop),
            # a row comparison: the index range starts just after the zero row itself
            tuple_(later.posted_at, later.id) > tuple_(zero_rows.c.posted_at, zero_rows.c.id),
        )
        .scalar_subquery()
    )
    rows = select(
        epoch_seconds(zero_rows.c.posted_at).label("at_s"),
        epoch_seconds(next_at).label("next_s"),
    ).subquery()
    begin = _greatest(rows.c.at_s, start_s)
    end = _least(func.coalesce(rows.c.next_s, stop_s), stop_s)
    # one reference to ``end``: the next row's probe runs once per zero row
    zero = select(func.sum(_greatest(end - begin, literal(0)))).scalar_subquery()
    posted = (
        select(L.id)
        .where(
            L.item_id == B.item_id,
            L.warehouse_id == B.warehouse_id,
            L.posted_at < moment(stop),
        )
        .exists()
    )
    probed = _warehouse(
        select(func.count()).select_from(B).where(posted), B.warehouse_id, warehouse_id
    )
    # Nothing posted at or after ``stop`` (a window up to now): a pair counts when it has any
    # ledger row, and a balance off zero has (it is the sum of its rows), so only the balances
    # at zero are probed (one may have been made by a lock that posted nothing to it).
    anything = select(L.id).where(L.item_id == B.item_id, L.warehouse_id == B.warehouse_id)
    off_zero = or_(raw(B.quantity) != 0, raw(B.value) != 0, anything.exists())
    counted = _warehouse(
        select(func.count()).select_from(B).where(off_zero), B.warehouse_id, warehouse_id
    )
    since_stop = select(L.id).where(L.posted_at >= moment(stop)).exists()
    pairs = case((since_stop, probed.scalar_subquery()), else_=counted.scalar_subquery())
    found = db.session.execute(select(pairs, zero)).one()
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
