"""Every error is an RFC 9457 problem, and a refused request writes nothing."""

from __future__ import annotations

import logging
import shutil

import pytest

from api import create_app
from delivery.access import public
from inventory.db.base import db
from tests.api.helpers import assert_problem, row_counts, writes_nothing
from tests.conftest import Factory

DOCS = "/api/v1/stock-documents"


@pytest.fixture
def admin(make):
    return make.headers("admin")


@pytest.fixture
def stocked(make):
    """Two warehouses and an item with 5 on hand in the first."""
    w1, w2, item = make.warehouse(), make.warehouse(), make.item()
    make.receive(w1, item, "5", "2.00")
    return w1, w2, item


def _receipt(warehouse_id, item_id, quantity="1", unit_cost="1.00", **extra):
    line = {"item_id": item_id, "quantity": quantity, "unit_cost": unit_cost}
    return {"type": "receipt", "warehouse_id": warehouse_id, "lines": [line], **extra}


def test_unknown_item_in_a_document_is_a_field_error(backend, client, admin, stocked):
    w1, _, _ = stocked
    with writes_nothing():
        response = client.post(DOCS, json=_receipt(w1, 99999), headers=admin)
    body = assert_problem(response, 422, "validation_failed")
    assert "No item with id 99999" in body["errors"]["lines"]["0"]["item_id"][0]


@pytest.mark.parametrize("quantity", ["0", "-1", 0, -3])
def test_a_receipt_quantity_must_be_positive(client, admin, stocked, quantity):
    w1, _, item = stocked
    with writes_nothing():
        response = client.post(DOCS, json=_receipt(w1, item, quantity), headers=admin)
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"]["lines"]["0"]["quantity"]


def test_an_adjustment_quantity_cannot_be_zero(client, admin, stocked):
    w1, _, item = stocked
    doc = {"type": "adjustment", "warehouse_id": w1, "lines": [{"item_id": item, "quantity": 0}]}
    with writes_nothing():
        response = client.post(DOCS, json=doc, headers=admin)
    assert assert_problem(response, 422)["errors"]["lines"]["0"]["quantity"]


@pytest.mark.parametrize("quantity", ["1.0001", "raw:1.0001", "0.0005"])
def test_too_many_decimals_is_refused_not_rounded(client, admin, stocked, quantity):
    w1, _, item = stocked
    if quantity.startswith("raw:"):  # a JSON number, read as an exact Decimal
        body = (
            f'{{"type": "receipt", "warehouse_id": {w1}, "lines": '
            f'[{{"item_id": {item}, "quantity": {quantity[4:]}, "unit_cost": "1"}}]}}'
        )
        send = {"data": body, "content_type": "application/json"}
    else:
        send = {"json": _receipt(w1, item, quantity)}
    with writes_nothing():
        response = client.post(DOCS, headers=admin, **send)
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"]["lines"]["0"]["quantity"] == ["At most 3 decimal places."]


def test_a_transfer_must_change_warehouse(backend, client, admin, stocked):
    w1, _, item = stocked
    doc = {
        "type": "transfer",
        "warehouse_id": w1,
        "to_warehouse_id": w1,
        "lines": [{"item_id": item, "quantity": "1"}],
    }
    with writes_nothing():
        response = client.post(DOCS, json=doc, headers=admin)
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"]["to_warehouse_id"] == ["A transfer must go to a different warehouse."]


def test_posting_a_cancelled_document_is_a_conflict(backend, client, admin, stocked):
    w1, _, item = stocked
    created = client.post(DOCS, json=_receipt(w1, item, draft=True), headers=admin)
    assert created.status_code == 201, created.get_json()
    doc_id = created.get_json()["id"]
    cancelled = client.post(f"{DOCS}/{doc_id}/cancel", headers=admin)
    assert cancelled.get_json()["status"] == "cancelled"
    with writes_nothing():
        response = client.post(f"{DOCS}/{doc_id}/post", headers=admin)
    body = assert_problem(response, 409, "invalid_transition")
    assert body["current"] == "cancelled"
    assert client.get(f"{DOCS}/{doc_id}", headers=admin).get_json()["status"] == "cancelled"


