"""The one writer of closed periods and their snapshots: close (snapshot of balances and FIFO
layers at the period's end) and reopen (drop the period and every later one)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, insert, text
from sqlalchemy.orm import Session

from inventory.db.base import is_postgresql
from inventory.db.types import UtcDateTime
from inventory.db.valuation_models import AccountingPeriod, PeriodBalance, PeriodLayer

_periods = AccountingPeriod.__table__

# Fixed-point columns hold scaled integers: the sums below are exact on both databases, and
# go back into columns of the same scale untouched.
_SNAPSHOT_BALANCES = text("""
    INSERT INTO period_balance (period, item_id, warehouse_id, quantity, value)
    SELECT :period, item_id, warehouse_id, SUM(quantity), SUM(value)
    FROM (
        SELECT item_id, warehouse_id, quantity, value FROM period_balance
        WHERE period = :previous
        UNION ALL
        SELECT item_id, warehouse_id, quantity, value FROM stock_ledger
        WHERE posted_at >= :since AND posted_at < :until
    ) moved
    GROUP BY item_id, warehouse_id
    HAVING SUM(quantity) <> 0 OR SUM(value) <> 0
""").bindparams(bindparam("since", type_=UtcDateTime()), bindparam("until", type_=UtcDateTime()))
_SNAPSHOT_LAYERS = text("""
    INSERT INTO period_layer (period, layer_id, item_id, warehouse_id, received_at, unit_cost,
                              remaining_quantity, remaining_value)
    SELECT :period, l.id, l.item_id, l.warehouse_id, l.received_at, l.unit_cost,
           l.quantity - COALESCE(c.quantity, 0), l.value - COALESCE(c.value, 0)
    FROM fifo_layer l
    LEFT JOIN (
        SELECT layer_id, SUM(quantity) AS quantity, SUM(value) AS value FROM fifo_consumption
        WHERE posted_at < :until GROUP BY layer_id
    ) c ON c.layer_id = l.id
    WHERE l.posted_at < :until AND l.quantity - COALESCE(c.quantity, 0) <> 0
""").bindparams(bindparam("until", type_=UtcDateTime()))


def hold_postings(session: Session) -> None:
    """Wait for every posting in flight and hold new ones until this transaction ends, so the
    snapshot sees every entry dated inside the period. (SQLite's writer lock does this.)"""
    if is_postgresql(session):
        session.execute(text("LOCK TABLE stock_balance IN EXCLUSIVE MODE"))


def close_period(
    session: Session,
    period: dict,
    previous: tuple[str, datetime] | None,
) -> None:
    """Insert the closed ``period`` (its columns) and its snapshots, from the ``previous``
    closed period's snapshot (name, end) when there is one, else from the whole ledger."""
    session.execute(insert(_periods), period)
    since = previous[1] if previous else datetime.fromisoformat("0001-01-02T00:00:00+00:00")
    session.execute(
        _SNAPSHOT_BALANCES,
        {
            "period": period["period"],
            "previous": previous[0] if previous else "",
            "since": since,
            "until": period["ends_at"],
        },
    )
    session.execute(_SNAPSHOT_LAYERS, {"period": period["period"], "until": period["ends_at"]})


def reopen_from(session: Session, period: str) -> list[str]:
    """Delete ``period`` and every later closed period with their snapshots; return their
    names."""
    names = list(
        session.scalars(
            _periods.select()
            .with_only_columns(_periods.c.period)
            .where(_periods.c.period >= period)
            .order_by(_periods.c.period)
        )
    )
    for table in (PeriodLayer.__table__, PeriodBalance.__table__):
        session.execute(delete(table).where(table.c.period >= period))
    session.execute(delete(_periods).where(_periods.c.period >= period))
    return names
