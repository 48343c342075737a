"""An item's forecast and the forecast accuracy report through the API, on a ledger with weekly
issues in the past and runs inserted straight into their tables."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from inventory import clock
from inventory.services import reorder_review
from tests.api.helpers import assert_problem
from tests.api.reorder_helpers import Reorder

# Issued in each of the last twelve weeks, oldest first (week -12 … week -1).
WEEKLY = [2, 6, 3, 7, 4, 6, 5, 5, 2, 8, 4, 6]
ACCURACY = "/api/v1/forecast-accuracy"


def _monday(weeks_ago: int):
    today = clock.now().date()
    return today - timedelta(days=today.weekday() + 7 * weeks_ago)


def _at(day) -> datetime:
    return datetime.combine(day, time(12), UTC)


@pytest.fixture
def weekly(make) -> Reorder:
    """Item R1 in MAIN: 100 received 13 weeks ago, then WEEKLY issued week by week."""
    reorder = Reorder(make)
    item = reorder.items[0]
    with clock.pinned(_at(_monday(13))):
        make.receive(reorder.warehouse, item, "100", "2")
    for weeks_ago, qty in zip(range(12, 0, -1), WEEKLY, strict=True):
        with clock.pinned(_at(_monday(weeks_ago))):
            make.document("issue", reorder.warehouse, [(item, str(qty), None)])
    return reorder


def test_an_items_history_beside_the_newest_runs_forecast(backend, client, make, weekly):
    item = weekly.items[0]
    viewer = make.headers("viewer")
    before = client.get(f"/api/v1/items/{item}/forecast", headers=viewer)
    assert before.status_code == 200, before.get_json()
    body = before.get_json()
    assert body["run_id"] is None and body["freq"] == "W"
    (main,) = body["series"]
    # No run yet: twelve weeks of steady demand are classed now, not shown as new.
    assert main["warehouse_id"] == weekly.warehouse
    assert (main["demand_class"], main["in_run"], main["model"]) == ("smooth", False, "")
    shown = {p["period"]: p["qty"] for p in main["history"]}
    assert [shown[_monday(w).isoformat()] for w in range(12, 0, -1)] == WEEKLY
    assert main["forecast"] == []

    weekly.run(run_date=_monday(3))  # an older run
    run = weekly.run()
    weekly.series(run, item, demand_class="erratic", model="AutoTheta", backtest_mase=0.9)
    weekly.forecast(run, item, _monday(-1), 4.0)
    weekly.forecast(run, item, _monday(-2), 6.0)
    body = client.get(
        f"/api/v1/items/{item}/forecast",
        query_string={"warehouse_id": weekly.warehouse},
        headers=viewer,
    ).get_json()
    assert body["run_id"] == run
    (main,) = body["series"]
    assert main["in_run"] is True
    assert (main["demand_class"], main["model"], main["backtest_mase"]) == (
        "erratic",
        "AutoTheta",
        0.9,
    )
    first, second = main["forecast"]
    assert first["period"] == _monday(-1).isoformat() and first["mean"] == 4.0
    assert (first["lo_80"], first["hi_80"]) == (2.0, 6.0)
    assert (first["lo_95"], first["hi_95"]) == (1.0, 7.6)
    assert first["quantiles"]["0.99"] == pytest.approx(8.8)
    assert second["mean"] == 6.0


def test_an_item_without_history_is_new_not_an_error(client, make, weekly):
    item = weekly.items[1]
    response = client.get(
        f"/api/v1/items/{item}/forecast",
        query_string={"warehouse_id": weekly.warehouse},
        headers=make.headers("viewer"),
    )
    assert response.status_code == 200, response.get_json()
    (only,) = response.get_json()["series"]
    assert (only["demand_class"], only["history"], only["forecast"]) == ("new", [], [])
    assert only["in_run"] is False
    assert (
        client.get(f"/api/v1/items/{item}/forecast", headers=make.headers("viewer")).get_json()[
            "series"
        ]
        == []
    )


def test_an_item_the_latest_run_did_not_forecast_is_classed_from_its_history(client, make, weekly):
    item = weekly.items[0]
    run = weekly.run()  # forecast nothing for the item (it had no stock then, say)
    body = client.get(f"/api/v1/items/{item}/forecast", headers=make.headers("viewer")).get_json()
    assert body["run_id"] == run
    (main,) = body["series"]
    assert (main["in_run"], main["demand_class"], main["forecast"]) == (False, "smooth", [])
    assert len(main["history"]) >= len(WEEKLY)


def test_an_unknown_item_or_warehouse_is_404(client, make, weekly):
    viewer = make.headers("viewer")
    assert_problem(client.get("/api/v1/items/999/forecast", headers=viewer), 404)
    unknown_place = client.get(
        f"/api/v1/items/{weekly.items[0]}/forecast",
        query_string={"warehouse_id": 999},
        headers=viewer,
    )
    assert_problem(unknown_place, 404)


def _six_weeks_of_history(admin) -> None:
    # Six weeks known at the origin: fewer than two seasons, so the scale uses lag 1.
    settings = {**reorder_review.get_settings(), "history_days": 42}
    del settings["updated_at"], settings["updated_by"]
    reorder_review.update_settings(admin, settings, lambda current: None)


def test_accuracy_beside_seasonal_naive_by_hand(backend, client, make, weekly):
    """Origin: the run six weeks ago. Known then: 2 6 3 7 4 6 (lag-1 differences 4 -3 4 -3 2:
    scale 16/5 = 3.2, squared 54/5 = 10.8). Forecast 5 for weeks -6 … -2 (week -1 has no
    forecast), actuals 5 5 2 8 4: errors 0 0 3 -3 1. Seasonal naive repeats the last known 6:
    errors 1 1 4 -2 2."""
    _six_weeks_of_history(weekly.admin)
    item = weekly.items[0]
    run = weekly.run(run_date=_monday(6))
    weekly.series(run, item, demand_class="erratic")
    for weeks_ago in range(6, 1, -1):
        weekly.forecast(run, item, _monday(weeks_ago), 5.0)
    weekly.forecast(run, item, _monday(0), 5.0)  # this week has not ended: not measured
    viewer = make.headers("viewer")
    window = {"date_from": _monday(20).isoformat(), "date_to": _monday(0).isoformat()}

    response = client.get(ACCURACY, query_string=window, headers=viewer)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["freq"], body["season_length"]) == ("W", 52)
    overall = body["overall"]
    assert (overall["series"], overall["periods"]) == (1, 5)
    ours, naive = overall["forecast"], overall["seasonal_naive"]
    assert ours["mase"] == pytest.approx((7 / 5) / 3.2)
    assert ours["rmsse"] == pytest.approx(((19 / 5) / 10.8) ** 0.5)
    assert ours["bias"] == pytest.approx(0.2)
    assert (ours["cover_80"], ours["cover_95"]) == (pytest.approx(0.6), 1.0)  # 2.5..7.5; 1.25..9.5
    assert ours["scaled_pinball"] > 0
    assert naive["mase"] == pytest.approx((10 / 5) / 3.2)
    assert naive["bias"] == pytest.approx(1.2)
    assert [c["demand_class"] for c in body["by_class"]] == ["erratic"]
    assert body["by_class"][0]["forecast"] == ours

    items = client.get(f"{ACCURACY}/items", query_string=window, headers=viewer)
    assert items.status_code == 200, items.get_json()
    (row,) = items.get_json()
    assert (row["sku"], row["warehouse_code"], row["periods"]) == ("R1", "MAIN", 5)
    assert row["forecast"]["mase"] == pytest.approx(ours["mase"])

    exported = client.get(
        f"{ACCURACY}/items", query_string={**window, "format": "csv"}, headers=viewer
    )
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    header, line = exported.get_data(as_text=True).strip().splitlines()
    assert header.startswith("item_id,sku,warehouse_id") and "seasonal_naive_mase" in header
    assert line.startswith(f"{item},R1,")


def test_accuracy_of_nothing_measured_is_empty_not_an_error(client, make):
    response = client.get(ACCURACY, headers=make.headers("viewer"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["overall"]["series"] == 0 and body["by_class"] == []
    assert body["overall"]["forecast"]["mase"] is None
    reversed_range = {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    assert_problem(
        client.get(ACCURACY, query_string=reversed_range, headers=make.headers("viewer")), 422
    )


@pytest.mark.parametrize("path", [ACCURACY, ACCURACY + "/items"])
def test_accuracy_range_at_the_calendar_edges(client, make, path):
    viewer = make.headers("viewer")
    # The default start, a year before an end in year 1, stops at the first day there is.
    early = client.get(path, query_string={"date_to": "0001-12-31"}, headers=viewer)
    assert early.status_code == 200, early.get_json()
    if path == ACCURACY:
        assert early.get_json()["date_from"] == "0001-01-01"
    # A start after the default end (today) is the reversed range it is, not an empty answer.
    late = client.get(path, query_string={"date_from": "9999-12-31"}, headers=viewer)
    problem = assert_problem(late, 422)
    assert "date_from" in problem["errors"]


@pytest.mark.parametrize("path", [ACCURACY, ACCURACY + "/items"])
def test_accuracy_of_an_unknown_warehouse_is_404_as_for_every_report(client, make, path):
    response = client.get(path, query_string={"warehouse_id": 999}, headers=make.headers("viewer"))
    assert "warehouse" in assert_problem(response, 404, "not_found")["detail"]
