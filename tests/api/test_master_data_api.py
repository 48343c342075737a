"""Items and warehouses through the API: create, list, update under If-Match, deactivate, delete."""

from __future__ import annotations

import json

import pytest

from tests.api.helpers import WRITTEN_TABLES, assert_problem, writes_nothing

ITEMS = "/api/v1/items"
WAREHOUSES = "/api/v1/warehouses"


@pytest.fixture
def admin(make):
    return make.headers("admin")


def _item(sku: str, **extra) -> dict:
    return {"sku": sku, "name": f"Item {sku}", "unit_of_measure": "pcs", **extra}


def test_create_item_returns_it_with_an_id(backend, client, admin):
    response = client.post(ITEMS, json=_item("BOLT-1", valuation_cost="0.125"), headers=admin)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body["sku"] == "BOLT-1" and body["active"] is True
    assert body["valuation_cost"] == "0.1250"
    assert body["category"] == ""
    fetched = client.get(f"{ITEMS}/{body['id']}", headers=admin).get_json()
    assert fetched == body


def test_duplicate_sku_is_a_conflict(backend, client, admin):
    assert client.post(ITEMS, json=_item("DUP"), headers=admin).status_code == 201
    with writes_nothing():
        response = client.post(ITEMS, json=_item("DUP"), headers=admin)
    body = assert_problem(response, 409, "conflict")
    assert body["errors"] == {"sku": ["Already in use."]}


def test_item_fields_are_validated(client, admin):
    response = client.post(
        ITEMS, json={"sku": "", "name": "x" * 201, "valuation_cost": "-1"}, headers=admin
    )
    errors = assert_problem(response, 422, "validation_failed")["errors"]
    assert set(errors) == {"sku", "name", "unit_of_measure", "valuation_cost"}
    unknown = client.post(ITEMS, json={**_item("U"), "colour": "red"}, headers=admin)
    assert assert_problem(unknown, 422)["errors"] == {"colour": ["Unknown field."]}
    five_places = client.post(ITEMS, json=_item("C5", valuation_cost="1.00001"), headers=admin)
    assert assert_problem(five_places, 422)["errors"]["valuation_cost"]


def _pagination(response) -> dict:
    return json.loads(response.headers["X-Pagination"])


def test_list_pages_filters_and_sorts(client, admin, make):
    for sku, category in [("A-1", "bolts"), ("B-2", "nuts"), ("C-3", "bolts"), ("D-4", "bolts")]:
        make.item(sku, category=category)
    make.item("E-5", category="nuts")
    client.post(f"{ITEMS}/{make.item('F-6', category='bolts')}/deactivate", headers=admin)

    page2 = client.get(ITEMS, query_string={"page": 2, "page_size": 2}, headers=admin)
    assert page2.status_code == 200
    assert [i["sku"] for i in page2.get_json()] == ["C-3", "D-4"]
    assert _pagination(page2) == {
        "total": 6,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 2,
        "previous_page": 1,
        "next_page": 3,
    }

    def skus(**query):
        response = client.get(ITEMS, query_string=query, headers=admin)
        assert response.status_code == 200, response.get_json()
        return [i["sku"] for i in response.get_json()]

    assert skus(category="bolts") == ["A-1", "C-3", "D-4", "F-6"]
    assert skus(category="bolts", active="true") == ["A-1", "C-3", "D-4"]
    assert skus(active="false") == ["F-6"]
    assert skus(q="b-") == ["B-2"]
    assert skus(q="ITEM E") == ["E-5"]  # searches names too, ignoring case
    assert skus(sort="-sku", page_size=3) == ["F-6", "E-5", "D-4"]
    assert skus(sort="category")[:4] == ["A-1", "C-3", "D-4", "F-6"]
    bad_sort = client.get(ITEMS, query_string={"sort": "password"}, headers=admin)
    assert assert_problem(bad_sort, 422)["errors"]["sort"]