def test_insufficient_stock_says_what_is_available(backend, client, admin, stocked):
    w1, _, item = stocked
    doc = {"type": "issue", "warehouse_id": w1, "lines": [{"item_id": item, "quantity": "7.5"}]}
    with writes_nothing():
        response = client.post(DOCS, json=doc, headers=admin)
    body = assert_problem(response, 409, "insufficient_stock")
    assert body["shortages"] == [
        {"item_id": item, "warehouse_id": w1, "requested": "7.500", "available": "5.000"}
    ]
    assert "5.000 available" in body["detail"]


def test_amounts_beyond_what_the_books_hold_are_refused(backend, client, admin, stocked):
    # Each number is within its field's range, but their product overflows a money column.
    w1, _, item = stocked
    doc = _receipt(w1, item, "1000000000000", "1000000000000")
    with writes_nothing():
        response = client.post(DOCS, json=doc, headers=admin)
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"]["lines"]["0"]["quantity"]


def test_wrong_types_are_field_errors(client, admin, stocked):
    doc = {"type": "receipt", "warehouse_id": "one", "lines": "many", "draft": "perhaps"}
    with writes_nothing():
        response = client.post(DOCS, json=doc, headers=admin)
    body = assert_problem(response, 422, "validation_failed")
    assert set(body["errors"]) == {"warehouse_id", "lines", "draft"}


@pytest.mark.parametrize(
    "bad", ["1.5", "true", '"1"'], ids=["float-id", "bool-id", "string-id-in-body"]
)
def test_ids_in_a_body_are_json_integers(client, admin, stocked, bad):
    _, _, item = stocked
    body = f'{{"type": "receipt", "warehouse_id": {bad}, "lines": [{{"item_id": {item}, "quantity": "1", "unit_cost": "1"}}]}}'  # noqa: E501
    with writes_nothing():
        response = client.post(DOCS, data=body, content_type="application/json", headers=admin)
    assert assert_problem(response, 422)["errors"] == {"warehouse_id": ["Not a valid integer."]}


@pytest.mark.parametrize(
    "text",
    ["SKU\u0000X", "SKU\ud800X"],
    ids=["nul", "lone-surrogate"],
)
def test_text_no_database_can_store_is_a_field_error(backend, client, admin, text):
    item = {"sku": text, "name": "Widget", "unit_of_measure": "pcs"}
    with writes_nothing():
        response = client.post("/api/v1/items", json=item, headers=admin)
    assert assert_problem(response, 422, "validation_failed")["errors"]["sku"]
    if "\x00" in text:  # a URL cannot carry a lone surrogate; it can carry %00
        search = client.get("/api/v1/items", query_string={"q": text}, headers=admin)
        assert assert_problem(search, 422)["errors"]["q"]


def test_malformed_json_is_a_bad_request(client, admin, stocked):
    with writes_nothing():
        response = client.post(
            DOCS, data='{"type": "receipt",', content_type="application/json", headers=admin
        )
    assert assert_problem(response, 400, "bad_request")["errors"] == {
        "json": ["Invalid JSON body."]
    }


@pytest.mark.parametrize(
    "body", [b"\xff\xfe{}", b"[" * 50_000 + b"]" * 50_000], ids=["not-utf8", "nested-deeply"]
)
def test_unreadable_json_is_a_bad_request(client, admin, body):
    response = client.post(DOCS, data=body, content_type="application/json", headers=admin)
    assert_problem(response, 400, "bad_request")


def test_page_size_over_the_limit(client, admin):
    response = client.get("/api/v1/items", query_string={"page_size": 201}, headers=admin)
    assert assert_problem(response, 422, "validation_failed")["errors"]["page_size"]
    assert client.get("/api/v1/items?page_size=200", headers=admin).status_code == 200


