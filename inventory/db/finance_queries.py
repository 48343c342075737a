"""Read models of the finance reports: purchase spend, cost of goods issued and purchase price
variance, aggregated in the database (GROUP BY over the ledger and the order lines); Python only
sees one row per group. docs/reports.md defines every figure.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, and_, case, func, literal, or_, select

from inventory.db.base import db
from inventory.db.models import Item, StockDocument, StockLedger
from inventory.db.procurement_models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
)
from inventory.db.report_sql import (
    Month,
    in_window,
    moment,
    month_of,
    raw,
    round_div,
    wide,
)
from inventory.domain.documents import STOCKTAKE_SOURCE

L, D, PO, OL = StockLedger, StockDocument, PurchaseOrder, PurchaseOrderLine
RATE_ONE = 1_000_000  # an exchange rate of 1 at 6 places: the base currency
SPEND_DIMENSIONS = ("month", "supplier", "category", "cost_centre")
COGS_DIMENSIONS = ("month", "reason", "cost_centre", "warehouse", "category")
COGS_REASONS = ("issue", "supplier_return", "stocktake")


def _centre(request_centre=None):
    # Lines from requests carry their request's centre; direct orders carry their own.
    first = PurchaseRequest.cost_centre_id if request_centre is None else request_centre
    return func.coalesce(first, PO.cost_centre_id)


def _with_request(query: Select) -> Select:
    return query.outerjoin(
        PurchaseRequestLine, PurchaseRequestLine.id == OL.request_line_id
    ).outerjoin(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.request_id)


def _needs(group_by: Sequence[str], filters: dict, dimension: str, key: str) -> bool:
    return dimension in group_by or filters.get(key) is not None


def _request_centres():
    """Order line id → its request's cost centre, for the order lines made from requests only
    (an inner join, so few rows where most orders are direct)."""
    return (
        select(OL.id.label("po_line_id"), PurchaseRequest.cost_centre_id)
        .join(PurchaseRequestLine, PurchaseRequestLine.id == OL.request_line_id)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.request_id)
        .subquery()
    )


def _spend_columns(
    group_by: Sequence[str], when, months: list[Month], supplier, centre=None
) -> list:
    chosen = {
        "month": lambda: month_of(when, months).label("month"),
        "supplier": lambda: supplier.label("supplier_id"),
        "category": lambda: Item.category.label("category"),
        "cost_centre": lambda: _centre(centre).label("cost_centre_id"),
    }
    return [chosen[d]() for d in SPEND_DIMENSIONS if d in group_by]


def _spend_filters(query: Select, supplier, filters: dict, centre=None) -> Select:
    if filters.get("supplier_id") is not None:
        query = query.where(supplier == filters["supplier_id"])
    if filters.get("category") is not None:
        query = query.where(Item.category == filters["category"])
    if filters.get("cost_centre_id") is not None:
        query = query.where(_centre(centre) == filters["cost_centre_id"])
    return query


def spend_ordered(months: list[Month], group_by: Sequence[str], filters: dict) -> list[tuple]:
    """Per group and exchange rate, a tuple: the chosen dimensions' values (in
    ``SPEND_DIMENSIONS`` order), the rate's raw integer at 6 places (``rate_raw``), and Σ
    (ordered − cancelled quantity) × order price as the raw integer at 7 places
    (``amount_raw``). Orders count in the month they were sent; cancelled orders do not count.

    Only the tables a chosen dimension or filter reads are joined (the item for its category,
    the request for the cost centre): every order line has its order and its item, so the
    narrower join sums the same rows."""
    dims = _spend_columns(group_by, PO.sent_at, months, PO.supplier_id)
    rate = func.coalesce(raw(PO.exchange_rate), literal(RATE_ONE)).label("rate_raw")
    amount = func.sum(wide((raw(OL.quantity) - raw(OL.cancelled_quantity)) * raw(OL.unit_price)))
    query = (
        select(*dims, rate, amount.label("amount_raw"))
        .select_from(OL)
        .join(PO, PO.id == OL.order_id)
        .where(PO.sent_at.is_not(None), PO.status != "cancelled", in_window(PO.sent_at, months))
    )
    if _needs(group_by, filters, "category", "category"):
        query = query.join(Item, Item.id == OL.item_id)
    if _needs(group_by, filters, "cost_centre", "cost_centre_id"):
        query = _with_request(query)
    query = _spend_filters(query, PO.supplier_id, filters)
    query = query.group_by(*[d.element for d in dims], rate.element)
    return [tuple(r) for r in db.session.execute(query)]


def _receipts_touched(months: list[Month]):
    """Receipts whose ledger rows can fall in the window: received before its end, and received
    or cancelled (the reversal) inside it."""
    return (GoodsReceipt.received_at < moment(months[-1].stop)) & (
        (GoodsReceipt.received_at >= moment(months[0].start))
        | (GoodsReceipt.cancelled_at >= moment(months[0].start))
    )


def spend_received(months: list[Month], group_by: Sequence[str], filters: dict) -> list[tuple]:
    """Per group, a tuple: the chosen dimensions' values (in ``SPEND_DIMENSIONS`` order) and Σ
    ledger value of goods receipts posted in the window (a cancelled receipt's reversal counts,
    negative, in the month it was cancelled), exact to the cent.

    Starts from the receipts the window touches and reaches their ledger rows through each
    receipt line's document line (the ledger's window hashed against those receipt lines,
    read from its ``posted_at`` index on PostgreSQL); the item is joined only for the
    category, and for the cost centre the receipt's order
    (a receipt is of one order, whose lines alone it may receive) and, for the order lines
    made from requests, their request's centre — not every receipt line's order line by an
    index probe each."""
    grl = GoodsReceiptLine
    wants_centre = _needs(group_by, filters, "cost_centre", "cost_centre_id")
    requested = _request_centres() if wants_centre else None
    centre = None if requested is None else requested.c.cost_centre_id
    dims = _spend_columns(group_by, L.posted_at, months, GoodsReceipt.supplier_id, centre)
    query = (
        select(*dims, func.sum(L.value).label("received"))
        .select_from(GoodsReceipt)
        .join(grl, grl.receipt_id == GoodsReceipt.id)
        .join(L, L.line_id == grl.stock_document_line_id)
        .where(_receipts_touched(months), in_window(L.posted_at, months))
    )
    if _needs(group_by, filters, "category", "category"):
        # the receipt line's item is its ledger row's: the ledger is read for the value alone
        query = query.join(Item, Item.id == grl.item_id)
    if requested is not None:
        query = query.join(PO, PO.id == GoodsReceipt.order_id).outerjoin(
            requested, requested.c.po_line_id == grl.po_line_id
        )
    query = _spend_filters(query, GoodsReceipt.supplier_id, filters, centre)
    query = query.group_by(*[d.element for d in dims])
    return [tuple(r) for r in db.session.execute(query)]


def _from_receipt_rows(query, months: list[Month]):
    """``query`` over the ledger rows of goods receipts touched in ``months``, each with its
    receipt line (the one whose accepted quantity became the row's document line: the link the
    receipt writes), receipt, order line, order and item. The receipt lines are few, so they are
    what PostgreSQL hashes; the ledger's window probes them."""
    grl = GoodsReceiptLine
    return (
        query.select_from(L)
        .join(grl, grl.stock_document_line_id == L.line_id)
        .join(GoodsReceipt, GoodsReceipt.id == grl.receipt_id)
        .join(OL, OL.id == grl.po_line_id)
        .join(PO, PO.id == OL.order_id)
        .join(Item, Item.id == L.item_id)
        .where(_receipts_touched(months))
    )


