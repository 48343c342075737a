"""Finance pages: the valuation trend, spend, ageing, KPIs, budgets, exceptions, their files
(the same bytes the API gives) and period close."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from inventory import clock
from inventory.db import period_queries
from inventory.services import finance_reports
from tests.finance_seed import seed_book
from tests.page_helpers import signed_in

PAGES = [
    "/finance",
    "/finance/spend",
    "/finance/ageing",
    "/finance/kpis",
    "/finance/budgets",
    "/finance/exceptions",
    "/finance/periods",
]


@pytest.fixture
def book(make):
    """tests/finance_seed.py's book, as the API report tests read it."""
    return seed_book(make)


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_each_page_opens_for_finance_and_admin_even_when_empty(client, make, role):
    signed_in(client, make, role)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True))


QUANTITY_PAGES = {"/finance/ageing", "/finance/kpis"}


@pytest.mark.parametrize("role", ["warehouse", "purchasing", "viewer"])
def test_other_roles_get_403(client, make, role):
    signed_in(client, make, role)
    for path in [*PAGES, "/finance/files/spend.csv", "/finance/files/ageing.csv"]:
        allowed = role == "warehouse" and (path in QUANTITY_PAGES or "ageing.csv" in path)
        assert client.get(path).status_code == (200 if allowed else 403), path
    assert client.post("/finance/periods/close").status_code in (400, 403)


def test_the_menu_shows_finance_to_finance_only(client, make):
    signed_in(client, make, "finance")
    assert 'href="/finance"' in client.get("/").get_data(as_text=True)
    other = client.application.test_client()
    signed_in(other, make, "warehouse")
    assert 'href="/finance"' not in other.get("/").get_data(as_text=True)


def test_spend_page_shows_the_rows_totals_and_chart(client, make, book):
    signed_in(client, make, "finance")
    html = client.get("/finance/spend").get_data(as_text=True)
    assert "22.00" in html and "8.80" in html and "<svg" in html
    assert "/finance/files/spend.csv?" in html and "group_by=supplier" in html


def test_spend_file_is_the_apis_file(client, make, book):
    signed_in(client, make, "finance")
    headers = make.headers("finance")
    query = "group_by=month&group_by=supplier"
    page_file = client.get(f"/finance/files/spend.csv?{query}")
    assert page_file.status_code == 200
    page_bytes = page_file.data  # streamed: read before the next request
    api_file = client.get(f"/api/v1/reports/spend?format=csv&{query}", headers=headers)
    assert page_bytes == api_file.data
    assert page_file.headers["Content-Disposition"] == api_file.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(page_file.get_data(as_text=True))))
    assert rows[0] == ["month", "supplier_id", "category", "cost_centre_id", "ordered", "received"]
    assert ["Total", "", "", "", "22.00", "8.80"] in rows
    assert ["filter", "group_by", "month,supplier"] in rows


def test_spend_xlsx_opens_with_its_totals(client, make, book):
    signed_in(client, make, "finance")
    response = client.get("/finance/files/spend.xlsx?group_by=supplier")
    book_ = load_workbook(io.BytesIO(response.data))
    values = [list(r) for r in book_.worksheets[0].iter_rows(values_only=True)]
    assert values[-1][0] == "Total" and Decimal(str(values[-1][-1])) == Decimal("8.80")


@pytest.mark.parametrize("report", ["budget", "kpis", "ageing", "exceptions"])
def test_every_report_file_downloads(client, make, book, report):
    signed_in(client, make, "finance")
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/finance/files/{report}.{fmt}")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert "attachment" in response.headers["Content-Disposition"]


def test_an_unknown_report_file_is_a_404_page(client, make):
    signed_in(client, make, "finance")
    assert client.get("/finance/files/salaries.csv").status_code == 404
    assert client.get("/finance/files/spend.pdf").status_code == 404


def test_bad_filters_are_shown_beside_the_fields(client, make):
    signed_in(client, make, "finance")
    response = client.get("/finance/spend?from=2026-05-01&to=2026-01-01&supplier_id=x")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "field-error" in html
    reversed_window = client.get("/finance/spend?from=2026-05-01&to=2026-01-01")
    assert reversed_window.status_code == 422
    assert "Must not be before" in reversed_window.get_data(as_text=True)


