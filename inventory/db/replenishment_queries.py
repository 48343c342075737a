"""What a reorder run reads besides demand: one set-based query per input, frames out.

Quantities and prices come back as exact ``Decimal`` (the columns' own types); the run hands
floats to ``forecasting`` and ``Decimal`` to ``inventory.domain.reorder``.

Where a request's quantity belongs: purchase requests name no warehouse (the warehouse is chosen
when the request is ordered). A request line counts towards

1. the warehouse of the reorder suggestion it was accepted from (``reorder_suggestion.
   request_line_id``), so an accepted suggestion is never suggested again; else
2. the warehouse of the latest purchase order line for that item (where it was last bought for);
   else
3. the item's lowest-numbered warehouse holding a stock balance row.

Each line counts once, in one warehouse, so nothing is counted twice. Which requests count:
approved or ordered ones, for what is not yet on an order (``quantity - ordered_quantity``; the
ordered part is on order already), and draft or submitted ones accepted from a suggestion
(purchasing has decided to buy them; a plain draft may be abandoned and would block reordering).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
from sqlalchemy import and_, func, literal, or_, select, text, union_all

from inventory.db.base import db
from inventory.db.models import Item, StockBalance, Warehouse
from inventory.db.procurement_models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    Supplier,
    SupplierItem,
    SupplierScore,
)
from inventory.db.purchasing_queries import price_breaks, rates_on
from inventory.db.replenishment_models import ReorderPolicy, ReorderSuggestion
from inventory.domain.pricing import rate_for

OPEN_ORDER_STATUSES = ("draft", "sent", "partially_received")
COUNTED_REQUEST_STATUSES = ("approved", "ordered")
ACCEPTED_DRAFT_STATUSES = ("draft", "submitted")


def _frame(statement, columns: list[str]) -> pd.DataFrame:
    rows = db.session.execute(statement).all()
    return pd.DataFrame.from_records(rows, columns=columns, coerce_float=False)


def item_warehouses(item_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Every active item in every active warehouse it has a stock balance or an active reorder
    policy in: ``[item_id, warehouse_id, on_hand, valuation_cost]``, sorted."""
    pairs = union_all(
        select(StockBalance.item_id, StockBalance.warehouse_id),
        select(ReorderPolicy.item_id, ReorderPolicy.warehouse_id).where(ReorderPolicy.active),
    ).subquery()
    statement = (
        select(
            pairs.c.item_id,
            pairs.c.warehouse_id,
            func.coalesce(StockBalance.quantity, 0),
            Item.valuation_cost,
        )
        .distinct()
        .join(Item, and_(Item.id == pairs.c.item_id, Item.active))
        .join(Warehouse, and_(Warehouse.id == pairs.c.warehouse_id, Warehouse.active))
        .outerjoin(
            StockBalance,
            and_(
                StockBalance.item_id == pairs.c.item_id,
                StockBalance.warehouse_id == pairs.c.warehouse_id,
            ),
        )
        .order_by(pairs.c.item_id, pairs.c.warehouse_id)
    )
    if item_ids is not None:
        statement = statement.where(pairs.c.item_id.in_(list(item_ids)))
    frame = _frame(statement, ["item_id", "warehouse_id", "on_hand", "valuation_cost"])
    frame["on_hand"] = frame["on_hand"].map(_decimal)
    return frame


def _decimal(value):
    from decimal import Decimal

    return value if hasattr(value, "as_tuple") else Decimal(int(value or 0)).scaleb(-3)


