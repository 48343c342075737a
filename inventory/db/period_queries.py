"""Closed periods and stock value: now (the balances), and as of a past moment, from the nearest
period snapshot before it plus the ledger entries since, summed in SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, case, func, or_, select, union_all
from sqlalchemy.orm import Session

from inventory.db.base import db
from inventory.db.models import Item, StockBalance, StockLedger, Warehouse
from inventory.db.report_sql import raw, scaled
from inventory.db.types import UtcDateTime
from inventory.db.valuation_models import AccountingPeriod, PeriodBalance
from inventory.errors import NotFound

_periods = AccountingPeriod.__table__
_snap = PeriodBalance.__table__
_ledger = StockLedger.__table__
_balance = StockBalance.__table__
_item = Item.__table__
# A month-end cut (a day's last instant) is one microsecond before the closed period's end.
_INSTANT = timedelta(microseconds=1)


def closed_through(session: Session) -> str | None:
    """The last closed period's name (``YYYY-MM``), None when none is closed."""
    return session.scalar(select(func.max(_periods.c.period)))


def closed_periods(session: Session | None = None) -> list[dict]:
    """Every closed period, oldest first."""
    session = session or db.session
    rows = session.execute(select(_periods).order_by(_periods.c.period)).mappings()
    return [dict(r) for r in rows]


def listing() -> dict:
    """The closed periods, oldest first, and the one that closes next (None: any ended month
    may close first)."""
    closed = closed_periods()
    following = None
    if closed:
        year, month = map(int, closed[-1]["period"].split("-"))
        following = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return {"closed": closed, "next": following}


def valuation_report(
    *,
    as_of: datetime | None = None,
    warehouse_id: int | None = None,
    category: str | None = None,
    with_values: bool = True,
) -> dict:
    """``valuation``'s rows with their totals and the filters used; without values when the
    caller may not see money. Refuses (404) an unknown warehouse."""
    if warehouse_id is not None and db.session.get(Warehouse, warehouse_id) is None:
        raise NotFound(f"No warehouse with id {warehouse_id}; the report cannot be filtered by it.")
    rows = valuation(as_of=as_of, warehouse_id=warehouse_id, category=category)
    totals = {
        "quantity": sum((r["quantity"] for r in rows), Decimal(0)),
        "value": sum((r["value"] for r in rows), Decimal("0.00")),
    }
    if not with_values:
        rows = [{k: v for k, v in r.items() if k != "value"} for r in rows]
        del totals["value"]
    filters = {"warehouse_id": warehouse_id, "category": category}
    return {"as_of": as_of, "filters": filters, "rows": rows, "totals": totals}


def last_snapshot_before(session: Session, cut: datetime) -> tuple[str, datetime] | None:
    """The latest closed period ending at or before ``cut``: its name and end."""
    row = session.execute(
        select(_periods.c.period, _periods.c.ends_at)
        .where(_periods.c.ends_at <= cut)
        .order_by(_periods.c.period.desc())
        .limit(1)
    ).first()
    return (row.period, row.ends_at) if row else None


def _filtered(query, warehouse_id: int | None, category: str | None):
    if warehouse_id is not None:
        query = query.where(warehouse_id == query.selected_columns.warehouse_id)
    if category is not None:
        query = query.where(
            query.selected_columns.item_id.in_(
                select(_item.c.id).where(_item.c.category == category)
            )
        )
    return query


def valuation(
    *,
    as_of: datetime | None = None,
    warehouse_id: int | None = None,
    category: str | None = None,
    session: Session | None = None,
) -> list[dict]:
    """Rows ``item_id, warehouse_id, quantity, value`` of every balance holding stock or value,
    now or as of ``as_of`` (what was posted before that moment), ordered by item and warehouse.
    A past moment starts from the nearest snapshot at or before it, not from the beginning."""
    session = session or db.session
    if as_of is None:
        query = select(
            _balance.c.item_id, _balance.c.warehouse_id, _balance.c.quantity, _balance.c.value
        ).where(or_(_balance.c.quantity != 0, _balance.c.value != 0))
        query = _filtered(query, warehouse_id, category)
        query = query.order_by(_balance.c.item_id, _balance.c.warehouse_id)
        return [dict(r) for r in session.execute(query).mappings()]
    start = last_snapshot_before(session, as_of)
    parts = []
    since = None
    if start is not None:
        period, since = start
        parts.append(
            select(_snap.c.item_id, _snap.c.warehouse_id, _snap.c.quantity, _snap.c.value).where(
                _snap.c.period == period
            )
        )
    moved = select(
        _ledger.c.item_id, _ledger.c.warehouse_id, _ledger.c.quantity, _ledger.c.value
    ).where(_ledger.c.posted_at <= bindparam("cut", as_of, type_=UtcDateTime()))
    if since is not None:
        moved = moved.where(_ledger.c.posted_at >= bindparam("since", since, type_=UtcDateTime()))
    parts.append(moved)
    rows = union_all(*parts).subquery() if len(parts) > 1 else moved.subquery()
    quantity = func.sum(rows.c.quantity).label("quantity")
    value = func.sum(rows.c.value).label("value")
    query = select(rows.c.item_id, rows.c.warehouse_id, quantity, value)
    query = _filtered(query, warehouse_id, category)
    query = (
        query.group_by(rows.c.item_id, rows.c.warehouse_id)
        .having(or_(func.sum(rows.c.quantity) != 0, func.sum(rows.c.value) != 0))
        .order_by(rows.c.item_id, rows.c.warehouse_id)
    )
    # the sums keep their columns' fixed-point type: they come back as Decimal
    return [dict(r) for r in session.execute(query).mappings()]


def values_at(cuts: list[datetime]) -> list[Decimal]:
    """The total stock value as ``valuation(as_of=cut)`` sums it, for each of ``cuts`` (in the
    order given), in at most two statements whatever the number of cuts: a cut that is a closed
    period's last instant reads that period's snapshot; the others read the balances less the
    ledger posted after each cut, in one pass over the ledger since the earliest of them."""
    closed = {row["ends_at"]: row["period"] for row in closed_periods()}
    at_snapshot = {cut: closed[cut + _INSTANT] for cut in cuts if cut + _INSTANT in closed}
    found: dict[datetime, Decimal] = {}
    if at_snapshot:
        totals = dict(
            db.session.execute(
                select(_snap.c.period, func.sum(_snap.c.value))
                .where(_snap.c.period.in_(sorted(set(at_snapshot.values()))))
                .group_by(_snap.c.period)
            ).all()
        )
        for cut, period in at_snapshot.items():
            found[cut] = totals.get(period) or Decimal("0.00")
    rest = sorted({cut for cut in cuts if cut not in found})
    if rest:
        value = raw(_ledger.c.value)
        after = [
            func.sum(case((_ledger.c.posted_at > _at(f"cut{i}", cut), value), else_=0))
            for i, cut in enumerate(rest)
        ]
        since = select(*after).where(_ledger.c.posted_at > _at("earliest", rest[0]))
        now = select(func.sum(raw(_balance.c.value))).scalar_subquery()
        row = db.session.execute(select(now, *since.subquery().c)).one()
        for cut, later in zip(rest, row[1:], strict=True):
            found[cut] = scaled((row[0] or 0) - (later or 0), 2)
    return [found[cut] for cut in cuts]


def _at(name: str, moment: datetime):
    return bindparam(name, moment, type_=UtcDateTime())
