"""The OpenAPI document: valid, checked in, served with its own docs page, and true to the API.

The last part is a bounded, reproducible schemathesis run against the app in-process: every
operation gets generated requests (valid and invalid), sent as an admin so roles do not stop them,
and every answer must be a documented, non-5xx response in the documented shape.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.definitions import OPENAPI_30

from api import create_app
from inventory.services import users

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


# --- Property-based run --------------------------------------------------------------------------


@pytest.fixture
def seeded(make):
    """A little of everything, so generated ids sometimes name real records (1 and 2 exist)."""
    warehouses = [make.warehouse(), make.warehouse()]
    items = [make.item(), make.item()]
    for warehouse in warehouses:
        for item in items:
            make.receive(warehouse, item, "50", "2.5")
    make.document("receipt", warehouses[0], [(items[0], "1", "1")], draft=True)

    def headers() -> dict:
        # A fresh token per call: DELETE /auth/token revokes the token it carries.
        token = users.issue_token(make.admin.id, timedelta(minutes=10)).access_token
        return {"Authorization": f"Bearer {token}"}

    return headers


# The operations come from the spec, which needs no database: an app without one serves it at
# collection time. Each generated request then goes to the test's own app (``app=``), seeded above.
SCHEMA = schemathesis.openapi.from_wsgi(
    "/api/openapi.json",
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "LOG_LEVEL": "WARNING"}),
)
OPERATIONS = [result.ok().label for result in SCHEMA.get_all_operations()]
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_api_keeps_to_its_spec(app, seeded, label):
    operation = SCHEMA.find_operation_by_label(label)
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=15,
        deadline=None,
        derandomize=True,  # the same requests every run
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def keeps_to_spec(case):
        case.call_and_validate(app=app, headers=seeded(), checks=CHECKS)

    keeps_to_spec()
