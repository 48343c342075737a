"""Demand history: per item, warehouse and period, what the ledger says was consumed.

One SQL statement per call (grouped by period in the database), zeros filled in pandas. Periods
are calendar days, weeks (Monday to Sunday) or months of the service time zone
(``SERVICE_TIME_ZONE``): PostgreSQL converts with ``AT TIME ZONE``; SQLite, which knows no zones,
adds the zone's UTC offset, switching offsets at the zone's transitions inside the window (a
``CASE`` of a few branches), so daylight saving is exact on both.

Which movements are demand: ``inventory.domain.demand``. A movement's demand falls in the period of
its *document's* posting, so a cancelled document's reversal (posted later, same document) takes
the demand back out of the period it was put in, and a cancelled issue leaves no trace.

``stocked_out``: the period had no stock to consume from. Exactly: the balance at the period's
start (the ``balance_quantity`` after the last movement before it, 0 before the first one) was 0
or less, and no movement inside the period brought stock in (no positive quantity). Demand seen
in such a period is censored (it may have been larger), not a zero to learn from. Periods before
an item first reached a warehouse are stocked out by the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, text

from inventory import clock
from inventory.db import driver
from inventory.db.base import db
from inventory.db.types import UtcDateTime
from inventory.db.zones import offsets
from inventory.domain import demand as rules

QTY_SCALE = 1e3  # Quantity columns hold value × 1000 (inventory.db.types)
COLUMNS = ["item_id", "warehouse_id", "period", "qty", "stocked_out"]
PANDAS_FREQ = {"D": "D", "W": "W-MON", "M": "MS"}

# Which ledger rows each kind takes (l: stock_ledger, d: its stock_document).
_KIND_SQL = {
    "issue": f"(d.type = 'issue' AND substr(d.source, 1, {len(rules.SUPPLIER_RETURN_SOURCE)}) "
    f"<> '{rules.SUPPLIER_RETURN_SOURCE}')",
    "supplier_return": f"(d.type = 'issue' AND substr(d.source, 1, "
    f"{len(rules.SUPPLIER_RETURN_SOURCE)}) = '{rules.SUPPLIER_RETURN_SOURCE}')",
    # the leaving warehouse's side only; its reversal lands in the same warehouse
    "transfer": "(d.type = 'transfer' AND l.warehouse_id = d.warehouse_id)",
    # losses, and the reversals that take them back
    "adjustment": "(d.type = 'adjustment' AND ((l.quantity < 0 AND NOT l.reversal) "
    "OR (l.quantity > 0 AND l.reversal)))",
}

_PG_TRUNC = {"D": "day", "W": "week", "M": "month"}  # date_trunc's week starts on Monday
_SQLITE_BUCKET = {
    "D": "date({0})",
    "W": "date({0}, 'weekday 0', '-6 days')",  # the Sunday on or after, back to its Monday
    "M": "date({0}, 'start of month')",
}

_HISTORY_SQL = """
WITH demand AS (
  SELECT l.item_id, l.warehouse_id, {doc_period} AS period, SUM(-l.quantity) AS qty
  FROM stock_ledger l JOIN stock_document d ON d.id = l.document_id
  WHERE l.posted_at >= :start AND d.posted_at >= :start AND d.posted_at < :stop
    AND ({kinds}) {scope}
  GROUP BY l.item_id, l.warehouse_id, {doc_period}
), moves AS (
  SELECT l.item_id, l.warehouse_id, {move_period} AS period, MAX(l.id) AS last_id,
         MAX(CASE WHEN l.quantity > 0 THEN 1 ELSE 0 END) AS inbound
  FROM stock_ledger l
  WHERE l.posted_at >= :start AND l.posted_at < :stop {scope}
  GROUP BY l.item_id, l.warehouse_id, {move_period}
), opening AS (
  SELECT l.item_id, l.warehouse_id, MAX(l.id) AS last_id
  FROM stock_ledger l
  WHERE l.posted_at < :start {scope}
  GROUP BY l.item_id, l.warehouse_id
), parts AS (
  SELECT 'd' AS part, item_id, warehouse_id, period, qty, NULL AS balance, 0 AS inbound
  FROM demand
  UNION ALL
  SELECT 'm', m.item_id, m.warehouse_id, m.period, NULL, b.balance_quantity, m.inbound
  FROM moves m JOIN stock_ledger b ON b.id = m.last_id
  UNION ALL
  SELECT 'o', o.item_id, o.warehouse_id, NULL, NULL, b.balance_quantity, 0
  FROM opening o JOIN stock_ledger b ON b.id = o.last_id
)
SELECT p.part, p.item_id, p.warehouse_id, p.period, p.qty, p.balance, p.inbound
FROM parts p
JOIN item i ON i.id = p.item_id AND i.active
JOIN warehouse w ON w.id = p.warehouse_id AND w.active
"""


def service_zone() -> tzinfo:
    return clock.service_zone()


def period_start(day: date, freq: str) -> date:
    """The first day of the period holding ``day``."""
    if freq == "W":
        return day - timedelta(days=day.weekday())
    if freq == "M":
        return day.replace(day=1)
    return day


def periods(start: date, end: date, freq: str) -> pd.DatetimeIndex:
    """Every period from the one holding ``start`` to the one holding ``end``."""
    return pd.date_range(period_start(start, freq), period_start(end, freq), freq=PANDAS_FREQ[freq])


def demand_history(
    *,
    freq: str,
    start: date,
    end: date,
    kinds: Sequence[str] = rules.DEFAULT_DEMAND_KINDS,
    item_ids: Sequence[int] | None = None,
    warehouse_ids: Sequence[int] | None = None,
    zone: tzinfo | None = None,
) -> pd.DataFrame:
    """Demand per active item and warehouse with ledger history, in every period from the one
    holding ``start`` to the one holding ``end`` (days of the service time zone, both included).

    Returns ``[item_id, warehouse_id, period, qty, stocked_out]``: ``period`` the Timestamp of
    the period's first day (a Monday for ``W``, the 1st for ``M``), ``qty`` a float (0 where
    nothing happened), ``stocked_out`` as the module says. The first and last periods count
    only the days inside ``start``..``end``. Sorted by item, warehouse, period.
    """
    freq = rules.check_freq(freq)
    kinds = rules.check_kinds(kinds)
    if end < start:
        return _empty()
    zone = zone or service_zone()
    bounds = {
        "start": datetime.combine(start, time.min, zone).astimezone(UTC),
        "stop": datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC),
    }
    rows = _fetch(freq, kinds, bounds, zone, item_ids, warehouse_ids)
    return _fill(rows, periods(start, end, freq))


_FETCHED = ["part", "item_id", "warehouse_id", "period", "qty", "balance", "inbound"]


def _fetch(freq, kinds, bounds, zone, item_ids, warehouse_ids) -> pd.DataFrame:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return _fetch_postgresql(freq, kinds, bounds, zone, item_ids, warehouse_ids)
    scope, params, binds = "", dict(bounds), []
    if item_ids is not None:
        scope += " AND l.item_id IN :item_ids"
        params["item_ids"] = [int(i) for i in item_ids] or [-1]
        binds.append(bindparam("item_ids", expanding=True))
    if warehouse_ids is not None:
        scope += " AND l.warehouse_id IN :warehouse_ids"
        params["warehouse_ids"] = [int(i) for i in warehouse_ids] or [-1]
        binds.append(bindparam("warehouse_ids", expanding=True))
    if dialect == "postgresql":
        params["zone"] = str(zone)
        bucket = f"date_trunc('{_PG_TRUNC[freq]}', ({{0}}) AT TIME ZONE :zone)::date"
    else:
        bucket = _SQLITE_BUCKET[freq].format(_sqlite_local("{0}", zone, bounds))
    sql = _HISTORY_SQL.format(
        doc_period=bucket.format("d.posted_at"),
        move_period=bucket.format("l.posted_at"),
        kinds=" OR ".join(_KIND_SQL[k] for k in kinds),
        scope=scope,
    )
    statement = text(sql).bindparams(
        bindparam("start", type_=UtcDateTime()), bindparam("stop", type_=UtcDateTime()), *binds
    )
    result = db.session.execute(statement, params).all()
    return pd.DataFrame.from_records(result, columns=_FETCHED)


def _fetch_postgresql(freq, kinds, bounds, zone, item_ids, warehouse_ids) -> pd.DataFrame:
    """The same statement through ``driver``: a chunk of a reorder run reads ~100,000 rows, and
    SQLAlchemy's row processing and numeric-to-Decimal conversion cost about as much as the
    query; quantities come as float8 (whole thousandths, exact) and id lists as array literals."""
    scope, params = "", {**bounds, "zone": str(zone)}
    if item_ids is not None:
        scope += " AND l.item_id = ANY(%(item_ids)s::int[])"
        params["item_ids"] = driver.int_array(int(i) for i in item_ids) if item_ids else "{-1}"
    if warehouse_ids is not None:
        scope += " AND l.warehouse_id = ANY(%(warehouse_ids)s::int[])"
        params["warehouse_ids"] = (
            driver.int_array(int(i) for i in warehouse_ids) if warehouse_ids else "{-1}"
        )
    bucket = f"date_trunc('{_PG_TRUNC[freq]}', ({{0}}) AT TIME ZONE %(zone)s)::date"
    sql = _HISTORY_SQL.format(
        doc_period=bucket.format("d.posted_at"),
        move_period=bucket.format("l.posted_at"),
        kinds=" OR ".join(_KIND_SQL[k] for k in kinds),
        scope=scope,
    )
    sql = sql.replace(":start", "%(start)s").replace(":stop", "%(stop)s")
    sql = sql.replace("p.qty, p.balance,", "p.qty::float8, p.balance::float8,")
    found = driver.execute(db.session, sql, params, prepare=False).fetchall()
    return pd.DataFrame.from_records(found, columns=_FETCHED)


def _sqlite_local(column: str, zone: tzinfo, bounds: dict) -> str:
    """SQLite text for ``column`` (stored UTC) as local time in ``zone``: the offset in force at
    each instant, switched at the zone's transitions near the window (our own literals only)."""
    stretch = (bounds["start"] - timedelta(days=2), bounds["stop"] + timedelta(days=2))
    spans = offsets(zone, *stretch)
    if len(spans) == 1:
        return f"datetime({column}, '{spans[0][1]:+d} seconds')"
    branches = " ".join(
        f"WHEN {column} < '{until:%Y-%m-%d %H:%M:%S}' THEN '{offset:+d} seconds'"
        for until, offset in spans[:-1]
    )
    return f"datetime({column}, CASE {branches} ELSE '{spans[-1][1]:+d} seconds' END)"


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": pd.Series(dtype="int64"),
            "warehouse_id": pd.Series(dtype="int64"),
            "period": pd.Series(dtype="datetime64[ns]"),
            "qty": pd.Series(dtype="float64"),
            "stocked_out": pd.Series(dtype="bool"),
        }
    )


