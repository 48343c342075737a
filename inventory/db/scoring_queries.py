"""Reads and writes for supplier scoring: the window's deliveries as one DataFrame, and the
``supplier_score`` table.

The deliveries come back in one query with plain numbers, not ``Decimal`` objects: quantities
and prices are the fixed-point integers the columns hold (see ``inventory.db.types``), scaled
once per column in pandas. Days are whole days since 1970-01-01: a promised date as it is, a
moment (received, ordered) as its calendar day in the service time zone (``SERVICE_TIME_ZONE``),
so the window ``start``..``end`` is those whole local days. PostgreSQL computes the local day
(``AT TIME ZONE``); SQLite, which knows no zones, sends whole epoch seconds that
``inventory.db.zones.local_days`` turns into local days, daylight saving included. On
PostgreSQL the rows travel as CSV through COPY, so no Python object is made per value
(docs/performance.md, "Procurement", has the timings).
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import numpy as np
import pandas as pd
from psycopg import sql as pgsql
from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from inventory import clock
from inventory.db.base import db
from inventory.db.procurement_models import GoodsReceipt, GoodsReceiptLine, Supplier, SupplierScore
from inventory.db.types import UtcDateTime
from inventory.db.zones import local_days

QTY_SCALE, PRICE_SCALE, RATE_SCALE = 1e3, 1e4, 1e6

# Per database: days since 1970-01-01 of a timestamp's day in the service zone (on SQLite its
# whole seconds since 1970, made local days by ``_fetch_sqlite``); days since 1970-01-01 of a
# date; a timestamp's seconds with their fraction (for ordering).
_DAY_OF = {
    "postgresql": (
        "(({0}) AT TIME ZONE :zone)::date - DATE '1970-01-01'",
        "({0}) - DATE '1970-01-01'",
        "EXTRACT(EPOCH FROM {0})",
    ),
    "sqlite": (
        "CAST(strftime('%s', {0}) AS INTEGER)",
        "CAST(julianday({0}) - 2440587.5 AS INTEGER)",
        "(julianday({0}) - 2440587.5) * 86400.0",
    ),
}

_WINDOW = "gr.status = 'posted' AND gr.received_at >= :start AND gr.received_at < :stop"
_EARLIER = f"""
LEFT JOIN (
    -- What the window's order lines had accepted before it opened (an in-full delivery may
    -- complete a line begun earlier). A semi-join the planner can hash, not a loop per line.
    SELECT grl.po_line_id, SUM(grl.accepted) AS accepted
    FROM goods_receipt gr
    JOIN goods_receipt_line grl ON grl.receipt_id = gr.id
    WHERE gr.status = 'posted' AND gr.received_at < :start
      AND grl.po_line_id IN (
          SELECT grl.po_line_id FROM goods_receipt gr
          JOIN goods_receipt_line grl ON grl.receipt_id = gr.id
          WHERE {_WINDOW})
    GROUP BY grl.po_line_id
) earlier ON earlier.po_line_id = grl.po_line_id
"""
_DELIVERIES = f"""
SELECT grl.id, gr.supplier_id, grl.po_line_id, grl.item_id, {{received_ts}}, {{received_day}},
       grl.received, grl.accepted, pol.quantity - pol.cancelled_quantity, {{promised_day}},
       {{ordered_day}}, grl.unit_price, po.exchange_rate, po.currency,
       COALESCE(earlier.accepted, 0)
FROM goods_receipt gr
JOIN goods_receipt_line grl ON grl.receipt_id = gr.id
JOIN purchase_order_line pol ON pol.id = grl.po_line_id
JOIN purchase_order po ON po.id = pol.order_id
{_EARLIER}
WHERE {_WINDOW}
"""
# What on time and in full need, no more: no order (its date, rate and currency), no prices,
# and nothing from before the window (``accepted_before`` reads that for the lines it concerns).
# Only the order lines with a promised delivery in the window: a delivery without a promise is
# judged neither on time nor OTIF, and what it accepted only counts towards the in full of its
# own line's later deliveries. A line has a promise when the order line holds one (all its
# deliveries fall back to it) or one of its receipt lines in the window does: one set of line
# ids, semi-joined before the receipt lines are, so lines without a promise are not joined.
_OTIF_DELIVERIES = f"""
SELECT grl.id, gr.supplier_id, grl.po_line_id, {{received_ts}}, {{received_day}},
       grl.received, grl.accepted, pol.quantity - pol.cancelled_quantity, {{promised_day}}, 0