# --- cost of goods issued ----------------------------------------------------------------------


def _reason_case():
    return case(
        (D.source.like("supplier_return:%"), "supplier_return"),
        (D.source.like(f"{STOCKTAKE_SOURCE}%"), "stocktake"),
        else_="issue",
    )


def _stocktake_write_offs():
    # A stocktake's adjustment holds stock missing and stock found; only what it took out is a
    # cost of goods (its reversal, should the document be cancelled, nets that out again).
    taken_out = or_(
        and_(raw(L.quantity) < 0, L.reversal.is_(False)),
        and_(raw(L.quantity) > 0, L.reversal.is_(True)),
    )
    return and_(D.type == "adjustment", D.source.like(f"{STOCKTAKE_SOURCE}%"), taken_out)


def cogs(months: list[Month], group_by: Sequence[str], filters: dict) -> list[dict]:
    """Per group: the quantity and value issued (−Σ of the ledger rows of issue documents, and
    of the shortage rows of stocktake adjustments, posted in the window; a cancelled document's
    reversal nets out in the month it was cancelled, under the same cost centre: the reversal's
    rows belong to the same document)."""
    reason = _reason_case()
    chosen = {
        "month": month_of(L.posted_at, months).label("month"),
        "reason": reason.label("reason"),
        "cost_centre": D.cost_centre_id.label("cost_centre_id"),
        "warehouse": L.warehouse_id.label("warehouse_id"),
        "category": Item.category.label("category"),
    }
    dims = [chosen[d] for d in COGS_DIMENSIONS if d in group_by]
    query = (
        select(
            *dims,
            (-func.sum(L.quantity)).label("quantity"),
            (-func.sum(L.value)).label("value"),
        )
        .select_from(L)
        .join(D, D.id == L.document_id)
        .join(Item, Item.id == L.item_id)
        .where(or_(D.type == "issue", _stocktake_write_offs()), in_window(L.posted_at, months))
    )
    if filters.get("warehouse_id") is not None:
        query = query.where(L.warehouse_id == filters["warehouse_id"])
    if filters.get("category") is not None:
        query = query.where(Item.category == filters["category"])
    if filters.get("reason") is not None:
        query = query.where(reason == filters["reason"])
    if filters.get("cost_centre_id") is not None:
        query = query.where(D.cost_centre_id == filters["cost_centre_id"])
    query = query.group_by(*[d.element for d in dims])
    return [dict(r._mapping) for r in db.session.execute(query)]