def _fill(rows: pd.DataFrame, grid_periods: pd.DatetimeIndex) -> pd.DataFrame:
    """Every (item, warehouse) with a movement or a balance × every period, vectorised."""
    state = rows[rows["part"] != "d"]
    if state.empty or grid_periods.empty:
        return _empty()
    keys = ["item_id", "warehouse_id"]
    pairs = state[keys].drop_duplicates().astype("int64").sort_values(keys)
    n = len(grid_periods)
    grid = pd.DataFrame(
        {
            "item_id": np.repeat(pairs["item_id"].to_numpy(), n),
            "warehouse_id": np.repeat(pairs["warehouse_id"].to_numpy(), n),
            "period": np.tile(grid_periods.to_numpy(), len(pairs)),
        }
    )
    dated = rows[rows["part"] != "o"].assign(period=lambda f: pd.to_datetime(f["period"]))
    dated = dated.astype({"item_id": "int64", "warehouse_id": "int64"})
    demand = dated[dated["part"] == "d"].groupby([*keys, "period"])["qty"].sum()
    moves = dated[dated["part"] == "m"].set_index([*keys, "period"])[["balance", "inbound"]]
    grid = grid.join(demand.astype(float), on=[*keys, "period"]).join(moves, on=[*keys, "period"])
    opening = (
        rows[rows["part"] == "o"]
        .astype({"item_id": "int64", "warehouse_id": "int64"})
        .set_index(keys)["balance"]
        .astype(float)
        .rename("opening")
    )
    grid = grid.join(opening, on=keys)
    closing = grid["balance"].astype(float).groupby([grid["item_id"], grid["warehouse_id"]]).ffill()
    at_start = closing.groupby([grid["item_id"], grid["warehouse_id"]]).shift(1)
    at_start = at_start.fillna(grid["opening"]).fillna(0.0)
    inbound = grid["inbound"].fillna(0).astype(float) > 0
    out = grid[[*keys, "period"]].copy()
    out["qty"] = grid["qty"].fillna(0.0).astype(float) / QTY_SCALE
    out["stocked_out"] = ((at_start <= 0) & ~inbound).to_numpy()
    return out.reset_index(drop=True)


