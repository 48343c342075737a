"""``flask reports export``: the file opens with its header, rows, totals and the filters used;
unknown names, formats and filters are usage errors (exit 2) naming the choices.

The book: BOLT (category "bolts") and NUT (category "nuts") in warehouse W; 10 BOLT received at
2.00 (20.00) and 4 NUT at 1.50 (6.00), then 3 BOLT issued at 2.00 (6.00).
"""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from inventory import clock
from inventory.db import item_class_queries
from inventory.db.base import db


@pytest.fixture
def book(backend, make):
    w = make.warehouse("W")
    bolt = make.item("BOLT", category="bolts")
    nut = make.item("NUT", category="nuts")
    make.receive(w, bolt, "10", "2.00")
    make.receive(w, nut, "4", "1.50")
    make.document("issue", w, [(bolt, "3", None)])
    return {"w": w, "bolt": bolt, "nut": nut}


def _export(app, *args):
    return app.test_cli_runner().invoke(args=["reports", "export", *args])


def _csv(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_ageing_as_csv_has_header_rows_totals_and_filters(app, book, tmp_path):
    out = tmp_path / "ageing.csv"
    result = _export(app, "ageing", "--format", "csv", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "2 rows written" in result.output
    lines = _csv(out)
    header = lines[0]
    assert header[:3] == ["item_id", "sku", "name"]
    rows = [dict(zip(header, line, strict=True)) for line in lines[1:3]]
    assert [(r["sku"], r["quantity"], r["value"]) for r in rows] == [
        ("BOLT", "7.000", "14.00"),
        ("NUT", "4.000", "6.00"),
    ]
    assert lines[3] == []
    total = dict(zip(header, lines[4], strict=True))
    assert total["item_id"] == "Total"
    assert (total["quantity"], total["value"], total["qty_0_30"]) == ("11.000", "20.00", "11.000")
    assert lines[5:] == []  # no filters given


def test_ageing_filtered_by_category_names_the_filter(app, book, tmp_path):
    out = tmp_path / "ageing.csv"
    result = _export(app, "ageing", "--format", "csv", "--output", str(out), "--category", "nuts")
    assert result.exit_code == 0, result.output
    lines = _csv(out)
    assert [line[1] for line in lines[1:2]] == ["NUT"]
    assert lines[-1] == ["filter", "category", "nuts"]


def test_cogs_as_xlsx_has_header_totals_and_the_filters_sheet(app, book, tmp_path):
    out = tmp_path / "cogs.xlsx"
    result = _export(
        app,
        "cogs",
        "--format",
        "xlsx",
        "--output",
        str(out),
        "--warehouse-id",
        str(book["w"]),
        "--group-by",
        "category",
    )
    assert result.exit_code == 0, result.output
    workbook = load_workbook(out, read_only=True)
    sheet = [list(r) for r in workbook["Cost of goods issued"].iter_rows(values_only=True)]
    assert sheet[0] == [
        "Month", "Reason", "Cost centre id", "Warehouse id", "Category", "Quantity", "Value"
    ]  # fmt: skip
    assert sheet[1][4] == "bolts"
    assert sheet[-1][0] == "Total"
    assert Decimal(str(sheet[-1][5])) == Decimal("3")
    assert Decimal(str(sheet[-1][6])) == Decimal("6")
    filters = dict(list(workbook["Filters"].iter_rows(values_only=True))[1:])
    assert filters["warehouse_id"] == str(book["w"])
    assert filters["group_by"] == "category"
    assert {"from", "to"} <= set(filters)


def test_slow_moving_as_xlsx_totals_the_stock(app, book, tmp_path):
    out = tmp_path / "slow.xlsx"
    result = _export(app, "slow-moving", "--format", "xlsx", "--output", str(out),
                     "--slow-days", "1", "--dead-days", "400")  # fmt: skip
    assert result.exit_code == 0, result.output
    workbook = load_workbook(out, read_only=True)
    rows = [list(r) for r in workbook["Slow-moving"].iter_rows(values_only=True)]
    assert rows[0][:3] == ["Item id", "SKU", "Item"]
    assert rows[-1][0] == "Total"
    filters = dict(list(workbook["Filters"].iter_rows(values_only=True))[1:])
    assert filters == {"slow_days": "1", "dead_days": "400"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nosuch", "--format", "csv"], "ageing"),
        (["ageing", "--format", "pdf"], "'csv', 'xlsx'"),
        (["ageing", "--format", "csv", "--supplier-id", "1"], "its filters: --category"),
        (["ageing", "--format", "csv", "--from", "2024-01-01"], "takes no --from"),
        (["slow-moving", "--format", "csv", "--status", "sleepy"], "Bad filter"),
    ],
)
def test_bad_names_formats_and_filters_are_usage_errors(app, tmp_path, args, says):
    out = tmp_path / "x.csv"
    result = _export(app, *args, "--output", str(out))
    assert result.exit_code == 2
    assert says in result.output
    assert not out.exists()


def test_an_unknown_id_is_refused_with_exit_1(app, tmp_path):
    out = tmp_path / "x.csv"
    result = _export(app, "ageing", "--format", "csv", "--output", str(out), "--item-id", "999")
    assert result.exit_code == 1
    assert "999" in result.output


def test_abc_xyz_and_exceptions_export_with_their_totals(app, book, tmp_path):
    # Written through the table's one writer: the classify-items job is not what is tested.
    now = clock.now()
    item_class_queries.replace_classes(db.session, [
        {"item_id": book["bolt"], "abc_class": "A", "xyz_class": "Y",
         "consumption_value": Decimal("6.00"), "annual_quantity": Decimal("3"),
         "demand_cv": Decimal("0.5"), "computed_at": now},
        {"item_id": book["nut"], "abc_class": "C", "xyz_class": "Z",
         "consumption_value": Decimal("0.00"), "annual_quantity": Decimal("0"),
         "demand_cv": None, "computed_at": now},
    ])  # fmt: skip
    db.session.commit()
    classes = tmp_path / "classes.csv"
    result = _export(app, "abc-xyz", "--format", "csv", "--output", str(classes))
    assert result.exit_code == 0, result.output
    lines = _csv(classes)
    assert lines[0][:2] == ["item_id", "sku"]
    total = dict(zip(lines[0], lines[-1], strict=True))
    assert total["item_id"] == "Total"
    assert Decimal(total["consumption_value"]) == sum(
        Decimal(dict(zip(lines[0], line, strict=True))["consumption_value"]) for line in lines[1:-2]
    )
    found = tmp_path / "exceptions.csv"
    result = _export(app, "exceptions", "--format", "csv", "--output", str(found),
                     "--from", "2020-01-01", "--to", "2020-06-30")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = _csv(found)
    assert lines[0][0] == "kind"
    assert lines[2][0] == "Total" and lines[2][-1] == "0 exceptions"
    assert ["filter", "since", "2020-01-01T00:00:00+00:00"] in lines


def test_cost_centre_filters_of_cogs_and_exceptions(app, make, book, tmp_path):
    from inventory.domain.documents import DocumentType, LineIn
    from inventory.services import budgets, stock

    centre = budgets.create_centre(make.admin, code="CC", name="Centre")["id"]
    issued = stock.create_document(
        make.admin,
        stock.NewDocument(
            type=DocumentType.ISSUE,
            warehouse_id=book["w"],
            lines=[LineIn(book["nut"], Decimal("1"))],
            cost_centre_id=centre,
        ),
    )
    stock.cancel_document(make.admin, issued)
    out = tmp_path / "cogs.csv"
    result = _export(app, "cogs", "--format", "csv", "--output", str(out),
                     "--cost-centre-id", str(centre), "--group-by", "cost_centre")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = _csv(out)
    row = dict(zip(lines[0], lines[1], strict=True))
    assert (row["cost_centre_id"], row["quantity"], row["value"]) == (str(centre), "0.000", "0.00")
    assert ["filter", "cost_centre_id", str(centre)] in lines

    found = tmp_path / "exceptions.csv"
    result = _export(app, "exceptions", "--format", "csv", "--output", str(found),
                     "--cost-centre-id", str(centre))  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = _csv(found)
    row = dict(zip(lines[0], lines[1], strict=True))
    assert (row["kind"], row["cost_centre_id"], row["value"]) == (
        "cancellation", str(centre), "1.50"
    )  # fmt: skip
    result = _export(app, "exceptions", "--format", "csv", "--output", str(found),
                     "--cost-centre-id", "999")  # fmt: skip
    assert result.exit_code == 1 and "999" in result.output
