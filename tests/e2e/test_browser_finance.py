"""Finance and admin in a real browser: finance opens its pages, downloads the spend report as
CSV and XLSX and the files' totals match the page, closes a period; an admin creates a user
with a role and deactivates another. Screenshots at desktop and phone width."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from api import create_app
from inventory import clock
from inventory.db.base import db
from inventory.db.procurement_models import PurchaseOrderLine
from inventory.domain.receiving import ReceiptLineIn
from inventory.services import approvals, budgets, finance_reports, purchase_orders, receipts
from inventory.services import suppliers as supplier_service
from tests.conftest import Factory
from tests.e2e.browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def seed_finance(database_url: str) -> None:
    """Stock received over the last months, an issue, a direct order for a cost centre sent
    and partly received, a budget — all through the services."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        make = Factory()
        w = make.warehouse("MAIN")
        bolt = make.item("BOLT-M8", category="fasteners")
        nut = make.item("NUT-M8", category="fasteners")
        ends = finance_reports.month_ends(12, clock.service_zone())
        with clock.pinned(ends[-6][1] - timedelta(days=5)):
            make.receive(w, bolt, "100", "0.40")
        with clock.pinned(ends[-3][1] - timedelta(days=5)):
            make.receive(w, nut, "250", "0.12")
        with clock.pinned(ends[-2][1] - timedelta(days=5)):
            make.document("issue", w, [(bolt, "30", None)])
        centre = budgets.create_centre(make.admin, code="MAINT", name="Maintenance")["id"]
        today = clock.now().date()
        budgets.create_budget(
            make.admin,
            {
                "cost_centre_id": centre,
                "period": f"{today.year}",
                "starts_on": today.replace(month=1, day=1),
                "ends_on": today.replace(month=12, day=31),
                "amount": Decimal("5000.00"),
            },
        )
        approvals.create_rule(
            make.admin, {"name": "Any amount", "min_amount": Decimal(0), "steps": []}
        )
        acme = supplier_service.create_supplier(
            make.admin,
            {"code": "ACME", "name": "Acme Fasteners", "currency": "EUR",
             "default_lead_time_days": 5},
        )  # fmt: skip
        order = purchase_orders.create_order(
            make.admin,
            acme,
            w,
            [purchase_orders.OrderLineIn(bolt, Decimal(200), Decimal("0.45"))],
            today,
            cost_centre_id=centre,
        )
        purchase_orders.send_order(make.admin, order, today)
        line = db.session.query(PurchaseOrderLine).filter_by(order_id=order).one().id
        receipts.receive(
            make.admin, order, [ReceiptLineIn(line, Decimal(120), Decimal(120), Decimal(0))]
        )
        db.session.remove()
        db.engine.dispose()


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", "").strip() or "0")


def _saved(download, tmp_path, suffix: str):
    """The downloaded file under the name the server gave it."""
    assert download.suggested_filename.startswith("spend-")
    assert download.suggested_filename.endswith(suffix)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return path


def _both_widths(page, tmp_path, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    screenshot(page, tmp_path, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, tmp_path, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_finance_reads_downloads_and_closes_a_period(live_server, page, tmp_path):
    seed_finance(live_server.database_url)
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "finance")
    page.get_by_role("link", name="Finance", exact=True).first.click()
    page.wait_for_url(live_server.url("/finance"))
    assert page.locator("figure.chart svg circle.point").count() == 12
    # 70 bolts at 0.40 (28.00) + 250 nuts at 0.12 (30.00) + 120 bolts received at 0.45 (54.00)
    assert _number(page.locator("#stock-value-now").inner_text()) == Decimal("112.00")
    _both_widths(page, tmp_path, "finance-overview")

    page.locator("nav.subnav").get_by_role("link", name="Spend").click()
    page.wait_for_url("**/finance/spend")
    totals = page.locator("#spend tfoot td")
    ordered, received = _number(totals.nth(2).inner_text()), _number(totals.nth(3).inner_text())
    assert (ordered, received) == (Decimal("90.00"), Decimal("54.00"))
    page_rows = page.locator("#spend tbody tr").count()
    screenshot(page, tmp_path, "finance-spend-desktop")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download spend (CSV)").click()
    csv_path = _saved(csv_download.value, tmp_path, ".csv")
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1 : rows.index([])]
    total = next(r for r in rows if r and r[0] == "Total")
    assert _number(total[header.index("ordered")]) == ordered
    assert _number(total[header.index("received")]) == received
    assert len(body) == page_rows
    assert sum(_number(r[header.index("received")]) for r in body) == received

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Download spend (XLSX)").click()
    sheet = load_workbook(_saved(xlsx_download.value, tmp_path, ".xlsx")).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    titles = list(values[0])
    assert values[-1][0] == "Total"
    assert Decimal(str(values[-1][titles.index("Ordered (base)")])) == ordered
    assert Decimal(str(values[-1][titles.index("Received (base)")])) == received
    assert len(values) - 2 == page_rows

    for name, heading in (
        ("Ageing", "Ageing buckets"),
        ("KPIs", "KPIs"),
        ("Budgets", "Budgets"),
        ("Exceptions", "Exceptions"),
    ):
        page.locator("nav.subnav").get_by_role("link", name=name).click()
        assert page.get_by_role("heading", level=1).inner_text().startswith(heading)
    page.goto(live_server.url("/finance/budgets"))
    assert "MAINT" in page.locator("#budgets").inner_text()

    page.locator("nav.subnav").get_by_role("link", name="Periods").click()
    month = page.get_by_label("Month (YYYY-MM)").input_value()
    page.get_by_role("button", name="Close the month").click()
    assert "Tick the box" in page.locator("#confirm-error").inner_text()
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Close the month").click()
    assert f"Period {month} is closed" in page.locator(".flash").inner_text()
    assert month in page.locator("#periods").inner_text()
    page.get_by_label("Month (YYYY-MM)").fill(month)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Close the month").click()
    assert f"Period {month} is closed already" in page.locator("#period-refused").inner_text()
    screenshot(page, tmp_path, "finance-periods-desktop")


def test_admin_creates_a_user_and_deactivates_another(live_server, page, tmp_path):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "admin")
    page.get_by_role("link", name="Admin", exact=True).first.click()
    page.wait_for_url("**/admin/users")
    _both_widths(page, tmp_path, "admin-users")
    page.get_by_label("Username").fill("jbuyer")
    page.get_by_label("E-mail").fill("j.buyer@example.com")
    page.get_by_label("First password").fill("a long passphrase")
    page.get_by_label("purchasing").check()
    page.get_by_role("button", name="Create user").click()
    assert "User jbuyer created with roles purchasing" in page.locator(".flash").inner_text()
    page.get_by_role("link", name="All users").click()
    row = page.locator("#users tr", has_text="jbuyer")
    assert "purchasing" in row.inner_text() and "j.buyer@example.com" in row.inner_text()
    page.locator("#users").get_by_role("link", name="viewer", exact=True).click()
    page.get_by_role("button", name="Deactivate").click()
    assert "Deactivated" in page.locator(".flash").inner_text()
    page.get_by_role("link", name="All users").click()
    assert "deactivated" in page.locator("#users tr", has_text="viewer").inner_text()
    screenshot(page, tmp_path, "admin-users-after")
