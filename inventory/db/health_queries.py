"""Stock health read models: ageing of the stock on hand, slow-moving and dead stock, the kept
ABC/XYZ classes. Each is one grouped SQL statement; Python only shapes the aggregated rows.

Ageing rule for FIFO items (``item.valuation_method = 'fifo'``): the stock on hand is exactly
their open cost layers (``fifo_layer`` rows with quantity remaining), each aged by the day it was
first received (kept across transfers) and valued at its remaining value, so the buckets carry
the layers' own costs, not an average.

Ageing rule for moving-average items: the quantity on hand is taken to be what came in most
recently. Inbound movements (positive ledger rows that are not reversals, of documents not
cancelled: receipts, transfers in, stock found) are walked newest first with a running sum (a
window function); each contributes until the running sum reaches the quantity on hand, the one
that crosses it only in part. Each contribution is aged by its posting day. Value is spread over
the buckets at the balance's average cost, the oldest bucket taking the rounding remainder so the
buckets add up to the balance value to the cent.

Both: on-hand quantity (and, for FIFO, value) no layer explains (none should) falls in the oldest
bucket, so the buckets always add up to the balance.

Speed: the inbound rows come from the partial covering index ``ix_stock_ledger_inbound``
(index-only, already in the window's order) and cancelled documents, which are few, are an
anti-join rather than a document lookup per ledger row.

``_LAYERS`` yields ``(item_id, warehouse_id, posted_at, quantity, value, ord)`` for the stock
a pair could hold: open cost layers for FIFO items (``value`` their remaining value), inbound
ledger rows for the others (``value`` NULL: valued later at the average cost).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, text

from inventory import clock
from inventory.db.base import db
from inventory.db.types import UtcDateTime
from inventory.errors import NotFound

BUCKETS = ("0_30", "31_90", "91_180", "181_365", "over_365")
# The first day (counted back from today) of each bucket but the last.
_BUCKET_DAYS = (30, 90, 180, 365)
Q = Decimal("0.001")
CENT = Decimal("0.01")


def _qty(raw) -> Decimal:
    return Decimal(int(raw or 0)).scaleb(-3)


def _money(raw) -> Decimal:
    return Decimal(int(raw or 0)).scaleb(-2)


def day_start(day: date) -> datetime:
    """The first moment of ``day`` in the service time zone, in UTC."""
    return datetime.combine(day, time.min, clock.service_zone()).astimezone(UTC)


def check_known(
    *,
    item_id: int | None = None,
    warehouse_id: int | None = None,
    cost_centre_id: int | None = None,
) -> None:
    """A filter naming an id that does not exist is a 404, not a silently empty report."""
    for name, table, value in (
        ("item_id", "item", item_id),
        ("warehouse_id", "warehouse", warehouse_id),
        ("cost_centre_id", "cost_centre", cost_centre_id),
    ):
        if value is None:
            continue
        found = db.session.execute(text(f"SELECT 1 FROM {table} WHERE id = :id"), {"id": value})
        if found.first() is None:
            raise NotFound(
                f"The filter {name}={value} names no {table}: no {table} with id {value}."
            )


def _scope(item_id, warehouse_id, category) -> tuple[str, dict]:
    where, params = "", {}
    if item_id is not None:
        where += " AND b.item_id = :item_id"
        params["item_id"] = item_id
    if warehouse_id is not None:
        where += " AND b.warehouse_id = :warehouse_id"
        params["warehouse_id"] = warehouse_id
    if category is not None:
        where += " AND i.category = :category"
        params["category"] = category
    return where, params


_ONHAND = """
  SELECT b.item_id, b.warehouse_id, b.quantity AS qty, b.value AS value,
         i.valuation_method AS method
  FROM stock_balance b JOIN item i ON i.id = b.item_id
  WHERE b.quantity > 0 {scope}
"""

_LAYERS = """
  SELECT l.item_id, l.warehouse_id, l.posted_at, l.quantity, CAST(NULL AS BIGINT) AS value,
         l.id AS ord
  FROM stock_ledger l
  JOIN page o ON o.item_id = l.item_id AND o.warehouse_id = l.warehouse_id
  WHERE o.method <> 'fifo' AND l.quantity > 0 AND NOT l.reversal
    AND NOT EXISTS (
      SELECT 1 FROM stock_document d WHERE d.id = l.document_id AND d.status = 'cancelled')
  UNION ALL
  SELECT f.item_id, f.warehouse_id, f.received_at, f.remaining_quantity, f.remaining_value, f.id
  FROM fifo_layer f
  JOIN page o ON o.item_id = f.item_id AND o.warehouse_id = f.warehouse_id
  WHERE o.method = 'fifo' AND f.remaining_quantity > 0
