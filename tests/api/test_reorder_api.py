"""Reorder runs and their review through the API: listing runs, suggestions and exceptions,
accepting suggestions into draft purchase requests grouped by supplier, dismissing them, and every
refusal writing nothing."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest

from inventory import clock
from inventory.services import reorder_review
from tests.api.helpers import assert_problem, writes_nothing
from tests.api.reorder_helpers import REVIEW_TABLES, Reorder, audit_actions, suggestion_states

RUNS = "/api/v1/reorder-runs"
ACCEPT = "/api/v1/reorder-suggestions/accept"
DISMISS = "/api/v1/reorder-suggestions/dismiss"
NOT_REVIEWERS = ("warehouse", "approver", "finance", "viewer")


@pytest.fixture
def reorder(make) -> Reorder:
    return Reorder(make)


@pytest.fixture
def buyer(make):
    return make.headers("purchasing")


@contextmanager
def refused(ids):
    """Nothing written: no row added anywhere a review writes, no suggestion changed."""
    before = suggestion_states(ids)
    with writes_nothing(REVIEW_TABLES):
        yield
    assert suggestion_states(ids) == before


def test_runs_newest_first_with_progress_and_errors(client, make, reorder):
    old = reorder.run(run_date=reorder.today - timedelta(days=1))
    failed = reorder.run("failed", errors=[{"item_id": 1, "warehouse_id": 1, "error": "boom"}])
    running = reorder.run("running", done=1, total=4)
    viewer = make.headers("viewer")

    listed = client.get(RUNS, headers=viewer)
    assert listed.status_code == 200, listed.get_json()
    assert [r["id"] for r in listed.get_json()] == [running, failed, old]
    assert listed.get_json()[0]["progress"] == {"done": 1, "total": 4, "percent": 25.0}
    assert "errors" not in listed.get_json()[0]
    only_failed = client.get(RUNS, query_string={"status": "failed"}, headers=viewer)
    assert [r["id"] for r in only_failed.get_json()] == [failed]

    detail = client.get(f"{RUNS}/{failed}", headers=viewer).get_json()
    assert detail["status"] == "failed" and detail["errors"][0]["error"] == "boom"
    assert detail["progress"]["percent"] == 100.0 and detail["counts"]["series"] == 3


def test_an_unknown_run_is_404_everywhere(client, make):
    viewer = make.headers("viewer")
    for path in ("", "/suggestions", "/exceptions"):
        assert_problem(client.get(f"{RUNS}/999{path}", headers=viewer), 404, "not_found")


def test_suggestions_explain_themselves_and_filter(client, make, reorder):
    run = reorder.run()
    a, b, c = reorder.items
    reorder.series(run, a, backtest_mase=0.81, backtest_rmsse=float("nan"))
    normal = reorder.suggestion(run, a)
    urgent = reorder.suggestion(
        run, b, urgency="urgent", supplier_id=reorder.supplier_b, demand_class="lumpy"
    )
    east = reorder.suggestion(
        run, c, warehouse_id=reorder.other_warehouse, abc_class="C", explanation={}
    )
    viewer = make.headers("viewer")

    listed = client.get(f"{RUNS}/{run}/suggestions", headers=viewer)
    assert listed.status_code == 200, listed.get_json()
    rows = listed.get_json()
    assert [r["id"] for r in rows][0] == urgent  # the most urgent first
    first = next(r for r in rows if r["id"] == normal)
    assert (first["sku"], first["warehouse_code"], first["supplier_code"]) == ("R1", "MAIN", "ACME")
    assert (first["quantity"], first["unit_price"]) == ("10.000", "2.5000")
    assert first["backtest_mase"] == 0.81 and first["backtest_rmsse"] is None  # NaN -> null
    assert first["projected_stockout_on"] == (reorder.today + timedelta(days=20)).isoformat()
    assert first["explanation"]["order_up_to"] == "22"
    assert first["status"] == "open" and first["request_id"] is None
    assert next(r for r in rows if r["id"] == east)["projected_stockout_on"] is None

    def ids(**query):
        got = client.get(f"{RUNS}/{run}/suggestions", query_string=query, headers=viewer)
        assert got.status_code == 200, got.get_json()
        return sorted(r["id"] for r in got.get_json())

    assert ids(warehouse_id=reorder.other_warehouse) == [east]
    assert ids(supplier_id=reorder.supplier_b) == [urgent]
    assert ids(urgency="urgent") == [urgent]
    assert ids(demand_class="lumpy") == [urgent]
    assert ids(abc_class="C") == [east]
    assert ids(status="accepted") == []
    bad = client.get(f"{RUNS}/{run}/suggestions", query_string={"urgency": "asap"}, headers=viewer)
    assert "urgency" in assert_problem(bad, 422)["errors"]


def test_exceptions_filter_by_kind_warehouse_and_class(client, make, reorder):
    run = reorder.run()
    a, b, _ = reorder.items
    reorder.series(run, b, demand_class="intermittent", abc_class="B")
    expedite = reorder.exception(run, a, "expedite", supplier_id=reorder.supplier_a)
    overstock = reorder.exception(run, b, "overstock")
    viewer = make.headers("viewer")

    def ids(**query):
        got = client.get(f"{RUNS}/{run}/exceptions", query_string=query, headers=viewer)
        assert got.status_code == 200, got.get_json()
        return [r["id"] for r in got.get_json()]

    assert ids() == [expedite, overstock]
    assert ids(kind="overstock") == [overstock]
    assert ids(demand_class="intermittent") == [overstock]
    assert ids(supplier_id=reorder.supplier_a) == [expedite]
    assert ids(warehouse_id=reorder.other_warehouse) == []
    body = client.get(f"{RUNS}/{run}/exceptions", headers=viewer).get_json()[1]
    assert body["abc_class"] == "B" and body["detail"] == {"days_short": 4}


def test_accept_raises_one_draft_request_per_supplier_linked_back(backend, client, reorder, buyer):
    run = reorder.run()
    a, b, c = reorder.items
    first = reorder.suggestion(run, a, quantity="12")
    second = reorder.suggestion(run, b, quantity="5", unit_price=None)  # priced at valuation
    other = reorder.suggestion(run, c, supplier_id=reorder.supplier_b, quantity="40")
    untouched = reorder.suggestion(run, c, warehouse_id=reorder.other_warehouse)

    response = client.post(
        ACCEPT,
        json={"suggestion_ids": [other, first, second], "cost_centre_id": reorder.centre},
        headers=buyer,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    requests = body["requests"]
    assert [r["status"] for r in requests] == ["draft", "draft"]
    assert [len(r["lines"]) for r in requests] == [2, 1]  # Acme's two, then Bolts' one
    acme = requests[0]["lines"]
    assert [(x["item_id"], x["quantity"], x["estimated_price"]) for x in acme] == [
        (a, "12.000", "2.5000"),
        (b, "5.000", "3.5000"),
    ]
    assert acme[0]["needed_by"] == (reorder.today + timedelta(days=14)).isoformat()
    assert requests[0]["cost_centre_id"] == reorder.centre
    assert "supplier" in requests[0]["note"]

    accepted = {s["id"]: s for s in body["suggestions"]}
    assert set(accepted) == {first, second, other}
    assert all(s["status"] == "accepted" and s["decided_by"] for s in accepted.values())
    assert accepted[first]["request_line_id"] == acme[0]["id"]
    assert accepted[second]["request_line_id"] == acme[1]["id"]
    assert accepted[other]["request_id"] == requests[1]["id"]

    listed = client.get(f"{RUNS}/{run}/suggestions", query_string={"status": "open"}, headers=buyer)
    assert [s["id"] for s in listed.get_json()] == [untouched]
    assert audit_actions("reorder_suggestion") == [
        ("reorder_suggestion.accept", str(i)) for i in sorted([first, second, other])
    ]
    assert [a for a, _ in audit_actions("purchase_request")].count("purchase_request.create") == 2


def test_accepting_twice_is_refused_and_writes_nothing(backend, client, reorder, buyer):
    run = reorder.run()
    done = reorder.suggestion(run, reorder.items[0])
    fresh = reorder.suggestion(run, reorder.items[1])
    body = {"suggestion_ids": [done], "cost_centre_id": reorder.centre}
    assert client.post(ACCEPT, json=body, headers=buyer).status_code == 201

    with refused([done, fresh]):
        again = client.post(ACCEPT, json={**body, "suggestion_ids": [fresh, done]}, headers=buyer)
        problem = assert_problem(again, 409, "conflict")
    assert problem["refused"] == {"accepted": [done]}
    assert "accepted already" in problem["detail"]
    with refused([done]):
        dismissed = client.post(
            DISMISS, json={"suggestion_ids": [done], "reason": "no"}, headers=buyer
        )
        assert_problem(dismissed, 409)


def test_accepting_from_a_superseded_run_is_refused(backend, client, reorder, buyer):
    old = reorder.run(run_date=reorder.today - timedelta(days=1))
    stale = reorder.suggestion(old, reorder.items[0])
    newer = reorder.run()
    current = reorder.suggestion(newer, reorder.items[0])
    reorder.run("failed")  # a failed run supersedes nothing

    with refused([stale, current]):
        response = client.post(
            ACCEPT,
            json={"suggestion_ids": [current, stale], "cost_centre_id": reorder.centre},
            headers=buyer,
        )
        problem = assert_problem(response, 409)
    assert problem["refused"] == {"superseded": [stale]}
    assert problem["newest_run_id"] == newer
    with refused([stale]):
        dismissal = {"suggestion_ids": [stale], "reason": "old"}
        assert_problem(client.post(DISMISS, json=dismissal, headers=buyer), 409)
    ok = {"suggestion_ids": [current], "cost_centre_id": reorder.centre}
    assert client.post(ACCEPT, json=ok, headers=buyer).status_code == 201


def test_a_dismissed_line_or_one_of_an_unfinished_run_is_not_accepted(client, reorder, buyer):
    run = reorder.run()
    dismissed = reorder.suggestion(run, reorder.items[0], status="dismissed")
    unfinished = reorder.suggestion(reorder.run("running"), reorder.items[1])
    with refused([dismissed, unfinished]):
        response = client.post(
            ACCEPT,
            json={"suggestion_ids": [dismissed, unfinished], "cost_centre_id": reorder.centre},
            headers=buyer,
        )
        problem = assert_problem(response, 409)
    assert problem["refused"] == {"dismissed": [dismissed], "run_not_succeeded": [unfinished]}


@pytest.mark.parametrize(
    ("ids", "field"),
    [
        ([], "suggestion_ids"),
        (list(range(1, 502)), "suggestion_ids"),
        (["1"], "suggestion_ids"),
        ([0], "suggestion_ids"),
    ],
)
def test_a_bad_selection_is_a_422(client, reorder, buyer, ids, field):
    with writes_nothing(REVIEW_TABLES):
        response = client.post(
            ACCEPT, json={"suggestion_ids": ids, "cost_centre_id": reorder.centre}, headers=buyer
        )
        assert field in assert_problem(response, 422, "validation_failed")["errors"]


def test_unknown_repeated_ids_and_a_bad_cost_centre_are_422_writing_nothing(client, reorder, buyer):
    run = reorder.run()
    real = reorder.suggestion(run, reorder.items[0])
    with refused([real]):
        unknown = client.post(
            ACCEPT,
            json={"suggestion_ids": [real, 9999], "cost_centre_id": reorder.centre},
            headers=buyer,
        )
        assert assert_problem(unknown, 422)["unknown_ids"] == [9999]
        twice = client.post(
            ACCEPT,
            json={"suggestion_ids": [real, real], "cost_centre_id": reorder.centre},
            headers=buyer,
        )
        assert "suggestion_ids" in assert_problem(twice, 422)["errors"]
        centre = client.post(
            ACCEPT, json={"suggestion_ids": [real], "cost_centre_id": 9999}, headers=buyer
        )
        assert "cost_centre_id" in assert_problem(centre, 422)["errors"]
        missing = client.post(ACCEPT, json={"suggestion_ids": [real]}, headers=buyer)
        assert "cost_centre_id" in assert_problem(missing, 422)["errors"]


def test_accept_honours_the_idempotency_key(client, reorder, buyer):
    run = reorder.run()
    one = reorder.suggestion(run, reorder.items[0])
    body = {"suggestion_ids": [one], "cost_centre_id": reorder.centre}
    headers = {**buyer, "Idempotency-Key": "reorder-accept-1"}
    first = client.post(ACCEPT, json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    with writes_nothing(REVIEW_TABLES):
        replay = client.post(ACCEPT, json=body, headers=headers)
    assert replay.status_code == 201 and replay.get_json() == first.get_json()


def test_dismiss_needs_a_reason_and_is_audited(backend, client, reorder, buyer):
    run = reorder.run()
    one, two = (reorder.suggestion(run, i) for i in reorder.items[:2])
    for reason in ("", "   ", "\u200b", "\ufeff \u2060"):  # zero-width: nothing to read
        with refused([one, two]):
            blank = client.post(
                DISMISS, json={"suggestion_ids": [one], "reason": reason}, headers=buyer
            )
            assert "reason" in assert_problem(blank, 422)["errors"]
    with refused([one]):
        assert_problem(client.post(DISMISS, json={"suggestion_ids": [one]}, headers=buyer), 422)

    response = client.post(
        DISMISS, json={"suggestion_ids": [two, one], "reason": " Phased out "}, headers=buyer
    )
    assert response.status_code == 200, response.get_json()
    rows = response.get_json()["suggestions"]
    assert [(s["id"], s["status"], s["dismiss_reason"]) for s in rows] == [
        (one, "dismissed", "Phased out"),
        (two, "dismissed", "Phased out"),
    ]
    assert audit_actions("reorder_suggestion") == [
        ("reorder_suggestion.dismiss", str(one)),
        ("reorder_suggestion.dismiss", str(two)),
    ]
    with refused([one]):
        again = client.post(DISMISS, json={"suggestion_ids": [one], "reason": "x"}, headers=buyer)
        assert assert_problem(again, 409)["refused"] == {"dismissed": [one]}
    with refused([one]):
        accept = {"suggestion_ids": [one], "cost_centre_id": reorder.centre}
        assert_problem(client.post(ACCEPT, json=accept, headers=buyer), 409)


@pytest.mark.parametrize("role", NOT_REVIEWERS)
def test_only_purchasing_and_admin_review(client, make, reorder, role):
    run = reorder.run()
    one = reorder.suggestion(run, reorder.items[0])
    headers = make.headers(role)
    with refused([one]):
        accept = {"suggestion_ids": [one], "cost_centre_id": reorder.centre}
        assert_problem(client.post(ACCEPT, json=accept, headers=headers), 403, "permission_denied")
        dismiss = {"suggestion_ids": [one], "reason": "no"}
        assert_problem(client.post(DISMISS, json=dismiss, headers=headers), 403)
        assert_problem(client.post(RUNS, headers=headers), 403)
    assert client.get(f"{RUNS}/{run}/suggestions", headers=headers).status_code == 200
    admin = make.headers("admin")
    assert client.post(DISMISS, json=dismiss, headers=admin).status_code == 200


def test_starting_a_run_is_for_admins(client, make):
    for role in ("purchasing", "viewer", "warehouse"):
        assert_problem(client.post(RUNS, headers=make.headers(role)), 403)


def test_an_admin_starts_a_run_and_a_second_while_one_runs_is_409(client, make, reorder):
    admin = make.headers("admin")
    started = client.post(RUNS, headers=admin)
    assert started.status_code == 201, started.get_json()
    run = started.get_json()
    assert run["status"] == "succeeded" and run["progress"]["percent"] == 100.0
    assert started.headers["Location"].endswith(f"{RUNS}/{run['id']}")
    assert client.get(started.headers["Location"], headers=admin).get_json()["id"] == run["id"]
    again = client.post(RUNS, headers=admin)
    assert again.status_code == 201 and again.get_json()["id"] == run["id"]  # same day, inputs

    running = reorder.run("running")
    changed = {k: v for k, v in reorder_review.get_settings().items() if not k.startswith("upd")}
    reorder_review.update_settings(reorder.admin, {**changed, "horizon": 8}, lambda now: None)
    with writes_nothing(REVIEW_TABLES):
        problem = assert_problem(client.post(RUNS, headers=admin), 409, "conflict")
    assert problem["run_id"] == running


def test_a_run_started_over_http_forks_no_process_pool(client, make, reorder, monkeypatch):
    # A child forked inside a web server's worker can wait forever on a lock another thread
    # held at the fork; the run started by a request forecasts in the worker itself.
    import forecasting

    asked: list[int] = []
    real = forecasting.forecast

    def recording(history, **kwargs):
        asked.append(kwargs.get("n_jobs", 1))
        return real(history, **kwargs)

    monkeypatch.setattr(forecasting, "forecast", recording)
    item = reorder.make.item("HTTP-1")
    with clock.pinned(clock.now() - timedelta(days=10)):  # history ends before the run's day
        reorder.make.receive(reorder.warehouse, item, "10", "2")
        reorder.make.document("issue", reorder.warehouse, [(item, 3, None)])
    started = client.post(RUNS, headers=make.headers("admin"))
    assert started.status_code == 201, started.get_json()
    assert asked and set(asked) == {1}