FROM goods_receipt gr
JOIN goods_receipt_line grl ON grl.receipt_id = gr.id
JOIN purchase_order_line pol ON pol.id = grl.po_line_id
WHERE {_WINDOW}
  AND grl.po_line_id IN (
      SELECT id FROM purchase_order_line WHERE promised_date IS NOT NULL
      UNION ALL
      SELECT grl.po_line_id FROM goods_receipt gr
      JOIN goods_receipt_line grl ON grl.receipt_id = gr.id
      WHERE grl.promised_date IS NOT NULL AND {_WINDOW})
"""
COLUMNS = [
    "line_id",
    "supplier_id",
    "po_line_id",
    "item_id",
    "received_ts",
    "received_day",
    "received",
    "accepted",
    "required",
    "promised_day",
    "ordered_day",
    "unit_price",
    "exchange_rate",
    "currency",
    "accepted_before",
]


OTIF_COLUMNS = [
    "line_id",
    "supplier_id",
    "po_line_id",
    "received_ts",
    "received_day",
    "received",
    "accepted",
    "required",
    "promised_day",
    "accepted_before",
]


def _deliveries_sql(dialect: str, template: str = _DELIVERIES) -> str:
    stamp, day, epoch = _DAY_OF["postgresql" if dialect == "postgresql" else "sqlite"]
    return template.format(
        received_ts=epoch.format("gr.received_at"),
        received_day=stamp.format("gr.received_at"),
        # The receipt line keeps the promise and the order date as they were when it was
        # received; older rows without them fall back to the order's.
        promised_day=day.format("COALESCE(grl.promised_date, pol.promised_date)"),
        ordered_day=stamp.format("COALESCE(grl.ordered_at, po.sent_at)"),
    )


def _fetch_postgresql(query: str, bounds: dict, columns: list[str], zone: tzinfo) -> pd.DataFrame:
    """The rows as CSV through COPY: PostgreSQL writes the text, pandas parses it in C; no
    Python object per value. COPY takes no parameters, so the two bounds (our own datetimes)
    and the zone's name (the service's setting) go in as quoted literals."""
    placeholders = query.replace(":start", "{start}").replace(":stop", "{stop}")
    composed = pgsql.SQL(placeholders.replace(":zone", "{zone}")).format(
        start=pgsql.Literal(bounds["start"]),
        stop=pgsql.Literal(bounds["stop"]),
        zone=pgsql.Literal(str(zone)),
    )
    buffer = io.BytesIO()
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as cursor:
        copy_sql = pgsql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv)").format(composed)
        with cursor.copy(copy_sql) as copy:
            for block in copy:
                buffer.write(block)
    if not buffer.tell():
        return pd.DataFrame(columns=columns)
    buffer.seek(0)
    return pd.read_csv(buffer, header=None, names=columns, keep_default_na=False, na_values=[""])


def _fetch_sqlite(query: str, bounds: dict, columns: list[str], zone: tzinfo) -> pd.DataFrame:
    statement = text(query).bindparams(
        bindparam("start", type_=UtcDateTime()), bindparam("stop", type_=UtcDateTime())
    )
    rows = db.session.execute(statement, bounds).all()
    raw = pd.DataFrame.from_records(rows, columns=columns, coerce_float=False)
    for column in ("received_day", "ordered_day"):  # whole seconds so far
        if column in raw:
            seconds = pd.to_numeric(raw[column]).to_numpy(dtype="float64")
            raw[column] = local_days(seconds, zone)
    return raw


def deliveries(
    start: date, end: date, base_currency: str, zone: tzinfo | None = None
) -> pd.DataFrame:
    """Posted receipt lines received from ``start`` to ``end`` (both included, whole days of
    ``zone``, the service time zone by default), sorted by order line and time, in the frame
    ``inventory.services.score_frame`` reads: quantities in units, received and ordered days
    as days of ``zone``, ``base_unit_price`` in base currency (NaN when the order's rate is
    unknown)."""
    raw = _fetch(start, end, _DELIVERIES, COLUMNS, zone)
    frame = _common(raw, ["item_id"])
    frame["ordered_day"] = pd.to_numeric(raw["ordered_day"]).astype("float64")
    # An order in the base currency without a rate is at rate 1; in another currency it is
    # left out of the price comparison rather than guessed.
    rate = pd.to_numeric(raw["exchange_rate"]).astype("float64") / RATE_SCALE
    rate = rate.where(rate.notna(), np.where(raw["currency"] == base_currency, 1.0, np.nan))
    frame["base_unit_price"] = pd.to_numeric(raw["unit_price"]).astype("float64") / PRICE_SCALE
    frame["base_unit_price"] *= rate
    return frame.reset_index(drop=True)


def otif_deliveries(start: date, end: date, zone: tzinfo | None = None) -> pd.DataFrame:
    """The frame ``deliveries`` gives, with only what on time and in full are judged from
    (``score_frame.judged_deliveries``): no ``item_id`` or ``base_unit_price``, ``ordered_day``
    NaN (it only feeds the lead-time spread) and ``accepted_before`` 0 — the caller reads it
    with ``accepted_before`` for the lines where it can change a judgement — and only the
    deliveries of order lines with a promised delivery in the window (the others are judged
    neither on time nor OTIF, and change no other line's judgement). Reads neither the orders
    nor the prices nor the receipts before ``start``, for the KPIs."""
    frame = _common(_fetch(start, end, _OTIF_DELIVERIES, OTIF_COLUMNS, zone), [])
    frame["ordered_day"] = np.nan
    return frame.reset_index(drop=True)


def accepted_before(po_line_ids, start: date, zone: tzinfo | None = None) -> pd.Series:
    """Per order line of ``po_line_ids``: units accepted by posted receipts received before
    ``start`` (a day of ``zone``, the service time zone by default), as ``deliveries`` gives them
    in ``accepted_before``; lines with none are left out."""
    zone = zone or clock.service_zone()
    grl, gr = GoodsReceiptLine, GoodsReceipt
    query = (
        select(grl.po_line_id, func.sum(grl.accepted))
        .join(gr, gr.id == grl.receipt_id)
        .where(
            gr.status == "posted",
            gr.received_at < datetime.combine(start, time.min, zone).astimezone(UTC),
            grl.po_line_id.in_([int(i) for i in po_line_ids]),
        )
        .group_by(grl.po_line_id)
    )
    found = dict(db.session.execute(query).all())
    return pd.Series({k: float(v) for k, v in found.items()}, dtype="float64")


def _fetch(
    start: date, end: date, template: str, columns: list[str], zone: tzinfo | None
) -> pd.DataFrame:
    """The rows of ``template`` for receipts from ``start`` to ``end`` (both included, whole
    days of ``zone``, the service time zone by default), sorted by order line and time."""
    dialect = db.session.get_bind().dialect.name
    zone = zone or clock.service_zone()
    bounds = {
        "start": datetime.combine(start, time.min, zone).astimezone(UTC),
        "stop": datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC),
    }
    query = _deliveries_sql(dialect, template)
    fetch = _fetch_postgresql if dialect == "postgresql" else _fetch_sqlite
    raw = fetch(query, bounds, columns, zone)
    return raw.sort_values(["po_line_id", "received_ts", "line_id"], kind="mergesort")


def _common(raw: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """The ids, days and quantities (in units) both frames share."""
    keys = ["line_id", "supplier_id", "po_line_id", *ids, "received_day"]
    frame = raw[keys].astype("int64")
    for column in ("received", "accepted", "required", "accepted_before"):
        frame[column] = pd.to_numeric(raw[column]).astype("float64") / QTY_SCALE
    frame["promised_day"] = pd.to_numeric(raw["promised_day"]).astype("float64")
    return frame


# --- the supplier_score table -------------------------------------------------------------------


def stored_scores():
    """The stored scores with their supplier, best first (a query for ``listing``)."""
    return (
        select(
            SupplierScore.supplier_id,
            Supplier.code.label("supplier_code"),
            Supplier.name.label("supplier_name"),
            SupplierScore.score,
            SupplierScore.grade,
            SupplierScore.deliveries,
            SupplierScore.computed_at,
            SupplierScore.parts,
            SupplierScore.trend,
        )
        .join(Supplier, Supplier.id == SupplierScore.supplier_id)
        .order_by(SupplierScore.score.desc(), SupplierScore.supplier_id)
    )


def stored_score(supplier_id: int) -> dict | None:
    row = db.session.execute(
        stored_scores().where(SupplierScore.supplier_id == supplier_id)
    ).first()
    return dict(row._mapping) if row else None


def supplier_names(ids) -> dict[int, tuple[str, str]]:
    """``{supplier id: (code, name)}`` for ``ids`` (all suppliers when ``ids`` is None)."""
    query = select(Supplier.id, Supplier.code, Supplier.name)
    if ids is not None:
        query = query.where(Supplier.id.in_([int(i) for i in ids]))
    return {r.id: (r.code, r.name) for r in db.session.execute(query)}


def supplier_exists(supplier_id: int) -> bool:
    return db.session.scalar(select(func.count()).where(Supplier.id == supplier_id)) > 0


def replace_scores(rows: list[dict], computed_at: datetime) -> int:
    """Upsert ``rows`` (one per supplier, all stamped ``computed_at``) and delete the rows of
    suppliers this run did not score; returns how many were deleted. Caller owns the
    transaction."""
    session = db.session
    table = SupplierScore.__table__
    if rows:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.supplier_id],
            set_={c: statement.excluded[c] for c in rows[0] if c != "supplier_id"},
        )
        session.execute(statement, rows)
    deleted = session.execute(delete(table).where(table.c.computed_at < computed_at))
    return deleted.rowcount or 0
