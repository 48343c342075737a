"""Control read models for internal audit: the exceptions report and supply risk. Each part is
one grouped SQL statement over a bounded date range; Python only shapes the rows found.

Exception kinds (``KINDS``), each row ``kind, at, actor_id, warehouse_id, item_id,
cost_centre_id, reference, quantity, value, budget_left, detail``:

- ``stocktake_variance``: a counted line of a stocktake posted in the range whose count differs
  from its book; quantity = counted − book, value = that × the book unit cost; cost centre =
  the stocktake's (where its write-offs are charged), if it has one.
- ``cancellation``: a stock document cancelled in the range; a posted one was reversed through
  the ledger (value = the value it took back), a draft one never reached it (value 0).
- ``over_budget``: a purchase request decided in the range that was over budget and approved
  all the same (its budget flags rather than refuses); value = its estimated total,
  ``budget_left`` = what its budget had left at that approval (budget − committed without it;
  null for requests flagged before migration 0011b); actor = its requester. And each time in
  the range a direct purchase order was let through over a budget that flags, on creation or
  when sent (``purchase_order_budget_flag``): value = the order's amount in base currency,
  ``budget_left`` = what the budget had left just before it (budget − committed without the
  order), actor = who created or sent it, warehouse = the order's.

With ``cost_centre_id`` only rows charged to that centre remain: variances of stocktakes,
over-budget requests and orders of the centre and cancellations of documents charged to it (the
other kinds belong to no centre).
- ``price_variance``: a receipt posted in the range whose unit cost is more than
  ``price_threshold_pct`` % away from the average cost on hand just before it (receipts into an
  empty balance have nothing to compare with); value = (unit cost − previous average) × qty.
- ``unusual_warehouse``: a document posted in the range by a user in a warehouse that holds less
  than ``unusual_share`` of that user's postings over the range and the ``LOOKBACK_DAYS`` before
  it, when the user posted at least ``MIN_POSTINGS`` documents then.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import bindparam, text

from inventory.db.base import db
from inventory.db.types import UtcDateTime
from inventory.domain.demand import SUPPLIER_RETURN_SOURCE

KINDS = ("stocktake_variance", "cancellation", "over_budget", "price_variance", "unusual_warehouse")
LOOKBACK_DAYS = 90
MIN_POSTINGS = 5
CENT = Decimal("0.01")


def _scaled(raw, places: int) -> Decimal | None:
    return None if raw is None else Decimal(int(raw)).scaleb(-places)


def _moment(raw) -> datetime | None:
    if raw is None:
        return None
    return UtcDateTime().process_result_value(
        datetime.fromisoformat(raw) if isinstance(raw, str) else raw, None
    )


def _rows(sql: str, params: dict, moments=("since", "until", "lookback")):
    binds = [bindparam(m, type_=UtcDateTime()) for m in moments if f":{m}" in sql]
    return db.session.execute(text(sql).bindparams(*binds), params).mappings().all()


def _wh(alias: str, warehouse_id) -> str:
    return "" if warehouse_id is None else f" AND {alias}.warehouse_id = :warehouse_id"


def _centre(alias: str, params: dict) -> str:
    if params.get("cost_centre_id") is None:
        return ""
    return f" AND {alias}.cost_centre_id = :cost_centre_id"


# The kinds a cost centre filter keeps: the others belong to no centre.
_CENTRED = ("stocktake_variance", "cancellation", "over_budget")


def _stocktake_variances(p, wh) -> list[dict]:
    sql = f"""
    SELECT t.id, t.posted_at, t.posted_by, t.warehouse_id, t.cost_centre_id, s.item_id,
           s.counted_quantity - s.book_quantity AS diff, s.book_unit_cost
    FROM stocktake t JOIN stocktake_line s ON s.stocktake_id = t.id
    WHERE t.status = 'posted' AND t.posted_at >= :since AND t.posted_at < :until
      AND s.counted_quantity IS NOT NULL AND s.counted_quantity <> s.book_quantity
      {_wh("t", wh)}{_centre("t", p)}
    """
    out = []
    for r in _rows(sql, p):
        qty = _scaled(r["diff"], 3)
        cost = _scaled(r["book_unit_cost"], 4) or Decimal(0)
        out.append(
            _row(
                "stocktake_variance",
                r["posted_at"],
                r["posted_by"],
                r["warehouse_id"],
                r["item_id"],
                f"stocktake:{r['id']}",
                qty,
                (qty * cost).quantize(CENT, ROUND_HALF_EVEN),
                "counted differs from book",
                cost_centre_id=r["cost_centre_id"],
            )
        )
    return out


def _cancellations(p, wh) -> list[dict]:
    sql = f"""
    SELECT d.id, d.type, d.cancelled_at, d.cancelled_by, d.warehouse_id, d.posted_at,
           d.cost_centre_id,
           (SELECT SUM(l.value) FROM stock_ledger l
            WHERE l.document_id = d.id AND l.reversal) AS reversed
    FROM stock_document d
    WHERE d.status = 'cancelled' AND d.cancelled_at >= :since AND d.cancelled_at < :until
      {_wh("d", wh)}{_centre("d", p)}
    """
    out = []
    for r in _rows(sql, p):
        reversed_value = abs(_scaled(r["reversed"], 2) or Decimal(0))
        detail = (
            f"posted {r['type']} reversed"
            if r["posted_at"] is not None
            else f"draft {r['type']} cancelled"
        )
        out.append(
            _row(
                "cancellation",
                r["cancelled_at"],
                r["cancelled_by"],
                r["warehouse_id"],
                None,
                f"stock_document:{r['id']}",
                None,
                reversed_value,
                detail,
                cost_centre_id=r["cost_centre_id"],
            )
        )
    return out


def _over_budget(p, wh) -> list[dict]:
    return _requests_over_budget(p, wh) + _orders_over_budget(p, wh)


def _requests_over_budget(p, wh) -> list[dict]:
    if wh is not None:
        return []  # requests belong to cost centres, not warehouses
    sql = f"""
    SELECT r.id, r.decided_at, r.requester_id, r.cost_centre_id, r.total, r.budget_left,
           r.status
    FROM purchase_request r
    WHERE r.over_budget AND r.status IN ('approved', 'ordered', 'closed')
      AND r.decided_at >= :since AND r.decided_at < :until {_centre("r", p)}
    """
    out = []
    for r in _rows(sql, p):
        total, left = _scaled(r["total"], 2), _scaled(r["budget_left"], 2)
        # NULL: flagged before 0011b_control_centres, which did not keep the figure.
        figures = "" if left is None else f": {left} left, over by {total - left}"
        out.append(
            _row(
                "over_budget",
                r["decided_at"],
                r["requester_id"],
                None,
                None,
                f"purchase_request:{r['id']}",
                None,
                total,
                f"approved over budget{figures} (now {r['status']})",
                cost_centre_id=r["cost_centre_id"],
                budget_left=left,
            )
        )
    return out


_STAGE = {"create": "created", "send": "sent"}


def _orders_over_budget(p, wh) -> list[dict]:
    sql = f"""
    SELECT f.order_id, f.stage, f.at, f.actor_id, f.amount, f.budget_left, o.warehouse_id,
           o.cost_centre_id, o.status, b.period
    FROM purchase_order_budget_flag f
    JOIN purchase_order o ON o.id = f.order_id
    JOIN budget b ON b.id = f.budget_id
    WHERE f.at >= :since AND f.at < :until {_wh("o", wh)}{_centre("o", p)}
    """
    out = []
    for r in _rows(sql, p):
        amount, left = _scaled(r["amount"], 2), _scaled(r["budget_left"], 2)
        out.append(
            _row(
                "over_budget",
                r["at"],
                r["actor_id"],
                r["warehouse_id"],
                None,
                f"purchase_order:{r['order_id']}",
                None,
                amount,
                f"direct order {_STAGE[r['stage']]} over budget {r['period']}: {left} left, "
                f"over by {amount - left} (now {r['status']})",
                cost_centre_id=r["cost_centre_id"],
                budget_left=left,
            )
        )
    return out


def _price_variances(p, wh) -> list[dict]:
    # Scaled integers: unit_cost ×1e4 × quantity ×1e3 against value ×1e2 × 1e5; the 1.0 turns
    # the products into numeric/real so a large product cannot overflow a bigint.
    sql = f"""
    SELECT x.* FROM (
      SELECT l.id, l.document_id, l.posted_at, l.actor_id, l.warehouse_id, l.item_id, l.quantity,
             l.unit_cost, l.balance_quantity - l.quantity AS prev_qty,
             l.balance_value - l.value AS prev_value
      FROM stock_ledger l JOIN stock_document d ON d.id = l.document_id
      WHERE d.type = 'receipt' AND NOT l.reversal
        AND l.posted_at >= :since AND l.posted_at < :until {_wh("l", wh)}
    ) x
    WHERE x.prev_qty > 0 AND x.prev_value > 0
      AND ABS(x.unit_cost * 1.0 * x.prev_qty - x.prev_value * 100000.0)
          > :ratio * x.prev_value * 100000.0
    """
    out = []
    for r in _rows(sql, p):
        prev = _scaled(r["prev_value"], 2) / _scaled(r["prev_qty"], 3)
        cost, qty = _scaled(r["unit_cost"], 4), _scaled(r["quantity"], 3)
        out.append(
            _row(
                "price_variance",
                r["posted_at"],
                r["actor_id"],
                r["warehouse_id"],
                r["item_id"],
                f"stock_document:{r['document_id']}",
                qty,
                ((cost - prev) * qty).quantize(CENT, ROUND_HALF_EVEN),
                f"unit cost {cost} against average {prev.quantize(Decimal('0.0001'))} "
                f"({((cost - prev) / prev * 100).quantize(Decimal('0.1'))}%)",
            )
        )
    return out


def _unusual_warehouse(p, wh) -> list[dict]:
    sql = f"""
    WITH shares AS (
      SELECT posted_by, warehouse_id, COUNT(*) AS n,
             SUM(COUNT(*)) OVER (PARTITION BY posted_by) AS total
      FROM stock_document
      WHERE status IN ('posted', 'cancelled') AND posted_at IS NOT NULL
        AND posted_at >= :lookback AND posted_at < :until
      GROUP BY posted_by, warehouse_id
    )
    SELECT d.id, d.posted_at, d.posted_by, d.warehouse_id, s.n, s.total
    FROM stock_document d
    JOIN shares s ON s.posted_by = d.posted_by AND s.warehouse_id = d.warehouse_id
    WHERE d.posted_at >= :since AND d.posted_at < :until
      AND s.total >= :min_postings AND s.n < :share * s.total {_wh("d", wh)}
    """
    return [
        _row(
            "unusual_warehouse",
            r["posted_at"],
            r["posted_by"],
            r["warehouse_id"],
            None,
            f"stock_document:{r['id']}",
            None,
            None,
            f"{int(r['n'])} of the user's {int(r['total'])} postings are in this warehouse",
        )
        for r in _rows(sql, p)
    ]


def _row(
    kind,
    at,
    actor_id,
    warehouse_id,
    item_id,
    reference,
    quantity,
    value,
    detail,
    *,
    cost_centre_id=None,
    budget_left=None,
) -> dict:
    return {
        "kind": kind,
        "at": _moment(at),
        "actor_id": actor_id,
        "warehouse_id": warehouse_id,
        "item_id": item_id,
        "cost_centre_id": cost_centre_id,
        "reference": reference,
        "quantity": quantity,
        "value": value,
        "budget_left": budget_left,
        "detail": detail,
    }


_PARTS = {
    "stocktake_variance": _stocktake_variances,
    "cancellation": _cancellations,
    "over_budget": _over_budget,
    "price_variance": _price_variances,
    "unusual_warehouse": _unusual_warehouse,
}


def exceptions(
    *,
    since: datetime,
    until: datetime,
    kind: str | None = None,
    warehouse_id: int | None = None,
    cost_centre_id: int | None = None,
    price_threshold_pct: Decimal = Decimal("10"),
    unusual_share: Decimal = Decimal("0.1"),
) -> list[dict]:
    """Every exception of ``kind`` (all kinds when None) in ``[since, until)``, newest first;
    with ``cost_centre_id``, only those charged to that centre."""
    params = {
        "since": since,
        "until": until,
        "lookback": since - timedelta(days=LOOKBACK_DAYS),
        "ratio": float(price_threshold_pct) / 100,
        "share": float(unusual_share),
        "min_postings": MIN_POSTINGS,
    }
    if warehouse_id is not None:
        params["warehouse_id"] = warehouse_id
    if cost_centre_id is not None:
        params["cost_centre_id"] = cost_centre_id
    rows = []
    for name in [kind] if kind else KINDS:
        if cost_centre_id is not None and name not in _CENTRED:
            continue
        rows.extend(_PARTS[name](params, warehouse_id))
    rows.sort(key=lambda r: (r["at"], r["kind"], r["reference"]), reverse=True)
    return rows


# --- supply risk -----------------------------------------------------------------------------

_SPEND_SQL = """
SELECT s.id, s.code, s.name, s.status, SUM(l.value) AS spend
FROM goods_receipt g
JOIN stock_ledger l ON l.document_id = g.stock_document_id
JOIN supplier s ON s.id = g.supplier_id
WHERE l.posted_at >= :since AND l.posted_at < :until
GROUP BY s.id, s.code, s.name, s.status
"""

_SINGLE_SOURCE_SQL = f"""
WITH sources AS (
  SELECT si.item_id, MIN(si.supplier_id) AS supplier_id, COUNT(*) AS n
  FROM supplier_item si JOIN supplier s ON s.id = si.supplier_id
  WHERE si.active AND s.status = 'active'
  GROUP BY si.item_id
), stock AS (
  SELECT item_id, SUM(quantity) AS qty, SUM(value) AS value FROM stock_balance GROUP BY item_id
), used AS (
  SELECT l.item_id, SUM(-l.value) AS value, SUM(-l.quantity) AS qty
  FROM stock_ledger l JOIN stock_document d ON d.id = l.document_id
  WHERE d.type = 'issue' AND substr(d.source, 1, {len(SUPPLIER_RETURN_SOURCE)})
        <> '{SUPPLIER_RETURN_SOURCE}'
    AND l.posted_at >= :year_ago AND l.posted_at < :until
  GROUP BY l.item_id
)
SELECT i.id AS item_id, i.sku, i.name, src.supplier_id, s.code AS supplier_code,
       COALESCE(st.qty, 0) AS qty, COALESCE(st.value, 0) AS value,
       COALESCE(u.qty, 0) AS used_qty, COALESCE(u.value, 0) AS used_value
