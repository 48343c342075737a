"""Receipts, returns, inspection and inspection plans over HTTP: status codes, problem bodies,
nothing written on refusal, and who may do what."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem, writes_nothing
from tests.integration import receipt_helpers as h

TABLES = (
    "goods_receipt",
    "goods_receipt_line",
    "supplier_return",
    "stock_document",
    "stock_ledger",
    "status_change",
    "inspection_state",
    "audit_event",
    "idempotency_key",
)
NOT_RECEIVERS = ("purchasing", "approver", "finance", "viewer")
NOT_PLANNERS = ("warehouse", "approver", "finance", "viewer")


@pytest.fixture
def receiver(make):
    return make.headers("warehouse")


@pytest.fixture
def stocked_order(make):
    """An order of 100 units of one item at 2.00 and 10 of another at 5.50, sent."""
    w, a, b = make.warehouse(), make.item(), make.item()
    return h.order(make, [(a, "100", "2.00"), (b, "10", "5.50")], warehouse_id=w), a, b


def _receipt(*lines, **extra):
    return {"lines": list(lines), **extra}


def _ln(po_line_id, received, accepted=None, rejected="0", reason="", **extra):
    accepted = received if accepted is None else accepted
    return {
        "po_line_id": po_line_id,
        "received": received,
        "accepted": accepted,
        "rejected": rejected,
        "reason": reason,
        **extra,
    }


def test_receive_cancel_and_return_through_the_api(backend, client, make, receiver, stocked_order):
    po, a, b = stocked_order
    url = f"/api/v1/purchase-orders/{po.id}/receipts"
    first = client.post(
        url,
        json=_receipt(_ln(po.lines[0], "60", "55", "5", "crushed"), _ln(po.lines[1], "10")),
        headers=receiver,
    )
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["status"] == "posted" and body["order_id"] == po.id
    assert [(x["received"], x["accepted"], x["rejected"]) for x in body["lines"]] == [
        ("60.000", "55.000", "5.000"),
        ("10.000", "10.000", "0.000"),
    ]
    assert body["lines"][0]["inspection"]["mode"] == "none"
    second = client.post(url, json=_receipt(_ln(po.lines[0], "45")), headers=receiver)
    assert second.status_code == 201

    balances = client.get(f"/api/v1/stock-balances?item_id={a}", headers=receiver).get_json()
    assert [(x["quantity"], x["value"]) for x in balances] == [("100.000", "200.00")]
    listed = client.get(url, headers=make.headers("viewer"))
    assert listed.status_code == 200 and len(listed.get_json()) == 2
    assert '"total": 2' in listed.headers["X-Pagination"]
    got = client.get(f"/api/v1/receipts/{body['id']}", headers=make.headers("viewer"))
    assert got.get_json()["id"] == body["id"] and "inspection" not in got.get_json()["lines"][0]

    cancelled = client.post(f"/api/v1/receipts/{second.get_json()['id']}/cancel", headers=receiver)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = client.post(f"/api/v1/receipts/{second.get_json()['id']}/cancel", headers=receiver)
    assert_problem(again, 409, "invalid_transition")

    returned = client.post(
        f"/api/v1/purchase-orders/{po.id}/returns",
        json={"po_line_id": po.lines[1], "quantity": "3", "reason": "leaking"},
        headers=receiver,
    )
    assert returned.status_code == 201, returned.get_json()
    assert returned.get_json()["quantity"] == "3.000"
    assert h.order_state(po.id) == ("partially_received", [55, 7])


def test_a_receipt_answers_as_it_reads_back(backend, client, receiver, stocked_order):
    """The receipt answers from what it wrote, not by reading back: apart from the inspection
    notes only the answer carries, it must say what the order's receipt list says."""
    po, _, _ = stocked_order
    url = f"/api/v1/purchase-orders/{po.id}/receipts"
    lines = [_ln(po.lines[1], "4.5", "4", "0.5", "dented"), _ln(po.lines[0], "30")]
    created = client.post(url, json=_receipt(*lines), headers=receiver)
    assert created.status_code == 201, created.get_json()
    shown = created.get_json()
    assert all(line.pop("inspection")["mode"] == "none" for line in shown["lines"])
    listed = client.get(url, headers=receiver).get_json()
    assert listed == [shown]
    assert [(x["po_line_id"], x["received"], x["rejected"]) for x in shown["lines"]] == [
        (po.lines[1], "4.500", "0.500"),
        (po.lines[0], "30.000", "0.000"),
    ]


