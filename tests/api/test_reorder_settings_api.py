"""Reorder settings and per item-and-warehouse policies through the API: If-Match, the limits
of every field (service level strictly inside (0, 1), the horizon's limit), admin only, audited,
and nothing written on refusal."""

from __future__ import annotations

import pytest

from forecasting import MAX_HORIZON
from tests.api.helpers import assert_problem, writes_nothing
from tests.api.reorder_helpers import REVIEW_TABLES, audit_actions

SETTINGS = "/api/v1/reorder-settings"
POLICIES = "/api/v1/reorder-policies"
GOOD = {
    "service_level_a": "0.99",
    "service_level_b": "0.95",
    "service_level_c": "0.9",
    "review_period_days": 14,
    "history_days": 730,
    "freq": "M",
    "horizon": 12,
    "demand_kinds": ["issue", "adjustment"],
}


@pytest.fixture
def admin(make):
    return make.headers("admin")


def _tagged(client, url, headers) -> dict:
    etag = client.get(url, headers=headers).headers["ETag"]
    return {**headers, "If-Match": etag}


def test_settings_start_from_the_migrations_defaults(client, make):
    response = client.get(SETTINGS, headers=make.headers("viewer"))
    assert response.status_code == 200 and response.headers["ETag"]
    body = response.get_json()
    assert (body["service_level_a"], body["service_level_b"], body["service_level_c"]) == (
        "0.9800",
        "0.9500",
        "0.9000",
    )
    assert (body["freq"], body["horizon"], body["demand_kinds"]) == ("W", 26, ["issue"])


def test_an_admin_replaces_the_settings_with_if_match(backend, client, admin):
    response = client.put(SETTINGS, json=GOOD, headers=_tagged(client, SETTINGS, admin))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["service_level_c"] == "0.9000" and body["freq"] == "M"
    assert body["demand_kinds"] == ["issue", "adjustment"] and body["updated_by"]
    assert client.get(SETTINGS, headers=admin).get_json() == body
    assert audit_actions("reorder_setting") == [("reorder_settings.update", "1")]


def test_settings_need_a_current_if_match(client, admin):
    stale = _tagged(client, SETTINGS, admin)
    with writes_nothing(REVIEW_TABLES):
        assert_problem(client.put(SETTINGS, json=GOOD, headers=admin), 428)
    assert client.put(SETTINGS, json=GOOD, headers=stale).status_code == 200
    with writes_nothing(REVIEW_TABLES):
        assert_problem(client.put(SETTINGS, json={**GOOD, "horizon": 8}, headers=stale), 412)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("service_level_a", "1"),
        ("service_level_a", "1.0"),
        ("service_level_b", "0"),
        ("service_level_c", "-0.1"),
        ("service_level_c", "1.5"),
        ("service_level_b", "0.99999"),
        ("service_level_a", "0.98765"),  # stored as 0.9876 before, a level nobody asked for
        ("service_level_a", "0.00006"),
        ("service_level_c", 1e-9),
        ("horizon", MAX_HORIZON + 1),
        ("horizon", 0),
        ("review_period_days", 0),
        ("history_days", 10),
        ("freq", "Q"),
        ("demand_kinds", []),
        ("demand_kinds", ["sale"]),
        ("demand_kinds", ["issue", "issue"]),
    ],
)
def test_settings_out_of_bounds_are_422_and_change_nothing(client, admin, field, value):
    before = client.get(SETTINGS, headers=admin).get_json()
    with writes_nothing(REVIEW_TABLES):
        response = client.put(
            SETTINGS, json={**GOOD, field: value}, headers=_tagged(client, SETTINGS, admin)
        )
        assert field in assert_problem(response, 422, "validation_failed")["errors"]
    assert client.get(SETTINGS, headers=admin).get_json() == before


@pytest.mark.parametrize("value", ["0.98765", "0.99999", "1e-9"])
def test_a_fifth_decimal_place_is_named_not_rounded(client, admin, value):
    response = client.put(
        SETTINGS, json={**GOOD, "service_level_a": value}, headers=_tagged(client, SETTINGS, admin)
    )
    errors = assert_problem(response, 422)["errors"]
    assert errors == {"service_level_a": ["At most 4 decimal places."]}