def test_warehouses_list_and_sort(client, admin, make):
    for code in ("WH-B", "WH-A", "WH-C"):
        make.warehouse(code)
    listed = client.get(WAREHOUSES, query_string={"sort": "-code"}, headers=admin)
    assert [w["code"] for w in listed.get_json()] == ["WH-C", "WH-B", "WH-A"]
    assert _pagination(listed)["total"] == 3


def test_update_needs_a_fresh_if_match(backend, client, admin, make):
    item = make.item("ETAG-1")
    url = f"{ITEMS}/{item}"
    first = client.get(url, headers=admin)
    etag = first.headers["ETag"]

    with writes_nothing():
        assert_problem(client.patch(url, json={"name": "No match"}, headers=admin), 428)
    updated = client.patch(url, json={"name": "Renamed"}, headers={**admin, "If-Match": etag})
    assert updated.status_code == 200, updated.get_json()
    assert updated.get_json()["name"] == "Renamed"
    assert updated.headers["ETag"] != etag

    with writes_nothing():  # the same, now stale, ETag again
        stale = client.patch(url, json={"name": "Lost update"}, headers={**admin, "If-Match": etag})
    assert_problem(stale, 412)
    assert client.get(url, headers=admin).get_json()["name"] == "Renamed"
    fresh = client.get(url, headers=admin).headers["ETag"]
    assert fresh == updated.headers["ETag"]
    again = client.patch(url, json={"category": "tools"}, headers={**admin, "If-Match": fresh})
    assert again.status_code == 200 and again.get_json()["category"] == "tools"


def test_update_to_a_taken_sku_is_a_conflict(client, admin, make):
    make.item("TAKEN")
    item = make.item("FREE")
    url = f"{ITEMS}/{item}"
    etag = client.get(url, headers=admin).headers["ETag"]
    response = client.patch(url, json={"sku": "TAKEN"}, headers={**admin, "If-Match": etag})
    assert_problem(response, 409, "conflict")


def test_get_with_if_none_match_is_not_modified(client, admin, make):
    url = f"{ITEMS}/{make.item()}"
    etag = client.get(url, headers=admin).headers["ETag"]
    assert client.get(url, headers={**admin, "If-None-Match": etag}).status_code == 304


def test_warehouse_update_needs_if_match_too(client, admin, make):
    url = f"{WAREHOUSES}/{make.warehouse('OLD')}"
    assert_problem(client.patch(url, json={"name": "New"}, headers=admin), 428)
    etag = client.get(url, headers=admin).headers["ETag"]
    response = client.patch(url, json={"code": "NEW"}, headers={**admin, "If-Match": etag})
    assert response.status_code == 200 and response.get_json()["code"] == "NEW"


def test_deactivate_and_activate(backend, client, admin, make):
    item = make.item()
    off = client.post(f"{ITEMS}/{item}/deactivate", headers=admin)
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert client.get(f"{ITEMS}/{item}", headers=admin).get_json()["active"] is False
    on = client.post(f"{ITEMS}/{item}/activate", headers=admin)
    assert on.get_json()["active"] is True
    assert_problem(client.post(f"{ITEMS}/424242/deactivate", headers=admin), 404)


def test_an_inactive_item_is_refused_in_a_document(backend, client, admin, make):
    warehouse, item = make.warehouse(), make.item("SLEEPY")
    client.post(f"{ITEMS}/{item}/deactivate", headers=admin)
    doc = {
        "type": "receipt",
        "warehouse_id": warehouse,
        "lines": [{"item_id": item, "quantity": "1", "unit_cost": "1"}],
    }
    with writes_nothing():
        response = client.post("/api/v1/stock-documents", json=doc, headers=admin)
    body = assert_problem(response, 422, "validation_failed")
    assert "inactive" in body["errors"]["lines"]["0"]["item_id"][0]
    client.post(f"{WAREHOUSES}/{warehouse}/deactivate", headers=admin)
    client.post(f"{ITEMS}/{item}/activate", headers=admin)
    response = client.post("/api/v1/stock-documents", json=doc, headers=admin)
    assert "inactive" in assert_problem(response, 422)["errors"]["warehouse_id"][0]


