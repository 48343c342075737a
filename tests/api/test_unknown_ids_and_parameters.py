"""No silent empty answers: a list under an unknown parent id is a 404, and a query parameter an
endpoint does not document is a 422 naming it and the known ones. Both walk the OpenAPI document,
so a new endpoint cannot forget either."""

from __future__ import annotations

import re

import pytest

from inventory.domain.actors import ALL_ROLES
from tests.api.helpers import assert_problem, writes_nothing

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def everyone(make):
    """A caller holding every role, so the role check never answers first."""
    return make.headers(*sorted(ALL_ROLES))


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def _operations(spec: dict, methods=METHODS):
    for path, entry in spec["paths"].items():
        for method, operation in entry.items():
            if method in methods:
                yield path, method, operation


def _query_names(operation: dict) -> list[str]:
    return sorted(p["name"] for p in operation.get("parameters", []) if p.get("in") == "query")


def test_a_list_under_an_unknown_parent_is_404(backend, client, everyone, spec):
    walked = 0
    for path, _, operation in _operations(spec, {"get"}):
        if "{" not in path:
            continue
        # Every path parameter is an id and nothing but the caller exists; a required query
        # parameter gets a valid value, so the only thing wrong is the id.
        required = {
            p["name"]: "1"
            for p in operation.get("parameters", [])
            if p.get("in") == "query" and p.get("required")
        }
        response = client.get(re.sub(r"\{[^}]+\}", "9999", path), query_string=required,
                              headers=everyone)  # fmt: skip
        assert_problem(response, 404, "not_found")
        walked += 1
    assert walked >= 19


def test_the_item_ledger_of_an_unknown_item_is_404(client, everyone, make):
    response = client.get("/api/v1/items/9999/ledger", headers=everyone)
    assert "No item with id 9999" in assert_problem(response, 404, "not_found")["detail"]
    item = make.item()  # a known item without movements is still an empty list
    assert client.get(f"/api/v1/items/{item}/ledger", headers=everyone).get_json() == []


def test_every_operation_refuses_a_parameter_it_does_not_document(client, everyone, spec):
    for path, method, operation in _operations(spec):
        where = f"{method.upper()} {path}"
        send = getattr(client, method)
        body = {"json": {}} if method in {"post", "put", "patch"} else {}
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = send(url, query_string={"bogus": "1"}, headers=everyone, **body)
        assert response.status_code == 422, (where, response.get_data(as_text=True))
        problem = assert_problem(response, 422, "validation_failed")
        known = _query_names(operation)
        assert problem["known_parameters"] == known, where
        assert list(problem["errors"]) == ["bogus"], where
        assert "bogus" in problem["detail"], where
        for name in known:
            assert name in problem["detail"], where


def test_a_misspelt_filter_is_named_with_the_known_ones(backend, client, everyone):
    with writes_nothing():
        response = client.get(
            "/api/v1/stock-balances", query_string={"warehouse": "MAIN"}, headers=everyone
        )
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["detail"] == (
        "Unknown query parameter: warehouse. "
        "This endpoint takes: as_of, format, item_id, page, page_size, warehouse_id."
    )
    assert problem["errors"] == {
        "warehouse": [
            "Unknown query parameter. "
            "This endpoint takes: as_of, format, item_id, page, page_size, warehouse_id."
        ]
    }


def test_a_format_the_endpoint_does_not_offer_is_refused(client, everyone):
    response = client.get("/api/v1/warehouses", query_string={"format": "csv"}, headers=everyone)
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["known_parameters"] == ["active", "page", "page_size", "sort"]


def test_an_endpoint_without_query_parameters_takes_none(client, everyone):
    response = client.get("/api/v1/health", query_string={"verbose": "1", "x": ""})
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["detail"] == (
        "Unknown query parameters: verbose, x. This endpoint takes no query parameters."
    )
    assert problem["known_parameters"] == []
    assert client.get("/api/v1/health").status_code == 200


def test_documented_parameters_still_work(client, everyone, make):
    make.item("BOLT-M8")
    query = {"q": "BOLT", "page": 1, "page_size": 5, "sort": "-sku"}
    response = client.get("/api/v1/items", query_string=query, headers=everyone)
    assert response.status_code == 200 and len(response.get_json()) == 1


def test_a_refused_write_writes_nothing(backend, client, make):
    warehouse, item, clerk = make.warehouse(), make.item(), make.headers("warehouse")
    document = {
        "type": "receipt",
        "warehouse_id": warehouse,
        "lines": [{"item_id": item, "quantity": "1", "unit_cost": "1"}],
    }
    with writes_nothing():
        response = client.post(
            "/api/v1/stock-documents",
            query_string={"draft": "true"},
            json=document,
            headers=clerk,
        )
    assert assert_problem(response, 422)["errors"] == {
        "draft": ["Unknown query parameter. This endpoint takes no query parameters."]
    }


@pytest.mark.parametrize(
    "url", ["/api/openapi.json", "/api/docs", "/api/docs/assets/index.css", "/"]
)
def test_documentation_and_pages_ignore_the_query_string(client, url):
    response = client.get(url, query_string={"v": "5.0"})
    response.close()  # a static file's response holds the file open
    assert response.status_code == 200


EDGE_DAYS = {
    "date": ("0001-01-01", "0001-12-31", "9999-12-31"),
    "date-time": ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
}


def test_dates_at_the_calendar_edges_are_answered_not_a_500(client, everyone, spec):
    """Each date parameter alone at the first and last days there are: a default computed from
    it (a year before, the month's start) must not step off the calendar into a 500."""
    walked = 0
    for path, _, operation in _operations(spec, {"get"}):
        if "{" in path:
            continue
        for p in operation.get("parameters", []):
            schema = p.get("schema", {})
            formats = [schema.get("format"), *(s.get("format") for s in schema.get("anyOf", []))]
            values = [v for f in formats for v in EDGE_DAYS.get(f, ())]
            if p.get("in") != "query" or not values:
                continue
            for value in values:
                response = client.get(path, query_string={p["name"]: value}, headers=everyone)
                if response.status_code >= 400:
                    assert_problem(response, response.status_code)
                assert response.status_code < 500, (path, p["name"], value, response.get_json())
                walked += 1
    assert walked >= 30