def test_four_places_either_side_of_the_bounds_are_accepted(client, admin):
    levels = {
        "service_level_a": "0.9999",
        "service_level_b": "0.0001",
        "service_level_c": "0.90000",
    }
    response = client.put(
        SETTINGS, json={**GOOD, **levels}, headers=_tagged(client, SETTINGS, admin)
    )
    body = response.get_json()
    assert response.status_code == 200, body
    assert (body["service_level_a"], body["service_level_b"], body["service_level_c"]) == (
        "0.9999",
        "0.0001",
        "0.9000",
    )


def test_the_largest_horizon_is_accepted(client, admin):
    response = client.put(
        SETTINGS, json={**GOOD, "horizon": MAX_HORIZON}, headers=_tagged(client, SETTINGS, admin)
    )
    assert response.status_code == 200 and response.get_json()["horizon"] == MAX_HORIZON


def test_a_policy_is_set_replaced_and_dropped(backend, client, make, admin):
    item, warehouse = make.item(), make.warehouse()
    url = f"{POLICIES}/{item}/{warehouse}"
    empty = client.get(url, headers=make.headers("viewer")).get_json()
    assert empty["stored"] is False and empty["service_level"] is None and empty["active"]

    body = {"service_level": "0.99", "lead_time_days": 10, "min_quantity": "5", "max_quantity": "5"}
    created = client.put(url, json=body, headers=_tagged(client, url, admin))
    assert created.status_code == 200, created.get_json()
    policy = created.get_json()
    assert policy["stored"] is True and policy["service_level"] == "0.9900"
    assert (policy["min_quantity"], policy["max_quantity"]) == ("5.000", "5.000")
    assert policy["review_period_days"] is None  # left out: the default holds
    listed = client.get(POLICIES, query_string={"item_id": item}, headers=admin).get_json()
    assert [(p["item_id"], p["warehouse_id"], p["stored"]) for p in listed] == [
        (item, warehouse, True)
    ]

    replaced = client.put(url, json={"review_period_days": 3}, headers=_tagged(client, url, admin))
    assert replaced.get_json()["service_level"] is None
    assert replaced.get_json()["review_period_days"] == 3

    assert client.delete(url, headers=admin).status_code == 204
    assert client.get(url, headers=admin).get_json()["stored"] is False
    assert_problem(client.delete(url, headers=admin), 404)
    place = f"{item}@{warehouse}"
    assert audit_actions("reorder_policy") == [
        ("reorder_policy.create", place),
        ("reorder_policy.update", place),
        ("reorder_policy.delete", place),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service_level": "1"}, "service_level"),
        ({"service_level": "0"}, "service_level"),
        ({"min_quantity": "10", "max_quantity": "2"}, "min_quantity"),
        ({"min_quantity": "-1"}, "min_quantity"),
        ({"review_period_days": 0}, "review_period_days"),
        ({"lead_time_days": -1}, "lead_time_days"),
    ],
)
def test_a_bad_policy_is_422_and_writes_nothing(client, make, admin, body, field):
    item, warehouse = make.item(), make.warehouse()
    url = f"{POLICIES}/{item}/{warehouse}"
    with writes_nothing(REVIEW_TABLES):
        response = client.put(url, json=body, headers=_tagged(client, url, admin))
        assert field in assert_problem(response, 422)["errors"]


def test_a_policy_for_an_unknown_item_or_warehouse_is_404(client, make, admin):
    item, warehouse = make.item(), make.warehouse()
    for url in (f"{POLICIES}/999/{warehouse}", f"{POLICIES}/{item}/999"):
        assert_problem(client.get(url, headers=admin), 404)
        with writes_nothing(REVIEW_TABLES):
            put = client.put(url, json={}, headers={**admin, "If-Match": "*"})
            assert_problem(put, 404)


@pytest.mark.parametrize("role", ["purchasing", "warehouse", "approver", "finance", "viewer"])
def test_only_admins_change_settings_and_policies(client, make, role):
    item, warehouse = make.item(), make.warehouse()
    url = f"{POLICIES}/{item}/{warehouse}"
    headers = make.headers(role)
    with writes_nothing(REVIEW_TABLES):
        put = client.put(SETTINGS, json=GOOD, headers=_tagged(client, SETTINGS, headers))
        assert_problem(put, 403)
        assert_problem(client.put(url, json={}, headers=_tagged(client, url, headers)), 403)
        assert_problem(client.delete(url, headers=headers), 403)
