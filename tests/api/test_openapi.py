"""The OpenAPI document: valid, checked in, served with its own docs page, and true to the API.

The schemathesis run against it is tests/api/test_schemathesis.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema_rs
import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_30

CHECKED_IN = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_spec_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.0")
    validator = jsonschema_rs.Draft4Validator(OPENAPI_30)
    errors = [
        f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(spec)
    ]
    assert errors == []


def test_every_reference_resolves(spec):
    raw = json.dumps(spec)
    refs = set(re.findall(r'"\$ref": "#/([^"]+)"', raw))
    assert refs
    for ref in refs:
        node = spec
        for part in ref.split("/"):
            assert part in node, f"#/{ref} does not resolve"
            node = node[part]


def test_the_checked_in_spec_is_current(spec):
    stale = "docs/openapi.json is stale; regenerate it with `make openapi` and commit it."
    assert CHECKED_IN.exists(), stale
    assert json.loads(CHECKED_IN.read_text()) == spec, stale


METHODS = {"get", "post", "put", "patch", "delete"}


def _operations(spec: dict):
    for path, entry in spec["paths"].items():
        for method, operation in entry.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", path, method, operation


def _resolved(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = spec["components"][kind][name]
    return node


def test_every_operation_is_documented_for_a_newcomer(spec):
    """A summary (the docstring's first line), the roles that may call it, and for a body an
    example that the body's own schema accepts."""
    missing = []
    for where, _, _, operation in _operations(spec):
        if not operation.get("summary"):
            missing.append(f"{where}: no summary (give the view a docstring)")
        if not operation.get("x-roles"):
            missing.append(f"{where}: no x-roles (decorate it with @roles or @public)")
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            if "example" not in content and "examples" not in content:
                missing.append(f"{where}: {media_type} body has no example (schema Meta.example)")
    assert missing == [], "\n".join(missing)


def _as_json_schema(node):
    """OpenAPI 3.0's ``nullable`` as the JSON Schema type list a validator understands."""
    if isinstance(node, list):
        return [_as_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _as_json_schema(v) for k, v in node.items()}
    if node.pop("nullable", False) and "type" in node:
        node["type"] = [node["type"], "null"]
    return node


def test_every_request_example_fits_its_schema(spec):
    checked = 0
    components = _as_json_schema(spec["components"])
    for where, _, _, operation in _operations(spec):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            schema = {**_as_json_schema(content["schema"]), "components": components}
            validator = jsonschema_rs.Draft4Validator(schema)
            errors = [e.message for e in validator.iter_errors(content["example"])]
            assert errors == [], f"{where}: {errors}"
            checked += 1
    assert checked >= 30


def test_the_statuses_the_machinery_answers_are_declared(spec):
    """Bodies can be refused as unreadable, too large or not JSON; a named record can be
    missing; a write to a record can conflict or break a cross-field rule; an ETag-checked
    change answers 412/428; the database can be out of reach anywhere."""
    for where, path, method, operation in _operations(spec):
        declared = set(operation["responses"])
        assert "503" in declared, where
        assert _resolved(spec, operation["responses"]["503"])["description"], where
        if "{" in path:
            assert "404" in declared, where
        if method in {"post", "put", "patch"}:
            assert {"413", "415"} <= declared, where
        if "requestBody" in operation:
            assert {"400", "422"} <= declared, where
        if method != "get" and ("{" in path or "201" in declared):
            assert {"409", "422"} <= declared, where
        if any(p.get("$ref", "").endswith("/IF_MATCH") for p in operation.get("parameters", [])):
            assert {"412", "428"} <= declared, where
    login = spec["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert "429" in login
    budgets = spec["paths"]["/api/v1/budgets/{record_id}"]["patch"]["responses"]
    assert {"409", "412", "422", "428"} <= set(budgets)


def test_x_pagination_is_declared_as_the_string_it_is(client, make, spec):
    paged = [
        (where, operation)
        for where, _, method, operation in _operations(spec)
        if method == "get" and any(p.get("name") == "page" for p in operation.get("parameters", []))
    ]
    assert len(paged) >= 15
    for where, operation in paged:
        header = _resolved(spec, operation["responses"]["200"]["headers"]["X-Pagination"])
        assert header["schema"] == {"type": "string"}, where
        assert {"total", "next_page"} <= json.loads(header["example"]).keys(), where
        assert "total" in header["description"], where
    make.warehouse()
    sent = client.get("/api/v1/warehouses", headers=make.headers("viewer")).headers
    assert json.loads(sent["X-Pagination"])["total"] == 1


def test_links_lead_from_a_created_record_to_what_can_be_done_with_it(spec):
    created = spec["paths"]["/api/v1/purchase-requests"]["post"]["responses"]["201"]
    links = created["links"]
    submit = links["PostRequestIdSubmit"]
    assert submit["parameters"] == {"request_id": "$response.body#/id"}
    target = "#/paths/~1api~1v1~1purchase-requests~1{request_id}~1submit/post"
    assert submit["operationRef"] == target
    nested = spec["paths"]["/api/v1/suppliers/{supplier_id}/items"]["post"]["responses"]["201"]
    assert nested["links"]["GetSupplierItemId"]["parameters"] == {
        "supplier_id": "$request.path.supplier_id",
        "supplier_item_id": "$response.body#/id",
    }
    for _, _, _, operation in _operations(spec):
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                path, method = link["operationRef"][len("#/paths/") :].rsplit("/", 1)
                path = path.replace("~1", "/").replace("~0", "~")
                assert method in spec["paths"][path], link


def test_the_docs_page_shows_the_roles(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert '"showExtensions": true' in html


def test_docs_page_uses_vendored_assets(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/api/docs/assets/") for a in assets), assets
    assert "//" not in "".join(assets)  # nothing from another host (no CDN)
    assert '"/api/openapi.json"' in html
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.get_data()) > 1000, asset
        served.close()
    assert client.get("/api/docs/assets/no-such-file.js").status_code == 404


def test_integer_query_parameters_accept_digits(client, make, spec):
    """A query string is text: every documented integer parameter must take "1" as 1."""
    headers = make.headers("admin")
    checked = []
    for path, entry in spec["paths"].items():
        for method, operation in entry.items():
            if method != "get":
                continue
            url = re.sub(r"\{[^}]+\}", "1", path)
            for parameter in operation.get("parameters", []):
                if "$ref" in parameter:
                    parameter = spec["components"]["parameters"][parameter["$ref"].split("/")[-1]]
                if parameter["in"] != "query" or parameter["schema"].get("type") != "integer":
                    continue
                name = parameter["name"]
                response = client.get(url, query_string={name: "1"}, headers=headers)
                body = response.get_json()
                errors = body.get("errors", {}) if isinstance(body, dict) else {}
                checked.append(f"{path}?{name}")
                assert response.status_code < 500, f"{path}?{name}=1"
                assert name not in errors, f"{path}?{name}=1 refused: {errors[name]}"
    assert len(checked) >= 10, checked
