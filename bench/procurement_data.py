"""Data for ``bench/procurement.py``, generated with numpy and loaded set-based (COPY and
generate_series): suppliers, items, orders, receipts, open requests, orders to receive."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pandas as pd

SUPPLIERS, ITEMS, ORDERS, SPLIT_LINES, OPEN_REQUESTS = 1_000, 2_000, 75_000, 50_000, 10_000
RECEIPT_LINES = 20


def _copy(conn, table: str, frame: pd.DataFrame, *, sequence: bool = True) -> None:
    """COPY ``frame`` into ``table``; then move its ``id`` sequence past the rows (``sequence``)."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N")
    with conn.cursor().copy(
        f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    ) as copy:
        copy.write(buffer.getvalue())
    if sequence:
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )


def _stamp(day0: date, days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    moments = (
        np.datetime64(day0, "s") + days.astype("timedelta64[D]") + seconds.astype("timedelta64[s]")
    )
    return np.char.add(np.datetime_as_string(moments, unit="s"), "+00:00")


def seed_receipts(conn, as_of: date, user_id: int, warehouse_id: int) -> int:
    """Orders, order lines, receipts and receipt lines, generated with numpy and COPied."""
    rng = np.random.default_rng(7)
    day0 = as_of - timedelta(days=425)
    on_time_p = rng.uniform(0.55, 0.99, SUPPLIERS)
    accept_p = rng.uniform(0.90, 1.0, SUPPLIERS)
    price_factor = rng.uniform(0.85, 1.2, SUPPLIERS)
    noise = rng.uniform(0, 6, SUPPLIERS)
    base_price = rng.uniform(1, 200, ITEMS)

    supplier = rng.integers(0, SUPPLIERS, ORDERS)
    sent = rng.integers(0, 360, ORDERS)
    usd = rng.random(ORDERS) < 0.1
    lead = rng.integers(3, 30, ORDERS)
    late = rng.random(ORDERS) > on_time_p[supplier]
    delay = np.where(late, rng.integers(3, 20, ORDERS), rng.integers(-3, 3, ORDERS))
    delay = delay + np.rint(rng.normal(0, 1, ORDERS) * noise[supplier]).astype(int)
    first_day = np.maximum(sent + lead + delay, sent)
    order_ids = np.arange(1, ORDERS + 1)
    _copy(conn, "purchase_order", pd.DataFrame({
        "id": order_ids, "supplier_id": supplier + 1, "warehouse_id": warehouse_id,
        "status": "received", "currency": np.where(usd, "USD", "EUR"),
        "exchange_rate": np.where(usd, 900_000, 1_000_000), "total": 0,
        "approval_status": "not_required", "next_step": 0, "created_by": user_id,
        "created_at": _stamp(day0, sent, np.zeros(ORDERS)),
        "updated_at": _stamp(day0, sent, np.zeros(ORDERS)),
        "sent_at": _stamp(day0, sent, np.full(ORDERS, 9 * 3600)),
    }))  # fmt: skip

    lines = 2 * ORDERS
    line_order = np.repeat(np.arange(ORDERS), 2)
    line_supplier = supplier[line_order]
    # Each supplier sells 10 of the items; each item has about five suppliers to compare.
    item = (line_supplier * 37 + rng.integers(0, 10, lines) * 211) % ITEMS
    qty = rng.integers(1, 50, lines) * 10
    price = base_price[item] * price_factor[line_supplier] * rng.uniform(0.97, 1.03, lines)
    price = np.where(usd[line_order], price / 0.9, price)
    promised = sent[line_order] + lead[line_order]
    line_ids = np.arange(1, lines + 1)
    split = np.zeros(lines, bool)
    split[rng.choice(lines, SPLIT_LINES, replace=False)] = True
    short = ~split & (rng.random(lines) < 0.03)
    first_qty = np.where(split, np.rint(qty * rng.uniform(0.3, 0.8, lines)), qty)
    first_qty = np.where(short, np.rint(qty * 0.9), first_qty)
    second_qty = qty - first_qty
    second_day = first_day[line_order] + rng.integers(2, 15, lines)

    # Receipt 1..ORDERS: an order's first delivery; then one per split line's second part.
    receipt_of_line = np.concatenate([line_order + 1, ORDERS + 1 + np.arange(SPLIT_LINES)])
    rows = np.concatenate([line_ids, line_ids[split]])
    received = np.concatenate([first_qty, second_qty[split]]).astype(np.int64)
    rejected = rng.binomial(received, 1 - accept_p[line_supplier[rows - 1]])
    receipts = ORDERS + SPLIT_LINES
    receipt_day = np.concatenate([first_day, second_day[split]])
    receipt_supplier = np.concatenate([supplier, line_supplier[split]])
    receipt_order = np.concatenate([order_ids, line_order[split] + 1])
    accepted_by_line = np.bincount(rows - 1, weights=received - rejected, minlength=lines)
    _copy(conn, "purchase_order_line", pd.DataFrame({
        "id": line_ids, "order_id": line_order + 1, "line_no": np.tile([1, 2], ORDERS),
        "item_id": item + 1, "quantity": qty * 1000, "unit_price": np.rint(price * 10_000),
        "promised_date": np.datetime_as_string(np.datetime64(day0) + promised, unit="D"),
        "received_quantity": (accepted_by_line * 1000).astype(np.int64), "cancelled_quantity": 0,
        "suggestion_reason": "",
    }).astype({"unit_price": np.int64}))  # fmt: skip
    status = np.where(rng.random(receipts) < 0.02, "cancelled", "posted")
    receipt_seconds = rng.integers(6 * 3600, 20 * 3600, receipts)
    _copy(conn, "goods_receipt", pd.DataFrame({
        "id": np.arange(1, receipts + 1), "order_id": receipt_order,
        "supplier_id": receipt_supplier + 1, "warehouse_id": warehouse_id,
        "status": status, "received_by": user_id,
        "received_at": _stamp(day0, receipt_day, receipt_seconds),
    }))  # fmt: skip
    _copy(conn, "goods_receipt_line", pd.DataFrame({
        "id": np.arange(1, len(rows) + 1), "receipt_id": receipt_of_line, "po_line_id": rows,
        "item_id": item[rows - 1] + 1, "received": received * 1000,
        "accepted": (received - rejected) * 1000, "rejected": rejected * 1000, "reason": "",
        "unit_price": np.rint(price[rows - 1] * 10_000).astype(np.int64),
        "promised_date": np.datetime_as_string(np.datetime64(day0) + promised[rows - 1], unit="D"),
        "ordered_at": _stamp(day0, sent[line_order[rows - 1]], np.full(len(rows), 9 * 3600)),
    }))  # fmt: skip
    base_cost = np.where(usd[line_order], price * 0.9, price)
    _seed_stock(conn, pd.DataFrame({
        "receipt": receipt_of_line, "item_id": item[rows - 1] + 1,
        "quantity": (received - rejected) * 1000,
        "unit_cost": np.rint(base_cost[rows - 1] * 10_000).astype(np.int64),
        "moment": receipt_day[receipt_of_line - 1] * 86_400 + receipt_seconds[receipt_of_line - 1],
        "posted": status[receipt_of_line - 1] == "posted",
    }), day0, user_id, warehouse_id)  # fmt: skip
    return len(rows)


def _seed_stock(conn, lines: pd.DataFrame, day0: date, user_id: int, warehouse_id: int) -> None:
    """The stock side of the posted receipts: a posted stock document per receipt, its lines,
    the ledger entries with their running balances, and the balances (the ledger's sums), so
    that the stock tables start as full as a year of receiving leaves them."""
    lines = lines[lines["posted"] & (lines["quantity"] > 0)]
    lines = lines.sort_values(["moment", "receipt"], kind="stable").reset_index(drop=True)
    receipts = lines["receipt"].unique()
    document_of = pd.Series(np.arange(1, len(receipts) + 1), index=receipts)
    lines["document_id"] = document_of[lines["receipt"]].to_numpy()
    lines["id"] = np.arange(1, len(lines) + 1)
    lines["line_no"] = lines.groupby("document_id").cumcount() + 1
    # scaled integers: quantity x 1000, unit cost x 10,000, value x 100 (to the cent)
    lines["value"] = np.rint(lines["quantity"] * lines["unit_cost"] / 100_000).astype(np.int64)
    first = lines.drop_duplicates("document_id")
    posted_at = _stamp(day0, (first["moment"] // 86_400).to_numpy(),
                       (first["moment"] % 86_400).to_numpy())  # fmt: skip
    _copy(conn, "stock_document", pd.DataFrame({
        "id": first["document_id"], "type": "receipt", "status": "posted",
        "warehouse_id": warehouse_id, "reference": "PO receipt " + first["receipt"].astype(str),
        "source": "goods_receipt:" + first["receipt"].astype(str), "created_by": user_id,
        "created_at": posted_at, "posted_by": user_id, "posted_at": posted_at,
    }))  # fmt: skip
    _copy(conn, "stock_document_line", lines[
        ["id", "document_id", "line_no", "item_id", "quantity", "unit_cost"]])  # fmt: skip
    by_item = lines.groupby("item_id")
    _copy(conn, "stock_ledger", pd.DataFrame({
        "id": lines["id"], "document_id": lines["document_id"], "line_id": lines["id"],
        "item_id": lines["item_id"], "warehouse_id": warehouse_id,
        "quantity": lines["quantity"], "unit_cost": lines["unit_cost"], "value": lines["value"],
        "balance_quantity": by_item["quantity"].cumsum(),
        "balance_value": by_item["value"].cumsum(), "reversal": False, "actor_id": user_id,
        "posted_at": np.asarray(posted_at)[document_of[lines["receipt"]].to_numpy() - 1],
    }))  # fmt: skip
    totals = by_item[["quantity", "value"]].sum().reset_index()
    _copy(conn, "stock_balance", totals.assign(warehouse_id=warehouse_id), sequence=False)
    conn.execute("""
        UPDATE goods_receipt r SET stock_document_id = d.id FROM stock_document d
        WHERE d.source = 'goods_receipt:' || r.id""")


def seed_base(conn) -> tuple[int, int]:
    """Items, a warehouse, suppliers and a cost centre; returns (warehouse id, cost centre id)."""
    conn.execute(f"""
        INSERT INTO item (sku, name, category, unit_of_measure, valuation_cost, active,
                          created_at, updated_at)
        SELECT 'P' || g, 'Bench item ' || g, '', 'pcs', 0, true, now(), now()
        FROM generate_series(1, {ITEMS}) g""")
    conn.execute(f"""
        INSERT INTO supplier (code, name, currency, payment_terms, default_lead_time_days, status,
                              contact_name, email, phone, created_at, updated_at)
        SELECT 'S' || g, 'Bench supplier ' || g, 'EUR', '', 14, 'active', '', '', '', now(), now()
        FROM generate_series(1, {SUPPLIERS}) g""")
    warehouse = conn.execute(
        "INSERT INTO warehouse (code, name, active, created_at, updated_at) "
        "VALUES ('BW', 'Bench', true, now(), now()) RETURNING id"
    ).fetchone()[0]
    centre = conn.execute(
        "INSERT INTO cost_centre (code, name, active, created_at, updated_at) "
        "VALUES ('CC', 'Bench', true, now(), now()) RETURNING id"
    ).fetchone()[0]
    return warehouse, centre


def receipt_orders(conn, count: int, warehouse: int, user_id: int) -> list[list[int]]:
    """``count`` sent orders of 20 lines (100 units each, at 2.50 EUR) for supplier 1."""
    first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM purchase_order").fetchone()[0]
    conn.execute(f"""
        INSERT INTO purchase_order (supplier_id, warehouse_id, status, currency, exchange_rate,
            total, approval_status, next_step, created_by, created_at, updated_at, sent_at)
        SELECT 1, {warehouse}, 'sent', 'EUR', 1000000, 500000, 'not_required', 0, {user_id},
               now(), now(), now()
        FROM generate_series(1, {count})""")
    conn.execute(f"""
        INSERT INTO purchase_order_line (order_id, line_no, item_id, quantity, unit_price,
            promised_date, received_quantity, cancelled_quantity, suggestion_reason)
        SELECT o.id, l, ((o.id * 7 + l * 13) % {ITEMS}) + 1, 100000, 25000, current_date, 0, 0, ''
        FROM purchase_order o CROSS JOIN generate_series(1, {RECEIPT_LINES}) l
        WHERE o.id >= {first}""")
    rows = conn.execute(
        f"SELECT order_id, id FROM purchase_order_line WHERE order_id >= {first} ORDER BY 1, 2"
    ).fetchall()
    orders: dict[int, list[int]] = {}
    for order_id, line_id in rows:
        orders.setdefault(order_id, []).append(line_id)
    return [[order_id, *lines] for order_id, lines in orders.items()]


def seed_open_requests(conn, requester: int, centre: int) -> None:
    """Submitted requests waiting for an approver, oldest a week old."""
    conn.execute(f"""
        INSERT INTO purchase_request (requester_id, cost_centre_id, status, total, steps,
            next_step, waiting_role, over_budget, note, created_at, updated_at, submitted_at)
        SELECT {requester}, {centre}, 'submitted', (g % 900 + 100) * 100, '["approver"]', 0,
               'approver', false, '', now() - g * interval '1 minute',
               now() - g * interval '1 minute', now() - g * interval '1 minute'
        FROM generate_series(1, {OPEN_REQUESTS}) g""")