def open_order_lines(item_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Order lines with quantity still to come, to the order's warehouse: ``[po_line_id,
    order_id, supplier_id, item_id, warehouse_id, open_quantity, promised_date, status]``."""
    line = PurchaseOrderLine
    open_qty = line.quantity - line.received_quantity - line.cancelled_quantity
    statement = (
        select(
            line.id,
            line.order_id,
            PurchaseOrder.supplier_id,
            line.item_id,
            PurchaseOrder.warehouse_id,
            open_qty,
            line.promised_date,
            PurchaseOrder.status,
        )
        .join(PurchaseOrder, PurchaseOrder.id == line.order_id)
        .where(PurchaseOrder.status.in_(OPEN_ORDER_STATUSES), open_qty > 0)
        .order_by(line.id)
    )
    if item_ids is not None:
        statement = statement.where(line.item_id.in_(list(item_ids)))
    columns = ["po_line_id", "order_id", "supplier_id", "item_id", "warehouse_id"]
    frame = _frame(statement, [*columns, "open_quantity", "promised_date", "status"])
    frame["open_quantity"] = frame["open_quantity"].map(_decimal)
    return frame


def requested(item_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Request quantity not yet ordered, per item and the warehouse it counts towards (see the
    module): ``[item_id, warehouse_id, requested]``; one row per item and warehouse."""
    line, request = PurchaseRequestLine, PurchaseRequest
    suggested_to = (
        select(ReorderSuggestion.warehouse_id)
        .where(ReorderSuggestion.request_line_id == line.id)
        .order_by(ReorderSuggestion.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    last_ordered_to = (
        select(PurchaseOrder.warehouse_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.order_id == PurchaseOrder.id)
        .where(PurchaseOrderLine.item_id == line.item_id)
        .order_by(PurchaseOrderLine.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    first_stocked_in = (
        select(func.min(StockBalance.warehouse_id))
        .where(StockBalance.item_id == line.item_id)
        .scalar_subquery()
    )
    accepted = select(literal(1)).where(ReorderSuggestion.request_line_id == line.id).exists()
    counted = or_(
        request.status.in_(COUNTED_REQUEST_STATUSES),
        and_(request.status.in_(ACCEPTED_DRAFT_STATUSES), accepted),
    )
    remaining = line.quantity - line.ordered_quantity
    per_line = (
        select(
            line.item_id.label("item_id"),
            func.coalesce(suggested_to, last_ordered_to, first_stocked_in).label("warehouse_id"),
            remaining.label("remaining"),
        )
        .join(request, request.id == line.request_id)
        .where(counted, remaining > 0)
    )
    if item_ids is not None:
        per_line = per_line.where(line.item_id.in_(list(item_ids)))
    per_line = per_line.subquery()
    statement = (
        select(per_line.c.item_id, per_line.c.warehouse_id, func.sum(per_line.c.remaining))
        .where(per_line.c.warehouse_id.is_not(None))
        .group_by(per_line.c.item_id, per_line.c.warehouse_id)
        .order_by(per_line.c.item_id, per_line.c.warehouse_id)
    )
    frame = _frame(statement, ["item_id", "warehouse_id", "requested"])
    frame["requested"] = frame["requested"].map(_decimal)
    return frame


def supplier_options(item_ids: Sequence[int] | None, on: date) -> pd.DataFrame:
    """Active offers of active suppliers, as ``inventory.domain.pricing.Offer`` holds them:
    ``[supplier_item_id, supplier_id, supplier_code, item_id, currency, unit_price (the
    supplier's currency), breaks (tuple of (min_quantity, unit_price))), min_order_quantity,
    pack_size, lead_time_days (the offer's, else the supplier's default), preferred, score
    (None if unscored), rate (base units per currency unit on ``on``; None if unknown)]``."""
    si = SupplierItem
    statement = (
        select(
            si.id,
            si.supplier_id,
            Supplier.code,
            si.item_id,
            Supplier.currency,
            si.unit_price,
            si.min_order_quantity,
            si.pack_size,
            func.coalesce(si.lead_time_days, Supplier.default_lead_time_days),
            si.preferred,
            SupplierScore.score,
        )
        .join(Supplier, and_(Supplier.id == si.supplier_id, Supplier.status == "active"))
        .outerjoin(SupplierScore, SupplierScore.supplier_id == si.supplier_id)
        .where(si.active)
        .order_by(si.item_id, si.id)
    )
    if item_ids is not None:
        statement = statement.where(si.item_id.in_(list(item_ids)))
    columns = ["supplier_item_id", "supplier_id", "supplier_code", "item_id", "currency"]
    columns += ["unit_price", "min_order_quantity", "pack_size", "lead_time_days", "preferred"]
    frame = _frame(statement, [*columns, "score"])
    rates = rates_on(sorted(set(frame["currency"])), on) if len(frame) else {}
    frame["rate"] = [rate_for(c, rates) for c in frame["currency"]]
    breaks = price_breaks(frame["supplier_item_id"].tolist())
    frame["breaks"] = [
        tuple((b["min_quantity"], b["unit_price"]) for b in breaks.get(sid, ()))
        for sid in frame["supplier_item_id"]
    ]
    return frame


_LEAD_DAYS = {
    "postgresql": "EXTRACT(EPOCH FROM (gr.received_at - {0})) / 86400.0",
    "sqlite": "julianday(gr.received_at) - julianday({0})",
}
_LEAD_TIMES_SQL = """
SELECT supplier_id, item_id, COUNT(*) AS n, AVG(days) AS mean_days, AVG(days * days) AS mean_sq
FROM (
  SELECT DISTINCT gr.id AS receipt_id, grl.po_line_id, gr.supplier_id, grl.item_id,
         {days} AS days
  FROM goods_receipt gr
  JOIN goods_receipt_line grl ON grl.receipt_id = gr.id
  JOIN purchase_order po ON po.id = gr.order_id
  WHERE gr.status = 'posted' AND {ordered} IS NOT NULL {scope}
) deliveries
GROUP BY supplier_id, item_id
"""


def measured_lead_times(item_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Lead time as measured, per supplier and item: days from the order's sending (the
    receipt line's ``ordered_at``, else the order's ``sent_at``) to each posted receipt of it.
    ``[supplier_id, item_id, receipts, lead_mean_days, lead_sd_days]`` (sd 0 for one receipt)."""
    dialect = db.session.get_bind().dialect.name
    ordered = "COALESCE(grl.ordered_at, po.sent_at)"
    scope = ""
    if item_ids is not None:
        scope = f"AND grl.item_id IN ({', '.join(str(int(i)) for i in item_ids) or '-1'})"
    sql = _LEAD_TIMES_SQL.format(
        days=_LEAD_DAYS[dialect].format(ordered), ordered=ordered, scope=scope
    )
    rows = db.session.execute(text(sql)).all()
    frame = pd.DataFrame.from_records(
        rows, columns=["supplier_id", "item_id", "receipts", "lead_mean_days", "mean_sq"]
    )
    mean = frame["lead_mean_days"].astype(float)
    variance = (frame["mean_sq"].astype(float) - mean * mean).clip(lower=0)
    frame["lead_mean_days"] = mean
    frame["lead_sd_days"] = variance**0.5
    return frame.drop(columns="mean_sq")


def policies(item_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Active per item-and-warehouse overrides: ``[item_id, warehouse_id, service_level,
    review_period_days, lead_time_days, min_quantity, max_quantity]`` (None where not set)."""
    p = ReorderPolicy
    statement = select(
        p.item_id,
        p.warehouse_id,
        p.service_level,
        p.review_period_days,
        p.lead_time_days,
        p.min_quantity,
        p.max_quantity,
    ).where(p.active)
    if item_ids is not None:
        statement = statement.where(p.item_id.in_(list(item_ids)))
    columns = ["item_id", "warehouse_id", "service_level", "review_period_days"]
    return _frame(statement, [*columns, "lead_time_days", "min_quantity", "max_quantity"])
