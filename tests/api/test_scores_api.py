"""The supplier score endpoints and the rescore job's CLI command."""

from __future__ import annotations

import pytest

from inventory.services import scoring
from tests.api.helpers import assert_problem
from tests.scoring_seed import AS_OF, EXPECTED, Seeder, hand_example

LIST = "/api/v1/supplier-scores"


@pytest.fixture
def example(make):
    return hand_example(make)


@pytest.fixture
def viewer(make):
    return make.headers("viewer")


def test_an_empty_table_lists_nothing_until_the_job_runs(client, viewer, example):
    response = client.get(LIST, headers=viewer)
    assert response.status_code == 200 and response.get_json() == []


def test_stored_scores_are_listed_best_first_with_their_deliveries(client, viewer, example):
    scoring.rescore(AS_OF)
    response = client.get(LIST, headers=viewer)
    assert response.status_code == 200
    body = response.get_json()
    assert [r["supplier_code"] for r in body] == ["B", "C", "A"]
    b = body[0]
    assert b["score"] == pytest.approx(EXPECTED["B"][2], abs=0.005)
    assert (b["grade"], b["deliveries"], b["source"]) == ("B", 1, "stored")
    assert b["raw_score"] == 100.0 and b["as_of"] == "2026-06-30" and b["computed_at"]
    assert '"total": 3' in response.headers["X-Pagination"]
    second = client.get(LIST, query_string={"page_size": 2, "page": 2}, headers=viewer)
    assert [r["supplier_code"] for r in second.get_json()] == ["A"]


def test_query_settings_compute_live(client, viewer, example):
    response = client.get(LIST, query_string={"as_of": "2026-06-30"}, headers=viewer)
    body = response.get_json()
    assert response.status_code == 200
    assert [(r["supplier_code"], r["source"], r["computed_at"]) for r in body] == [
        ("B", "live", None),
        ("C", "live", None),
        ("A", "live", None),
    ]
    # Quality alone, no shrinkage: A's 98 % tops C's 90 %; B's 100 % first.
    quality_only = {"as_of": "2026-06-30", "k": 0, "weight_otif": 0, "weight_lead_time": 0,
                    "weight_price": 0, "weight_quality": 1}  # fmt: skip
    body = client.get(LIST, query_string=quality_only, headers=viewer).get_json()
    assert [(r["supplier_code"], r["score"]) for r in body] == [
        ("B", 100.0),
        ("A", 98.0),
        ("C", 90.0),
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"weight_otif": 0, "weight_quality": 0, "weight_lead_time": 0, "weight_price": 0},
        {"weight_price": -1},
        {"window_months": 0},
        {"as_of": "0001-01-01"},
        {"k": "lots"},
    ],
)
def test_bad_settings_are_422(client, viewer, query):
    assert_problem(client.get(LIST, query_string=query, headers=viewer), 422)


def test_one_suppliers_score_explains_its_parts_and_trend(client, viewer, example):
    scoring.rescore(AS_OF)
    a = example["A"]
    for query in ({}, {"as_of": "2026-06-30"}):  # stored, then live: the same figures
        response = client.get(f"/api/v1/suppliers/{a}/score", query_string=query, headers=viewer)
        assert response.status_code == 200
        body = response.get_json()
        assert body["supplier_code"] == "A" and body["deliveries"] == 2
        assert body["score"] == pytest.approx(EXPECTED["A"][2], abs=0.005)
        assert body["raw_score"] == 42.4 and body["grade"] == "C"
        assert body["rates"] == {"on_time": 0.5, "in_full": 0.5, "otif": 0.0, "quality": 0.98,
                                 "lead_time_spread": 0.4, "price_index": 1.0}  # fmt: skip
        parts = {p["name"]: p for p in body["parts"]}
        assert parts["quality"] == {"name": "quality", "raw_value": 0.98, "sub_score": 98.0,
                                    "weight": 30.0, "effective_weight": 0.3,
                                    "contribution": 29.4}  # fmt: skip
        assert sum(p["contribution"] for p in body["parts"]) == pytest.approx(42.4)
        assert (body["window_start"], body["window_end"]) == ("2025-07-01", "2026-06-30")
        assert body["shrinkage_k"] == 5 and body["grace_days"] == 2
        trend = body["trend"]
        assert trend["direction"] == "insufficient_data" and len(trend["months"]) == 12
        assert trend["months"][8] == {"month": "2026-03", "deliveries": 2, "score": 42.4}


