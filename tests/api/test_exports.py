"""Reports as files and charts: CSV/XLSX of the stock balances and the supplier scores (by
``format`` or Accept), the row cap, roles, and the supplier's score trend as SVG."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from delivery import charts, exports
from inventory import clock
from inventory.services import scoring
from tests.api.helpers import assert_problem
from tests.scoring_seed import AS_OF, EXPECTED, at, hand_example

BALANCES = "/api/v1/stock-balances"
SCORES = "/api/v1/supplier-scores"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SVG = "{http://www.w3.org/2000/svg}"
NO_DELIVERIES = "No deliveries in the window"
BALANCE_HEADER = ["item_id", "item_sku", "item_name", "warehouse_id", "warehouse_code",
                  "quantity", "value"]  # fmt: skip


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))


def read_xlsx(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLSX
    return load_workbook(io.BytesIO(response.get_data())).active


def attachment_name(response) -> str:
    found = re.fullmatch(r'attachment; filename="([^"]+)"', response.headers["Content-Disposition"])
    assert found, response.headers["Content-Disposition"]
    return found.group(1)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


@pytest.fixture
def viewer(make):
    return make.headers("viewer")


@pytest.fixture
def stock(make):
    """Two warehouses, two items: 10 bolts at 0.25 in MAIN, 3 nuts at 1.5 in EAST."""
    main, east = make.warehouse("MAIN"), make.warehouse("EAST")
    bolt, nut = make.item("BOLT-M8"), make.item("NUT-M8")
    make.receive(main, bolt, "10", "0.25")
    make.receive(east, nut, "3", "1.5")
    return {"main": main, "east": east, "bolt": bolt, "nut": nut}


# --- stock balances ----------------------------------------------------------------------------


def test_balances_as_csv_keep_exact_amounts_and_name_the_rows(backend, client, viewer, stock):
    response = client.get(BALANCES, query_string={"format": "csv"}, headers=viewer)
    rows = read_csv(response)
    assert rows == [
        BALANCE_HEADER,
        [str(stock["bolt"]), "BOLT-M8", "Item BOLT-M8", str(stock["main"]), "MAIN", "10.000",
         "2.50"],
        [str(stock["nut"]), "NUT-M8", "Item NUT-M8", str(stock["east"]), "EAST", "3.000", "4.50"],
    ]  # fmt: skip
    assert attachment_name(response) == f"stock-balances-{today()}.csv"
    assert "X-Pagination" not in response.headers  # one file, no pages
    assert response.get_data().endswith(b"\r\n")


def test_the_json_list_is_unchanged(backend, client, viewer, stock):
    response = client.get(BALANCES, headers=viewer)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json()[0] == {"item_id": stock["bolt"], "warehouse_id": stock["main"],
                                      "quantity": "10.000", "value": "2.50"}  # fmt: skip
    assert '"total": 2' in response.headers["X-Pagination"]


def test_balances_as_xlsx_are_numbers_with_their_places(backend, client, viewer, stock):
    response = client.get(BALANCES, query_string={"format": "xlsx"}, headers=viewer)
    sheet = read_xlsx(response)
    assert attachment_name(response) == f"stock-balances-{today()}.xlsx"
    assert sheet.title == "Stock balances"
    header = [c.value for c in sheet[1]]
    assert header == ["Item id", "SKU", "Item", "Warehouse id", "Warehouse", "Quantity", "Value"]
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width == 40
    bolt = [c.value for c in sheet[2]]
    assert bolt == [stock["bolt"], "BOLT-M8", "Item BOLT-M8", stock["main"], "MAIN", 10, 2.5]
    quantity, value = sheet["F2"], sheet["G2"]
    assert quantity.data_type == "n" and quantity.number_format == "#,##0.000"
    assert value.data_type == "n" and value.number_format == "#,##0.00"
    assert sheet.max_row == 3


def test_the_export_follows_the_filters_and_as_of(backend, client, viewer, make, stock):
    with clock.pinned(datetime(2025, 3, 1, 12, tzinfo=UTC)):
        make.receive(stock["main"], stock["nut"], "4", "1")
    make.document("issue", stock["main"], [(stock["nut"], "3", None)])
    query = {"format": "csv", "warehouse_id": stock["main"], "item_id": stock["nut"]}

    now = read_csv(client.get(BALANCES, query_string=query, headers=viewer))
    assert [r[-2:] for r in now[1:]] == [["1.000", "1.00"]]

    past = {**query, "as_of": "2025-03-02T00:00:00Z"}
    response = client.get(BALANCES, query_string=past, headers=viewer)
    rows = read_csv(response)
    assert rows[1] == [str(stock["nut"]), "NUT-M8", "Item NUT-M8", str(stock["main"]), "MAIN",
                       "4.000", "4.00"]  # fmt: skip
    assert len(rows) == 2
    assert attachment_name(response) == "stock-balances-2025-03-02.csv"
    before = read_csv(
        client.get(BALANCES, query_string={**past, "as_of": "2025-01-01T00:00:00Z"}, headers=viewer)
    )
    assert before == [BALANCE_HEADER]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv", "text/csv"),
        (XLSX, XLSX),
        ("text/csv;q=0.5, " + XLSX, XLSX),
        ("application/json, text/csv", "application/json"),
        ("*/*", "application/json"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/json"),
        (None, "application/json"),
    ],
)
def test_the_accept_header_chooses_the_format(client, viewer, stock, accept, expected):
    headers = viewer | ({"Accept": accept} if accept else {})
    response = client.get(BALANCES, headers=headers)
    assert response.status_code == 200 and response.mimetype == expected
    assert "Accept" in response.vary  # caches keep one answer per Accept
    if expected == XLSX:
        assert response.get_data().startswith(b"PK")  # a zip, as XLSX files are


def test_an_explicit_format_wins_over_accept(client, viewer, stock):
    headers = viewer | {"Accept": "text/csv"}
    response = client.get(BALANCES, query_string={"format": "json"}, headers=headers)
    assert response.mimetype == "application/json" and len(response.get_json()) == 2
    response = client.get(BALANCES, query_string={"format": "xlsx"}, headers=headers)
    assert response.mimetype == XLSX
    assert "Accept" not in response.vary  # the URL names the format


def test_an_unknown_format_is_422(client, viewer):
    response = client.get(BALANCES, query_string={"format": "pdf"}, headers=viewer)
    assert "format" in assert_problem(response, 422, "validation_failed")["errors"]


def test_the_export_is_not_paged(client, viewer, make):
    warehouse = make.warehouse()
    for _ in range(3):
        make.receive(warehouse, make.item(), "1", "1")
    query = {"format": "csv", "page_size": 1, "page": 2}
    assert len(read_csv(client.get(BALANCES, query_string=query, headers=viewer))) == 1 + 3


def test_above_the_cap_the_caller_is_told_to_filter(client, viewer, stock, monkeypatch):
    monkeypatch.setattr(exports, "MAX_ROWS", 2)
    assert len(read_csv(client.get(BALANCES, query_string={"format": "csv"}, headers=viewer))) == 3
    monkeypatch.setattr(exports, "MAX_ROWS", 1)
    for query, headers in (({"format": "csv"}, viewer), ({}, viewer | {"Accept": XLSX})):
        body = assert_problem(
            client.get(BALANCES, query_string=query, headers=headers), 422, "validation_failed"
        )
        assert "more than 1 rows" in body["detail"] and "item_id" in body["detail"]
        assert body["max_rows"] == 1
    filtered = {"format": "csv", "item_id": stock["bolt"]}
    assert len(read_csv(client.get(BALANCES, query_string=filtered, headers=viewer))) == 2
    # The JSON list has its pages and no cap.
    assert len(client.get(BALANCES, headers=viewer).get_json()) == 2


def test_without_a_token_there_is_no_export(client, stock):
    assert_problem(client.get(BALANCES, query_string={"format": "csv"}), 401, "unauthenticated")


# --- supplier scores ---------------------------------------------------------------------------


@pytest.fixture
def example(make):
    return hand_example(make)


def _parts(client, headers, supplier_id) -> dict:
    body = client.get(f"/api/v1/suppliers/{supplier_id}/score", headers=headers).get_json()
    return {p["name"]: p["sub_score"] for p in body["parts"]}


def test_stored_scores_as_csv_ranked_with_their_parts(backend, client, viewer, example):
    scoring.rescore(AS_OF)
    response = client.get(SCORES, query_string={"format": "csv"}, headers=viewer)
    header, *rows = read_csv(response)
    assert attachment_name(response) == f"supplier-scores-{today()}.csv"
    assert header == ["rank", "supplier_id", "supplier_code", "supplier_name", "score", "grade",
                      "raw_score", "deliveries", "otif_sub_score", "quality_sub_score",
                      "lead_time_sub_score", "price_sub_score", "trend_direction", "as_of",
                      "computed_at", "source"]  # fmt: skip
    records = [dict(zip(header, r, strict=True)) for r in rows]
    assert [(r["rank"], r["supplier_code"]) for r in records] == [
        ("1", "B"),
        ("2", "C"),
        ("3", "A"),
    ]
    a = records[2]
    assert a["supplier_id"] == str(example["A"]) and a["supplier_name"] == "Supplier A"
    assert (a["score"], a["grade"], a["deliveries"]) == (f"{EXPECTED['A'][2]:.2f}", "C", "2")
    assert (a["raw_score"], a["as_of"], a["source"]) == ("42.40", "2026-06-30", "stored")
    assert a["quality_sub_score"] == "98.00"
    for part, sub in _parts(client, viewer, example["A"]).items():
        assert a[f"{part}_sub_score"] == ("" if sub is None else f"{sub:.2f}")
    assert datetime.fromisoformat(a["computed_at"]).tzinfo is not None


def test_live_scores_as_xlsx(backend, client, viewer, example):
    query = {"format": "xlsx", "as_of": "2026-06-30"}
    response = client.get(SCORES, query_string=query, headers=viewer)
    sheet = read_xlsx(response)
    assert attachment_name(response) == "supplier-scores-2026-06-30.xlsx"
    header = [c.value for c in sheet[1]]
    assert header[:8] == ["Rank", "Supplier id", "Supplier", "Name", "Score", "Grade",
                          "Raw score", "Deliveries"]  # fmt: skip
    assert [sheet.cell(row, 3).value for row in (2, 3, 4)] == ["B", "C", "A"]
    score = sheet.cell(4, 5)
    assert score.value == pytest.approx(EXPECTED["A"][2], abs=0.005)
    assert score.number_format == "#,##0.00"
    assert sheet.cell(4, header.index("Quality (0-100)") + 1).value == 98
    assert sheet.cell(4, header.index("Source") + 1).value == "live"
    assert sheet.cell(4, header.index("Computed at (UTC)") + 1).value is None


def test_no_scores_yet_is_a_header_alone(client, viewer, example):
    assert read_csv(client.get(SCORES, query_string={"format": "csv"}, headers=viewer))[1:] == []


def test_the_scores_export_is_capped(client, viewer, example, monkeypatch):
    scoring.rescore(AS_OF)
    monkeypatch.setattr(exports, "MAX_ROWS", 2)
    for query in ({"format": "csv"}, {"format": "xlsx", "as_of": "2026-06-30"}):
        response = client.get(SCORES, query_string=query, headers=viewer)
        assert assert_problem(response, 422, "validation_failed")["max_rows"] == 2


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("purchasing", 200), ("approver", 200), ("finance", 200),
     ("viewer", 200), ("warehouse", 403)],
)  # fmt: skip
def test_the_exports_admit_the_lists_roles(client, make, example, role, status):
    headers = make.headers(role)
    for query, extra in (({"format": "csv"}, {}), ({}, {"Accept": XLSX})):
        response = client.get(SCORES, query_string=query, headers=headers | extra)
        assert response.status_code == status
        if status == 403:
            assert_problem(response, 403, "permission_denied")
    path = f"/api/v1/suppliers/{example['A']}/score/trend.svg"
    assert client.get(path, headers=headers).status_code == status


# --- the score trend chart ----------------------------------------------------------------------


def read_svg(response) -> ET.Element:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{SVG}svg"
    return root


def points(root) -> list[ET.Element]:
    return [c for c in root.iter(f"{SVG}circle") if c.get("class") == "point"]


def texts(root, cls: str | None = None) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text") if cls is None or t.get("class") == cls]


def trend(client, headers, supplier_id, **query):
    path = f"/api/v1/suppliers/{supplier_id}/score/trend.svg"
    return client.get(path, query_string=query, headers=headers)


def test_the_trend_chart_draws_each_scored_month(backend, client, viewer, example):
    seed = example["seed"]
    e = seed.supplier("E")
    lines = seed.order(e, [(example["item"], "10", "10", "2026-02-01"),
                           (example["item"], "10", "10", "2026-03-01"),
                           (example["item"], "10", "10", "2026-05-01")],
                       sent="2026-01-15")  # fmt: skip
    for line, day in zip(lines, ("2026-02-01", "2026-03-01", "2026-05-01"), strict=True):
        seed.receipt([(line, "10", "10")], at(day))
    detail = client.get(f"/api/v1/suppliers/{e}/score", query_string={"as_of": "2026-06-30"},
                        headers=viewer).get_json()  # fmt: skip

    root = read_svg(trend(client, viewer, e, as_of="2026-06-30"))
    months = detail["trend"]["months"]
    scored = [m for m in months if m["score"] is not None]
    assert [m["month"] for m in scored] == ["2026-02", "2026-03", "2026-05"]
    assert len(points(root)) == 3
    assert texts(root, "month") == [m["month"] for m in months] and len(months) == 12
    title = root.find(f"{SVG}title").text
    assert title == f"E Supplier E: score {detail['score']:.2f}, grade {detail['grade']}"
    assert title in texts(root)
    # February and March are joined; April had no delivery, so May starts a new stroke.
    (line,) = [p for p in root.iter(f"{SVG}path") if p.get("class") == "line"]
    assert [c[0] for c in line.get("d").split()] == ["M", "L", "M"]
    assert NO_DELIVERIES not in texts(root)


def test_the_stored_trend_is_the_default(client, viewer, example):
    scoring.rescore(AS_OF)
    root = read_svg(trend(client, viewer, example["A"]))
    assert len(points(root)) == 1 and len(texts(root, "month")) == 12
    assert "A Supplier A" in root.find(f"{SVG}title").text


def test_a_supplier_without_deliveries_says_so(client, viewer, example):
    scoring.rescore(AS_OF)
    for query in ({}, {"as_of": "2026-06-30"}):  # stored (no months), live (twelve empty ones)
        root = read_svg(trend(client, viewer, example["D"], **query))
        assert points(root) == [] and texts(root, "empty") == [NO_DELIVERIES]
        assert root.find(f"{SVG}title").text == "D Supplier D: no score"
    assert len(texts(root, "month")) == 12


def test_names_are_escaped_in_the_chart(client, viewer, example):
    odd = example["seed"].supplier("R&D<1>\x07")
    root = read_svg(trend(client, viewer, odd))
    assert root.find(f"{SVG}title").text == "R&D<1>\ufffd Supplier R&D<1>\ufffd: no score"


def test_an_unknown_suppliers_chart_is_404(client, viewer):
    assert_problem(trend(client, viewer, 999), 404, "not_found")


# --- the file writers, without a request --------------------------------------------------------


def test_spreadsheets_do_not_run_text_as_formulas():
    columns = [exports.Column("name", "Name"), exports.Column("qty", "Qty", "decimal", places=3)]
    rows = [{"name": '=HYPERLINK("http://x")', "qty": None}, {"name": "-5 bolts\x01", "qty": 0}]
    parsed = list(csv.reader(io.StringIO(exports.csv_bytes(rows, columns).decode(), newline="")))
    assert parsed[1:] == [['\'=HYPERLINK("http://x")', ""], ["'-5 bolts\x01", "0.000"]]
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(rows, columns, "T"))).active
    assert sheet["A2"].value == '=HYPERLINK("http://x")' and sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "-5 bolts\ufffd"
    assert sheet["B2"].value is None and sheet["B3"].value == 0


def test_long_windows_label_every_few_months():
    months = [{"month": f"20{20 + i // 12}-{i % 12 + 1:02d}", "score": 50.0} for i in range(60)]
    root = ET.fromstring(charts.score_trend_svg("t", months))
    labels = texts(root, "month")
    assert len(labels) == charts.MAX_LABELS and labels[:2] == ["2020-01", "2020-06"]
    assert len(points(root)) == 60
