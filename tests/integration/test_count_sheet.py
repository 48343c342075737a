"""The counter's sheet: blind, recounts first, then what is left to count."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from inventory.domain.stocktake import CountIn, CountState
from inventory.errors import NotFound
from inventory.services import stocktakes


def test_the_sheet_hides_the_book_and_orders_recounts_first(make):
    w = make.warehouse()
    a, b, c = make.item("A-1"), make.item("B-2"), make.item("C-3")
    for item in (a, b, c):
        make.receive(w, item, 100, 1)
    take = stocktakes.create(make.admin, w)
    counter = make.user("warehouse")
    stocktakes.count(counter, take, [CountIn(a, D(100)), CountIn(c, D(50))])
    sheet = stocktakes.count_sheet(take)
    assert [(x["sku"], x["state"]) for x in sheet["lines"]] == [
        ("C-3", CountState.RECOUNT),
        ("B-2", CountState.TO_COUNT),
        ("A-1", CountState.COUNTED),
    ]
    assert sheet["lines_to_recount"] == 1 and sheet["lines_counted"] == 2
    hidden = {"book_quantity", "book_unit_cost", "variance_quantity", "variance_value"}
    assert all(not hidden & set(line) for line in sheet["lines"])
    assert not hidden & set(sheet) and "variance_value_total" not in sheet


def test_an_unknown_stocktake_is_not_found(make):
    with pytest.raises(NotFound):
        stocktakes.count_sheet(987654)
