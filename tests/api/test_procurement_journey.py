"""The whole procurement journey, through the HTTP API only, on SQLite and PostgreSQL.

Admin and finance set up a cost centre, a budget and the approval bands; purchasing records two
suppliers (one in USD) with price breaks and pack sizes; a requester raises and submits a request;
an approver (and, for a large amount, finance after them) approves it; purchasing turns it into
a draft order with the proposed supplier and sends it at a fixed rate; the warehouse receives it
in two parts, the second with a rejection. Stock, average cost, the order's and the request's
states, the ledger and the audit log are then checked against figures worked out by hand here.

Only the first admin comes from the ``make`` fixture; every other user is created and logs in
over HTTP, so the journey is what a client of the API sees.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from inventory import clock
from tests.api.helpers import assert_problem

PASSWORD = "correct-horse-battery"
RATE = "0.92"  # EUR per USD: GLOBEX's prices are in USD, stock is valued in EUR


class Api:
    """The test client with one set of bearer headers per person; every call checks its status."""

    def __init__(self, client, make):
        self.client = client
        self.headers = {"root": {"Authorization": f"Bearer {make.token(make.admin)}"}}
        self.user_ids = {"root": make.admin.id}

    def call(self, method: str, path: str, who: str | None, body=None, status: int = 200):
        response = self.client.open(
            path, method=method, json=body, headers=self.headers.get(who, {})
        )
        assert response.status_code == status, (method, path, response.get_json())
        return response.get_json()

    def get(self, path: str, who: str = "root"):
        return self.call("GET", path, who)

    def post(self, path: str, who: str, body=None, status: int = 201):
        return self.call("POST", path, who, {} if body is None else body, status)

    def person(self, name: str, *roles: str) -> None:
        """A user with ``roles``, created by the admin, logged in with a password."""
        body = {"username": name, "password": PASSWORD, "roles": list(roles)}
        self.user_ids[name] = self.post("/api/v1/users", "root", body)["id"]
        token = self.call(
            "POST", "/api/v1/auth/token", None, {"username": name, "password": PASSWORD}
        )
        self.headers[name] = {"Authorization": f"Bearer {token['access_token']}"}


def _setup(api: Api, budget: str) -> dict:
    """The people, the master data, the budget and bands, and two suppliers' offers."""
    today = clock.now().date()
    api.person("fin", "finance")
    api.person("buyer", "purchasing")
    api.person("req", "purchasing", "approver")  # may approve, but never their own request
    api.person("boss", "approver")
    api.person("store", "warehouse")
    ids = {
        "wh": api.post("/api/v1/warehouses", "root", {"code": "MAIN", "name": "Main"})["id"],
        "centre": api.post("/api/v1/cost-centres", "fin", {"code": "OPS", "name": "Ops"})["id"],
    }
    for key, sku in (("a", "BOLT-M8"), ("b", "GLOVE-L")):
        item = {"sku": sku, "name": sku, "unit_of_measure": "pcs"}
        ids[key] = api.post("/api/v1/items", "root", item)["id"]
    ids["budget"] = api.post(
        "/api/v1/budgets",
        "fin",
        {
            "cost_centre_id": ids["centre"],
            "period": "this-month",
            "starts_on": str(today - timedelta(days=15)),
            "ends_on": str(today + timedelta(days=15)),
            "amount": budget,
        },
    )["id"]
    for rule in (
        {"name": "small", "min_amount": "0", "max_amount": "1000", "steps": ["approver"]},
        {"name": "mid", "min_amount": "1000", "max_amount": "10000", "steps": ["approver"]},
        {"name": "large", "min_amount": "10000", "steps": ["approver", "finance"]},
    ):
        api.post("/api/v1/approval-rules", "root", rule)
    rate = {"currency": "USD", "valid_from": str(today - timedelta(days=1)), "rate": RATE}
    api.post("/api/v1/exchange-rates", "buyer", rate)
    # GLOBEX (USD, packs of 50 and 12) is cheaper in EUR for both items than ACME (EUR).
    offers = {
        "GLOBEX": (
            "USD",
            [
                (ids["a"], "2.50", [("100", "2.25"), ("500", "2.00")], "50", 10),
                (ids["b"], "4.00", [], "12", 7),
            ],
        ),
        "ACME": (
            "EUR",
            [
                (ids["a"], "2.80", [("100", "2.70")], "0", 5),
                (ids["b"], "4.90", [], "0", 3),
            ],
        ),
    }
    for code, (currency, items) in offers.items():
        supplier = {"code": code, "name": code.title(), "currency": currency}
        ids[code] = api.post("/api/v1/suppliers", "buyer", supplier)["id"]
        for item_id, price, breaks, pack, lead in items:
            body = {
                "item_id": item_id,
                "unit_price": price,
                "price_breaks": [{"min_quantity": q, "unit_price": p} for q, p in breaks],
                "pack_size": pack,
                "lead_time_days": lead,
            }
            api.post(f"/api/v1/suppliers/{ids[code]}/items", "buyer", body)
    return ids