# --- purchase price variance -------------------------------------------------------------------


def _variance_base(months: list[Month], filters: dict):
    """One row per receipt ledger row (not reversals, not cancelled receipts) in the window,
    with its order line: the raw integers every variance column is computed from."""
    previous_qty = raw(L.balance_quantity) - raw(L.quantity)
    previous_value = raw(L.balance_value) - raw(L.value)
    rate = func.coalesce(raw(PO.exchange_rate), literal(RATE_ONE))
    # The order price in base currency at 4 places, as the receipt converted it.
    order_cost = round_div(raw(OL.unit_price) * rate, literal(RATE_ONE))
    had_stock = previous_qty > 0

    query = select(
        L.id.label("ledger_id"),
        GoodsReceipt.id.label("receipt_id"),
        L.posted_at.label("received_at"),
        GoodsReceipt.supplier_id,
        OL.order_id,
        OL.id.label("po_line_id"),
        L.item_id,
        L.warehouse_id,
        raw(L.quantity).label("quantity_raw"),
        raw(L.unit_cost).label("unit_cost_raw"),
        raw(L.value).label("value_raw"),
        order_cost.label("order_cost_raw"),
        (raw(L.value) - round_div(raw(L.quantity) * order_cost, literal(100_000))).label(
            "order_variance_raw"
        ),
        case((had_stock, round_div(previous_value * 100_000, previous_qty)), else_=None).label(
            "previous_cost_raw"
        ),
        case(
            (
                had_stock,
                raw(L.value) - round_div(raw(L.quantity) * previous_value, previous_qty),
            ),
            else_=None,
        ).label("average_variance_raw"),
    )
    query = _from_receipt_rows(query, months).where(
        in_window(L.posted_at, months),
        L.reversal.is_(False),
        GoodsReceipt.status == "posted",
    )
    for key, column in (
        ("supplier_id", GoodsReceipt.supplier_id),
        ("item_id", L.item_id),
        ("warehouse_id", L.warehouse_id),
        ("category", Item.category),
    ):
        if filters.get(key) is not None:
            query = query.where(column == filters[key])
    return query


def price_variance_rows(months: list[Month], filters: dict) -> Select:
    """The variance rows, oldest first (a query for ``page``)."""
    return _variance_base(months, filters).order_by(L.posted_at, L.id)


def price_variance_totals(months: list[Month], filters: dict) -> dict:
    """Σ quantity, value and both variances over every row of the window, in one statement."""
    rows = _variance_base(months, filters).subquery()
    found = db.session.execute(
        select(
            func.count().label("rows"),
            func.sum(rows.c.quantity_raw).label("quantity_raw"),
            func.sum(rows.c.value_raw).label("value_raw"),
            func.sum(rows.c.order_variance_raw).label("order_variance_raw"),
            func.sum(rows.c.average_variance_raw).label("average_variance_raw"),
        )
    ).one()
    return dict(found._mapping)