def test_delete_an_unused_record(backend, client, admin, make):
    item, warehouse = make.item(), make.warehouse()
    assert client.delete(f"{ITEMS}/{item}", headers=admin).status_code == 204
    assert_problem(client.get(f"{ITEMS}/{item}", headers=admin), 404)
    assert client.delete(f"{WAREHOUSES}/{warehouse}", headers=admin).status_code == 204
    assert_problem(client.delete(f"{WAREHOUSES}/{warehouse}", headers=admin), 404)


def test_delete_a_referenced_record_says_deactivate(backend, client, admin, make):
    warehouse, item = make.warehouse(), make.item()
    make.receive(warehouse, item, "1", "1")
    for url, record_id in ((f"{ITEMS}/{item}", item), (f"{WAREHOUSES}/{warehouse}", warehouse)):
        with writes_nothing():
            response = client.delete(url, headers=admin)
        detail = assert_problem(response, 409, "conflict")["detail"]
        assert "cannot be deleted" in detail
        assert f"Deactivate it instead (POST .../{record_id}/deactivate)" in detail
        assert client.get(url, headers=admin).status_code == 200
        assert client.post(f"{url}/deactivate", headers=admin).get_json()["active"] is False


def test_a_draft_line_alone_keeps_an_item_from_deletion(client, admin, make):
    warehouse, item = make.warehouse(), make.item()
    make.document("receipt", warehouse, [(item, "1", "1")], draft=True)
    assert_problem(client.delete(f"{ITEMS}/{item}", headers=admin), 409)


def _patch(client, admin, url, changes):
    etag = client.get(url, headers=admin).headers["ETag"]
    return client.patch(url, json=changes, headers={**admin, "If-Match": etag})


def test_unit_of_measure_is_fixed_once_the_ledger_knows_the_item(backend, client, admin, make):
    warehouse, item = make.warehouse(), make.item("UOM-1")
    url = f"{ITEMS}/{item}"
    # Before any movement the unit is still a typo to fix.
    assert _patch(client, admin, url, {"unit_of_measure": "box"}).status_code == 200
    make.receive(warehouse, item, "10", "2")

    with writes_nothing():
        response = _patch(client, admin, url, {"unit_of_measure": "kg", "name": "Heavier"})
    body = assert_problem(response, 409, "conflict")
    assert "create a new item" in body["detail"].lower()
    assert body["errors"] == {"unit_of_measure": ["The item has stock movements in 'box'."]}
    assert client.get(url, headers=admin).get_json()["unit_of_measure"] == "box"

    # The same unit again is no change, and other fields still change.
    same = _patch(client, admin, url, {"unit_of_measure": "box", "name": "Renamed"})
    assert same.status_code == 200, same.get_json()
    assert same.get_json()["unit_of_measure"] == "box"


def test_a_fully_issued_item_keeps_its_unit_too(backend, client, admin, make):
    """No stock left is not no history: the ledger still counts in the old unit."""
    warehouse, item = make.warehouse(), make.item("UOM-2")
    make.receive(warehouse, item, "3", "1")
    make.document("issue", warehouse, [(item, "3", None)])
    response = _patch(client, admin, f"{ITEMS}/{item}", {"unit_of_measure": "kg"})
    assert_problem(response, 409, "conflict")


# --- Codes: unique whatever their case, trimmed, never blank -------------------------------------
# (path, code field, body without the code) for every record people know by a code.
CODED = {
    "item": (ITEMS, "sku", {"name": "Bolt", "unit_of_measure": "pcs"}),
    "warehouse": (WAREHOUSES, "code", {"name": "Main"}),
    "supplier": ("/api/v1/suppliers", "code", {"name": "Acme", "currency": "EUR"}),
    "cost centre": ("/api/v1/cost-centres", "code", {"name": "Operations"}),
}
CODED_LENGTH = {"sku": 64, "code": 32}