def test_a_supplier_without_deliveries_has_no_score(client, viewer, example):
    scoring.rescore(AS_OF)
    path = f"/api/v1/suppliers/{example['D']}/score"
    for query in ({}, {"as_of": "2026-06-30"}):  # stored, then live
        body = client.get(path, query_string=query, headers=viewer).get_json()
        assert (body["score"], body["grade"], body["deliveries"]) == (None, None, 0)
        assert body["parts"] == [] and body["trend"]["direction"] == "insufficient_data"
    assert body["source"] == "live" and len(body["trend"]["months"]) == 12


def test_before_the_job_runs_a_plain_read_computes_nothing(client, viewer, example):
    body = client.get(f"/api/v1/suppliers/{example['A']}/score", headers=viewer).get_json()
    assert (body["score"], body["deliveries"], body["source"]) == (None, 0, "stored")


def test_an_unknown_supplier_is_404(client, viewer):
    assert_problem(client.get("/api/v1/suppliers/999/score", headers=viewer), 404, "not_found")


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("purchasing", 200), ("approver", 200), ("finance", 200),
     ("viewer", 200), ("warehouse", 403)],
)  # fmt: skip
def test_who_reads_scores(client, make, example, role, status):
    headers = make.headers(role)
    assert client.get(LIST, headers=headers).status_code == status
    path = f"/api/v1/suppliers/{example['A']}/score"
    assert client.get(path, headers=headers).status_code == status


def test_the_cli_runs_the_rescore_job(app, example, monkeypatch):
    monkeypatch.setenv("SUPPLIER_SCORE_WINDOW_MONTHS", "60")
    result = app.test_cli_runner().invoke(args=["jobs", "run", "rescore-suppliers"])
    assert result.exit_code == 0, result.output
    assert (
        "rescore-suppliers: succeeded" in result.output and "'suppliers_scored': 3" in result.output
    )
    monkeypatch.setenv("SUPPLIER_SCORE_WEIGHTS", "otif=-1")
    result = app.test_cli_runner().invoke(args=["jobs", "run", "rescore-suppliers"])
    assert result.exit_code != 0


@pytest.mark.parametrize(("zone", "last_hour", "next_day"), [
    ("Asia/Tokyo", "2026-06-30T14:30:00+00:00", "2026-06-30T15:05:00+00:00"),
    ("Pacific/Honolulu", "2026-07-01T09:30:00+00:00", "2026-07-01T10:05:00+00:00"),
])  # fmt: skip
def test_as_of_is_a_whole_day_of_the_service_time_zone(
    app, client, viewer, make, zone, last_hour, next_day
):
    from datetime import datetime

    app.config["SERVICE_TIME_ZONE"] = zone
    seed = Seeder(make)
    supplier, item = seed.supplier("TZ"), make.item()
    (line,) = seed.order(supplier, [(item, "10", "5", "2026-06-30")], sent="2026-06-01")
    seed.receipt([(line, "2", "2")], datetime.fromisoformat(last_hour))  # 23:30 local, 30 June
    seed.receipt([(line, "3", "3")], datetime.fromisoformat(next_day))  # 00:05 local, 1 July
    query = {"as_of": "2026-06-30", "grace_days": 0}
    body = client.get(f"/api/v1/suppliers/{supplier}/score", query_string=query, headers=viewer)
    assert body.status_code == 200, body.get_json()
    found = body.get_json()
    assert found["deliveries"] == 1 and found["rates"]["on_time"] == 1.0
    assert found["window_end"] == "2026-06-30"
    query["as_of"] = "2026-07-01"
    assert client.get(f"/api/v1/suppliers/{supplier}/score", query_string=query,
                      headers=viewer).get_json()["deliveries"] == 2  # fmt: skip