def test_idempotency_key_replays_a_receipt(backend, client, receiver, stocked_order):
    po, _, _ = stocked_order
    url = f"/api/v1/purchase-orders/{po.id}/receipts"
    headers = {**receiver, "Idempotency-Key": "dock-7"}
    body = _receipt(_ln(po.lines[0], "5"))
    first = client.post(url, json=body, headers=headers)
    with writes_nothing(TABLES):
        replay = client.post(url, json=body, headers=headers)
    assert replay.status_code == 201 and replay.get_json() == first.get_json()


def test_over_receipt_is_a_conflict_with_figures(backend, client, receiver, stocked_order):
    po, _, _ = stocked_order
    with writes_nothing(TABLES):
        response = client.post(
            f"/api/v1/purchase-orders/{po.id}/receipts",
            json=_receipt(_ln(po.lines[0], "105.5")),
            headers=receiver,
        )
    body = assert_problem(response, 409, "conflict")
    assert body["over_receipt"][0]["limit"] == "105.000"
    assert "at most 105.000 allowed" in body["detail"]


@pytest.mark.parametrize(
    "line, field",
    [
        ({"received": "10", "accepted": "7", "rejected": "2", "reason": "x"}, "accepted"),
        ({"received": "-1", "accepted": "-1"}, "received"),
        ({"received": "1", "accepted": "1", "rejected": "-0.5"}, "rejected"),
        ({"received": "1", "accepted": "1", "defects_found": -1}, "defects_found"),
        ({"received": "1.0001", "accepted": "1.0001"}, "received"),
        ({"received": "2", "accepted": "1", "rejected": "1"}, "reason"),
    ],
)
def test_bad_lines_are_field_errors(backend, client, receiver, stocked_order, line, field):
    po, _, _ = stocked_order
    with writes_nothing(TABLES):
        response = client.post(
            f"/api/v1/purchase-orders/{po.id}/receipts",
            json=_receipt({"po_line_id": po.lines[0], **line}),
            headers=receiver,
        )
    body = assert_problem(response, 422, "validation_failed")
    assert field in body["errors"]["lines"]["0"], body


def test_lines_of_another_order_are_field_errors(backend, client, make, receiver, stocked_order):
    po, a, _ = stocked_order
    other = h.order(make, [(a, "5", "1")])
    with writes_nothing(TABLES):
        response = client.post(
            f"/api/v1/purchase-orders/{po.id}/receipts",
            json=_receipt(_ln(po.lines[0], "1"), _ln(other.lines[0], "1")),
            headers=receiver,
        )
    body = assert_problem(response, 422, "validation_failed")
    assert list(body["errors"]["lines"]) == ["1"]
    assert "has no line" in body["errors"]["lines"]["1"]["po_line_id"][0]


@pytest.mark.parametrize("status", ["draft", "cancelled", "closed"])
def test_receiving_on_a_closed_order_is_a_conflict(backend, client, make, receiver, status):
    item = make.item()
    po = h.order(make, [(item, "5", "1")], status=status)
    with writes_nothing(TABLES):
        response = client.post(
            f"/api/v1/purchase-orders/{po.id}/receipts",
            json=_receipt(_ln(po.lines[0], "1")),
            headers=receiver,
        )
    body = assert_problem(response, 409, "invalid_transition")
    assert body["allowed"] == ["partially_received", "received", "sent"]


def test_unknown_order_and_receipt_are_404(client, receiver):
    assert_problem(
        client.post(
            "/api/v1/purchase-orders/999/receipts", json=_receipt(_ln(1, "1")), headers=receiver
        ),
        404,
    )
    assert_problem(client.get("/api/v1/receipts/999", headers=receiver), 404)
    assert_problem(client.post("/api/v1/receipts/999/cancel", headers=receiver), 404)


def test_returning_more_than_received_is_a_conflict(backend, client, receiver, stocked_order):
    po, _, _ = stocked_order
    client.post(
        f"/api/v1/purchase-orders/{po.id}/receipts",
        json=_receipt(_ln(po.lines[0], "3")),
        headers=receiver,
    )
    with writes_nothing(TABLES):
        response = client.post(
            f"/api/v1/purchase-orders/{po.id}/returns",
            json={"po_line_id": po.lines[0], "quantity": "4", "reason": "bad"},
            headers=receiver,
        )
    assert assert_problem(response, 409)["requested"] == "4.000"


