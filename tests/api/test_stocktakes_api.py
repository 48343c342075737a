import json

PROBLEM = "application/problem+json"
BOOK_FIELDS = {"book_quantity", "book_unit_cost", "variance_quantity", "variance_value"}


def _stock(make):
    w, a, b = make.warehouse(), make.item(), make.item()
    make.receive(w, a, "10", "2")
    make.receive(w, b, "4", "1")
    return w, a, b


def test_count_blind_approve_and_post(client, make):
    w, a, b = _stock(make)
    counter, approver = make.headers("warehouse"), make.headers("approver")

    created = client.post("/api/v1/stocktakes", json={"warehouse_id": w}, headers=counter)
    assert created.status_code == 201, created.json
    take = created.json["id"]
    assert (created.json["status"], created.json["lines_total"]) == ("open", 2)

    counted = client.post(
        f"/api/v1/stocktakes/{take}/counts",
        data=json.dumps(
            {
                "lines": [
                    {"item_id": a, "counted_quantity": 9.5},
                    {"item_id": b, "counted_quantity": "4"},
                ]
            }
        ),
        content_type="application/json",
        headers=counter,
    )
    assert counted.status_code == 200, counted.json
    assert counted.json["book_visible"] is False
    assert all(not BOOK_FIELDS & set(line) for line in counted.json["lines"])
    assert "accuracy_pct" not in counted.json

    refused = client.post(f"/api/v1/stocktakes/{take}/post", headers=counter)
    assert refused.status_code == 409 and refused.mimetype == PROBLEM
    assert "approver" in refused.json["detail"]

    seen = client.get(f"/api/v1/stocktakes/{take}", headers=approver)
    lines = {line["item_id"]: line for line in seen.json["lines"]}
    assert (lines[a]["book_quantity"], lines[a]["variance_quantity"]) == ("10.000", "-0.500")
    assert (lines[a]["variance_value"], lines[a]["within_tolerance"]) == ("-1.00", False)
    assert (seen.json["accuracy_pct"], seen.json["needs_approval"]) == ("50.00", True)

    approved = client.post(f"/api/v1/stocktakes/{take}/approve", headers=approver)
    assert approved.status_code == 200, approved.json
    posted = client.post(f"/api/v1/stocktakes/{take}/post", headers=counter)
    assert posted.status_code == 200, posted.json
    assert posted.json["status"] == "posted" and posted.json["book_visible"] is True
    assert posted.json["document_ids"] == [posted.json["document_id"]]

    listed = client.get("/api/v1/stocktakes?status=posted", headers=make.headers("viewer"))
    assert [row["id"] for row in listed.json] == [take]
    assert json.loads(listed.headers["X-Pagination"])["total"] == 1
    balance = client.get(
        f"/api/v1/stock-balances?item_id={a}&warehouse_id={w}", headers=counter
    ).json
    assert balance[0]["quantity"] == "9.500"

    closed = client.post(
        f"/api/v1/stocktakes/{take}/counts",
        json={"lines": [{"item_id": a, "counted_quantity": "9"}]},
        headers=counter,
    )
    assert (closed.status_code, closed.mimetype) == (409, PROBLEM)
    assert closed.json["code"] == "invalid_transition"


def test_roles_are_enforced(client, make):
    w, _, _ = _stock(make)
    viewer = client.post(
        "/api/v1/stocktakes", json={"warehouse_id": w}, headers=make.headers("viewer")
    )
    assert (viewer.status_code, viewer.mimetype) == (403, PROBLEM)
    take = client.post(
        "/api/v1/stocktakes", json={"warehouse_id": w}, headers=make.headers("admin")
    ).json["id"]
    counter_approves = client.post(
        f"/api/v1/stocktakes/{take}/approve", headers=make.headers("warehouse")
    )
    assert counter_approves.status_code == 403
    own = client.post(f"/api/v1/stocktakes/{take}/approve", headers=make.headers("admin"))
    assert own.status_code == 409  # not everything is counted yet
    assert client.get("/api/v1/stocktakes/999", headers=make.headers("viewer")).status_code == 404


def test_bad_input_is_refused_with_field_errors(client, make):
    w, a, _ = _stock(make)
    headers = make.headers("warehouse")
    bad_create = client.post(
        "/api/v1/stocktakes",
        json={"warehouse_id": w, "quantity_tolerance_pct": "-1", "category": ""},
        headers=headers,
    )
    assert (bad_create.status_code, bad_create.mimetype) == (422, PROBLEM)
    assert {"quantity_tolerance_pct", "category"} <= set(bad_create.json["errors"])

    take = client.post("/api/v1/stocktakes", json={"warehouse_id": w}, headers=headers).json["id"]
    for lines, field in (
        ([{"item_id": a, "counted_quantity": "-1"}], "counted_quantity"),
        ([{"item_id": a, "counted_quantity": "1.0001"}], "counted_quantity"),
        ([{"item_id": 999999, "counted_quantity": "1"}], "item_id"),
    ):
        response = client.post(
            f"/api/v1/stocktakes/{take}/counts", json={"lines": lines}, headers=headers
        )
        assert (response.status_code, response.mimetype) == (422, PROBLEM), response.json
        assert field in response.json["errors"]["lines"]["0"]
    empty = client.post(f"/api/v1/stocktakes/{take}/counts", json={"lines": []}, headers=headers)
    assert empty.status_code == 422 and "lines" in empty.json["errors"]
    body = client.get(f"/api/v1/stocktakes/{take}", headers=headers).json
    assert body["lines_counted"] == 0