def _raise_request(api: Api, ids: dict, lines: list[tuple[str, str, str]]) -> dict:
    """The requester raises and submits a request; ``lines`` are (item key, quantity, price)."""
    needed_by = str(clock.now().date() + timedelta(days=20))
    body = {
        "cost_centre_id": ids["centre"],
        "note": "restock",
        "lines": [
            {"item_id": ids[k], "quantity": q, "estimated_price": p, "needed_by": needed_by}
            for k, q, p in lines
        ],
    }
    draft = api.post("/api/v1/purchase-requests", "req", body)
    assert draft["status"] == "draft"
    return api.post(f"/api/v1/purchase-requests/{draft['id']}/submit", "req", status=200)


def _inbox(api: Api, who: str) -> list[tuple[str, int, str]]:
    return [
        (x["kind"], x["id"], x["waiting_role"]) for x in api.get("/api/v1/approvals/inbox", who)
    ]


def _approve(api: Api, request_id: int, who: str, step: int) -> dict:
    url = f"/api/v1/purchase-requests/{request_id}/approve"
    return api.post(url, who, {"step": step, "reason": "ok"}, status=200)


def _order_and_send(api: Api, ids: dict, request: dict) -> dict:
    """From the request's lines to one draft order from GLOBEX, then sent at the fixed rate."""
    created = api.post(
        "/api/v1/purchase-orders/from-requests",
        "buyer",
        {"request_line_ids": [x["id"] for x in request["lines"]], "warehouse_id": ids["wh"]},
    )
    [order] = created["orders"]
    assert (order["status"], order["supplier_id"], order["currency"]) == (
        "draft",
        ids["GLOBEX"],
        "USD",
    )
    # Within the tolerance of the approved estimate: no second approval for the order.
    assert order["approval_status"] == "not_required"
    for line in order["lines"]:
        assert line["suggestion_reason"].startswith("GLOBEX: cheapest of 2 offers.")
    sent = api.post(f"/api/v1/purchase-orders/{order['id']}/send", "buyer", status=200)
    assert (sent["status"], Decimal(sent["exchange_rate"])) == ("sent", Decimal(RATE))
    assert sent["sent_at"] is not None
    return sent


def _receipt_line(line: dict, received: str, rejected: str = "0", reason: str = "") -> dict:
    accepted = str(int(received) - int(rejected))
    return {
        "po_line_id": line["id"],
        "received": received,
        "accepted": accepted,
        "rejected": rejected,
        "reason": reason,
    }


def _balances(api: Api, ids: dict) -> dict[int, tuple[str, str]]:
    rows = api.get(f"/api/v1/stock-balances?warehouse_id={ids['wh']}", "store")
    return {x["item_id"]: (x["quantity"], x["value"]) for x in rows}


def _audit_actions(api: Api, entity_type: str, entity_id: int) -> list[tuple[str, int]]:
    """(action, actor) of the entity's audit events, oldest first."""
    url = f"/api/v1/audit-events?entity_type={entity_type}&entity_id={entity_id}&page_size=200"
    return [(x["action"], x["actor_id"]) for x in reversed(api.get(url, "fin"))]


