"""A goods receipt line links the stock document line its accepted quantity became, and the
spend and price-variance reports reach a receipt's ledger rows through that link (migration
0010_report_speed). On SQLite and PostgreSQL: the link equals the position rule the reports used
before (the receipt's n-th line with an accepted quantity is the document's line n), the
migration's backfill writes the same links, and received spend equals a straightforward sum
over the ledger rows of every receipt — with a fully rejected line ahead of accepted ones, a
receipt with nothing accepted, a cancelled receipt and two cost centres."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text

from delivery.config import service_zone
from inventory import clock
from inventory.db.base import db
from inventory.db.models import Item, StockDocumentLine, StockLedger
from inventory.db.procurement_models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
)
from inventory.domain.receiving import ReceiptLineIn
from inventory.services import budgets, finance_reports, receipts
from tests.integration import receipt_helpers as rh

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0010_report_speed.py"


def _line(po_line_id: int, received: str, accepted: str) -> ReceiptLineIn:
    rejected = Decimal(received) - Decimal(accepted)
    return ReceiptLineIn(
        po_line_id, Decimal(received), Decimal(accepted), rejected, "damaged" if rejected else ""
    )


@pytest.fixture
def book(backend, make):
    w = make.warehouse("W")
    a, b, c = (make.item(sku, category=cat) for sku, cat in (("A", "x"), ("B", "y"), ("C", "x")))
    first = rh.order(make, [(a, "10", "2.00"), (b, "5", "3.00"), (c, "4", "1.25")], warehouse_id=w)
    second = rh.order(make, [(b, "9", "3.10"), (c, "8", "1.00")], warehouse_id=w, rate="1.1")
    centre = budgets.create_centre(make.admin, code="CC1", name="Centre 1")["id"]
    db.session.get(PurchaseOrder, second.id).cost_centre_id = centre
    db.session.commit()
    a1, b1, c1 = first.lines
    b2, c2 = second.lines
    admin = make.admin
    # Line A rejected whole: B becomes the document's line 1, C its line 2.
    receipts.receive(
        admin, first.id, [_line(a1, "4", "0"), _line(b1, "5", "5"), _line(c1, "4", "3")]
    )
    receipts.receive(admin, first.id, [_line(a1, "2", "0")])  # nothing accepted, no document
    cancelled = receipts.receive(admin, second.id, [_line(c2, "3", "3"), _line(b2, "2", "2")])
    receipts.cancel_receipt(admin, cancelled.receipt_id)
    receipts.receive(admin, second.id, [_line(b2, "6", "5"), _line(c2, "8", "8")])
    receipts.receive(admin, first.id, [_line(a1, "6", "6")])
    return {"centre": centre, "second_supplier": second.supplier_id}


def _by_position() -> dict[int, int | None]:
    """Receipt line → document line by the old rule, in Python."""
    linked: dict[int, int | None] = {}
    for receipt in db.session.scalars(select(GoodsReceipt)):
        lines = db.session.scalars(
            select(GoodsReceiptLine)
            .where(GoodsReceiptLine.receipt_id == receipt.id)
            .order_by(GoodsReceiptLine.id)
        ).all()
        document_lines = {
            x.line_no: x.id
            for x in db.session.scalars(
                select(StockDocumentLine).where(
                    StockDocumentLine.document_id == receipt.stock_document_id
                )
            )
        }
        accepted = [x for x in lines if x.accepted > 0]
        for x in lines:
            linked[x.id] = document_lines[accepted.index(x) + 1] if x in accepted else None
    return linked


def _links() -> dict[int, int | None]:
    rows = db.session.execute(select(GoodsReceiptLine.id, GoodsReceiptLine.stock_document_line_id))
    return dict(rows.all())


def test_a_receipt_links_each_accepted_line_to_the_stock_line_it_became(book):
    links = _links()
    assert links == _by_position()
    assert sum(v is None for v in links.values()) == 2  # the two lines with nothing accepted
    for line_id, document_line_id in links.items():
        if document_line_id is None:
            continue
        line = db.session.get(GoodsReceiptLine, line_id)
        stock_line = db.session.get(StockDocumentLine, document_line_id)
        assert (stock_line.item_id, stock_line.quantity) == (line.item_id, line.accepted)


def test_the_migration_backfills_the_same_links(book):
    written = _links()
    spec = importlib.util.spec_from_file_location("report_speed", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    db.session.execute(text("UPDATE goods_receipt_line SET stock_document_line_id = NULL"))
    db.session.execute(migration.BACKFILL)
    assert _links() == written
    db.session.execute(migration.BACKFILL)  # twice: the same
    assert _links() == written
    db.session.rollback()


def _received_by_rows() -> dict[tuple, Decimal]:
    """Received spend per (supplier, category, cost centre), straight from the rows: every ledger
    row of every receipt's document, its order line found by the position rule."""
    by_position = _by_position()
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for line_id, document_line_id in by_position.items():
        if document_line_id is None:
            continue
        line = db.session.get(GoodsReceiptLine, line_id)
        receipt = db.session.get(GoodsReceipt, line.receipt_id)
        order_line = db.session.get(PurchaseOrderLine, line.po_line_id)
        order = db.session.get(PurchaseOrder, order_line.order_id)
        category = db.session.get(Item, line.item_id).category
        for entry in db.session.scalars(
            select(StockLedger).where(StockLedger.line_id == document_line_id)
        ):
            totals[(receipt.supplier_id, category, order.cost_centre_id)] += entry.value
    return dict(totals)


def test_received_spend_equals_the_ledger_rows_of_every_receipt(book):
    today = clock.now().date()
    win = finance_reports.window(today, today, service_zone())
    report = finance_reports.spend(win, ["supplier", "category", "cost_centre"], {})
    found = {
        (r["supplier_id"], r["category"], r["cost_centre_id"]): r["received"]
        for r in report["rows"]
    }
    expected = _received_by_rows()
    assert {k: found.get(k, Decimal(0)) for k in expected} == expected
    assert sum(expected.values()) == report["totals"]["received"]
    # by hand: B 15.00 + C 3.75 + A 12.00 (first order); B 5 × 3.41 = 17.05 + C 8 × 1.10 = 8.80
    # (second, at rate 1.1); the cancelled receipt nets out
    assert report["totals"]["received"] == Decimal("56.60")
    assert found[(book["second_supplier"], "x", book["centre"])] == Decimal("8.80")


def test_price_variance_reads_each_receipt_row_once_with_its_own_order_line(book):
    today = clock.now().date()
    win = finance_reports.window(today, today, service_zone())
    rows = finance_reports.price_variance(win, {}, 1, 100)["rows"]
    # posted receipts only, no reversals: B and C, then B and C of the second order, then A
    assert [(r["quantity"], r["order_unit_cost"]) for r in rows] == [
        (Decimal("5.000"), Decimal("3.0000")),
        (Decimal("3.000"), Decimal("1.2500")),
        (Decimal("5.000"), Decimal("3.4100")),
        (Decimal("8.000"), Decimal("1.1000")),
        (Decimal("6.000"), Decimal("2.0000")),
    ]
    for r in rows:
        line = db.session.get(PurchaseOrderLine, r["po_line_id"])
        assert line.item_id == r["item_id"]