_TOTALS_SQL = """
SELECT l.item_id, l.warehouse_id, SUM(-l.quantity) AS qty
FROM stock_ledger l JOIN stock_document d ON d.id = l.document_id
WHERE l.posted_at >= :start AND d.posted_at >= :start AND d.posted_at < :stop AND ({kinds})
GROUP BY l.item_id, l.warehouse_id
"""


def demand_totals(
    *,
    start: date,
    end: date,
    kinds: Sequence[str] = rules.DEFAULT_DEMAND_KINDS,
    zone: tzinfo | None = None,
) -> pd.DataFrame:
    """Total demand per item and warehouse over ``start``..``end`` (service days), by the same
    rules as ``demand_history``, in one grouped query: ``[item_id, warehouse_id, qty]``; only
    pairs with movements of those kinds."""
    kinds = rules.check_kinds(kinds)
    zone = zone or service_zone()
    params = {
        "start": datetime.combine(start, time.min, zone).astimezone(UTC),
        "stop": datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC),
    }
    statement = text(_TOTALS_SQL.format(kinds=" OR ".join(_KIND_SQL[k] for k in kinds))).bindparams(
        bindparam("start", type_=UtcDateTime()), bindparam("stop", type_=UtcDateTime())
    )
    rows = db.session.execute(statement, params).all()
    frame = pd.DataFrame.from_records(rows, columns=["item_id", "warehouse_id", "qty"])
    frame["qty"] = frame["qty"].astype(float) / QTY_SCALE
    return frame.astype({"item_id": "int64", "warehouse_id": "int64"})
