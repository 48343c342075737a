"""The counter's sheet and the supervisor's review read a page, not the whole count: blind for
counters, recounts first, and the same figures as the full evaluation."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from inventory.domain.stocktake import CountIn, CountState
from inventory.errors import NotFound
from inventory.services import stocktakes

HIDDEN = {"book_quantity", "book_unit_cost", "variance_quantity", "variance_value"}


@pytest.fixture
def take(make):
    w = make.warehouse()
    items = [make.item(sku) for sku in ("A-1", "B-2", "C-3", "D-4", "E-5")]
    for item in items:
        make.receive(w, item, 100, 1)
    take = stocktakes.create(make.admin, w)
    counter = make.user("warehouse")
    a, _, c, d, e = items
    # A matches, C is far off, D is 1 % off (within), E is 3 off (out); B is not counted.
    counts = [CountIn(a, D(100)), CountIn(c, D(50)), CountIn(d, D(99)), CountIn(e, D(97))]
    stocktakes.count(counter, take, counts)
    return take


def test_the_sheet_is_blind_with_recounts_and_a_page_of_lines_to_count(take):
    sheet = stocktakes.count_sheet(take, page=1, per_page=10)
    assert [(x["sku"], x["state"]) for x in sheet["recount"]] == [
        ("C-3", CountState.RECOUNT),
        ("E-5", CountState.RECOUNT),
    ]
    assert [x["sku"] for x in sheet["to_count"]] == ["B-2"]
    assert sheet["lines_to_recount"] == 2 and sheet["lines_to_count"] == 1
    lines = sheet["recount"] + sheet["to_count"]
    assert all(not HIDDEN & set(line) for line in lines)
    assert not HIDDEN & set(sheet) and "variance_value_total" not in sheet
    assert stocktakes.count_sheet(take, page=2, per_page=10)["to_count"] == []


def test_one_lines_state(take, make):
    sheet = stocktakes.count_sheet(take)
    c3 = next(x for x in sheet["recount"] if x["sku"] == "C-3")
    assert stocktakes.line_state(take, c3["item_id"])["state"] is CountState.RECOUNT
    assert stocktakes.line_state(take, 987654) is None


def test_the_review_agrees_with_the_full_evaluation(take):
    full = stocktakes.get(take, ["approver"])
    review = stocktakes.review(take, ["approver"])
    for key in ("lines_out_of_tolerance", "accuracy_pct", "variance_value_total", "needs_approval"):
        assert review[key] == full[key], key
    assert [x["sku"] for x in review["lines"]] == ["C-3", "E-5", "D-4"]  # out first
    assert review["lines_matching"] == 1 and review["shown_of"] == 3


def test_the_review_is_blind_for_counters(take):
    review = stocktakes.review(take, ["warehouse"], page=1, per_page=2)
    assert review["book_visible"] is False
    assert [x["sku"] for x in review["lines"]] == ["A-1", "B-2"]
    assert all(not HIDDEN & set(line) for line in review["lines"])
    assert "variance_value_total" not in review


def test_an_unknown_stocktake_is_not_found(app):
    with pytest.raises(NotFound):
        stocktakes.count_sheet(987654)
    with pytest.raises(NotFound):
        stocktakes.review(987654, ["admin"])
