"""Demand history from the ledger, on SQLite and PostgreSQL: buckets, the service day, what counts
as demand, reversals, stock-outs, the empty frame."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from inventory import clock
from inventory.db.demand_queries import COLUMNS, demand_history
from inventory.domain.receiving import ReceiptLineIn
from inventory.errors import ValidationFailed
from inventory.services import receipts, stock
from tests.integration import receipt_helpers

pytestmark = pytest.mark.usefixtures("backend")


def at(day: str, hour: int = 12, minute: int = 0):
    return clock.pinned(datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC))


def series(frame: pd.DataFrame, item: int, warehouse: int) -> dict[str, float]:
    rows = frame[(frame.item_id == item) & (frame.warehouse_id == warehouse)]
    return {p.strftime("%Y-%m-%d"): q for p, q in zip(rows.period, rows.qty, strict=True)}


def issue(make, wh, item, qty, day, hour=12, minute=0):
    with at(day, hour, minute):
        return make.document("issue", wh, [(item, qty, None)])


@pytest.fixture
def stocked(make):
    wh, item = make.warehouse(), make.item()
    with at("2026-01-01", 8):
        make.receive(wh, item, 1000, 2)
    return wh, item


def test_days_weeks_and_months_with_empty_periods_as_zero(make, stocked):
    wh, item = stocked
    issue(make, wh, item, 3, "2026-01-05")  # a Monday
    issue(make, wh, item, 2, "2026-01-11")  # the Sunday of the same week
    issue(make, wh, item, 4, "2026-01-12")  # the next Monday
    issue(make, wh, item, 1, "2026-02-02")

    days = demand_history(freq="D", start=date(2026, 1, 4), end=date(2026, 1, 13))
    assert series(days, item, wh) == {
        "2026-01-04": 0, "2026-01-05": 3, "2026-01-06": 0, "2026-01-07": 0, "2026-01-08": 0,
        "2026-01-09": 0, "2026-01-10": 0, "2026-01-11": 2, "2026-01-12": 4, "2026-01-13": 0,
    }  # fmt: skip
    assert list(days.columns) == COLUMNS
    weeks = demand_history(freq="W", start=date(2026, 1, 5), end=date(2026, 2, 8))
    assert series(weeks, item, wh) == {
        "2026-01-05": 5, "2026-01-12": 4, "2026-01-19": 0, "2026-01-26": 0, "2026-02-02": 1,
    }  # fmt: skip
    months = demand_history(freq="M", start=date(2025, 12, 1), end=date(2026, 3, 31))
    assert series(months, item, wh) == {
        "2025-12-01": 0, "2026-01-01": 9, "2026-02-01": 1, "2026-03-01": 0,
    }  # fmt: skip
    assert months.loc[months.period == "2025-12-01", "stocked_out"].item()  # nothing there yet
    assert not months.loc[months.period == "2026-01-01", "stocked_out"].item()


def test_the_day_is_the_service_time_zones_day(app, make, stocked):
    wh, item = stocked
    issue(make, wh, item, 5, "2026-03-10", hour=23)  # 23:00 UTC = 10:00 on the 11th in Sydney
    # 2026-04-05 03:00 local: Sydney leaves daylight saving (UTC+11 -> UTC+10) at 16:00 UTC on
    # the 4th; 13:30 UTC on the 4th is 00:30 on the 5th under UTC+11.
    issue(make, wh, item, 7, "2026-04-04", hour=13, minute=30)
    issue(make, wh, item, 2, "2026-04-04", hour=16, minute=30)  # 02:30 on the 5th, UTC+10

    utc = demand_history(freq="D", start=date(2026, 3, 10), end=date(2026, 3, 11))
    assert series(utc, item, wh) == {"2026-03-10": 5, "2026-03-11": 0}
    app.config["SERVICE_TIME_ZONE"] = "Australia/Sydney"
    local = demand_history(freq="D", start=date(2026, 3, 10), end=date(2026, 3, 11))
    assert series(local, item, wh) == {"2026-03-10": 0, "2026-03-11": 5}
    both = demand_history(freq="D", start=date(2026, 4, 4), end=date(2026, 4, 5))
    assert series(both, item, wh) == {"2026-04-04": 0, "2026-04-05": 9}
    explicit = demand_history(
        freq="D", start=date(2026, 4, 4), end=date(2026, 4, 5), zone=ZoneInfo("UTC")
    )
    assert series(explicit, item, wh) == {"2026-04-04": 9, "2026-04-05": 0}


def test_transfers_returns_and_adjustments_count_only_when_asked(make, stocked):
    wh, item = stocked
    other = make.warehouse()
    issue(make, wh, item, 1, "2026-01-05")
    with at("2026-01-06"):
        make.document("transfer", wh, [(item, 10, None)], to_warehouse_id=other)
        make.document("adjustment", wh, [(item, -4, None)])
        make.document("adjustment", wh, [(item, 6, 2)])  # a gain is never demand
    with at("2026-01-02"):
        po = receipt_helpers.order(make, [(item, "20", "2")], warehouse_id=wh)
        receipts.receive(make.admin, po.id, [ReceiptLineIn(po.lines[0], D(20), D(20), D(0))])
    with at("2026-01-07"):
        receipts.return_to_supplier(make.admin, po.id, po.lines[0], D("8"), "wrong size")

    def week(kinds):
        frame = demand_history(freq="W", start=date(2026, 1, 5), end=date(2026, 1, 11), kinds=kinds)
        return series(frame, item, wh)["2026-01-05"]

    assert week(("issue",)) == 1
    assert week(("issue", "transfer")) == 11
    assert week(("adjustment",)) == 4
    assert week(("supplier_return",)) == 8
    assert week(("issue", "supplier_return", "transfer", "adjustment")) == 23
    default = demand_history(freq="W", start=date(2026, 1, 5), end=date(2026, 1, 11))
    assert series(default, item, other) == {"2026-01-05": 0}  # the receiving side is no demand
    with pytest.raises(ValidationFailed):
        demand_history(freq="W", start=date(2026, 1, 5), end=date(2026, 1, 11), kinds=("sales",))
    with pytest.raises(ValidationFailed):
        demand_history(freq="Q", start=date(2026, 1, 5), end=date(2026, 1, 11))


def test_a_cancelled_issue_nets_out_in_the_period_it_was_posted(make, stocked):
    wh, item = stocked
    issue(make, wh, item, 2, "2026-01-05")
    wrong = issue(make, wh, item, 30, "2026-01-06")
    with at("2026-01-20"):  # cancelled two weeks later
        stock.cancel_document(make.admin, wrong)
    with at("2026-01-07"):
        loss = make.document("adjustment", wh, [(item, -5, None)])
    with at("2026-01-21"):
        stock.cancel_document(make.admin, loss)

    weeks = demand_history(
        freq="W", start=date(2026, 1, 5), end=date(2026, 1, 25), kinds=("issue", "adjustment")
    )
    assert series(weeks, item, wh) == {"2026-01-05": 2, "2026-01-12": 0, "2026-01-19": 0}


def test_stocked_out_periods(make):
    wh, item = make.warehouse(), make.item()
    with at("2026-01-05"):
        make.receive(wh, item, 5, 1)
    issue(make, wh, item, 5, "2026-01-06")  # empty from here
    with at("2026-01-21"):
        make.receive(wh, item, 3, 1)  # back in stock during the week of the 19th

    weeks = demand_history(freq="W", start=date(2025, 12, 29), end=date(2026, 2, 1))
    flags = dict(zip(weeks.period.dt.strftime("%Y-%m-%d"), weeks.stocked_out, strict=True))
    assert flags == {
        "2025-12-29": True,  # before the item reached the warehouse
        "2026-01-05": False,  # a receipt came in
        "2026-01-12": True,  # started at 0, nothing came in
        "2026-01-19": False,
        "2026-01-26": False,
    }
    later = demand_history(freq="W", start=date(2026, 1, 12), end=date(2026, 1, 18))
    assert later.stocked_out.tolist() == [True]  # the opening balance comes from before start


def test_filters_and_the_empty_frame(make, stocked):
    wh, item = stocked
    other_item = make.item()
    with at("2026-01-01"):
        make.receive(wh, other_item, 5, 1)
    issue(make, wh, item, 1, "2026-01-05")

    only = demand_history(freq="W", start=date(2026, 1, 5), end=date(2026, 1, 11), item_ids=[item])
    assert only.item_id.unique().tolist() == [item]
    none = demand_history(freq="W", start=date(2026, 1, 5), end=date(2026, 1, 11), item_ids=[])
    assert none.empty and list(none.columns) == COLUMNS
    assert none.dtypes.to_dict() == {
        "item_id": "int64",
        "warehouse_id": "int64",
        "period": "datetime64[ns]",
        "qty": "float64",
        "stocked_out": "bool",
    }
    elsewhere = demand_history(
        freq="D", start=date(2026, 1, 5), end=date(2026, 1, 5), warehouse_ids=[wh + 100]
    )
    assert elsewhere.empty and list(elsewhere.columns) == COLUMNS
    both = demand_history(freq="W", start=date(2026, 1, 5), end=date(2026, 1, 11))
    assert both.dtypes.to_dict() == none.dtypes.to_dict()
    assert sorted(both.item_id.tolist()) == sorted([item, other_item])
