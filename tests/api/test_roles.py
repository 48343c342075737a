"""The role matrix, walked from the OpenAPI document so a new endpoint cannot forget its roles.

For every operation the spec lists and every role: a caller holding only that role gets 403 when
the operation's ``x-roles`` leave the role out, and anything but 401/403 when they name it. With
no token, every operation that is not public answers 401.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from api.auth import _OPEN_ENDPOINTS
from inventory.domain.actors import ALL_ROLES
from inventory.services import master_data, users
from tests.api.helpers import assert_problem

METHODS = {"get", "post", "put", "patch", "delete"}
ROLES = ("admin", "warehouse", "purchasing", "approver", "finance", "viewer")


def _operations(spec: dict):
    for path, entry in spec["paths"].items():
        for method, operation in entry.items():
            if method in METHODS:
                yield path, method, operation


def _concrete(path: str) -> str:
    # Every path parameter is an id; 1 exists for each kind the fixture creates.
    return re.sub(r"\{[^}]+\}", "1", path)


def _call(client, method: str, path: str, headers: dict):
    send = getattr(client, method)
    if method in {"post", "put", "patch"}:
        return send(path, json={}, headers=headers)
    return send(path, headers=headers)


def test_the_roles_are_the_domains_roles():
    assert set(ROLES) == ALL_ROLES


def test_every_operation_declares_its_roles(client):
    spec = client.get("/api/openapi.json").get_json()
    operations = list(_operations(spec))
    assert len(operations) >= 20
    for path, method, operation in operations:
        declared = operation.get("x-roles")
        where = f"{method.upper()} {path}"
        assert declared, f"{where} declares no x-roles; add @roles(...) or @public"
        if declared == ["public"]:
            assert operation.get("security") == [], where
        else:
            assert set(declared) <= ALL_ROLES, where
            assert operation["security"] == [{"bearerAuth": []}], where
            assert {"401", "403"} <= operation["responses"].keys(), where


def test_every_api_route_is_in_the_spec(app, client):
    """An /api route left out of the document would escape the matrix below."""
    spec = client.get("/api/openapi.json").get_json()
    documented = {(path, method) for path, method, _ in _operations(spec)}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint in _OPEN_ENDPOINTS:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        routed |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed - documented == set()


@pytest.fixture
def matrix(client, make):
    """Walk every operation of the spec as nobody, as a stranger and as each role; return what
    was wrong and how many role calls were made."""
    spec = client.get("/api/openapi.json").get_json()
    # One record of each kind, so "1" names something real in every path.
    warehouse, item = make.warehouse(), make.item()
    make.receive(warehouse, item, "5", "1.00")
    assert (warehouse, item) == (1, 1)
    holders = {role: make.user(role) for role in ROLES}

    def token_of(role: str) -> dict:
        # A fresh token per call: DELETE /auth/token revokes the one it is sent with.
        issued = users.issue_token(holders[role].id, timedelta(minutes=5))
        return {"Authorization": f"Bearer {issued.access_token}"}

    def walk() -> tuple[list[str], int]:
        wrong = []
        checked = 0
        for path, method, operation in _operations(spec):
            allowed = set(operation.get("x-roles", []))
            url = _concrete(path)
            where = f"{method.upper()} {path}"
            if allowed != {"public"}:
                anonymous = _call(client, method, url, {})
                if anonymous.status_code != 401:
                    wrong.append(f"{where} without a token: {anonymous.status_code}, expected 401")
                else:
                    assert_problem(anonymous, 401, "unauthenticated")
                bogus = _call(client, method, url, {"Authorization": "Bearer not-a-real-token"})
                if bogus.status_code != 401:
                    wrong.append(f"{where} with an unknown token: {bogus.status_code}")
            for role in ROLES:
                response = _call(client, method, url, token_of(role))
                checked += 1
                if role in allowed or "public" in allowed:
                    if response.status_code in (401, 403):
                        wrong.append(f"{where} as {role}: {response.status_code}, role is allowed")
                    elif response.status_code >= 500:
                        wrong.append(f"{where} as {role}: {response.status_code}, a server error")
                elif response.status_code != 403:
                    wrong.append(f"{where} as {role}: {response.status_code}, expected 403")
                else:
                    body = assert_problem(response, 403, "permission_denied")
                    assert role in body["detail"]
        return wrong, checked

    return walk


def test_role_matrix(matrix):
    wrong, checked = matrix()
    assert checked >= 20 * len(ROLES)
    assert wrong == [], "\n".join(wrong)


def test_the_role_matrix_fails_when_an_allowed_role_gets_a_server_error(matrix, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug behind the role check")

    monkeypatch.setattr(master_data, "get", broken)
    wrong, _ = matrix()
    assert "GET /api/v1/items/{record_id} as viewer: 500, a server error" in wrong
    assert all("server error" in line for line in wrong), wrong


def test_a_user_with_several_roles_gets_the_union(client, make):
    headers = make.headers("viewer", "finance")
    assert client.get("/api/v1/audit-events", headers=headers).status_code == 200
    assert client.get("/api/v1/items", headers=headers).status_code == 200
    assert_problem(client.get("/api/v1/users", headers=headers), 403)
