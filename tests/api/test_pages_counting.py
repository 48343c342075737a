"""The counting pages: a blind count sheet for counters, recounts, and the supervisor's review
with variances, approval and posting."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest

from inventory.db import queries
from inventory.services import budgets, stocktakes
from tests.page_helpers import signed_in

BOOK = "4242"  # a book quantity no other figure on the pages happens to show


def _on_hand(item_id: int, warehouse_id: int) -> D:
    rows = {r["warehouse_id"]: r["quantity"] for r in queries.stock_on_hand(item_id)}
    return rows.get(warehouse_id, D(0))


@pytest.fixture
def counted(make):
    """A warehouse holding 4242 of BLIND-1 (at 1.00) and 10 of PLAIN-2, and an open stocktake."""
    w = make.warehouse("STORE")
    blind, plain = make.item("BLIND-1"), make.item("PLAIN-2")
    make.receive(w, blind, BOOK, 1)
    make.receive(w, plain, 10, 1)
    take = stocktakes.create(make.admin, w)
    return {"warehouse": w, "blind": blind, "plain": plain, "take": take}


def _count(client, csrf, take, key, **fields):
    return client.post(
        f"/counting/{take}/count", data={"csrf_token": csrf, "idempotency_key": key, **fields}
    )


@pytest.mark.parametrize(
    "role, listing, sheet, review",
    [
        ("warehouse", 200, 200, 200),
        ("admin", 200, 200, 200),
        ("approver", 200, 403, 200),
        ("viewer", 403, 403, 403),
        ("finance", 403, 403, 403),
    ],
)
def test_who_may_open_which_page(client, make, counted, role, listing, sheet, review):
    signed_in(client, make, role)
    take = counted["take"]
    assert client.get("/counting").status_code == listing
    assert client.get(f"/counting/{take}").status_code == sheet
    assert client.get(f"/counting/{take}/review").status_code == review


def test_unknown_stocktakes_are_404_pages(client, make):
    signed_in(client, make, "admin")
    assert client.get("/counting/999999").status_code == 404
    assert client.get("/counting/999999/review").status_code == 404


def test_opening_a_stocktake_from_the_page(client, make):
    w = make.warehouse("EAST")
    make.item("A-1")
    _, csrf = signed_in(client, make, "warehouse")
    form = {"csrf_token": csrf, "idempotency_key": "open-1", "warehouse_id": str(w)}
    first = client.post("/counting", data=form)
    assert first.status_code == 302 and re.fullmatch(r"/counting/\d+", first.headers["Location"])
    assert client.post("/counting", data=form).headers["Location"] == first.headers["Location"]
    again = client.post("/counting", data={**form, "idempotency_key": "open-2"})
    assert again.status_code == 409 and "still open" in again.get_data(as_text=True)
    listing = client.get("/counting").get_data(as_text=True)
    assert listing.count('id="stocktake-') == 1 and "EAST" in listing


def test_opening_without_a_warehouse_or_with_an_empty_category_says_why(client, make):
    w = make.warehouse()
    make.item("A-1")
    _, csrf = signed_in(client, make, "warehouse")
    missing = client.post("/counting", data={"csrf_token": csrf, "idempotency_key": "k"})
    assert missing.status_code == 422
    assert 'id="warehouse_id-error"' in missing.get_data(as_text=True)
    nothing = client.post(
        "/counting",
        data={"csrf_token": csrf, "idempotency_key": "k2", "warehouse_id": w, "category": "none"},
    )
    assert nothing.status_code == 422
    assert 'id="category-error">No active items to count.' in nothing.get_data(as_text=True)
    assert "No stocktake is open." in client.get("/counting").get_data(as_text=True)


def test_opening_a_stocktake_charged_to_a_cost_centre_from_the_page(client, make):
    w = make.warehouse("EAST")
    make.item("A-1")
    centre = budgets.create_centre(make.admin, code="MAINT", name="Maintenance")["id"]
    off = budgets.create_centre(make.admin, code="OLD", name="Old", active=False)["id"]
    _, csrf = signed_in(client, make, "warehouse")
    page = client.get("/counting").get_data(as_text=True)
    assert f'<option value="{centre}">MAINT' in page
    assert f'<option value="{off}">' not in page  # active ones only
    form = {"csrf_token": csrf, "idempotency_key": "c-1", "warehouse_id": str(w)}
    refused = client.post("/counting", data={**form, "cost_centre_id": str(off)})
    assert refused.status_code == 422
    assert f'id="cost_centre_id-error">Inactive cost centre {off}.' in refused.get_data(
        as_text=True
    )
    opened = client.post(
        "/counting", data={**form, "idempotency_key": "c-2", "cost_centre_id": str(centre)}
    )
    assert opened.status_code == 302
    take = int(opened.headers["Location"].rsplit("/", 1)[1])
    assert stocktakes.get(take)["cost_centre_id"] == centre


def test_the_sheet_is_blind_and_asks_for_a_recount_when_out_of_tolerance(client, make, counted):
    _, csrf = signed_in(client, make, "warehouse")
    take = counted["take"]
    sheet = client.get(f"/counting/{take}").get_data(as_text=True)
    assert BOOK not in sheet and 'inputmode="decimal"' in sheet
    assert sheet.count('data-state="to_count"') == 2
    # A scan in another case than the SKU's, and a count far from the book.
    response = _count(client, csrf, take, "c1", sku="blind-1", counted_quantity="40")
    assert response.status_code == 302
    page = client.get(f"/counting/{take}").get_data(as_text=True)
    assert "out of tolerance: please count BLIND-1 again" in page
    assert BOOK not in page
    assert re.search(r'id="line-\d+" data-line="BLIND-1" data-state="recount"', page)
    # The recount lands on the book, so the line is counted and no longer flagged.
    assert _count(client, csrf, take, "c2", item_id=counted["blind"], counted_quantity=BOOK)
    page = client.get(f"/counting/{take}").get_data(as_text=True)
    assert 'data-line="BLIND-1"' not in page and 'data-line="PLAIN-2"' in page
    assert 'id="left-to-recount">0<' in page and 'id="left-to-count">1<' in page
    assert stocktakes.line_state(take, counted["blind"])["count_number"] == 2


def test_the_same_count_sent_twice_counts_once(client, make, counted):
    _, csrf = signed_in(client, make, "warehouse")
    take = counted["take"]
    for _ in range(2):
        _count(client, csrf, take, "same", item_id=counted["plain"], counted_quantity="10")
    assert stocktakes.line_state(take, counted["plain"])["count_number"] == 1


@pytest.mark.parametrize(
    "fields, where",
    [
        ({"sku": "BLIND-1", "counted_quantity": "-1"}, 'id="scan-qty-error"'),
        ({"sku": "BLIND-1", "counted_quantity": "many"}, 'id="scan-qty-error"'),
        ({"sku": "BLIND-1", "counted_quantity": "1.0001"}, 'id="scan-qty-error"'),
        ({"sku": "NOPE", "counted_quantity": "1"}, 'id="scan-sku-error">No item has the SKU'),
        ({"sku": "", "counted_quantity": "1"}, 'id="scan-sku-error">Scan or type'),
    ],
)
def test_a_bad_count_is_refused_beside_the_field_and_records_nothing(
    client, make, counted, fields, where
):
    _, csrf = signed_in(client, make, "warehouse")
    response = _count(client, csrf, counted["take"], "bad", **fields)
    assert response.status_code == 422
    assert where in response.get_data(as_text=True)
    assert stocktakes.count_sheet(counted["take"])["lines_counted"] == 0


def test_an_item_not_on_the_sheet_is_refused(client, make, counted):
    make.item("LATE-9")  # created after the stocktake opened
    _, csrf = signed_in(client, make, "warehouse")
    response = _count(client, csrf, counted["take"], "k", sku="late-9", counted_quantity="1")
    assert response.status_code == 422
    assert "is not part of stocktake" in response.get_data(as_text=True)


@pytest.mark.parametrize("item_id", ["0", str(2**63), "²", "abc"])
def test_a_tampered_line_says_so_at_the_top(client, make, counted, item_id):
    # A 422 with "see below" and nothing below, before.
    _, csrf = signed_in(client, make, "warehouse")
    response = _count(client, csrf, counted["take"], "t", item_id=item_id, counted_quantity="1")
    assert response.status_code == 422
    assert "That line is not on this count sheet" in response.get_data(as_text=True)
    assert stocktakes.count_sheet(counted["take"])["lines_counted"] == 0


def test_the_supervisor_sees_variances_approves_and_stock_equals_the_count(app, make, counted):
    take, w = counted["take"], counted["warehouse"]
    counter, approver = app.test_client(), app.test_client()
    _, counter_csrf = signed_in(counter, make, "warehouse")
    _count(counter, counter_csrf, take, "a", item_id=counted["blind"], counted_quantity="4000")
    _count(counter, counter_csrf, take, "b", item_id=counted["plain"], counted_quantity="10")
    # The counter's review is blind too, and posting waits for an approver.
    blind = counter.get(f"/counting/{take}/review").get_data(as_text=True)
    assert BOOK not in blind and "blind for your role" in blind
    refused = counter.post(
        f"/counting/{take}/post", data={"csrf_token": counter_csrf, "idempotency_key": "p"}
    )
    assert refused.status_code == 409 and "needs an approver" in refused.get_data(as_text=True)
    _, approver_csrf = signed_in(approver, make, "approver")
    review = approver.get(f"/counting/{take}/review").get_data(as_text=True)
    assert BOOK in review and "-242" in review and "-242.00" in review
    assert 'id="out-of-tolerance">1<' in review and "Post to the books" not in review
    assert "1 counted line match the book" in review and "PLAIN-2" not in review
    approved = approver.post(
        f"/counting/{take}/approve", data={"csrf_token": approver_csrf, "idempotency_key": "a"}
    )
    assert approved.status_code == 302
    posted = counter.post(
        f"/counting/{take}/post", data={"csrf_token": counter_csrf, "idempotency_key": "p2"}
    )
    assert posted.status_code == 302
    assert _on_hand(counted["blind"], w) == D(4000) and _on_hand(counted["plain"], w) == D(10)
    after = counter.get(f"/counting/{take}/review").get_data(as_text=True)
    assert "posted" in after and BOOK in after  # posted: everyone sees the book
    assert "nothing is left to count" in counter.get(f"/counting/{take}").get_data(as_text=True)


def test_a_counter_cannot_approve_nor_an_approver_post(app, make, counted):
    take = counted["take"]
    counter, approver = app.test_client(), app.test_client()
    _, counter_csrf = signed_in(counter, make, "warehouse")
    _, approver_csrf = signed_in(approver, make, "approver")
    data = {"csrf_token": counter_csrf, "idempotency_key": "x"}
    assert counter.post(f"/counting/{take}/approve", data=data).status_code == 403
    data = {"csrf_token": approver_csrf, "idempotency_key": "y"}
    assert approver.post(f"/counting/{take}/post", data=data).status_code == 403
    early = approver.post(f"/counting/{take}/approve", data=data)
    assert early.status_code == 409 and "not counted yet" in early.get_data(as_text=True)