def test_budget_kpi_ageing_pages_show_the_book(client, make, book):
    signed_in(client, make, "finance")
    budgets_html = client.get("/finance/budgets").get_data(as_text=True)
    assert "CC1" in budgets_html and "100.00" in budgets_html
    kpis_html = client.get("/finance/kpis").get_data(as_text=True)
    assert "inventory_turnover" in kpis_html and "consumption value ÷ average stock value" in (
        kpis_html
    )
    ageing_html = client.get("/finance/ageing").get_data(as_text=True)
    assert "BOLT" in ageing_html


def test_valuation_trend_equals_the_valuation_report_at_each_month_end(backend, make, book):
    trend = finance_reports.valuation_trend(clock.service_zone())
    assert len(trend) == 12
    for point in trend:
        report = period_queries.valuation_report(as_of=point["as_of"])
        assert point["value"] == report["totals"]["value"]
    now = period_queries.values_at([clock.now()])[0]
    assert now == period_queries.valuation_report()["totals"]["value"]
    assert now == Decimal("10.40")  # 12.00 + 8.80 - 10.40


def _last_month() -> str:
    today = clock.now().astimezone(clock.service_zone()).date()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _close(client, csrf, period, key="k1", confirm=True):
    form = {"csrf_token": csrf, "idempotency_key": key, "period": period}
    if confirm:
        form["confirm"] = "yes"
    return client.post("/finance/periods/close", data=form)


def test_closing_needs_the_confirmation_and_closes_nothing_without_it(client, make):
    _, csrf = signed_in(client, make, "finance")
    response = _close(client, csrf, _last_month(), confirm=False)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="confirm-error"' in html and 'aria-invalid="true"' in html
    assert f'value="{_last_month()}"' in html
    assert period_queries.listing()["closed"] == []


def test_close_a_month_once_even_when_posted_twice_then_the_refusal_is_shown(
    backend, client, make, book
):
    _, csrf = signed_in(client, make, "finance")
    month = _last_month()
    first = _close(client, csrf, month, key="same")
    assert first.status_code == 302
    again = _close(client, csrf, month, key="same")  # a double submit replays the first
    assert again.status_code == 302
    assert [p["period"] for p in period_queries.listing()["closed"]] == [month]
    page = client.get("/finance/periods").get_data(as_text=True)
    assert f"Period {month} is closed" in page and '<td data-label="Period">' in page
    refused = _close(client, csrf, month, key="another")
    assert refused.status_code == 409
    assert f"Period {month} is closed already" in refused.get_data(as_text=True)
    # The trend reads the closed month's snapshot and still equals the report.
    for point in finance_reports.valuation_trend(clock.service_zone()):
        report = period_queries.valuation_report(as_of=point["as_of"])
        assert point["value"] == report["totals"]["value"]


@pytest.mark.parametrize("month", ["2026-13", "9999-12", "0001-01", "1899-12"])
def test_a_bad_month_is_said_beside_the_field(client, make, month):
    # 9999-12 ends in year 10000 (a 500 before); 0001-01 closed would leave the books to be
    # closed month by month for two thousand years.
    _, csrf = signed_in(client, make, "finance")
    response = _close(client, csrf, month)
    assert response.status_code == 422
    assert 'id="period-error"' in response.get_data(as_text=True)
    assert period_queries.listing()["closed"] == []


@pytest.mark.parametrize(
    "query",
    [{"until": "9999-12-31"}, {"until": "0001-01-01"}, {"since": "0001-01-01"}],
)
def test_the_exceptions_report_at_the_calendars_edges_is_a_field_error(client, make, query):
    signed_in(client, make, "finance")
    page = client.get("/finance/exceptions", query_string=query)
    assert page.status_code == 422 and "Must be between 1900-01-01" in page.get_data(as_text=True)
    for ending in ("csv", "xlsx"):
        refused = client.get(f"/finance/files/exceptions.{ending}", query_string=query)
        assert refused.status_code == 422
        field = next(iter(query))  # a file has no form: the message names the filter
        assert f"({field}: Must be between 1900-01-01" in refused.get_data(as_text=True)


def test_a_tampered_month_on_reopen_is_said_at_the_top(client, make):
    _, csrf = signed_in(client, make, "admin")
    response = client.post(
        "/finance/periods/reopen",
        data={"csrf_token": csrf, "idempotency_key": "x", "period": "abc", "confirm": "1"},
    )
    assert response.status_code == 422
    assert 'id="period-refused"' in response.get_data(as_text=True)


