"""The reads the purchasing pages added: items by SKU, orderable request lines, a budget's
figures, and supplier proposals for many needs at once. SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal as D

from inventory import clock
from inventory.db import budget_queries
from inventory.db import purchasing_page_queries as ppq
from inventory.db.queries import first_rows
from inventory.domain.requests import RequestLineIn
from inventory.services import master_data, order_from_requests, purchase_requests, suppliers
from tests.purchasing_seed import seed_purchasing


def approved(seeded, make, quantity="500", price="0.12") -> int:
    buyer, approver = make.user("purchasing"), make.user("approver")
    request_id = purchase_requests.create(
        buyer, seeded.centre_id, [RequestLineIn(seeded.bolt_id, D(quantity), D(price))]
    )
    purchase_requests.submit(buyer, request_id)
    purchase_requests.approve(approver, request_id)
    return request_id


def test_skus_are_found_whatever_their_case_and_only_active_items(backend, make):
    seeded = seed_purchasing(make.admin)
    old = master_data.create(
        "item", make.admin, {"sku": "OLD-1", "name": "Old", "unit_of_measure": "pcs"}
    )["id"]
    master_data.update("item", make.admin, old, {"active": False}, lambda current: None)
    found = ppq.item_ids_by_sku([" bolt-m8 ", "NUT-M8", "old-1", "nothing", ""])
    assert found == {"bolt-m8": seeded.bolt_id, "nut-m8": seeded.nut_id}
    assert ppq.item_ids_by_sku([]) == {}


def test_orderable_lines_are_those_of_approved_requests_not_yet_ordered(backend, make):
    seeded = seed_purchasing(make.admin)
    assert first_rows(ppq.orderable_request_lines(), 10) == []
    buyer = make.user("purchasing")
    purchase_requests.create(buyer, seeded.centre_id, [RequestLineIn(seeded.bolt_id, D(1), D(1))])
    request_id = approved(seeded, make)
    rows = first_rows(ppq.orderable_request_lines(), 10)
    assert [(r["request_id"], r["sku"], r["cost_centre_code"]) for r in rows] == [
        (request_id, "BOLT-M8", "OPS")
    ]
    order_from_requests.create_from_requests(
        make.admin, [rows[0]["id"]], seeded.warehouse_id, clock.now().date()
    )
    assert first_rows(ppq.orderable_request_lines(), 10) == []


def test_budget_figures_follow_approvals_and_orders(backend, make):
    seeded = seed_purchasing(make.admin)
    today = clock.now().date()
    assert budget_queries.figures([], today) == {}
    fresh = budget_queries.figures([seeded.budget_id], today)[seeded.budget_id]
    assert (fresh["amount"], fresh["committed"], fresh["actual"]) == (D("50000.00"), 0, 0)
    approved(seeded, make)  # 500 × 0.12 = 60.00, not ordered yet
    figures = budget_queries.figures([seeded.budget_id], today)[seeded.budget_id]
    assert figures["committed"] == D("60.00") and figures["available"] == D("49940.00")
    line = first_rows(ppq.orderable_request_lines(), 1)[0]
    order_from_requests.create_from_requests(make.admin, [line["id"]], seeded.warehouse_id, today)
    # Now on order at the supplier's price with its break: 500 × 0.10.
    figures = budget_queries.figures([seeded.budget_id], today)[seeded.budget_id]
    assert figures["committed"] == D("50.00") and figures["available"] == D("49950.00")


def test_proposals_for_many_needs_name_the_supplier_and_why(backend, make):
    seeded = seed_purchasing(make.admin)
    today = clock.now().date()
    assert suppliers.proposals_for([], today) == []
    lonely = master_data.create(
        "item", make.admin, {"sku": "LONELY", "name": "No offers", "unit_of_measure": "pcs"}
    )["id"]
    bolt, nobody, few = suppliers.proposals_for(
        [(seeded.bolt_id, D("500"), None), (lonely, D("1"), None), (seeded.bolt_id, D("10"), None)],
        today,
    )
    assert bolt["supplier_code"] == "ACME" and bolt["unit_price"] == D("0.10")
    assert "Price break from 500" in bolt["reason"]
    assert nobody is None
    assert few["supplier_code"] == "ACME" and few["unit_price"] == D("0.12")


def test_request_heads_show_the_first_lines_and_how_many_more(backend, make):
    seeded = seed_purchasing(make.admin)
    assert ppq.request_heads([]) == {}
    buyer = make.user("purchasing")
    lines = [RequestLineIn(seeded.bolt_id, D(i), D("1")) for i in range(1, 6)]
    request_id = purchase_requests.create(buyer, seeded.centre_id, lines)
    head = ppq.request_heads([request_id])[request_id]
    assert head["line_count"] == 5 and head["budget_id"] is None
    assert [x["quantity"] for x in head["lines"]] == [D(1), D(2), D(3)]
