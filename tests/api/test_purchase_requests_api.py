"""Cost centres, budgets, approval rules, purchase requests, approvals and the inbox over HTTP:
status codes, problem bodies, roles, and nothing written on refusal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from inventory import clock
from inventory.services import approvals
from tests.api.helpers import assert_problem, writes_nothing
from tests.integration.approval_helpers import APPROVAL_TABLES, Procurement

TABLES = APPROVAL_TABLES
PR = "/api/v1/purchase-requests"
TODAY = clock.now().date()
ALL = ("admin", "purchasing", "approver", "finance", "warehouse", "viewer")


@pytest.fixture
def h(make):
    """Bearer headers per role, made once per test."""
    return {role: make.headers(role) for role in ALL}


def _setup(client, h, *, amount="50000", action="refuse") -> dict:
    """Through the API: a cost centre, a budget around today, and the issue's bands."""
    centre = client.post(
        "/api/v1/cost-centres", json={"code": "OPS", "name": "Operations"}, headers=h["admin"]
    )
    assert centre.status_code == 201, centre.get_json()
    budget = client.post(
        "/api/v1/budgets",
        json={
            "cost_centre_id": centre.get_json()["id"],
            "period": "now",
            "starts_on": str(TODAY - timedelta(days=10)),
            "ends_on": str(TODAY + timedelta(days=10)),
            "amount": amount,
            "over_budget_action": action,
        },
        headers=h["finance"],
    )
    assert budget.status_code == 201, budget.get_json()
    for rule in (
        {"name": "small", "min_amount": "0", "max_amount": "10000", "steps": ["approver"]},
        {"name": "large", "min_amount": "10000", "steps": ["approver", "finance"]},
    ):
        created = client.post("/api/v1/approval-rules", json=rule, headers=h["admin"])
        assert created.status_code == 201, created.get_json()
    return {"centre": centre.get_json()["id"], "budget": budget.get_json()["id"]}


def _raise(client, headers, centre, item, price="25", quantity="4", **extra):
    body = {
        "cost_centre_id": centre,
        "lines": [{"item_id": item, "quantity": quantity, "estimated_price": price}],
        **extra,
    }
    return client.post(PR, json=body, headers=headers)


def test_setup_records_are_written_by_admin_and_finance_and_read_by_all(client, make, h):
    ids = _setup(client, h)
    for role in ("purchasing", "approver", "warehouse", "viewer"):
        headers = h[role]
        with writes_nothing(TABLES):
            refused = client.post(
                "/api/v1/cost-centres", json={"code": "X", "name": "X"}, headers=headers
            )
            assert_problem(refused, 403, "permission_denied")
            refused = client.post(
                "/api/v1/approval-rules",
                json={"name": "x", "min_amount": "50000", "steps": []},
                headers=headers,
            )
            assert_problem(refused, 403, "permission_denied")
        assert client.get("/api/v1/cost-centres", headers=headers).status_code == 200
        budgets = client.get("/api/v1/budgets", headers=headers)
        assert budgets.status_code == 200
        assert budgets.get_json()[0]["committed"] == "0.00"
        assert budgets.get_json()[0]["available"] == "50000.00"
    rules = client.get("/api/v1/approval-rules", headers=h["purchasing"]).get_json()
    assert [(r["min_amount"], r["max_amount"], r["steps"]) for r in rules] == [
        ("0.00", "10000.00", ["approver"]),
        ("10000.00", None, ["approver", "finance"]),
    ]
    read = client.get(f"/api/v1/budgets/{ids['budget']}", headers=h["purchasing"])
    assert read.status_code == 200 and read.headers["ETag"]