def test_sampling_inspection_over_http(backend, client, make, receiver):
    item = make.item()
    plans = client.post(
        "/api/v1/inspection-plans",
        json={"item_id": item, "mode": "sampling", "aql": 2.5},
        headers=make.headers("purchasing"),
    )
    assert plans.status_code == 201, plans.get_json()
    assert plans.get_json()["aql"] == "2.5"
    po = h.order(make, [(item, "2000", "1")])
    told = client.get(
        f"/api/v1/purchase-orders/{po.id}/inspection?po_line_id={po.lines[0]}&lot_size=1000",
        headers=make.headers("viewer"),
    ).get_json()
    assert (told["code_letter"], told["sample_size"], told["accept"], told["reject"]) == (
        "J",
        80,
        5,
        6,
    )
    assert told["severity"] == "normal"
    refused = client.post(
        f"/api/v1/purchase-orders/{po.id}/receipts",
        json=_receipt(_ln(po.lines[0], "1000", defects_found=6)),
        headers=receiver,
    )
    assert (
        "with 6 defects rejects the lot"
        in (assert_problem(refused, 422)["errors"]["lines"]["0"]["accepted"][0])
    )
    done = client.post(
        f"/api/v1/purchase-orders/{po.id}/receipts",
        json=_receipt(_ln(po.lines[0], "1000", "0", "1000", "failed AQL", defects_found=6)),
        headers=receiver,
    ).get_json()
    line = done["lines"][0]
    assert (line["sample_size"], line["defects_found"], line["inspection_result"]) == (
        80,
        6,
        "rejected",
    )
    assert line["inspection"]["severity"] == "normal"
    missing = client.get(
        f"/api/v1/purchase-orders/{po.id}/inspection", headers=make.headers("viewer")
    )
    assert "po_line_id" in assert_problem(missing, 422)["errors"]


def test_inspection_plan_endpoints(backend, client, make):
    item, admin = make.item(), make.headers("admin")
    created = client.post(
        "/api/v1/inspection-plans", json={"item_id": item, "mode": "full"}, headers=admin
    ).get_json()
    assert_problem(
        client.post(
            "/api/v1/inspection-plans", json={"item_id": item, "mode": "none"}, headers=admin
        ),
        409,
    )
    bad = client.post(
        "/api/v1/inspection-plans",
        json={"item_id": make.item(), "mode": "sampling", "aql": "3"},
        headers=admin,
    )
    assert "aql" in assert_problem(bad, 422)["errors"]
    url = f"/api/v1/inspection-plans/{created['id']}"
    changed = client.patch(url, json={"mode": "sampling", "aql": "0.65"}, headers=admin)
    assert changed.get_json()["aql"] == "0.65"
    listed = client.get(f"/api/v1/inspection-plans?item_id={item}", headers=make.headers("viewer"))
    assert [p["id"] for p in listed.get_json()] == [created["id"]]
    assert client.delete(url, headers=admin).status_code == 204
    assert_problem(client.get(url, headers=admin), 404)


@pytest.mark.parametrize("role", NOT_RECEIVERS)
def test_only_warehouse_and_admin_receive_cancel_and_return(client, make, role, stocked_order):
    po, _, _ = stocked_order
    headers = make.headers(role)
    with writes_nothing(TABLES):
        for url, body in (
            (f"/api/v1/purchase-orders/{po.id}/receipts", _receipt(_ln(po.lines[0], "1"))),
            ("/api/v1/receipts/1/cancel", None),
            (
                f"/api/v1/purchase-orders/{po.id}/returns",
                {"po_line_id": po.lines[0], "quantity": "1", "reason": "x"},
            ),
        ):
            assert_problem(client.post(url, json=body, headers=headers), 403, "permission_denied")


@pytest.mark.parametrize("role", NOT_PLANNERS)
def test_only_purchasing_and_admin_write_inspection_plans(client, make, role):
    item, headers = make.item(), make.headers(role)
    body = {"item_id": item, "mode": "full"}
    assert_problem(client.post("/api/v1/inspection-plans", json=body, headers=headers), 403)
    assert_problem(client.patch("/api/v1/inspection-plans/1", json=body, headers=headers), 403)
    assert_problem(client.delete("/api/v1/inspection-plans/1", headers=headers), 403)
    assert client.get("/api/v1/inspection-plans", headers=headers).status_code == 200
