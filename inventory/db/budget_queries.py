"""Budget against committed and actual, per cost centre and budget period, summed in the
database per budget (and per exchange rate, which Python then applies once per group).

An order line belongs to a budget through its request (the budget the request was approved
against) or, on a direct order, through the order's cost centre and the UTC day it was sent
(created, while still a draft). See docs/reports.md, "Budget".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, select

from inventory.db.base import db
from inventory.db.procurement_models import (
    Budget,
    CostCentre,
    ExchangeRate,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
)
from inventory.db.report_sql import raw, scaled, utc_day, wide
from inventory.domain import numbers as n

PO, OL = PurchaseOrder, PurchaseOrderLine
RATE_ONE = 1_000_000
OPEN_REQUEST_STATUSES = ("approved", "ordered")


def budgets(
    *,
    cost_centre_id: int | None,
    period: str | None,
    overlapping: tuple[date, date] | None,
) -> list[dict]:
    """The budgets asked for, by centre code and start."""
    query = select(
        Budget.id.label("budget_id"),
        Budget.cost_centre_id,
        CostCentre.code.label("cost_centre_code"),
        Budget.period,
        Budget.starts_on,
        Budget.ends_on,
        Budget.amount,
    ).join(CostCentre, CostCentre.id == Budget.cost_centre_id)
    if cost_centre_id is not None:
        query = query.where(Budget.cost_centre_id == cost_centre_id)
    if period is not None:
        query = query.where(Budget.period == period)
    if overlapping is not None:
        query = query.where(Budget.starts_on <= overlapping[1], Budget.ends_on >= overlapping[0])
    query = query.order_by(CostCentre.code, Budget.starts_on)
    return [dict(r._mapping) for r in db.session.execute(query)]


def _rate(today: date):
    """The order's fixed rate; a draft's is not fixed yet, so today's rate, else 1 (base)."""
    latest = (
        select(raw(ExchangeRate.rate))
        .where(ExchangeRate.currency == PO.currency, ExchangeRate.valid_from <= today)
        .order_by(ExchangeRate.valid_from.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(raw(PO.exchange_rate), latest, literal(RATE_ONE))


def order_values(budget_ids: list[int], today: date, *, direct_only: bool = False) -> dict:
    """``{budget_id: {"on_order": Decimal, "actual": Decimal}}`` in base currency: what is on
    order and not yet received, and what was received (accepted, net of returns), at the order
    price and rate; one half-even rounding per budget."""
    if not budget_ids:
        return {}
    direct = Budget.__table__.alias("direct_budget")
    day = utc_day(func.coalesce(PO.sent_at, PO.created_at))
    budget_id = func.coalesce(PurchaseRequest.budget_id, direct.c.id)
    open_qty = raw(OL.quantity) - raw(OL.cancelled_quantity) - raw(OL.received_quantity)
    open_qty = case((open_qty > 0, open_qty), else_=0)
    rate = _rate(today)
    query = (
        select(
            budget_id.label("budget_id"),
            rate.label("rate_raw"),
            func.sum(wide(open_qty * raw(OL.unit_price))).label("on_order_raw"),
            func.sum(wide(raw(OL.received_quantity) * raw(OL.unit_price))).label("actual_raw"),
        )
        .select_from(OL)
        .join(PO, PO.id == OL.order_id)
        .outerjoin(PurchaseRequestLine, PurchaseRequestLine.id == OL.request_line_id)
        .outerjoin(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.request_id)
        .outerjoin(
            direct,
            and_(
                OL.request_line_id.is_(None),
                direct.c.cost_centre_id == PO.cost_centre_id,
                direct.c.starts_on <= day,
                direct.c.ends_on >= day,
            ),
        )
        .where(PO.status != "cancelled", budget_id.in_(budget_ids))
        .group_by(budget_id, rate)
    )
    if direct_only:
        query = query.where(OL.request_line_id.is_(None))
    sums: dict[int, dict[str, Decimal]] = defaultdict(
        lambda: {"on_order": n.ZERO, "actual": n.ZERO}
    )
    for row in db.session.execute(query):
        rate_value = scaled(row.rate_raw, 6)
        for key in ("on_order", "actual"):
            sums[row.budget_id][key] += scaled(getattr(row, f"{key}_raw"), 7) * rate_value
    return {b: {k: n.value(v) for k, v in figures.items()} for b, figures in sums.items()}


def requested_open(budget_ids: list[int]) -> dict[int, Decimal]:
    """``{budget_id: estimate}`` of approved requests' lines not yet on an order."""
    if not budget_ids:
        return {}
    line = PurchaseRequestLine
    remaining = raw(line.quantity) - raw(line.ordered_quantity)
    remaining = case((remaining > 0, remaining), else_=0)
    query = (
        select(
            PurchaseRequest.budget_id,
            func.sum(wide(remaining * raw(line.estimated_price))).label("raw"),
        )
        .join(line, line.request_id == PurchaseRequest.id)
        .where(
            PurchaseRequest.budget_id.in_(budget_ids),
            PurchaseRequest.status.in_(OPEN_REQUEST_STATUSES),
        )
        .group_by(PurchaseRequest.budget_id)
    )
    return {r.budget_id: n.value(scaled(r.raw, 7)) for r in db.session.execute(query)}


def figures(budget_ids: list[int], today: date) -> dict[int, dict]:
    """``{budget_id: {period, amount, committed, actual, available}}`` as the budget report
    counts them (committed: approved requests not yet ordered plus what is on order; actual:
    what was received), for the few budgets a page shows."""
    ids = sorted(set(budget_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Budget.id, Budget.period, Budget.amount).where(Budget.id.in_(ids))
    ).all()
    orders = order_values(ids, today)
    requested = requested_open(ids)
    found: dict[int, dict] = {}
    for row in rows:
        on_order = orders.get(row.id, {})
        committed = n.value(requested.get(row.id, n.ZERO) + on_order.get("on_order", n.ZERO))
        actual = on_order.get("actual", n.value(0))
        amount = n.value(row.amount)
        found[row.id] = {
            "period": row.period,
            "amount": amount,
            "committed": committed,
            "actual": actual,
            "available": n.value(amount - committed - actual),
        }
    return found
