"""Dates in the query string: a plain day is that whole day in the service's time zone, a
timestamp is that instant, and a reversed range is a field error rather than an empty answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api import create_app
from inventory import clock
from tests.api.helpers import assert_problem

BALANCES = "/api/v1/stock-balances"
AUDIT = "/api/v1/audit-events"


@pytest.fixture
def admin(make):
    return make.headers("admin")


@pytest.fixture
def day_edges(make):
    """Receipts of 1, 2 and 4 units at the first and last second of 2026-12-06 (UTC) and at
    midnight after it."""
    warehouse, item = make.warehouse(), make.item()
    for moment, qty in (
        (datetime(2026, 12, 6, 0, 0, 0, tzinfo=UTC), "1"),
        (datetime(2026, 12, 6, 23, 59, 59, tzinfo=UTC), "2"),
        (datetime(2026, 12, 7, 0, 0, 0, tzinfo=UTC), "4"),
    ):
        with clock.pinned(moment):
            make.receive(warehouse, item, qty, "1")
    return warehouse, item


def _on_hand(client, headers, item, as_of) -> str | None:
    response = client.get(BALANCES, query_string={"item_id": item, "as_of": as_of}, headers=headers)
    assert response.status_code == 200, response.get_json()
    rows = response.get_json()
    return rows[0]["quantity"] if rows else None


def _ledger(client, headers, item, **query) -> list[str]:
    response = client.get(f"/api/v1/items/{item}/ledger", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [entry["quantity"] for entry in response.get_json()]


def test_a_plain_day_is_the_whole_day(backend, client, admin, day_edges):
    _, item = day_edges
    assert _on_hand(client, admin, item, "2026-12-06") == "3.000"  # 23:59:59 is inside
    assert _on_hand(client, admin, item, "2026-12-05") is None
    assert _on_hand(client, admin, item, "2026-12-07") == "7.000"
    day = "2026-12-06"
    assert _ledger(client, admin, item, date_from=day, date_to=day) == ["1.000", "2.000"]
    assert _ledger(client, admin, item, date_from="2026-12-07") == ["4.000"]  # 00:00 next day
    assert _ledger(client, admin, item, date_to=day) == ["1.000", "2.000"]


def test_a_timestamp_is_that_instant(backend, client, admin, day_edges):
    _, item = day_edges
    assert _on_hand(client, admin, item, "2026-12-06T23:59:58Z") == "1.000"
    assert _on_hand(client, admin, item, "2026-12-06T23:59:59Z") == "3.000"
    assert _on_hand(client, admin, item, "2026-12-07T01:00:00+01:00") == "7.000"
    one_second = {"date_from": "2026-12-06T23:59:59Z", "date_to": "2026-12-06T23:59:59Z"}
    assert _ledger(client, admin, item, **one_second) == ["2.000"]


def test_the_day_is_the_service_time_zones_day(backend, app, client, admin, make):
    app.config["SERVICE_TIME_ZONE"] = "Asia/Tokyo"  # UTC+9, no daylight saving
    warehouse, item = make.warehouse(), make.item()
    for moment, qty in (
        (datetime(2026, 12, 5, 15, 0, 0, tzinfo=UTC), "1"),  # 00:00:00 on the 6th in Tokyo
        (datetime(2026, 12, 6, 14, 59, 59, tzinfo=UTC), "2"),  # 23:59:59 on the 6th
        (datetime(2026, 12, 6, 15, 0, 0, tzinfo=UTC), "4"),  # 00:00:00 on the 7th
    ):
        with clock.pinned(moment):
            make.receive(warehouse, item, qty, "1")
    day = "2026-12-06"
    assert _on_hand(client, admin, item, "2026-12-05") is None
    assert _on_hand(client, admin, item, day) == "3.000"
    assert _ledger(client, admin, item, date_from=day, date_to=day) == ["1.000", "2.000"]
    assert _ledger(client, admin, item, date_from="2026-12-07") == ["4.000"]
    # A timestamp without an offset is read in Tokyo too; one with an offset is that instant.
    assert _on_hand(client, admin, item, "2026-12-06T23:59:59") == "3.000"
    assert _on_hand(client, admin, item, "2026-12-06T23:59:59Z") == "7.000"
    export = client.get(BALANCES, query_string={"as_of": day, "format": "csv"}, headers=admin)
    assert 'filename="stock-balances-2026-12-06.csv"' in export.headers["Content-Disposition"]

    # Seen from Honolulu (UTC-10) the first came at 05:00 on the 5th, the others on the 6th.
    app.config["SERVICE_TIME_ZONE"] = "Pacific/Honolulu"
    assert _ledger(client, admin, item, date_from=day, date_to=day) == ["2.000", "4.000"]
    assert _on_hand(client, admin, item, "2026-12-05") == "1.000"


def test_audit_events_since_a_day_start_at_its_first_instant(backend, client, admin, make):
    for moment in (datetime(2025, 3, 5, 23, 59, 59, tzinfo=UTC), datetime(2025, 3, 6, tzinfo=UTC)):
        with clock.pinned(moment):
            make.warehouse()
    query = {"since": "2025-03-06", "entity_type": "warehouse"}
    since = client.get(AUDIT, query_string=query, headers=admin).get_json()
    assert [event["at"] for event in since] == ["2025-03-06T00:00:00+00:00"]


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [("2026-12-07", "2026-12-06"), ("2026-12-06T10:00:00Z", "2026-12-06T09:59:59Z")],
)
def test_a_reversed_range_is_a_field_error(client, admin, make, date_from, date_to):
    item = make.item()
    query = {"date_from": date_from, "date_to": date_to}
    response = client.get(f"/api/v1/items/{item}/ledger", query_string=query, headers=admin)
    assert assert_problem(response, 422, "validation_failed")["errors"] == {
        "date_from": ["Must not be after date_to."]
    }
    same = client.get(
        f"/api/v1/items/{item}/ledger",
        query_string={"date_from": date_to, "date_to": date_to},
        headers=admin,
    )
    assert same.status_code == 200 and same.get_json() == []


@pytest.mark.parametrize("value", ["2026-02-30", "06.12.2026", "2026-12-06T25:00:00", "today"])
def test_a_day_that_is_not_one_is_a_field_error(client, admin, value):
    response = client.get(BALANCES, query_string={"as_of": value}, headers=admin)
    assert assert_problem(response, 422, "validation_failed")["errors"]["as_of"]


def test_the_last_day_there_is_can_be_asked_for(client, admin):
    assert (
        client.get(BALANCES, query_string={"as_of": "9999-12-31"}, headers=admin).status_code == 200
    )


def test_a_misspelt_time_zone_stops_the_start():
    with pytest.raises(ValueError, match="SERVICE_TIME_ZONE"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SERVICE_TIME_ZONE": "Europe/Atlantis"})
