"""The finance reports over a window of days: the month buckets, checks of the filters, and the
final shaping of rows the database has already aggregated (docs/reports.md defines each one).

Reads only, so no transaction of their own; every figure comes from one GROUP BY in
``inventory/db`` (``finance_queries``, ``budget_queries``, ``kpi_queries``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from inventory import clock
from inventory.db import budget_queries, finance_queries, period_queries
from inventory.db.base import db
from inventory.db.models import Item, Warehouse
from inventory.db.procurement_models import CostCentre, Supplier
from inventory.db.queries import page
from inventory.db.report_sql import Month, scaled
from inventory.domain import numbers as n
from inventory.errors import NotFound, ValidationFailed

MAX_MONTHS = 36  # a window spans at most this many calendar months
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class Window:
    first_day: date
    last_day: date
    months: list[Month]

    @property
    def start(self) -> datetime:
        return self.months[0].start

    @property
    def stop(self) -> datetime:
        return self.months[-1].stop

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def window(first_day: date | None, last_day: date | None, zone: ZoneInfo) -> Window:
    """The days ``first_day`` to ``last_day`` (both included) of ``zone`` as month buckets;
    by default the last twelve calendar months up to today. Reversed windows and windows of
    more than ``MAX_MONTHS`` months are refused (422)."""
    today = clock.now().astimezone(zone).date()
    for name, day in (("from", first_day), ("to", last_day)):
        if day is not None and not clock.FIRST_DAY <= day <= clock.LAST_DAY:
            raise ValidationFailed(
                f"The reports cover days from {clock.FIRST_DAY} to {clock.LAST_DAY}; "
                f"{day} is outside them.",
                errors={name: [f"Must be between {clock.FIRST_DAY} and {clock.LAST_DAY}."]},
            )
    last_day = last_day or today
    if first_day is None:
        back = last_day.year * 12 + last_day.month - 1 - (DEFAULT_MONTHS - 1)
        first_day = max(date(back // 12, back % 12 + 1, 1), clock.FIRST_DAY)
    if last_day < first_day:
        raise ValidationFailed(
            f"The window ends ({last_day}) before it starts ({first_day}).",
            errors={"to": ["Must not be before 'from'."]},
        )
    span = (last_day.year - first_day.year) * 12 + last_day.month - first_day.month + 1
    if span > MAX_MONTHS:
        raise ValidationFailed(
            f"The window {first_day}..{last_day} spans {span} months; at most {MAX_MONTHS}.",
            errors={"to": [f"At most {MAX_MONTHS} calendar months after 'from'."]},
            extra={"max_months": MAX_MONTHS},
        )
    months, cursor = [], date(first_day.year, first_day.month, 1)
    while cursor <= last_day:
        following = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        begin, end = max(cursor, first_day), min(following - timedelta(days=1), last_day)
        months.append(
            Month(
                cursor.strftime("%Y-%m"),
                _midnight(begin, zone),
                _midnight(end + timedelta(days=1), zone),
            )
        )
        cursor = following
    return Window(first_day, last_day, months)


_KINDS = {
    "supplier_id": (Supplier, "supplier"),
    "cost_centre_id": (CostCentre, "cost centre"),
    "warehouse_id": (Warehouse, "warehouse"),
    "item_id": (Item, "item"),
}


def unknown_filters(filters: dict) -> dict[str, str]:
    """The filters on an id that names nothing, each with its message."""
    return {
        key: f"No {what} with id {filters[key]}."
        for key, (model, what) in _KINDS.items()
        if filters.get(key) is not None and db.session.get(model, filters[key]) is None
    }


def check_filters(filters: dict) -> None:
    """A filter on an id that names nothing is a 404, not an empty report."""
    for key, message in unknown_filters(filters).items():
        raise NotFound(message, extra={"parameter": key})


def _key(row: dict, names: list[str]) -> tuple:
    return tuple(row.get(name) for name in names)


def _order(names: list[str]):
    # NULL (no cost centre, say) sorts after every value.
    return lambda key: tuple((v is None, v if v is not None else "") for v in key)


_SPEND_NAMES = {
    "month": "month",
    "supplier": "supplier_id",
    "category": "category",
    "cost_centre": "cost_centre_id",
}


def spend(win: Window, group_by: list[str], filters: dict) -> dict:
    """Ordered and received spend per group (see docs/reports.md, "Spend")."""
    check_filters(filters)
    names = [_SPEND_NAMES[d] for d in finance_queries.SPEND_DIMENSIONS if d in group_by]
    width = len(names)
    # Σ amount × rate per group as one integer at 13 places (7 + 6): exact, and one Decimal
    # per group instead of three per row.
    ordered: dict[tuple, int] = {}
    for row in finance_queries.spend_ordered(win.months, group_by, filters):
        key = row[:width]
        ordered[key] = ordered.get(key, 0) + int(row[width + 1]) * int(row[width])
    received = {
        row[:width]: row[width]
        for row in finance_queries.spend_received(win.months, group_by, filters)
    }
    zero = n.value(n.ZERO)
    rows = []
    for key in sorted(ordered.keys() | received.keys(), key=_order(names)):
        amount, got = ordered.get(key), received.get(key)
        row = dict(zip(names, key, strict=True))
        row["ordered"] = zero if amount is None else n.value(Decimal(amount).scaleb(-13))
        row["received"] = n.value(got) if got else zero
        rows.append(row)
    totals = {
        "ordered": n.value(sum((r["ordered"] for r in rows), n.ZERO)),
        "received": n.value(sum((r["received"] for r in rows), n.ZERO)),
    }
    return {"rows": rows, "totals": totals}


def spend_by_month(win: Window, filters: dict) -> list[dict]:
    """Every month of the window with its ordered and received spend (zero when none)."""
    found = {r["month"]: r for r in spend(win, ["month"], filters)["rows"]}
    empty = {"ordered": n.value(0), "received": n.value(0)}
    return [{"month": m.label, **found.get(m.label, empty)} for m in win.months]


_COGS_NAMES = {
    "month": "month",
    "reason": "reason",
    "cost_centre": "cost_centre_id",
    "warehouse": "warehouse_id",
    "category": "category",
}


def cogs(win: Window, group_by: list[str], filters: dict) -> dict:
    """Quantity and value issued per group (see docs/reports.md, "Cost of goods issued")."""
    check_filters(filters)
    names = [_COGS_NAMES[d] for d in finance_queries.COGS_DIMENSIONS if d in group_by]
    found = finance_queries.cogs(win.months, group_by, filters)
    rows = sorted(
        (
            {
                **{name: row[name] for name in names},
                "quantity": n.qty(row["quantity"] or 0),
                "value": n.value(row["value"] or 0),
            }
            for row in found
        ),
        key=lambda r: _order(names)(_key(r, names)),
    )
    totals = {
        "quantity": n.qty(sum((r["quantity"] for r in rows), n.ZERO)),
        "value": n.value(sum((r["value"] for r in rows), n.ZERO)),
    }
    return {"rows": rows, "totals": totals}


def _variance_row(row: dict) -> dict:
    return {
        "ledger_id": row["ledger_id"],
        "receipt_id": row["receipt_id"],
        "received_at": row["received_at"],
        "supplier_id": row["supplier_id"],
        "order_id": row["order_id"],
        "po_line_id": row["po_line_id"],
        "item_id": row["item_id"],
        "warehouse_id": row["warehouse_id"],
        "quantity": scaled(row["quantity_raw"], 3),
        "unit_cost": scaled(row["unit_cost_raw"], 4),
        "value": scaled(row["value_raw"], 2),
        "order_unit_cost": scaled(row["order_cost_raw"], 4),
        "order_variance": scaled(row["order_variance_raw"], 2),
        "previous_average_cost": scaled(row["previous_cost_raw"], 4),
        "average_variance": scaled(row["average_variance_raw"], 2),
    }


def price_variance(win: Window, filters: dict, page_no: int, page_size: int) -> dict:
    """One page of receipt lines with their variances, and totals over the whole window."""
    check_filters(filters)
    query = finance_queries.price_variance_rows(win.months, filters)
    found, count = page(query, page_no, page_size)
    return {
        "rows": [_variance_row(r) for r in found],
        "count": count,
        "totals": _variance_totals(win, filters),
    }


def price_variance_all(win: Window, filters: dict):
    """Every row of the window, streamed from the database (for files)."""
    check_filters(filters)
    query = finance_queries.price_variance_rows(win.months, filters)
    for row in db.session.execute(query.execution_options(yield_per=2000)):
        yield _variance_row(dict(row._mapping))


def _variance_totals(win: Window, filters: dict) -> dict:
    t = finance_queries.price_variance_totals(win.months, filters)
    return {
        "rows": t["rows"],
        "quantity": scaled(t["quantity_raw"] or 0, 3),
        "value": scaled(t["value_raw"] or 0, 2),
        "order_variance": scaled(t["order_variance_raw"] or 0, 2),
        "average_variance": scaled(t["average_variance_raw"] or 0, 2),
    }


def variance_totals(win: Window, filters: dict) -> dict:
    check_filters(filters)
    return _variance_totals(win, filters)


def budget(win: Window | None, filters: dict) -> dict:
    """Each budget with what approved requests and open orders commit and what was received
    (see docs/reports.md, "Budget")."""
    check_filters(filters)
    rows = budget_queries.budgets(
        cost_centre_id=filters.get("cost_centre_id"),
        period=filters.get("period"),
        overlapping=(win.first_day, win.last_day) if win else None,
    )
    ids = [r["budget_id"] for r in rows]
    today = clock.now().date()
    orders = budget_queries.order_values(ids, today)
    requested = budget_queries.requested_open(ids)
    zero = n.value(0)
    for row in rows:
        figures = orders.get(row["budget_id"], {})
        row["amount"] = n.value(row["amount"])
        row["requested"] = requested.get(row["budget_id"], zero)
        row["on_order"] = figures.get("on_order", zero)
        row["committed"] = n.value(row["requested"] + row["on_order"])
        row["actual"] = figures.get("actual", zero)
        row["available"] = n.value(row["amount"] - row["committed"] - row["actual"])
    keys = ("amount", "requested", "on_order", "committed", "actual", "available")
    totals = {k: n.value(sum((r[k] for r in rows), n.ZERO)) for k in keys}
    return {"rows": rows, "totals": totals}


TREND_MONTHS = 12


def month_ends(count: int, zone: ZoneInfo) -> list[tuple[str, datetime]]:
    """The last ``count`` month-ends that have passed, oldest first: each month's label and
    its last instant in ``zone`` (as ``?as_of=<last day>`` reads it), in UTC."""
    today = clock.now().astimezone(zone).date()
    ends = []
    first = date(today.year, today.month, 1)
    for _ in range(count):
        last = first - timedelta(days=1)
        cut = datetime.combine(last, time.max, zone).astimezone(UTC)
        ends.append((last.strftime("%Y-%m"), cut))
        first = date(last.year, last.month, 1)
    return ends[::-1]


def valuation_trend(zone: ZoneInfo, count: int = TREND_MONTHS) -> list[dict]:
    """The stock value at each of the last ``count`` month-ends, oldest first: ``{"month",
    "as_of", "value"}``, equal to the valuation report's total ``as_of`` that month's last day."""
    ends = month_ends(count, zone)
    values = period_queries.values_at([cut for _, cut in ends])
    return [
        {"month": label, "as_of": cut, "value": value}
        for (label, cut), value in zip(ends, values, strict=True)
    ]