@pytest.mark.parametrize("kind", sorted(CODED))
def test_a_code_differing_only_by_case_is_a_conflict_naming_it(backend, client, admin, kind):
    path, field, body = CODED[kind]
    first = client.post(path, json={**body, field: "bolt-m8"}, headers=admin)
    assert first.status_code == 201, first.get_json()
    holder = first.get_json()["id"]

    with writes_nothing((*WRITTEN_TABLES, "supplier", "cost_centre")):
        twin = client.post(path, json={**body, field: " BOLT-M8 "}, headers=admin)
    problem = assert_problem(twin, 409, "conflict")
    assert problem["errors"] == {field: ["Already in use."]}
    assert problem["existing"] == {"id": holder, field: "bolt-m8"}
    assert f"{kind.capitalize()} {holder} already has the" in problem["detail"]
    assert "'BOLT-M8' as 'bolt-m8'" in problem["detail"]
    assert "unique whatever their case" in problem["detail"]

    # Renaming another record onto it is refused alike; changing only its own case is not.
    other = client.post(path, json={**body, field: "NUT-M8"}, headers=admin).get_json()["id"]
    renamed = _patch(client, admin, f"{path}/{other}", {field: "Bolt-M8"})
    assert assert_problem(renamed, 409)["existing"]["id"] == holder
    recased = _patch(client, admin, f"{path}/{holder}", {field: "BOLT-M8"})
    assert recased.status_code == 200, recased.get_json()
    assert recased.get_json()[field] == "BOLT-M8"


@pytest.mark.parametrize("kind", sorted(CODED))
def test_codes_are_trimmed_and_never_blank(client, admin, kind):
    path, field, body = CODED[kind]
    created = client.post(path, json={**body, field: "\t WH 1 \n"}, headers=admin)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()[field] == "WH 1"  # inner space kept
    for blank in ("", "   ", "\t\n", "\u200b"):
        refused = client.post(path, json={**body, field: blank}, headers=admin)
        assert assert_problem(refused, 422)["errors"] == {field: ["Must not be blank."]}
    patched = _patch(client, admin, f"{path}/{created.get_json()['id']}", {field: " "})
    assert assert_problem(patched, 422)["errors"] == {field: ["Must not be blank."]}
    # The longest code fits; one character more does not, spaces or not.
    longest = CODED_LENGTH[field]
    assert client.post(path, json={**body, field: "X" * longest}, headers=admin).status_code == 201
    too_long = client.post(path, json={**body, field: " " + "Y" * longest}, headers=admin)
    assert assert_problem(too_long, 422)["errors"][field]


def test_the_item_search_ignores_case(client, admin, make):
    make.item("BOLT-M8")
    response = client.get(ITEMS, query_string={"q": "bolt-m8"}, headers=admin)
    assert [i["sku"] for i in response.get_json()] == ["BOLT-M8"]


def test_percent_and_underscore_are_searched_for_as_themselves(backend, client, admin, make):
    make.item("BOLT-M8")
    make.item("PIN_10")
    make.item("RATE%5")
    for q, found in (("_", ["PIN_10"]), ("%", ["RATE%5"]), ("t-m", ["BOLT-M8"])):
        response = client.get(ITEMS, query_string={"q": q}, headers=admin)
        assert [i["sku"] for i in response.get_json()] == found, q
    suppliers = client.get("/api/v1/suppliers", query_string={"q": "%"}, headers=admin)
    assert suppliers.status_code == 200 and suppliers.get_json() == []


@pytest.mark.parametrize("name", ["   ", "\u200b"])
def test_a_name_with_nothing_to_read_is_refused(client, admin, name):
    response = client.post(
        "/api/v1/items",
        json={"sku": "BLANK-NAME", "name": name, "unit_of_measure": "pcs"},
        headers=admin,
    )
    assert assert_problem(response, 422)["errors"] == {"name": ["Must not be blank."]}
