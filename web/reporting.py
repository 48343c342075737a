"""What the report pages share: query filters loaded through the API's own query schemas,
``?page=`` paging, cells printed by their column's kind, and the report files (CSV, XLSX) the
API's ``format=`` gives, built from the same catalogue (delivery/report_catalogue.py)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import urlencode

import marshmallow as ma
from flask import request

from delivery import exports
from delivery.config import service_zone
from delivery.exports import Column
from delivery.report_catalogue import REPORTS, filters_of, filters_used, hide_money
from inventory.errors import ValidationFailed
from inventory.services import finance_kpis, finance_reports
from web.forms import flatten
from web.forms import load as load_all

PAGE_SIZE = 100
MAX_PAGE = 1_000_000


def query_args(schema: ma.Schema, args=None) -> tuple[dict, dict[str, str]]:
    """The filters of ``args`` (the query string) that ``schema`` knows, loaded by it; blank
    fields count as not given. Returns (data, errors by field) — data is {} on errors."""
    args = request.args if args is None else args
    raw: dict = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if isinstance(field, ma.fields.List):
            values = [v for v in args.getlist(key) if v != ""]
            if values:
                raw[key] = values
        elif args.get(key, "") != "":
            raw[key] = args.get(key)
    try:
        data = schema.load(raw)
    except ma.ValidationError as invalid:
        return {}, flatten(invalid.normalized_messages())
    # An id that names nothing is said beside its filter, the form kept (the API's 404).
    unknown = finance_reports.unknown_filters(data)
    return ({}, unknown) if unknown else (data, {})


def page_number() -> int:
    try:
        number = int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


@dataclass(frozen=True)
class Pager:
    page: int
    total: int
    size: int = PAGE_SIZE

    def __post_init__(self):
        # A page past the last (an old link, a typed number) shows the last one.
        object.__setattr__(self, "page", min(self.page, self.pages))

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def url(self, number: int) -> str:
        """This page's URL with its filters, at page ``number``."""
        kept = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
        return f"{request.path}?{urlencode([*kept, ('page', number)])}"


def cell_text(value, column: Column) -> str:
    """A value as a page shows it: amounts with their places and thousands separators,
    moments in UTC to the minute, nothing for None."""
    if value is None:
        return ""
    if column.kind in ("decimal", "number"):
        return f"{value:,.{column.places}f}"
    if column.kind == "moment":
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def shown(rows: Sequence[Mapping], columns: Sequence[Column]) -> list[list[str]]:
    return [[cell_text(row.get(c.key), c) for c in columns] for row in rows]


def total_cells(totals: Mapping, columns: Sequence[Column]) -> list[str]:
    cells = [cell_text(totals.get(c.key), c) if c.key in totals else "" for c in columns]
    cells[0] = exports.TOTAL_LABEL
    return cells


def file_query(**values) -> str:
    """A query string for a report file: repeated keys for lists, blanks left out."""
    pairs = []
    for key, value in values.items():
        for one in value if isinstance(value, list | tuple) else [value]:
            if one not in (None, ""):
                pairs.append((key, str(one)))
    return urlencode(pairs)


def report_file(name: str, fmt: str, money: bool = True):
    """The catalogue's report ``name`` as the API's ``format=csv|xlsx`` gives it: every row,
    the totals and the filters used, money left out when ``money`` is false; the query string
    holds the same filters as the API's."""
    report = REPORTS[name]
    data, errors = query_args(report.query())
    if errors:
        # A file download has no form to show errors beside: they are named in the message.
        named = "; ".join(f"{field}: {message}" for field, message in errors.items())
        raise ValidationFailed(f"The report's filters are not valid ({named}).", errors=errors)
    data.pop("format", None)
    if report.windowed:
        win = finance_reports.window(data.get("date_from"), data.get("date_to"), service_zone())
        used = {"from": win.first_day.isoformat(), "to": win.last_day.isoformat()}
        used.update(filters_of(data))
        if "group_by" in data:
            used["group_by"] = list(data["group_by"])
        if name == "kpis":
            found = finance_kpis.kpis(win, filters_of(data))
            rows, totals = found["rows"], found["money"]
        else:
            rows, totals = report.build(win, data)
        file_name = f"{name}-{win.first_day}-{win.last_day}"
    else:
        rows, totals = report.build(None, data)
        used = filters_used(data)  # after build: it fills in a range it defaulted
        file_name = f"{name}-{exports.report_day(None)}"
    if not money:
        rows, totals = hide_money(report, rows, totals)
    return exports.report_download(
        rows,
        report.columns_for(money),
        fmt,
        name=file_name,
        sheet=report.sheet,
        totals=totals,
        filters=used,
    )


def load(schema: ma.Schema, values: Mapping) -> tuple[dict | None, dict[str, str]]:
    """``web.forms.load`` with a list's item errors (``roles.0``) shown at the list's field."""
    data, errors = load_all(schema, values)
    merged: dict[str, str] = {}
    for key, message in errors.items():
        name = key.split(".")[0]
        merged[name] = f"{merged[name]} {message}" if name in merged else message
    return data, merged
