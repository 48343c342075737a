"""The supplier pages: the list with scores, and a supplier's score with its parts, the monthly
trend chart and its recent deliveries."""

from __future__ import annotations

import re

import pytest

from inventory.services import scoring
from tests.page_helpers import signed_in
from tests.scoring_seed import AS_OF, hand_example


@pytest.fixture
def example(make):
    return hand_example(make)


@pytest.mark.parametrize("role", ["admin", "purchasing", "approver", "finance", "viewer"])
def test_score_readers_open_the_list_and_the_page(client, make, example, role):
    signed_in(client, make, role)
    listed = client.get("/suppliers")
    assert listed.status_code == 200
    assert f'href="/suppliers/{example["A"]}"' in listed.get_data(as_text=True)
    assert client.get(f"/suppliers/{example['A']}").status_code == 200


def test_warehouse_staff_are_refused_as_by_the_score_endpoint(client, make, example):
    signed_in(client, make, "warehouse")
    assert client.get("/suppliers").status_code == 403
    assert client.get(f"/suppliers/{example['A']}").status_code == 403
    assert 'href="/suppliers"' not in client.get("/").get_data(as_text=True)


def test_the_page_shows_the_score_its_parts_the_trend_and_deliveries(client, make, example):
    scoring.rescore(AS_OF)
    signed_in(client, make, "viewer")
    html = client.get(f"/suppliers/{example['A']}").get_data(as_text=True)
    assert "grade <strong>C</strong>" in html and "from 2 deliveries" in html
    assert "On time, in full" in html and "Quality" in html
    assert '<path class="line"' in html  # the monthly trend
    received = re.findall(r'data-label="Received" class="num">([^<]+)<', html)
    assert received == ["40", "60"]  # newest first
    assert re.findall(r'data-label="Rejected" class="num">([^<]+)<', html) == ["2", "0"]


def test_a_supplier_without_deliveries_says_so(client, make, example):
    signed_in(client, make, "viewer")
    html = client.get(f"/suppliers/{example['D']}").get_data(as_text=True)
    assert "No score yet" in html and "No deliveries received" in html
    assert "No deliveries in the window" in html or "<svg" in html


def test_search_and_an_unknown_supplier(client, make, example):
    signed_in(client, make, "viewer")
    html = client.get("/suppliers", query_string={"q": "supplier b"}).get_data(as_text=True)
    assert re.findall(r'href="/suppliers/\d+">([^<]+)<', html) == ["B"]
    bad = client.get("/suppliers", query_string={"status": "sleeping"}).get_data(as_text=True)
    assert 'id="status-error"' in bad
    assert client.get("/suppliers/2147483647").status_code == 404