def test_updates_need_the_etag(client, h):
    ids = _setup(client, h)
    url = f"/api/v1/cost-centres/{ids['centre']}"
    assert_problem(client.patch(url, json={"name": "Ops"}, headers=h["finance"]), 428)
    etag = client.get(url, headers=h["finance"]).headers["ETag"]
    changed = client.patch(url, json={"name": "Ops"}, headers={**h["finance"], "If-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["name"] == "Ops"
    stale = client.patch(url, json={"name": "Ops 2"}, headers={**h["finance"], "If-Match": etag})
    assert_problem(stale, 412)


def test_overlapping_budgets_and_bands_are_conflicts(client, h):
    ids = _setup(client, h)
    with writes_nothing(TABLES):
        overlap = client.post(
            "/api/v1/budgets",
            json={
                "cost_centre_id": ids["centre"],
                "period": "later",
                "starts_on": str(TODAY + timedelta(days=10)),  # the current period's last day
                "ends_on": str(TODAY + timedelta(days=40)),
                "amount": "10",
            },
            headers=h["admin"],
        )
        body = assert_problem(overlap, 409, "conflict")
        assert body["budget_id"] == ids["budget"]
        band = client.post(
            "/api/v1/approval-rules",
            json={"name": "x", "min_amount": "9000", "max_amount": "11000", "steps": []},
            headers=h["admin"],
        )
        assert "overlaps rule" in assert_problem(band, 409, "conflict")["detail"]
        bad = client.post(
            "/api/v1/approval-rules",
            json={"name": "x", "min_amount": "60000", "steps": ["admin"]},
            headers=h["admin"],
        )
        assert "steps" in assert_problem(bad, 422)["errors"]
        negative = client.post(
            "/api/v1/budgets",
            json={
                "cost_centre_id": ids["centre"],
                "period": "neg",
                "starts_on": "2020-01-01",
                "ends_on": "2020-01-31",
                "amount": "-1",
            },
            headers=h["admin"],
        )
        assert "amount" in assert_problem(negative, 422)["errors"]


def test_only_purchasing_and_admin_raise_submit_and_cancel(client, make, h):
    ids = _setup(client, h)
    item = make.item()
    for role in ("approver", "finance", "warehouse", "viewer"):
        with writes_nothing(TABLES):
            assert_problem(_raise(client, h[role], ids["centre"], item), 403)
    created = _raise(client, h["purchasing"], ids["centre"], item, note="gloves")
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["status"], body["total"], body["note"]) == ("draft", "100.00", "gloves")
    url = f"{PR}/{body['id']}"
    for role in ("approver", "finance", "warehouse", "viewer"):
        headers = h[role]
        with writes_nothing(TABLES):
            assert_problem(client.post(f"{url}/submit", headers=headers), 403)
            assert_problem(client.post(f"{url}/cancel", json={}, headers=headers), 403)
        assert client.get(url, headers=headers).status_code == 200
    submitted = client.post(f"{url}/submit", headers=h["purchasing"])
    assert submitted.status_code == 200
    assert submitted.get_json()["waiting_role"] == "approver"
    with writes_nothing(TABLES):
        again = assert_problem(client.post(f"{url}/submit", headers=h["purchasing"]), 409)
    assert again["code"] == "invalid_transition"
    assert again["allowed"] == ["approved", "cancelled", "rejected"]
    # A colleague in purchasing is not the requester.
    colleague = make.headers("purchasing")
    with writes_nothing(TABLES):
        assert_problem(client.post(f"{url}/cancel", json={}, headers=colleague), 403)
    cancelled = client.post(f"{url}/cancel", json={"reason": "dup"}, headers=h["purchasing"])
    assert cancelled.get_json()["status"] == "cancelled"
    assert [c["to_status"] for c in cancelled.get_json()["history"]] == [
        "draft",
        "submitted",
        "cancelled",
    ]


def test_bad_request_lines_are_field_errors(client, make, h):
    ids = _setup(client, h)
    item = make.item()
    with writes_nothing(TABLES):
        body = assert_problem(_raise(client, h["purchasing"], ids["centre"], item, price="-1"), 422)
        assert "estimated_price" in body["errors"]["lines"]["0"]
        body = assert_problem(_raise(client, h["purchasing"], 99999, item), 422)
        assert "cost_centre_id" in body["errors"]
        body = assert_problem(_raise(client, h["purchasing"], ids["centre"], 99999), 422)
        assert "item_id" in body["errors"]["lines"]["0"]


def test_no_budget_period_is_a_422_naming_where_to_add_one(client, make, h):
    _setup(client, h)
    centre = client.post(
        "/api/v1/cost-centres", json={"code": "LAB", "name": "Lab"}, headers=h["admin"]
    ).get_json()["id"]
    created = _raise(client, h["purchasing"], centre, make.item()).get_json()
    with writes_nothing(TABLES):
        body = assert_problem(
            client.post(f"{PR}/{created['id']}/submit", headers=h["purchasing"]), 422
        )
    assert body["detail"] == (
        f"There is no budget period for cost centre LAB on date {TODAY}; "
        "add one at /api/v1/budgets."
    )


def test_approval_refusals_are_problems_that_write_nothing(client, make, h):
    ids = _setup(client, h)
    item = make.item()
    buyer_approver = make.headers("purchasing", "approver")
    own = _raise(client, buyer_approver, ids["centre"], item).get_json()["id"]
    client.post(f"{PR}/{own}/submit", headers=buyer_approver)
    large = _raise(client, h["purchasing"], ids["centre"], item, price="3000").get_json()["id"]
    client.post(f"{PR}/{large}/submit", headers=h["purchasing"])

    with writes_nothing(TABLES):
        for role in ("purchasing", "warehouse", "viewer", "admin"):
            assert_problem(client.post(f"{PR}/{own}/approve", json={}, headers=h[role]), 403)
        body = assert_problem(
            client.post(f"{PR}/{own}/approve", json={}, headers=buyer_approver), 403
        )
        assert "cannot approve your own request" in body["detail"]
        # 12,000 waits for an approver first; finance is beyond its step (band).
        body = assert_problem(
            client.post(f"{PR}/{large}/approve", json={}, headers=h["finance"]), 403
        )
        assert body["waiting_role"] == "approver"

    approved = client.post(f"{PR}/{own}/approve", json={"reason": "ok"}, headers=h["approver"])
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    assert approved.get_json()["decisions"][0]["approver_id"]
    second_approver = make.headers("approver")
    with writes_nothing(TABLES):
        twice = client.post(f"{PR}/{own}/approve", json={}, headers=second_approver)
        assert assert_problem(twice, 409, "invalid_transition")["allowed"] == [
            "cancelled",
            "ordered",
        ]

    step_one = client.post(f"{PR}/{large}/approve", json={"step": 0}, headers=h["approver"])
    assert step_one.get_json()["waiting_role"] == "finance"
    with writes_nothing(TABLES):
        stale = client.post(f"{PR}/{large}/approve", json={"step": 0}, headers=h["finance"])
        assert assert_problem(stale, 409, "conflict")["waiting_role"] == "finance"
    done = client.post(f"{PR}/{large}/approve", json={"step": 1}, headers=h["finance"])
    assert done.get_json()["status"] == "approved"


def test_over_budget_is_a_409_with_the_figures(client, make, h):
    ids = _setup(client, h, amount="1000")
    item = make.item()
    first = _raise(client, h["purchasing"], ids["centre"], item, price="150").get_json()["id"]
    second = _raise(client, h["purchasing"], ids["centre"], item, price="125").get_json()["id"]
    for request_id in (first, second):
        client.post(f"{PR}/{request_id}/submit", headers=h["purchasing"])
    assert client.post(f"{PR}/{first}/approve", json={}, headers=h["approver"]).status_code == 200
    with writes_nothing(TABLES):
        body = assert_problem(
            client.post(f"{PR}/{second}/approve", json={}, headers=h["approver"]),
            409,
            "over_budget",
        )
    assert {k: body[k] for k in ("budget", "committed", "requested", "over_by")} == {
        "budget": "1000.00",
        "committed": "600.00",
        "requested": "500.00",
        "over_by": "100.00",
    }


def test_reject_needs_a_reason(client, make, h):
    ids = _setup(client, h)
    request_id = _raise(client, h["purchasing"], ids["centre"], make.item()).get_json()["id"]
    client.post(f"{PR}/{request_id}/submit", headers=h["purchasing"])
    with writes_nothing(TABLES):
        assert (
            "reason"
            in assert_problem(
                client.post(f"{PR}/{request_id}/reject", json={}, headers=h["approver"]), 422
            )["errors"]
        )
    rejected = client.post(
        f"{PR}/{request_id}/reject", json={"reason": "too dear"}, headers=h["approver"]
    ).get_json()
    assert rejected["status"] == "rejected"
    assert rejected["history"][-1]["reason"] == "too dear"


def test_the_inbox_pages_what_waits_for_the_caller(client, make, h):
    ids = _setup(client, h)
    item = make.item()
    created = []
    for _ in range(3):
        request_id = _raise(client, h["purchasing"], ids["centre"], item).get_json()["id"]
        client.post(f"{PR}/{request_id}/submit", headers=h["purchasing"])
        created.append(request_id)
    page = client.get("/api/v1/approvals/inbox?page_size=2", headers=h["approver"])
    assert page.status_code == 200
    assert [e["id"] for e in page.get_json()] == created[:2]
    assert page.get_json()[0]["kind"] == "purchase_request"
    assert page.get_json()[0]["amount"] == "100.00"
    assert '"total": 3' in page.headers["X-Pagination"]
    assert client.get("/api/v1/approvals/inbox", headers=h["finance"]).get_json() == []
    for role in ("purchasing", "warehouse", "viewer", "admin"):
        assert_problem(client.get("/api/v1/approvals/inbox", headers=h[role]), 403)


def test_orders_are_approved_and_rejected_over_http(client, make, h):
    p = Procurement(make)
    order_id = p.order()
    approvals.require_order_approval(order_id, D("12000"), p.buyer)
    url = f"/api/v1/purchase-orders/{order_id}"
    for role in ("purchasing", "warehouse", "viewer", "admin"):
        with writes_nothing(TABLES):
            assert_problem(client.post(f"{url}/approve", json={}, headers=h[role]), 403)
    first = client.post(f"{url}/approve", json={}, headers=h["approver"])
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["waiting_role"] == "finance"
    with writes_nothing(TABLES):
        assert_problem(client.post(f"{url}/reject", json={}, headers=h["finance"]), 422)
    rejected = client.post(f"{url}/reject", json={"reason": "no"}, headers=h["finance"]).get_json()
    assert rejected["approval_status"] == "rejected"
    assert [d["decision"] for d in rejected["decisions"]] == ["approved", "rejected"]
    assert [c["to_status"] for c in rejected["history"]] == ["pending", "rejected"]
    with writes_nothing(TABLES):
        assert_problem(client.post(f"{url}/approve", json={}, headers=h["approver"]), 409)
    assert_problem(
        client.post("/api/v1/purchase-orders/99999/approve", json={}, headers=h["approver"]), 404
    )


def test_raising_a_request_honours_the_idempotency_key(client, make, h):
    ids = _setup(client, h)
    item = make.item()
    headers = {**h["purchasing"], "Idempotency-Key": "pr-1"}
    first = _raise(client, headers, ids["centre"], item)
    second = _raise(client, headers, ids["centre"], item)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    listed = client.get(PR, headers=h["purchasing"])
    assert [r["id"] for r in listed.get_json()] == [first.get_json()["id"]]


def test_users_carry_an_optional_email(client, h):
    created = client.post(
        "/api/v1/users",
        json={
            "username": "mail-user",
            "password": "correct-horse",
            "roles": ["approver"],
            "email": "ann@example.test",
        },
        headers=h["admin"],
    )
    assert created.status_code == 201 and created.get_json()["email"] == "ann@example.test"
    listed = client.get("/api/v1/users", headers=h["admin"]).get_json()
    assert {"mail-user": "ann@example.test"}.items() <= {
        u["username"]: u["email"] for u in listed
    }.items()
    bad = client.post(
        "/api/v1/users",
        json={"username": "x", "password": "correct-horse", "roles": ["viewer"], "email": "nope"},
        headers=h["admin"],
    )
    assert "email" in assert_problem(bad, 422)["errors"]


# --- Editing a draft -----------------------------------------------------------------------------


def _draft(client, make, h) -> tuple[dict, str]:
    """The setup's records with an item, and the URL of a draft raised by purchasing for
    4 × 25 = 100.00."""
    ids = _setup(client, h)
    ids["item"] = make.item()
    created = _raise(client, h["purchasing"], ids["centre"], ids["item"], note="gloves")
    assert created.status_code == 201, created.get_json()
    return ids, f"{PR}/{created.get_json()['id']}"


def _etag(client, url, headers) -> str:
    return client.get(url, headers=headers).headers["ETag"]


def test_a_draft_is_edited_under_its_etag(client, make, h):
    ids, url = _draft(client, make, h)
    lab = client.post(
        "/api/v1/cost-centres", json={"code": "LAB", "name": "Lab"}, headers=h["admin"]
    ).get_json()["id"]
    other = make.item()
    etag = _etag(client, url, h["purchasing"])
    with writes_nothing(TABLES):
        assert_problem(client.patch(url, json={"note": "x"}, headers=h["purchasing"]), 428)

    edited = client.patch(
        url,
        json={
            "cost_centre_id": lab,
            "note": "gloves and masks",
            "lines": [
                {"item_id": ids["item"], "quantity": "3", "estimated_price": "10.005"},
                {"item_id": other, "quantity": 2, "estimated_price": 5, "note": "masks"},
            ],
        },
        headers={**h["purchasing"], "If-Match": etag},
    )

    assert edited.status_code == 200, edited.get_json()
    body = edited.get_json()
    assert (body["status"], body["cost_centre_id"], body["note"]) == (
        "draft",
        lab,
        "gloves and masks",
    )
    # 3 × 10.005 = 30.015 → 30.02 (half-even), 2 × 5 = 10.00: the old line is gone.
    assert body["total"] == "40.02"
    assert [(x["line_no"], x["item_id"], x["quantity"]) for x in body["lines"]] == [
        (1, ids["item"], "3.000"),
        (2, other, "2.000"),
    ]
    assert body["line_count"] == 2
    assert [c["to_status"] for c in body["history"]] == ["draft"]  # an edit is not a move
    assert edited.headers["ETag"] not in (etag, None)
    assert _etag(client, url, h["purchasing"]) == edited.headers["ETag"]

    with writes_nothing(TABLES):  # the same, now stale, ETag again
        stale = client.patch(
            url, json={"note": "lost update"}, headers={**h["purchasing"], "If-Match": etag}
        )
    assert_problem(stale, 412)

    (event,) = client.get(
        "/api/v1/audit-events",
        query_string={"entity_type": "purchase_request", "entity_id": body["id"]},
        headers=h["admin"],
    ).get_json()[:1]
    assert event["action"] == "purchase_request.edit"
    assert (event["before"]["total"], event["after"]["total"]) == ("100.00", "40.02")
    assert event["before"]["cost_centre_id"] == ids["centre"]
    assert [x["item_id"] for x in event["after"]["lines"]] == [ids["item"], other]
    assert event["before"]["note"] == "gloves"


def test_only_the_requester_or_an_admin_edits(client, make, h):
    _, url = _draft(client, make, h)
    colleague = make.headers("purchasing")  # purchasing, but not the requester
    for headers in (colleague, h["approver"], h["viewer"]):
        with writes_nothing(TABLES):
            refused = client.patch(
                url,
                json={"note": "mine now"},
                headers={**headers, "If-Match": _etag(client, url, headers)},
            )
        assert_problem(refused, 403, "permission_denied")
    by_admin = client.patch(
        url,
        json={"note": "fixed"},
        headers={**h["admin"], "If-Match": _etag(client, url, h["admin"])},
    )
    assert by_admin.status_code == 200 and by_admin.get_json()["note"] == "fixed"


def test_a_submitted_request_is_not_edited(client, make, h):
    _, url = _draft(client, make, h)
    assert client.post(f"{url}/submit", headers=h["purchasing"]).status_code == 200
    with writes_nothing(TABLES):
        refused = client.patch(
            url,
            json={"note": "too late"},
            headers={**h["purchasing"], "If-Match": _etag(client, url, h["purchasing"])},
        )
    body = assert_problem(refused, 409, "invalid_transition")
    assert body["current"] == "submitted"
    assert "is submitted; only a draft can be edited" in body["detail"]


def test_bad_edits_are_field_errors(client, make, h):
    ids, url = _draft(client, make, h)
    headers = {**h["purchasing"], "If-Match": _etag(client, url, h["purchasing"])}

    def edit(body):
        return client.patch(url, json=body, headers=headers)

    line = {"item_id": ids["item"], "quantity": "1", "estimated_price": "1"}
    with writes_nothing(TABLES):
        body = assert_problem(edit({"lines": [{**line, "estimated_price": "-1"}]}), 422)
        assert "estimated_price" in body["errors"]["lines"]["0"]
        body = assert_problem(edit({"lines": [line, {**line, "quantity": "0.0001"}]}), 422)
        assert "quantity" in body["errors"]["lines"]["1"]
        body = assert_problem(edit({"lines": [line, {**line, "item_id": 99999}]}), 422)
        assert "item_id" in body["errors"]["lines"]["1"]
        assert "lines" in assert_problem(edit({"lines": []}), 422)["errors"]
        assert "cost_centre_id" in assert_problem(edit({"cost_centre_id": 99999}), 422)["errors"]
        assert assert_problem(edit({}), 422, "validation_failed")["errors"]
    # Nothing changed, so the ETag of the last read still holds.
    assert edit({"note": "fine"}).status_code == 200