def test_a_page_number_past_any_database_offset_is_a_field_error(client, admin):
    response = client.get("/api/v1/items", query_string={"page": 10**20}, headers=admin)
    assert assert_problem(response, 422)["errors"]["page"]
    far = client.get("/api/v1/items", query_string={"page": 10**6}, headers=admin)
    assert far.status_code == 200 and far.get_json() == []


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"])
def test_a_moment_outside_utc_range_is_a_field_error(client, admin, moment):
    response = client.get("/api/v1/stock-balances", query_string={"as_of": moment}, headers=admin)
    assert assert_problem(response, 422)["errors"]["as_of"]


def test_ids_in_the_query_string_filter(client, admin, make, stocked):
    w1, w2, item = stocked
    other = make.item()
    make.receive(w2, other, "1", "1")
    response = client.get(
        "/api/v1/stock-balances", query_string={"warehouse_id": w1}, headers=admin
    )
    assert response.status_code == 200, response.get_json()
    assert [(r["item_id"], r["warehouse_id"]) for r in response.get_json()] == [(item, w1)]
    docs = client.get(DOCS, query_string={"warehouse_id": w2}, headers=admin).get_json()
    assert len(docs) == 1 and docs[0]["warehouse_id"] == w2


def test_unknown_route_and_wrong_method(client, admin):
    assert_problem(client.get("/api/v1/nothing-here", headers=admin), 404, "not_found")
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")  # 404 before 401
    assert_problem(client.get(f"{DOCS}/424242", headers=admin), 404, "not_found")
    assert_problem(client.put(DOCS, json={}, headers=admin), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", DOCS, {"GET", "HEAD", "OPTIONS", "POST"}),
        ("delete", "/api/v1/auth/token/", None),  # no such route: a 404, not a 405
        ("get", "/api/v1/auth/token", {"DELETE", "OPTIONS", "POST"}),
        ("post", "/api/v1/items/1", {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH"}),
    ],
)
def test_a_405_says_which_methods_the_path_allows(client, admin, method, path, allowed):
    """RFC 9110: a 405 carries Allow, the methods the target does accept."""
    response = getattr(client, method)(path, headers=admin)
    if allowed is None:
        assert response.status_code == 404
        return
    assert_problem(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    assert response.mimetype == "application/problem+json"


def test_forbidden_and_unauthenticated_are_problems(client, make):
    assert_problem(client.get("/api/v1/users"), 401, "unauthenticated")
    assert_problem(client.get("/api/v1/users", headers=make.headers("viewer")), 403)


def _app_copy(request, tmp_path, **overrides):
    path = tmp_path / "own.sqlite3"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True}
    return create_app({**settings, "LOG_LEVEL": "WARNING", **overrides})


@pytest.fixture
def own_app(request, tmp_path):
    """Build an app with its own settings: ``own_app(**overrides)``."""
    apps = []

    def build(**overrides):
        application = _app_copy(request, tmp_path, **overrides)
        apps.append(application)
        return application

    yield build
    for application in apps:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_body_over_the_limit_is_refused_with_413(own_app):
    small = own_app(MAX_CONTENT_LENGTH=1000)
    with small.app_context():
        make = Factory()
        headers = make.headers("admin")
        warehouse, item = make.warehouse(), make.item()
        client = small.test_client()
        lines = [{"item_id": item, "quantity": "1", "unit_cost": "1"}] * 40
        doc = {"type": "receipt", "warehouse_id": warehouse, "lines": lines}
        with writes_nothing():
            response = client.post(DOCS, json=doc, headers=headers)
        body = assert_problem(response, 413, "request_entity_too_large")
        assert "fewer lines" in body["detail"]
        accepted = client.post(DOCS, json={**doc, "lines": lines[:2]}, headers=headers)
        assert accepted.status_code == 201, accepted.get_json()


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", None])
def test_a_large_body_of_any_type_is_413_and_a_body_not_json_is_415(own_app, content_type):
    small = own_app(MAX_CONTENT_LENGTH=1000)
    with small.app_context():
        headers = Factory().headers("admin")
        client = small.test_client()
        with writes_nothing():
            big = client.post(DOCS, data=b"x" * 5000, headers=headers, content_type=content_type)
            assert_problem(big, 413, "request_entity_too_large")
            small_text = client.post(
                DOCS, data=b"x" * 50, headers=headers, content_type=content_type
            )
            body = assert_problem(small_text, 415, "unsupported_media_type")
        assert "application/json" in body["detail"]


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.mark.parametrize("sent_id", [None, "trace-42.a_b"])
def test_an_internal_error_is_a_500_problem_without_internals(own_app, sent_id):
    broken = own_app()

    @broken.get("/api/v1/test-only/boom")
    @public
    def boom():
        raise RuntimeError("secret connection string postgres://u:hunter2@db")

    collect = _Collect()
    errors_log = logging.getLogger("quartermaster.errors")
    errors_log.addHandler(collect)
    try:
        with broken.app_context():
            headers = {"X-Request-ID": sent_id} if sent_id else {}
            response = broken.test_client().get("/api/v1/test-only/boom", headers=headers)
    finally:
        errors_log.removeHandler(collect)
    body = assert_problem(response, 500, "internal_error")
    request_id = response.headers["X-Request-ID"]
    assert body["request_id"] == request_id
    if sent_id:
        assert request_id == sent_id
    text = response.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret", 'File "'):
        assert leak not in text
    # The details go to the log instead, under the same request id.
    (record,) = collect.records
    assert record.request_id == request_id
    assert record.exc_info and "hunter2" in str(record.exc_info[1])


def test_a_rejected_request_leaves_every_table_as_it_was(client, admin, stocked):
    w1, w2, item = stocked
    before = row_counts()
    refused = [
        client.post(DOCS, json=_receipt(w1, item, "1.0001"), headers=admin),
        client.post(DOCS, json=_receipt(w1, 424242), headers=admin),
        client.post(
            DOCS,
            json={
                "type": "issue",
                "warehouse_id": w1,
                "lines": [
                    {"item_id": item, "quantity": "4"},  # fine on its own
                    {"item_id": item, "quantity": "2"},  # 6 > 5: the whole document fails
                ],
            },
            headers=admin,
        ),
        client.post("/api/v1/items", json={"sku": "", "name": "x"}, headers=admin),
        client.post("/api/v1/warehouses", json={"code": "W"}, headers=admin),
    ]
    assert [r.status_code for r in refused] == [422, 422, 409, 422, 422]
    assert row_counts() == before


@pytest.mark.parametrize(
    "body, status, errors",
    [
        ('{"run_date": "2020-01-01"}', 422, {"run_date": ["Unknown field."]}),
        ("[1]", 422, {"_schema": ["Invalid input type."]}),
        ("{not json", 400, {"json": ["Invalid JSON body."]}),
        ("null", 422, {"_schema": ["Invalid input type."]}),
    ],
)
def test_an_action_without_fields_refuses_a_body_it_would_ignore(
    client, make, body, status, errors
):
    # Before, each of these started a run for today: the caller was never told it went unheard.
    admin = make.headers("admin")
    with writes_nothing():
        response = client.post(
            "/api/v1/reorder-runs", data=body, content_type="application/json", headers=admin
        )
    assert assert_problem(response, status)["errors"] == errors


def test_an_action_without_fields_takes_no_body_or_an_empty_object(client, admin, make):
    item_id = make.item()
    path = f"/api/v1/items/{item_id}/deactivate"
    assert client.post(path, json={}, headers=admin).status_code == 200
    assert client.post(f"/api/v1/items/{item_id}/activate", headers=admin).status_code == 200


def test_a_method_the_path_does_not_take_is_405_whatever_the_body(client, admin):
    # The body check must not answer first for a route that is not there (404) or a method the
    # path does not take (405): it has no view to ask whether a body is read.
    wrong = client.put("/api/v1/users/me/password", json={"new_password": "x"}, headers=admin)
    assert_problem(wrong, 405)
    missing = client.post("/api/v1/no-such-thing", json={"a": 1}, headers=admin)
    assert_problem(missing, 404)
