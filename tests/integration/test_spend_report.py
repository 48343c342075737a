"""The spend report joins only what its dimensions and filters read (migration 0011 and
``finance_queries.spend_ordered`` / ``spend_received``). On SQLite and PostgreSQL, every group_by
(each of the 15 non-empty sets of dimensions) and every filter gives what a straightforward sum
in Python over the order lines and the receipts' ledger rows gives — in Asia/Tokyo, with orders
and receipts a few minutes either side of a month's first instant there (the previous day in
UTC), a cancelled order, an order at a rate of 1.1, a direct order's cost centre, two categories,
two suppliers and a receipt cancelled in the following month; and order lines made from a request,
which count under the request's cost centre, not their order's."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from inventory import clock
from inventory.db.base import db
from inventory.db.models import Item, StockLedger
from inventory.db.procurement_models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
)
from inventory.domain import numbers as n
from inventory.domain.receiving import ReceiptLineIn
from inventory.services import budgets, finance_reports, receipts
from tests.integration import receipt_helpers as rh

TOKYO = ZoneInfo("Asia/Tokyo")
DIMENSIONS = ("month", "supplier", "category", "cost_centre")
NAMES = {"month": "month", "supplier": "supplier_id", "category": "category"}
NAMES["cost_centre"] = "cost_centre_id"


def _at(day: str, hour: int, minute: int) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), TOKYO).replace(
        hour=hour, minute=minute
    )


def _accept(po_line_id: int, quantity: str) -> ReceiptLineIn:
    q = Decimal(quantity)
    return ReceiptLineIn(po_line_id, q, q, Decimal(0), "")


@pytest.fixture
def book(backend, make, app):
    app.config["SERVICE_TIME_ZONE"] = "Asia/Tokyo"
    w = make.warehouse("W")
    a, b = make.item("A", category="x"), make.item("B", category="y")
    other = rh.supplier()
    centre = budgets.create_centre(make.admin, code="CC1", name="Centre 1")["id"]
    with clock.pinned(_at("2026-05-31", 23, 50)):  # May in Tokyo, 14:50 UTC on the 31st
        may = rh.order(make, [(a, "10", "2.00"), (b, "3", "1.25")], warehouse_id=w)
    with clock.pinned(_at("2026-06-01", 0, 10)):  # June in Tokyo, still 31 May in UTC
        june = rh.order(
            make,
            [(a, "4", "3.10"), (b, "7", "0.33")],
            warehouse_id=w,
            supplier_id=other,
            rate="1.1",
        )
        dropped = rh.order(make, [(a, "100", "9.99")], warehouse_id=w)
    with clock.pinned(_at("2026-04-30", 23, 59)):  # before the window
        rh.order(make, [(b, "50", "1.00")], warehouse_id=w)
    db.session.get(PurchaseOrder, june.id).cost_centre_id = centre
    db.session.get(PurchaseOrder, dropped.id).status = "cancelled"
    db.session.commit()
    admin = make.admin
    with clock.pinned(_at("2026-05-31", 23, 55)):
        receipts.receive(admin, may.id, [_accept(may.lines[0], "6")])
    with clock.pinned(_at("2026-06-01", 0, 5)):
        receipts.receive(admin, may.id, [_accept(may.lines[0], "4"), _accept(may.lines[1], "3")])
        cancelled = receipts.receive(admin, june.id, [_accept(june.lines[1], "7")])
    with clock.pinned(_at("2026-06-15", 12, 0)):
        receipts.receive(admin, june.id, [_accept(june.lines[0], "4")])
    with clock.pinned(_at("2026-07-01", 0, 1)):  # the reversal counts in July
        receipts.cancel_receipt(admin, cancelled.receipt_id)
    with clock.pinned(_at("2026-08-01", 0, 1)):  # after the window
        receipts.receive(admin, june.id, [_accept(june.lines[1], "7")])
    win = finance_reports.window(date(2026, 5, 1), date(2026, 7, 31), TOKYO)
    return {"win": win, "supplier": other, "centre": centre, "may": may, "june": june}


def _month(moment: datetime) -> str | None:
    local = moment.astimezone(TOKYO)
    return (
        local.strftime("%Y-%m") if date(2026, 5, 1) <= local.date() <= date(2026, 7, 31) else None
    )


def _centre(ol: PurchaseOrderLine, po: PurchaseOrder) -> int | None:
    if ol.request_line_id is None:
        return po.cost_centre_id
    request_line = db.session.get(PurchaseRequestLine, ol.request_line_id)
    centre = db.session.get(PurchaseRequest, request_line.request_id).cost_centre_id
    return po.cost_centre_id if centre is None else centre


def _facts() -> list[dict]:
    """Every order line and every receipt ledger row with its dimensions and amount, by hand."""
    facts = []
    for ol, po, category in db.session.execute(
        select(PurchaseOrderLine, PurchaseOrder, Item.category)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .join(Item, Item.id == PurchaseOrderLine.item_id)
    ):
        if po.status == "cancelled" or po.sent_at is None or _month(po.sent_at) is None:
            continue
        amount = (ol.quantity - ol.cancelled_quantity) * ol.unit_price * (po.exchange_rate or 1)
        facts.append(
            {
                "month": _month(po.sent_at),
                "supplier": po.supplier_id,
                "category": category,
                "cost_centre": _centre(ol, po),
                "ordered": amount,
                "received": Decimal(0),
            }
        )
    for ledger, receipt, ol, po, category in db.session.execute(
        select(StockLedger, GoodsReceipt, PurchaseOrderLine, PurchaseOrder, Item.category)
        .join(GoodsReceiptLine, GoodsReceiptLine.stock_document_line_id == StockLedger.line_id)
        .join(GoodsReceipt, GoodsReceipt.id == GoodsReceiptLine.receipt_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == GoodsReceiptLine.po_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .join(Item, Item.id == StockLedger.item_id)
    ):
        if _month(ledger.posted_at) is None:
            continue
        facts.append(
            {
                "month": _month(ledger.posted_at),
                "supplier": receipt.supplier_id,
                "category": category,
                "cost_centre": _centre(ol, po),
                "ordered": Decimal(0),
                "received": ledger.value,
            }
        )
    return facts


def _expected(facts: list[dict], group_by: tuple[str, ...], keep) -> dict:
    sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for fact in facts:
        if keep(fact):
            key = tuple(fact[d] for d in group_by)
            sums[key][0] += fact["ordered"]
            sums[key][1] += fact["received"]
    return {k: (n.value(o), n.value(r)) for k, (o, r) in sums.items()}


GROUPINGS = [c for size in range(1, 5) for c in combinations(DIMENSIONS, size)]


def test_every_grouping_and_filter_equals_a_sum_by_hand(book):
    facts = _facts()
    filters = [
        ({}, lambda f: True),
        ({"supplier_id": book["supplier"]}, lambda f: f["supplier"] == book["supplier"]),
        ({"category": "x"}, lambda f: f["category"] == "x"),
        ({"cost_centre_id": book["centre"]}, lambda f: f["cost_centre"] == book["centre"]),
    ]
    for group_by in GROUPINGS:
        for chosen, keep in filters:
            report = finance_reports.spend(book["win"], list(group_by), chosen)
            found = {
                tuple(r[NAMES[d]] for d in group_by): (r["ordered"], r["received"])
                for r in report["rows"]
            }
            assert found == _expected(facts, group_by, keep), (group_by, chosen)


def _from_request(make, po_line_ids: list[int], centre: int) -> None:
    """Ties ``po_line_ids`` to the lines of one approved request charged to ``centre``, as
    ordering from requests leaves them."""
    now = clock.now()
    request = PurchaseRequest(
        requester_id=make.admin.id, cost_centre_id=centre, status="ordered",
        created_at=now, updated_at=now,
    )  # fmt: skip
    db.session.add(request)
    db.session.flush()
    for n_, po_line_id in enumerate(po_line_ids, start=1):
        ol = db.session.get(PurchaseOrderLine, po_line_id)
        line = PurchaseRequestLine(
            request_id=request.id, line_no=n_, item_id=ol.item_id, quantity=ol.quantity,
            estimated_price=ol.unit_price,
        )  # fmt: skip
        db.session.add(line)
        db.session.flush()
        ol.request_line_id = line.id
    db.session.commit()


def test_lines_made_from_a_request_count_under_its_cost_centre(book, make):
    """One line of the order charged to CC1 and one of an order without a centre come from a
    request charged to CC2: ordered and received, with every grouping and the centre filter,
    they count under CC2 and the order's other lines keep their order's centre."""
    requested = budgets.create_centre(make.admin, code="CC2", name="Centre 2")["id"]
    _from_request(make, [book["june"].lines[0], book["may"].lines[1]], requested)
    facts = _facts()
    assert {f["cost_centre"] for f in facts} == {None, book["centre"], requested}
    for chosen, keep in (
        ({}, lambda f: True),
        ({"cost_centre_id": requested}, lambda f: f["cost_centre"] == requested),
        ({"cost_centre_id": book["centre"]}, lambda f: f["cost_centre"] == book["centre"]),
    ):
        for group_by in GROUPINGS:
            report = finance_reports.spend(book["win"], list(group_by), chosen)
            found = {
                tuple(r[NAMES[d]] for d in group_by): (r["ordered"], r["received"])
                for r in report["rows"]
            }
            assert found == _expected(facts, group_by, keep), (group_by, chosen)
    by_centre = {
        r["cost_centre_id"]: (r["ordered"], r["received"])
        for r in finance_reports.spend(book["win"], ["cost_centre"], {})["rows"]
    }
    # CC2: 1.1 × 4 × 3.10 + 3 × 1.25 ordered; 4 × 3.41 + 3 × 1.25 received.
    assert by_centre[requested] == (Decimal("17.39"), Decimal("17.39"))


def test_month_edges_in_the_service_zone(book):
    report = finance_reports.spend(book["win"], ["month"], {})
    by_month = {r["month"]: (r["ordered"], r["received"]) for r in report["rows"]}
    # May: 10 × 2.00 + 3 × 1.25 ordered; 6 × 2.00 received at 23:55 on 31 May (Tokyo).
    # June: 1.1 × (4 × 3.10 + 7 × 0.33) ordered at 00:10 on 1 June (Tokyo; 31 May in UTC);
    # received 4 × 2.00 + 3 × 1.25 + 7 × 0.363 = 2.54 (rate 1.1) at 00:05 and 4 × 3.41 on the
    # 15th.
    # July: the cancelled receipt's reversal; August's receipt and April's order fall outside.
    assert by_month["2026-05"] == (Decimal("23.75"), Decimal("12.00"))
    assert by_month["2026-06"] == (Decimal("16.18"), Decimal("27.93"))
    assert by_month["2026-07"] == (Decimal("0.00"), Decimal("-2.54"))
    assert report["totals"]["ordered"] == Decimal("39.93")