FROM sources src
JOIN item i ON i.id = src.item_id AND i.active
JOIN supplier s ON s.id = src.supplier_id
LEFT JOIN stock st ON st.item_id = i.id
LEFT JOIN used u ON u.item_id = i.id
WHERE src.n = 1
ORDER BY COALESCE(u.value, 0) DESC, COALESCE(st.value, 0) DESC, i.id
"""

_HELD_SQL = """
SELECT s.id, s.code, s.name, s.status, o.currency, COUNT(DISTINCT o.id) AS orders,
       SUM((ol.quantity - ol.received_quantity - ol.cancelled_quantity) * ol.unit_price) AS open
FROM supplier s
JOIN purchase_order o ON o.supplier_id = s.id
JOIN purchase_order_line ol ON ol.order_id = o.id
WHERE s.status IN ('blocked', 'on_hold') AND o.status IN ('sent', 'partially_received')
GROUP BY s.id, s.code, s.name, s.status, o.currency
ORDER BY s.id, o.currency
"""


def supply_risk(*, since: datetime, until: datetime) -> dict:
    """Spend share per supplier over ``[since, until)`` (the value received into stock, net of
    cancelled receipts), items with a single active supplier with their stock value and last
    year's consumption, and blocked or on-hold suppliers with open orders."""
    params = {"since": since, "until": until, "year_ago": until - timedelta(days=365)}
    spend_rows = _rows(_SPEND_SQL, params)
    total = sum((_scaled(r["spend"], 2) for r in spend_rows), Decimal(0))
    spend = sorted(
        (
            {
                "supplier_id": r["id"],
                "supplier_code": r["code"],
                "name": r["name"],
                "status": r["status"],
                "spend": _scaled(r["spend"], 2),
                "share_pct": (_scaled(r["spend"], 2) * 100 / total).quantize(CENT)
                if total
                else Decimal(0),
            }
            for r in spend_rows
        ),
        key=lambda r: (-r["spend"], r["supplier_id"]),
    )
    single = [
        {
            "item_id": r["item_id"],
            "sku": r["sku"],
            "name": r["name"],
            "supplier_id": r["supplier_id"],
            "supplier_code": r["supplier_code"],
            "stock_quantity": _scaled(r["qty"], 3),
            "stock_value": _scaled(r["value"], 2),
            "annual_quantity": _scaled(r["used_qty"], 3),
            "annual_consumption_value": _scaled(r["used_value"], 2),
        }
        for r in _rows(_SINGLE_SOURCE_SQL, params, moments=("year_ago", "until"))
    ]
    held = [
        {
            "supplier_id": r["id"],
            "supplier_code": r["code"],
            "name": r["name"],
            "status": r["status"],
            "currency": r["currency"],
            "open_orders": int(r["orders"]),
            # quantity ×1e3 × price ×1e4: 7 places, to the cent in the order's currency
            "open_value": _scaled(r["open"], 7).quantize(CENT, ROUND_HALF_EVEN),
        }
        for r in _rows(_HELD_SQL, {})
    ]
    return {
        "spend_total": total,
        "spend": spend,
        "single_source_items": single,
        "held_suppliers_with_open_orders": held,
    }