def test_reopen_is_for_admin_only_and_audited(client, make):
    _, csrf = signed_in(client, make, "finance")
    month = _last_month()
    assert _close(client, csrf, month).status_code == 302
    assert "Reopen (admin)" not in client.get("/finance/periods").get_data(as_text=True)
    form = {"csrf_token": csrf, "idempotency_key": "r", "period": month, "confirm": "yes"}
    assert client.post("/finance/periods/reopen", data=form).status_code == 403
    admin = client.application.test_client()
    _, admin_csrf = signed_in(admin, make, "admin")
    assert "Reopen (admin)" in admin.get("/finance/periods").get_data(as_text=True)
    no_confirm = admin.post(
        "/finance/periods/reopen", data={**form, "csrf_token": admin_csrf, "confirm": ""}
    )
    assert no_confirm.status_code == 422 and period_queries.listing()["closed"]
    done = admin.post("/finance/periods/reopen", data={**form, "csrf_token": admin_csrf})
    assert done.status_code == 302 and period_queries.listing()["closed"] == []
    not_closed = admin.post(
        "/finance/periods/reopen",
        data={**form, "csrf_token": admin_csrf, "idempotency_key": "r2"},
    )
    assert not_closed.status_code == 409
    assert f"Period {month} is not closed" in not_closed.get_data(as_text=True)


def _month_end(months_back: int):
    """The last instant of the month ``months_back`` before this one (service zone)."""
    ends = finance_reports.month_ends(12, clock.service_zone())
    return ends[-months_back]


def test_valuation_trend_across_month_ends_and_a_closed_snapshot(backend, make):
    from datetime import timedelta

    from inventory.services import periods

    w = make.warehouse("W")
    nut = make.item("NUT")
    label5, end5 = _month_end(5)
    _, end3 = _month_end(3)
    with clock.pinned(end5 - timedelta(days=3)):
        make.receive(w, nut, "10", "1.50")  # 15.00
    with clock.pinned(end5):  # the month's very last instant still counts in it
        make.receive(w, nut, "2", "1.50")  # 18.00
    with clock.pinned(end5 + timedelta(microseconds=1)):  # the next month's first instant
        make.receive(w, nut, "4", "1.50")  # 24.00
    periods.close(make.admin, label5)
    with clock.pinned(end3 - timedelta(days=1)):
        make.document("issue", w, [(nut, "6", None)])  # 24.00 - 9.00 = 15.00
    trend = finance_reports.valuation_trend(clock.service_zone())
    by_month = {p["month"]: p["value"] for p in trend}
    assert by_month[label5] == Decimal("18.00")
    assert trend[-1]["value"] == Decimal("15.00")
    assert trend[0]["value"] == Decimal("0.00")
    for point in trend:
        report = period_queries.valuation_report(as_of=point["as_of"])
        assert point["value"] == report["totals"]["value"], point["month"]


def test_warehouse_reads_ageing_and_kpis_without_money(client, make, book):
    signed_in(client, make, "warehouse")
    ageing = client.get("/finance/ageing").get_data(as_text=True)
    assert "BOLT" in ageing and 'data-key="value' not in ageing
    assert 'data-key="qty_0_30"' in ageing
    kpis = client.get("/finance/kpis").get_data(as_text=True)
    assert "inventory_turnover" in kpis and "Stock values behind turnover" not in kpis
    assert 'href="/finance/spend"' not in kpis  # the sub-menu offers only what opens
    file = client.get("/finance/files/ageing.csv")
    header = file.get_data(as_text=True).splitlines()[0].split(",")
    assert "quantity" in header and not any(h.startswith("value") for h in header)


def test_the_spend_chart_draws_what_spend_by_month_gives(app, make, book):
    from delivery.config import service_zone
    from web.finance import _by_month

    win = finance_reports.window(None, None, service_zone())
    rows = finance_reports.spend(win, ["month", "supplier"], {})["rows"]
    assert _by_month(win, rows) == finance_reports.spend_by_month(win, {})


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/finance/spend", "supplier_id"),
        ("/finance/ageing", "warehouse_id"),
        ("/finance/kpis", "warehouse_id"),
        ("/finance/budgets", "cost_centre_id"),
    ],
)
def test_an_unknown_id_in_a_filter_is_said_beside_it_with_the_form_kept(client, make, path, field):
    signed_in(client, make, "finance")
    page = client.get(path, query_string={field: 999})
    html = page.get_data(as_text=True)
    assert page.status_code == 422, html[-400:]
    assert f'id="{field}-error"' in html and "with id 999" in html