"""

_AGEING_SQL = """
WITH page AS (
  {onhand}
  ORDER BY b.item_id, b.warehouse_id
  LIMIT :limit OFFSET :offset
), layers AS ({layers}
), ranked AS (
  SELECT y.item_id, y.warehouse_id, y.posted_at, y.quantity, y.value, o.qty AS on_hand,
         SUM(y.quantity) OVER (
           PARTITION BY y.item_id, y.warehouse_id
           ORDER BY y.posted_at DESC, y.ord DESC ROWS UNBOUNDED PRECEDING) AS upto
  FROM layers y JOIN page o ON o.item_id = y.item_id AND o.warehouse_id = y.warehouse_id
), attributed AS (
  SELECT item_id, warehouse_id, posted_at,
         CASE WHEN upto <= on_hand THEN quantity ELSE on_hand - (upto - quantity) END AS qty,
         -- a FIFO layer is crossed only if layers and balance disagree: its share, truncated
         CASE WHEN upto <= on_hand THEN value
              ELSE value * (on_hand - (upto - quantity)) / quantity END AS value
  FROM ranked
  WHERE upto - quantity < on_hand
)
SELECT o.item_id, o.warehouse_id, o.qty, o.value, o.method, i.sku, i.name, i.category, w.code,
       SUM(CASE WHEN a.posted_at >= :c0 THEN a.qty ELSE 0 END) AS b0,
       SUM(CASE WHEN a.posted_at < :c0 AND a.posted_at >= :c1 THEN a.qty ELSE 0 END) AS b1,
       SUM(CASE WHEN a.posted_at < :c1 AND a.posted_at >= :c2 THEN a.qty ELSE 0 END) AS b2,
       SUM(CASE WHEN a.posted_at < :c2 AND a.posted_at >= :c3 THEN a.qty ELSE 0 END) AS b3,
       SUM(CASE WHEN a.posted_at >= :c0 THEN a.value ELSE 0 END) AS v0,
       SUM(CASE WHEN a.posted_at < :c0 AND a.posted_at >= :c1 THEN a.value ELSE 0 END) AS v1,
       SUM(CASE WHEN a.posted_at < :c1 AND a.posted_at >= :c2 THEN a.value ELSE 0 END) AS v2,
       SUM(CASE WHEN a.posted_at < :c2 AND a.posted_at >= :c3 THEN a.value ELSE 0 END) AS v3,
       MIN(a.posted_at) AS oldest, MAX(a.posted_at) AS newest
FROM page o
JOIN item i ON i.id = o.item_id
JOIN warehouse w ON w.id = o.warehouse_id
LEFT JOIN attributed a ON a.item_id = o.item_id AND a.warehouse_id = o.warehouse_id
GROUP BY o.item_id, o.warehouse_id, o.qty, o.value, o.method, i.sku, i.name, i.category, w.code
ORDER BY o.item_id, o.warehouse_id
"""


def count_on_hand(*, item_id=None, warehouse_id=None, category=None) -> int:
    scope, params = _scope(item_id, warehouse_id, category)
    sql = f"SELECT COUNT(*) FROM ({_ONHAND.format(scope=scope)}) x"
    return int(db.session.execute(text(sql), params).scalar() or 0)


def ageing(
    *,
    today: date,
    item_id: int | None = None,
    warehouse_id: int | None = None,
    category: str | None = None,
    limit: int,
    offset: int = 0,
) -> list[dict]:
    """Per item and warehouse with stock, ``limit`` rows from ``offset`` (by item, warehouse):
    the quantity on hand in each age bucket (``qty_0_30`` … ``qty_over_365``) and its value
    (``value_…``), by the rule in the module's docstring; ``today`` is the day ages count to."""
    scope, params = _scope(item_id, warehouse_id, category)
    params |= {"limit": limit, "offset": offset}
    for n, days in enumerate(_BUCKET_DAYS):
        params[f"c{n}"] = day_start(today - timedelta(days=days))
    sql = _AGEING_SQL.format(onhand=_ONHAND.format(scope=scope), layers=_LAYERS)
    statement = text(sql).bindparams(
        *(bindparam(f"c{n}", type_=UtcDateTime()) for n in range(len(_BUCKET_DAYS)))
    )
    rows = []
    for r in db.session.execute(statement, params).mappings():
        quantity, value = _qty(r["qty"]), _money(r["value"])
        dated = [_qty(r[f"b{n}"]) for n in range(4)]
        quantities = [*dated, quantity - sum(dated)]
        if r["method"] == "fifo":  # the layers' own values; the oldest bucket the rest
            priced = [_money(r[f"v{n}"]) for n in range(4)]
            values = [*priced, value - sum(priced)]
        else:
            values = _spread(value, quantity, quantities)
        row = {
            "item_id": r["item_id"],
            "sku": r["sku"],
            "name": r["name"],
            "category": r["category"],
            "warehouse_id": r["warehouse_id"],
            "warehouse_code": r["code"],
            "quantity": quantity,
            "value": value,
            "oldest_receipt_at": _moment(r["oldest"]),
            "newest_receipt_at": _moment(r["newest"]),
        }
        for name, q, v in zip(BUCKETS, quantities, values, strict=True):
            row[f"qty_{name}"], row[f"value_{name}"] = q, v
        rows.append(row)
    return rows


