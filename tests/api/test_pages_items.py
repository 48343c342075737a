"""The item pages: the list searched by SKU or name, and an item's stock, ledger (newest first,
paged), demand and forecast chart with its band, and the latest suggestion explained."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.api.reorder_helpers import Reorder
from tests.page_helpers import signed_in


@pytest.mark.parametrize("role", ["warehouse", "viewer", "purchasing", "finance"])
def test_every_role_that_reads_items_opens_the_list_and_the_page(client, make, role):
    item = make.item("BOLT-1")
    signed_in(client, make, role)
    listed = client.get("/items")
    assert listed.status_code == 200 and f'href="/items/{item}"' in listed.get_data(as_text=True)
    assert client.get(f"/items/{item}").status_code == 200
    assert 'href="/items"' in client.get("/").get_data(as_text=True)  # the menu entry


def test_every_role_reads_items_so_only_a_visitor_is_sent_to_sign_in(client, make):
    # The API's item reads admit every role: no signed-in person is refused these pages.
    item = make.item()
    for path in ("/items", f"/items/{item}"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_search_by_sku_or_name_and_paging(client, make):
    for i in range(53):
        make.item(f"PAGE-{i:03d}")
    make.item("OTHER")
    signed_in(client, make, "viewer")

    def skus(**query):
        html = client.get("/items", query_string=query).get_data(as_text=True)
        return re.findall(r'href="/items/\d+">([^<]+)<', html)

    assert skus(q="other") == ["OTHER"]
    assert skus(q="item other") == ["OTHER"]  # the name is "Item OTHER"
    assert len(skus()) == 50 and len(skus(page=2)) == 4
    assert skus(q="nothing-like-it") == []
    assert "No item matches" in client.get("/items?q=zzz").get_data(as_text=True)
    too_long = client.get("/items", query_string={"q": "x" * 101}).get_data(as_text=True)
    assert 'aria-invalid="true"' in too_long and 'id="q-error"' in too_long


def test_an_unknown_item_is_a_404_page(client, make):
    signed_in(client, make, "viewer")
    page = client.get("/items/2147483647")
    assert page.status_code == 404 and "No item with id 2147483647" in page.get_data(as_text=True)
    chart = client.get("/items/2147483647/forecast", headers={"HX-Request": "true"})
    assert chart.status_code == 404 and 'class="error"' in chart.get_data(as_text=True)
    assert client.get("/items/2147483648").status_code == 404  # past the largest id


def test_an_empty_item_says_it_has_nothing_yet(client, make):
    item = make.item()
    signed_in(client, make, "viewer")
    html = client.get(f"/items/{item}").get_data(as_text=True)
    assert "No stock anywhere yet" in html and "No movements yet" in html
    assert "No reorder run has succeeded yet" in html
    chart = client.get(f"/items/{item}/forecast", headers={"HX-Request": "true"})
    assert chart.status_code == 200
    assert "No demand history and no forecast" in chart.get_data(as_text=True)


def test_stock_and_the_ledger_newest_first_with_the_running_balance(client, make):
    main = make.warehouse("MAIN")
    item = make.item("LEDG")
    for qty in range(1, 56):
        make.receive(main, item, qty, "1.50")
    signed_in(client, make, "viewer")
    html = client.get(f"/items/{item}").get_data(as_text=True)
    balances = re.findall(r'data-label="Balance" class="num">([^<]+)<', html)
    assert len(balances) == 50
    assert balances[0] == "1,540" and balances[1] == "1,485"  # 55·56/2, then less the 55
    assert "2,310.00" in html  # the value on hand, 1,540 × 1.50
    last = client.get(f"/items/{item}", query_string={"page": 2}).get_data(as_text=True)
    assert re.findall(r'data-label="Balance" class="num">([^<]+)<', last) == [
        "15",
        "10",
        "6",
        "3",
        "1",
    ]
    assert "Page 2 of 2" in last


def test_the_forecast_chart_has_its_band_and_the_suggestion_explains_itself(client, make):
    reorder = Reorder(make)
    item = reorder.items[0]
    make.receive(reorder.warehouse, item, 20, "2")
    make.document("issue", reorder.warehouse, [(item, 5, None)])
    run = reorder.run()
    reorder.series(run, item, model="AutoETS", backtest_mase=0.84)
    for week in range(1, 5):
        reorder.forecast(run, item, reorder.today + timedelta(weeks=week), 4.0)
    reorder.suggestion(
        run,
        item,
        quantity="24",
        explanation={
            "on_hand": "15",
            "position": "15",
            "reorder_point": "18",
            "order_up_to": "40",
            "needed": "25",
            "rule": "Position 15 is at or below the reorder point 18: order up to 40.",
            # What the scheduler passes through beside the figures (reorder_chunk's context).
            "freq": "W",
            "model": "AutoETS",
            "demand_class": "smooth",
            "abc_class": "A",
            "backtest_mase": 0.84,
            "backtest_rmsse": 0.912345678,
            "forecast_mean_per_period": 4.0,
            "supplier_on_time": True,
            "review_period_days": 7,
            "service_level": "0.975",
            "mean_demand_per_day": "16.269231",
            "supplier_reason": "VOLTA: the only supplier with a comparable offer.",
        },
    )
    signed_in(client, make, "viewer")
    html = client.get(f"/items/{item}").get_data(as_text=True)
    assert f'hx-get="/items/{item}/forecast" hx-trigger="load"' in html
    fragment = client.get(f"/items/{item}/forecast", headers={"HX-Request": "true"})
    chart = fragment.get_data(as_text=True)
    assert "<html" not in chart and '<svg xmlns="http://www.w3.org/2000/svg"' in chart
    assert '<polygon class="band"' in chart and '<path class="forecast"' in chart
    assert '<path class="history"' in chart and "80% interval" in chart
    assert "backtest MASE 0.84" in chart
    # Without htmx (no script) the chart is a page of its own.
    alone = client.get(f"/items/{item}/forecast").get_data(as_text=True)
    assert "<html" in alone and '<polygon class="band"' in alone
    assert "Position 15 is at or below the reorder point 18: order up to 40." in html
    assert "<dt>Reorder point</dt><dd>18</dd>" in html
    # Every figure under its words, once: no raw keys, no repeated demand class or model.
    assert "<dt>Forecast mean per week</dt><dd>4.000</dd>" in html
    assert "<dt>Backtest RMSSE</dt><dd>0.912</dd>" in html
    assert "<dt>Arrives by the need date</dt><dd>yes</dd>" in html
    assert "<dt>Review period (days)</dt><dd>7</dd>" in html
    assert html.count("<dt>Demand class</dt>") == 1 and html.count("<dt>Model</dt>") == 1
    assert "<dt>Service level</dt><dd>97.5 %</dd>" in html
    assert "<dt>Mean demand per day</dt><dd>16.269</dd>" in html
    assert "Why this supplier:</strong> VOLTA: the only supplier with a comparable offer." in html
    assert "Freq" not in html and "Abc class" not in html and "True" not in html
    # A viewer may not review: no link to the review page.
    assert 'href="/reorder' not in html
