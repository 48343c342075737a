"""The warehouse desk and counting in a real browser: a scanner's SKU + Enter adds lines without
posting, a shortage is said beside its line, and a blind count is recounted, approved and posted
by the supervisor."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from api import create_app
from inventory.db import queries
from inventory.db.base import db
from inventory.domain.actors import Actor
from inventory.domain.documents import DocumentType, LineIn
from inventory.services import master_data, stock, users
from tests.e2e.browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PHONE = {"width": 390, "height": 844}
BOOK = "4242"  # the count's book quantity: the counter must never see it


def _in_app(database_url: str, work):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        try:
            return work()
        finally:
            db.session.remove()
            db.engine.dispose()


def _seed(database_url: str, warehouses, items, stock_in=()) -> dict:
    """Warehouses (codes), items ((sku, cost)) and receipts ((sku, warehouse, qty)) through the
    services; returns {code or sku: id}."""

    def work():
        made = users.create_user(None, username="seeder", password="seeder-pass-1", roles=["admin"])
        admin = Actor(made.id, made.username, frozenset({"admin"}))
        ids = {}
        for code in warehouses:
            ids[code] = master_data.create("warehouse", admin, {"code": code, "name": code})["id"]
        for sku, cost in items:
            values = {"sku": sku, "name": f"Item {sku}", "unit_of_measure": "pcs"}
            values["valuation_cost"] = D(cost)
            ids[sku] = master_data.create("item", admin, values)["id"]
        for sku, code, qty in stock_in:
            stock.create_document(
                admin,
                stock.NewDocument(
                    DocumentType.RECEIPT, ids[code], [LineIn(ids[sku], D(qty), D("1"))]
                ),
            )
        return ids

    return _in_app(database_url, work)


def _on_hand(database_url: str, item_id: int, warehouse_id: int) -> D:
    def work():
        rows = {r["warehouse_id"]: r["quantity"] for r in queries.stock_on_hand(item_id)}
        return rows.get(warehouse_id, D(0))

    return _in_app(database_url, work)


def _scan(page, sku: str) -> None:
    """What a keyboard-wedge scanner does: type the code quickly, then Enter."""
    page.wait_for_load_state()  # desk.js (deferred) must hold Enter, or Enter posts the form
    page.locator("#sku").press_sequentially(sku, delay=5)
    page.locator("#sku").press("Enter")


def test_a_receipt_and_an_issue_from_the_desk_with_a_scanned_sku(live_server, page, tmp_path):
    ids = _seed(live_server.database_url, ["MAIN"], [("SCAN-1", "2.50")])
    sign_in(page, live_server, "warehouse")
    page.get_by_role("link", name="Desk").first.click()
    expect(page.get_by_role("heading", name="Warehouse desk")).to_be_visible()
    page.locator("select[name=warehouse_id]").select_option(label="MAIN — MAIN")
    _scan(page, "scan-1")  # in another case than the item's own SKU
    line = page.locator('tr[data-sku="scan-1"]')
    expect(line.locator("input[name=quantity]")).to_have_value("1")
    _scan(page, "SCAN-1")
    expect(line.locator("input[name=quantity]")).to_have_value("2")
    assert page.locator("#desk-lines tr[data-sku]").count() == 1
    expect(line.locator("input[name=unit_cost]")).to_have_value("2.5")
    _scan(page, "NOPE-404")
    expect(page.locator("#sku-error")).to_contain_text("No item has the SKU “NOPE-404”")
    assert page.locator(".flash[role=status]").count() == 0  # two Enters, and nothing was posted
    page.set_viewport_size(PHONE)
    screenshot(page, tmp_path, "desk-receipt-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Post receipt").click()
    expect(page.locator(".flash[role=status]")).to_contain_text("posted with 1 line")
    assert _on_hand(live_server.database_url, ids["SCAN-1"], ids["MAIN"]) == D(2)

    page.locator("nav.tabs").get_by_role("link", name="Issue").click()
    expect(page.locator("select[name=warehouse_id]")).to_have_value(str(ids["MAIN"]))
    _scan(page, "SCAN-1")
    page.get_by_role("button", name="Post issue").click()
    expect(page.locator(".flash[role=status]")).to_contain_text("Issue")
    # An issue beyond what is left: said beside the line, nothing posted.
    _scan(page, "SCAN-1")
    page.locator('tr[data-sku="scan-1"] input[name=quantity]').fill("5")
    page.get_by_role("button", name="Post issue").click()
    expect(page.locator("#line-0-qty-error")).to_contain_text("Only 1 on hand")
    expect(page.locator('tr[data-sku="scan-1"] input[name=quantity]')).to_have_value("5")
    assert page.locator('tr[id^="document-"]').count() == 2
    assert _on_hand(live_server.database_url, ids["SCAN-1"], ids["MAIN"]) == D(1)
    screenshot(page, tmp_path, "desk-shortage-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, tmp_path, "desk-shortage-phone")

    # Cancel the issue from today's list, after confirming.
    page.locator('tr[id^="document-"]').first.get_by_role("link", name="Cancel…").click()
    page.get_by_role("button", name=re.compile(r"Yes, cancel issue")).click()
    expect(page.locator(".flash[role=status]")).to_contain_text("its stock movements are reversed")
    assert _on_hand(live_server.database_url, ids["SCAN-1"], ids["MAIN"]) == D(2)


def test_post_clicked_while_a_scan_is_looked_up_posts_once_the_line_is_in(live_server, page):
    ids = _seed(live_server.database_url, ["MAIN"], [("SLOW-1", "1.00")])
    sign_in(page, live_server, "warehouse")
    page.goto(live_server.url(f"/desk?type=receipt&warehouse_id={ids['MAIN']}"))
    held = []  # the scan's lookup, held until we let it go
    page.route("**/desk/lookup?*", lambda route: held.append(route))
    _scan(page, "SLOW-1")
    for _ in range(200):  # until the held lookup reaches us (events come while we wait)
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    page.get_by_role("button", name="Post receipt").click()
    assert page.locator(".flash[role=status]").count() == 0
    held[0].continue_()
    expect(page.locator(".flash[role=status]")).to_contain_text("posted with 1 line")
    assert _on_hand(live_server.database_url, ids["SLOW-1"], ids["MAIN"]) == D(1)


def test_a_blind_count_with_a_recount_and_the_supervisors_posting(live_server, page, tmp_path):
    ids = _seed(
        live_server.database_url,
        ["CNT"],
        [("COUNT-1", "1"), ("COUNT-2", "1")],
        [("COUNT-1", "CNT", BOOK), ("COUNT-2", "CNT", "10")],
    )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "warehouse")
    page.goto(live_server.url("/counting"))
    page.locator("select[name=warehouse_id]").select_option(label="CNT — CNT")
    page.get_by_role("button", name="Open stocktake").click()
    expect(page.locator(".flash[role=status]")).to_contain_text("opened")
    assert BOOK not in page.content()
    # Scan, Enter moves to the count, Enter saves it.
    page.locator("#scan-sku").press_sequentially("count-1", delay=5)
    page.locator("#scan-sku").press("Enter")
    expect(page.locator("#scan-qty")).to_be_focused()
    page.locator("#scan-qty").fill("40")
    page.locator("#scan-qty").press("Enter")
    expect(page.locator(".flash[role=status]")).to_contain_text("please count COUNT-1 again")
    expect(page.locator('tr[data-line="COUNT-1"]')).to_have_attribute("data-state", "recount")
    assert BOOK not in page.content()
    screenshot(page, tmp_path, "counting-recount-phone")
    page.get_by_label("Count of COUNT-1").fill("4000")
    page.locator('tr[data-line="COUNT-1"]').get_by_role("button", name="Recount").click()
    page.get_by_label("Count of COUNT-2").fill("10")
    page.locator('tr[data-line="COUNT-2"]').get_by_role("button", name="Save").click()
    expect(page.locator("#left-to-count")).to_have_text("0")
    assert BOOK not in page.content()
    screenshot(page, tmp_path, "counting-done-phone")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "admin")  # the supervisor: neither opened nor counted it
    page.goto(live_server.url("/counting"))
    page.get_by_role("link", name="Review").first.click()
    expect(page.locator("#out-of-tolerance")).to_have_text("1")
    expect(page.locator('tr[id^="review-line-"]').first).to_contain_text("-242")
    screenshot(page, tmp_path, "counting-review-phone")
    page.get_by_role("button", name="Approve variances").click()
    expect(page.locator(".flash[role=status]")).to_contain_text("approved")
    page.get_by_role("button", name="Post to the books").click()
    expect(page.locator(".flash[role=status]")).to_contain_text("posted")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, tmp_path, "counting-posted-desktop")
    assert _on_hand(live_server.database_url, ids["COUNT-1"], ids["CNT"]) == D(4000)
    assert _on_hand(live_server.database_url, ids["COUNT-2"], ids["CNT"]) == D(10)