def _spread(value: Decimal, quantity: Decimal, parts: list[Decimal]) -> list[Decimal]:
    """``value`` over ``parts`` of ``quantity`` at one average cost: each part gets the rounded
    cumulative share less the one before it, so no part goes negative and they add up exactly."""
    shares, done, before = [], Decimal(0), Decimal(0)
    for part in parts:
        done += part
        upto = value if done == quantity else (value * done / quantity).quantize(CENT)
        shares.append(upto - before)
        before = upto
    return shares


def _moment(raw) -> datetime | None:
    return (
        None
        if raw is None
        else UtcDateTime().process_result_value(
            datetime.fromisoformat(raw) if isinstance(raw, str) else raw, None
        )
    )


_IDLE_SQL = """
WITH onhand AS ({onhand}
), outbound AS (
  SELECT l.item_id, l.warehouse_id, MAX(l.posted_at) AS last_out
  FROM stock_ledger l JOIN onhand o ON o.item_id = l.item_id AND o.warehouse_id = l.warehouse_id
  WHERE l.quantity < 0 AND NOT l.reversal
  GROUP BY l.item_id, l.warehouse_id
), inbound AS (
  SELECT l.item_id, l.warehouse_id, MIN(l.posted_at) AS first_in
  FROM stock_ledger l JOIN onhand o ON o.item_id = l.item_id AND o.warehouse_id = l.warehouse_id
  WHERE l.quantity > 0
  GROUP BY l.item_id, l.warehouse_id
), idle AS (
  SELECT o.item_id, o.warehouse_id, o.qty, o.value, x.last_out, n.first_in,
         COALESCE(x.last_out, n.first_in) AS idle_since
  FROM onhand o
  LEFT JOIN outbound x ON x.item_id = o.item_id AND x.warehouse_id = o.warehouse_id
  LEFT JOIN inbound n ON n.item_id = o.item_id AND n.warehouse_id = o.warehouse_id
)
SELECT d.item_id, d.warehouse_id, d.qty, d.value, d.last_out, d.idle_since,
       i.sku, i.name, i.category, w.code,
       CASE WHEN d.idle_since < :dead THEN 'dead' ELSE 'slow' END AS status
FROM idle d JOIN item i ON i.id = d.item_id JOIN warehouse w ON w.id = d.warehouse_id
WHERE d.idle_since < :slow {status}
ORDER BY d.idle_since, d.item_id, d.warehouse_id
LIMIT :limit OFFSET :offset
"""


def slow_moving(
    *,
    today: date,
    slow_days: int,
    dead_days: int,
    status: str | None = None,
    item_id=None,
    warehouse_id=None,
    category=None,
    limit: int,
    offset: int = 0,
) -> tuple[list[dict], int]:
    """Stock on hand that has not moved out for ``slow_days`` (``slow``) or ``dead_days``
    (``dead``): idle since its last issue, or since it first arrived when it never left. Rows
    longest idle first, and the count of all matching rows."""
    scope, params = _scope(item_id, warehouse_id, category)
    params |= {
        "slow": day_start(today - timedelta(days=slow_days - 1)),
        "dead": day_start(today - timedelta(days=dead_days - 1)),
    }
    filt = {"dead": " AND d.idle_since < :dead", "slow": " AND d.idle_since >= :dead"}
    sql = _IDLE_SQL.format(onhand=_ONHAND.format(scope=scope), status=filt.get(status, ""))
    binds = [bindparam("slow", type_=UtcDateTime()), bindparam("dead", type_=UtcDateTime())]
    counted = sql.rsplit("ORDER BY", 1)[0]
    total = db.session.execute(
        text(f"SELECT COUNT(*) FROM ({counted}) c").bindparams(*binds), params
    ).scalar()
    result = db.session.execute(
        text(sql).bindparams(*binds), params | {"limit": limit, "offset": offset}
    )
    rows = []
    for r in result.mappings():
        since = _moment(r["idle_since"])
        rows.append(
            {
                "item_id": r["item_id"],
                "sku": r["sku"],
                "name": r["name"],
                "category": r["category"],
                "warehouse_id": r["warehouse_id"],
                "warehouse_code": r["code"],
                "quantity": _qty(r["qty"]),
                "value": _money(r["value"]),
                "last_issue_at": _moment(r["last_out"]),
                "idle_since": since,
                "idle_days": (today - since.astimezone(clock.service_zone()).date()).days,
                "status": r["status"],
            }
        )
    return rows, int(total or 0)