def test_request_to_stock_with_two_partial_receipts(backend, client, make):
    api = Api(client, make)
    ids = _setup(api, budget="5000")
    who = api.user_ids

    # 130 bolts estimated at 2.40 and 40 pairs of gloves at 4.20: 312.00 + 168.00 = 480.00,
    # under 1,000, so one approver.
    request = _raise_request(api, ids, [("a", "130", "2.40"), ("b", "40", "4.20")])
    rid = request["id"]
    assert (request["status"], request["total"], request["steps"]) == (
        "submitted",
        "480.00",
        ["approver"],
    )
    assert ("purchase_request", rid, "approver") in _inbox(api, "boss")
    assert ("purchase_request", rid, "approver") not in _inbox(api, "req")  # not one's own
    own = api.call("POST", f"/api/v1/purchase-requests/{rid}/approve", "req", {}, 403)
    assert own["code"] == "permission_denied"
    approved = _approve(api, rid, "boss", step=0)
    assert (approved["status"], approved["over_budget"]) == ("approved", False)
    assert [(d["approver_id"], d["decision"]) for d in approved["decisions"]] == [
        (who["boss"], "approved")
    ]
    assert _inbox(api, "boss") == []
    budget = api.get(f"/api/v1/budgets/{ids['budget']}", "fin")
    assert (budget["committed"], budget["available"]) == ("480.00", "4520.00")

    # GLOBEX: bolts 130 → 150 (3 packs of 50), break from 100 at 2.25 USD; gloves 40 → 48
    # (4 packs of 12) at 4.00 USD. 337.50 + 192.00 = 529.50 USD = 487.14 EUR at 0.92, within
    # 5% of the estimate 480.00.
    order = _order_and_send(api, ids, request)
    oid = order["id"]
    bolts, gloves = order["lines"]
    assert [(x["item_id"], x["quantity"], x["unit_price"]) for x in order["lines"]] == [
        (ids["a"], "150.000", "2.2500"),
        (ids["b"], "48.000", "4.0000"),
    ]
    assert (order["total"], order["total_base"]) == ("529.50", "487.14")
    assert "Rounded up from 130.000" in bolts["suggestion_reason"]
    assert "Price break from 100" in bolts["suggestion_reason"]
    assert api.get(f"/api/v1/purchase-requests/{rid}", "req")["status"] == "ordered"

    # Opening stock: 50 bolts at 2.50 EUR.
    opening = {"item_id": ids["a"], "quantity": "50", "unit_cost": "2.50"}
    api.post(
        "/api/v1/stock-documents",
        "store",
        {"type": "receipt", "warehouse_id": ids["wh"], "lines": [opening]},
    )
    receipts = f"/api/v1/purchase-orders/{oid}/receipts"
    first = api.post(
        receipts, "store", {"lines": [_receipt_line(bolts, "90"), _receipt_line(gloves, "20")]}
    )
    assert api.get(f"/api/v1/purchase-orders/{oid}")["status"] == "partially_received"
    # In EUR at the order's rate: bolts 2.25 × 0.92 = 2.07, gloves 4.00 × 0.92 = 3.68.
    # Bolts: 125.00 + 90 × 2.07 = 311.30 for 140; gloves 20 × 3.68 = 73.60.
    assert _balances(api, ids) == {
        ids["a"]: ("140.000", "311.30"),
        ids["b"]: ("20.000", "73.60"),
    }
    # 35 bolts go out at the average: 35 × 311.30 / 140 = 77.825 → 77.82 (half-even).
    issue = {"item_id": ids["a"], "quantity": "35"}
    api.post(
        "/api/v1/stock-documents",
        "store",
        {"type": "issue", "warehouse_id": ids["wh"], "lines": [issue]},
    )
    second = api.post(
        receipts,
        "store",
        {
            "lines": [
                _receipt_line(bolts, "65", rejected="5", reason="crushed cartons"),
                _receipt_line(gloves, "28"),
            ]
        },
    )
    assert [
        (x["received"], x["accepted"], x["rejected"], x["reason"]) for x in second["lines"]
    ] == [
        ("65.000", "60.000", "5.000", "crushed cartons"),
        ("28.000", "28.000", "0.000", ""),
    ]

    received = api.get(f"/api/v1/purchase-orders/{oid}")
    assert received["status"] == "received"
    assert [(x["received_quantity"], x["open_quantity"]) for x in received["lines"]] == [
        ("150.000", "0.000"),
        ("48.000", "0.000"),
    ]
    # Bolts: 311.30 − 77.82 + 60 × 2.07 = 357.68 for 140 − 35 + 60 = 165.
    # Gloves: 73.60 + 28 × 3.68 = 176.64 for 48, exactly the order's EUR amount for them.
    assert _balances(api, ids) == {
        ids["a"]: ("165.000", "357.68"),
        ids["b"]: ("48.000", "176.64"),
    }
    ledger = api.get(f"/api/v1/items/{ids['a']}/ledger", "store")
    assert [
        (x["document_type"], x["quantity"], x["unit_cost"], x["balance_value"]) for x in ledger
    ] == [
        ("receipt", "50.000", "2.5000", "125.00"),
        ("receipt", "90.000", "2.0700", "311.30"),
        ("issue", "-35.000", "2.2234", "233.48"),
        ("receipt", "60.000", "2.0700", "357.68"),
    ]
    gloves_ledger = api.get(f"/api/v1/items/{ids['b']}/ledger", "store")
    assert [(x["document_type"], x["reference"]) for x in gloves_ledger] == [
        ("receipt", f"PO {oid} receipt {first['id']}"),
        ("receipt", f"PO {oid} receipt {second['id']}"),
    ]
    history = api.get(f"/api/v1/purchase-requests/{rid}", "req")["history"]
    # The second receipt completed the order, which closed the request.
    assert [x["to_status"] for x in history] == [
        "draft",
        "submitted",
        "approved",
        "ordered",
        "closed",
    ]

    # The audit log has every step, by whoever took it.
    assert _audit_actions(api, "purchase_request", rid) == [
        ("purchase_request.create", who["req"]),
        ("purchase_request.submit", who["req"]),
        ("purchase_request.approve", who["boss"]),
        ("purchase_request.ordered", who["buyer"]),
        ("purchase_request.closed", who["store"]),
    ]
    assert _audit_actions(api, "purchase_order", oid) == [
        ("purchase_order.create", who["buyer"]),
        ("purchase_order.send", who["buyer"]),
    ]
    for receipt in (first, second):
        assert _audit_actions(api, "goods_receipt", receipt["id"]) == [
            ("goods_receipt.create", who["store"])
        ]
        assert _audit_actions(api, "stock_document", receipt["stock_document_id"]) == [
            ("stock_document.create", who["store"])
        ]
    for entity, key, actor in (
        ("cost_centre", "centre", "fin"),
        ("budget", "budget", "fin"),
        ("supplier", "GLOBEX", "buyer"),
    ):
        assert _audit_actions(api, entity, ids[key]) == [(f"{entity}.create", who[actor])]


