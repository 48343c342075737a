"""The warehouse desk page: scanned lines, posting once, inline refusals, today's documents and
their cancellation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from inventory import clock
from inventory.db import queries
from inventory.db.base import db
from inventory.db.models import StockDocument
from inventory.services import master_data
from tests.page_helpers import signed_in


def _documents() -> int:
    return db.session.scalar(select(func.count()).select_from(StockDocument))


def _on_hand(item_id: int, warehouse_id: int) -> D:
    rows = {r["warehouse_id"]: r["quantity"] for r in queries.stock_on_hand(item_id)}
    return rows.get(warehouse_id, D(0))


def _form(csrf, doc_type, warehouse_id, lines, key="key-1", **extra) -> dict:
    data = {
        "csrf_token": csrf,
        "idempotency_key": key,
        "type": doc_type,
        "warehouse_id": str(warehouse_id),
        "reference": extra.pop("reference", ""),
        "item_id": [str(x[0]) for x in lines],
        "sku": [f"SKU{x[0]}" for x in lines],
        "name": ["" for _ in lines],
        "quantity": [str(x[1]) for x in lines],
        **extra,
    }
    if doc_type == "receipt":
        data["unit_cost"] = [str(x[2]) for x in lines]
    return data


@pytest.mark.parametrize("role, status", [("warehouse", 200), ("admin", 200), ("viewer", 403)])
def test_the_desk_opens_for_writers_only(client, make, role, status):
    signed_in(client, make, role)
    assert client.get("/desk").status_code == status
    assert client.get("/desk/lookup?sku=x").status_code in ((404,) if status == 200 else (403,))


def test_the_menu_shows_the_desk_to_warehouse_but_not_to_finance(app, make):
    one, two = app.test_client(), app.test_client()
    signed_in(one, make, "warehouse")
    signed_in(two, make, "finance")
    assert 'href="/desk"' in one.get("/").get_data(as_text=True)
    assert 'href="/desk"' not in two.get("/").get_data(as_text=True)


def test_a_scanned_sku_is_found_whatever_its_case(client, make):
    item = make.item("Bolt-M8", valuation_cost="0.25")
    signed_in(client, make, "warehouse")
    response = client.get("/desk/lookup?sku=%20bolt-m8%20&type=receipt")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-item-id="{item}"' in html and 'data-sku="bolt-m8"' in html
    assert 'name="unit_cost"' in html and 'value="0.25"' in html
    issue = client.get("/desk/lookup?sku=BOLT-M8&type=issue").get_data(as_text=True)
    assert 'name="unit_cost"' not in issue


def test_an_unknown_or_inactive_sku_says_so(client, make):
    item = make.item("OLD-1")
    master_data.set_active("item", make.admin, item, False)
    signed_in(client, make, "warehouse")
    unknown = client.get("/desk/lookup?sku=NOPE-9")
    assert unknown.status_code == 404 and "NOPE-9" in unknown.get_data(as_text=True)
    inactive = client.get("/desk/lookup?sku=old-1")
    assert inactive.status_code == 422 and "inactive" in inactive.get_data(as_text=True)
    assert client.get("/desk/lookup?sku=").status_code == 404


def test_a_receipt_posts_once_and_lists_among_today(client, make):
    w, item = make.warehouse("MAIN"), make.item()
    _, csrf = signed_in(client, make, "warehouse")
    form = _form(csrf, "receipt", w, [(item, "2", "1.50")], reference="DN-1")
    first = client.post("/desk", data=form)
    assert first.status_code == 302
    assert first.headers["Location"].startswith("/desk?type=receipt&warehouse_id=")
    again = client.post("/desk", data=form)  # a double click: the same idempotency key
    assert again.status_code == 302
    assert _documents() == 1 and _on_hand(item, w) == D(2)
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "posted with 1 line." in page and "DN-1" in page and "MAIN" in page
    assert f'<option value="{w}" selected' in page  # the warehouse stays chosen


def test_an_issue_beyond_stock_says_only_n_on_hand_beside_the_line(client, make):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, 3, 2)
    _, csrf = signed_in(client, make, "warehouse")
    response = client.post("/desk", data=_form(csrf, "issue", w, [(item, "5")]))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert re.search(r'aria-invalid="true"\s+aria-describedby="line-0-qty-error"', html)
    assert 'id="line-0-qty-error">Only 3 on hand, 5 asked.' in html
    assert 'value="5"' in html  # what was typed stays
    assert _documents() == 1 and _on_hand(item, w) == D(3)


def test_an_item_on_two_lines_beyond_stock_is_told_what_they_ask_together(client, make):
    # Each line said the first line's figure ("2 asked") before, for lines asking 2 and 2.
    w, item = make.warehouse(), make.item()
    make.receive(w, item, 3, 2)
    _, csrf = signed_in(client, make, "warehouse")
    response = client.post("/desk", data=_form(csrf, "issue", w, [(item, "2"), (item, "2")]))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    for row in (0, 1):
        assert f'id="line-{row}-qty-error">Only 3 on hand; its 2 lines ask 4 in all.' in html


def test_form_errors_show_beside_the_fields_and_write_nothing(client, make):
    w, item = make.warehouse(), make.item()
    _, csrf = signed_in(client, make, "warehouse")
    no_warehouse = _form(csrf, "receipt", "", [(item, "x", "")])
    html = client.post("/desk", data=no_warehouse).get_data(as_text=True)
    assert 'aria-describedby="warehouse_id-error"' in html
    assert 'id="line-0-qty-error"' in html
    empty = client.post("/desk", data=_form(csrf, "issue", w, []))
    assert empty.status_code == 422
    assert "Scan or type at least one SKU" in empty.get_data(as_text=True)
    no_cost = client.post("/desk", data=_form(csrf, "receipt", w, [(item, "1", "")]))
    assert no_cost.status_code == 422
    assert 'id="line-0-cost-error">A receipt line needs its unit cost.' in no_cost.get_data(
        as_text=True
    )
    assert _documents() == 0


def test_a_transfer_needs_another_warehouse(client, make):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, 4, 1)
    _, csrf = signed_in(client, make, "warehouse")
    same = _form(csrf, "transfer", w, [(item, "1")], to_warehouse_id=str(w))
    response = client.post("/desk", data=same)
    assert response.status_code == 422
    assert 'id="to_warehouse_id-error">A transfer must go to a different warehouse.' in (
        response.get_data(as_text=True)
    )
    other = make.warehouse()
    ok = client.post("/desk", data={**same, "to_warehouse_id": str(other), "idempotency_key": "k2"})
    assert ok.status_code == 302
    assert _on_hand(item, w) == D(3) and _on_hand(item, other) == D(1)


def test_the_largest_quantity_the_books_hold_is_refused_politely(client, make):
    w, item = make.warehouse(), make.item()
    _, csrf = signed_in(client, make, "warehouse")
    huge = _form(csrf, "receipt", w, [(item, "999999999999999", "9999999")])
    response = client.post("/desk", data=huge)
    assert response.status_code == 422 and _documents() == 0
    assert 'id="line-0-qty-error"' in response.get_data(as_text=True)


def test_cancel_asks_first_then_reverses_once(client, make):
    w, item = make.warehouse(), make.item()
    doc = make.receive(w, item, 4, 1)
    _, csrf = signed_in(client, make, "warehouse")
    confirm = client.get(f"/desk/documents/{doc}/cancel")
    assert confirm.status_code == 200 and "reverses its ledger entries" in confirm.get_data(
        as_text=True
    )
    form = {"csrf_token": csrf, "idempotency_key": "cancel-1"}
    assert client.post(f"/desk/documents/{doc}/cancel", data=form).status_code == 302
    assert client.post(f"/desk/documents/{doc}/cancel", data=form).status_code == 302
    assert _on_hand(item, w) == D(0)
    again = client.post(f"/desk/documents/{doc}/cancel", data={**form, "idempotency_key": "c2"})
    assert again.status_code == 409 and "cancelled" in again.get_data(as_text=True)
    assert client.get("/desk/documents/999999/cancel").status_code == 404


def test_a_receipt_whose_stock_left_cannot_be_cancelled(client, make):
    w, item = make.warehouse(), make.item()
    doc = make.receive(w, item, 4, 1)
    make.document("issue", w, [(item, 3, None)])
    _, csrf = signed_in(client, make, "warehouse")
    response = client.post(
        f"/desk/documents/{doc}/cancel", data={"csrf_token": csrf, "idempotency_key": "c"}
    )
    assert response.status_code == 409
    assert 'id="cancel-error"' in response.get_data(as_text=True)
    assert _on_hand(item, w) == D(1)


def test_today_is_the_service_time_zones_day(app, client, make):
    app.config["SERVICE_TIME_ZONE"] = "Pacific/Auckland"  # UTC+13 in December
    w, item = make.warehouse(), make.item()
    with clock.pinned(datetime(2026, 12, 6, 10, 59, tzinfo=UTC)):  # 23:59 on the 6th there
        make.document("receipt", w, [(item, 1, 1)])
    with clock.pinned(datetime(2026, 12, 6, 11, 0, tzinfo=UTC)):  # 00:00 on the 7th there
        today = make.document("receipt", w, [(item, 1, 1)])
    signed_in(client, make, "warehouse")
    with clock.pinned(datetime(2026, 12, 7, 10, 0, tzinfo=UTC)):
        html = client.get("/desk").get_data(as_text=True)
    assert "2026-12-07" in html
    assert re.findall(r'id="document-(\d+)"', html) == [str(today)]


def test_an_empty_day_says_so_and_a_late_page_is_empty(client, make):
    signed_in(client, make, "warehouse")
    assert "No documents yet today." in client.get("/desk").get_data(as_text=True)
    assert client.get("/desk?page=99999999999").status_code == 200


def test_the_pages_of_today_keep_the_chosen_warehouses(client, make, monkeypatch):
    monkeypatch.setattr("web.desk.PER_PAGE", 1)
    w, other, item = make.warehouse(), make.warehouse(), make.item()
    for _ in range(2):
        make.document("receipt", w, [(item, 1, 1)])
    signed_in(client, make, "warehouse")
    html = client.get(f"/desk?type=transfer&warehouse_id={w}&to_warehouse_id={other}")
    next_link = re.search(r'<a href="([^"]+)" rel="next">', html.get_data(as_text=True))
    assert next_link, "two documents on pages of one need a Next link"
    target = next_link.group(1).replace("&amp;", "&")
    assert f"warehouse_id={w}" in target and f"to_warehouse_id={other}" in target
    assert "type=transfer" in target and "page=2" in target
    second = client.get(target).get_data(as_text=True)
    assert f'<option value="{w}" selected' in second


def test_an_unknown_scanned_sku_is_named_not_repeated_whole(client, make):
    signed_in(client, make, "warehouse")
    response = client.get("/desk/lookup", query_string={"type": "issue", "sku": "Z" * 10_000})
    text = response.get_data(as_text=True)
    assert response.status_code == 404 and "Z" * 39 + "…" in text and "Z" * 41 not in text