def test_a_large_request_needs_the_approver_and_then_finance(backend, client, make):
    api = Api(client, make)
    ids = _setup(api, budget="50000")
    who = api.user_ids

    # 5,000 bolts estimated at 2.40 = 12,000.00: approver, then finance.
    request = _raise_request(api, ids, [("a", "5000", "2.40")])
    rid = request["id"]
    assert (request["total"], request["steps"], request["waiting_role"]) == (
        "12000.00",
        ["approver", "finance"],
        "approver",
    )
    assert _inbox(api, "fin") == []  # finance's turn comes second
    step_one = _approve(api, rid, "boss", step=0)
    assert (step_one["status"], step_one["waiting_role"], step_one["next_step"]) == (
        "submitted",
        "finance",
        1,
    )
    assert _inbox(api, "boss") == []
    assert _inbox(api, "fin") == [("purchase_request", rid, "finance")]
    # Approving twice is refused, and nothing can be ordered before finance's step.
    again = api.call("POST", f"/api/v1/purchase-requests/{rid}/approve", "boss", {}, 409)
    assert "approved by you already" in again["detail"]
    assert (again["next_step"], again["waiting_role"]) == (1, "finance")
    early = client.post(
        "/api/v1/purchase-orders/from-requests",
        json={"request_line_ids": [request["lines"][0]["id"]], "warehouse_id": ids["wh"]},
        headers=api.headers["buyer"],
    )
    assert_problem(early, 409)
    approved = _approve(api, rid, "fin", step=1)
    assert approved["status"] == "approved"
    assert [(d["step"], d["role"], d["approver_id"]) for d in approved["decisions"]] == [
        (0, "approver", who["boss"]),
        (1, "finance", who["fin"]),
    ]
    assert api.get(f"/api/v1/budgets/{ids['budget']}", "fin")["committed"] == "12000.00"

    # 5,000 bolts from the 500 break at 2.00 USD = 10,000.00 USD = 9,200.00 EUR.
    order = _order_and_send(api, ids, request)
    [line] = order["lines"]
    assert (line["quantity"], line["unit_price"], order["total_base"]) == (
        "5000.000",
        "2.0000",
        "9200.00",
    )
    receipts = f"/api/v1/purchase-orders/{order['id']}/receipts"
    api.post(receipts, "store", {"lines": [_receipt_line(line, "3000")]})
    assert api.get(f"/api/v1/purchase-orders/{order['id']}")["status"] == "partially_received"
    api.post(receipts, "store", {"lines": [_receipt_line(line, "2100", "100", "wet")]})
    assert api.get(f"/api/v1/purchase-orders/{order['id']}")["status"] == "received"
    # 5,000 accepted at 2.00 × 0.92 = 1.84 EUR.
    assert _balances(api, ids) == {ids["a"]: ("5000.000", "9200.00")}
    assert api.get(f"/api/v1/purchase-requests/{rid}", "req")["status"] == "closed"
    assert [a for a, _ in _audit_actions(api, "purchase_request", rid)] == [
        "purchase_request.create",
        "purchase_request.submit",
        "purchase_request.approve",
        "purchase_request.approve",
        "purchase_request.ordered",
        "purchase_request.closed",
    ]
