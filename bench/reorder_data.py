"""Data for the reorder run benchmark (``bench/reorder.py``): items in several warehouses with three
years of daily stock movements, simulated with numpy across all series at once and COPied.

Each item-warehouse draws a demand pattern (smooth with a weekly rhythm, erratic, intermittent or
lumpy) and is replenished by a simple (s, Q) rule with a lead time, so the ledger holds what a real
one does: issues limited to what is on hand (stock-outs happen), receipts in lots, balances that
never go below zero. Every row is a posted document line with its ledger entry and running
balance; the balances are the ledger's sums.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from bench.procurement_data import _copy, _stamp

WAREHOUSES = 4
SUPPLIERS = 200
DAYS = 3 * 365
PATTERNS = ("smooth", "erratic", "intermittent", "lumpy")
PATTERN_SHARE = (0.25, 0.15, 0.35, 0.25)


def simulate(
    series: int, days: int, seed: int = 11, *, rate_scale: float = 1.0, progress=None
) -> dict[str, np.ndarray]:
    """Daily issued and received quantities (whole units) per series, shape (series, days).
    ``rate_scale`` thins the demand (fewer movement days, as ``bench/seed_large.py`` wants);
    ``progress(days_done)`` is told every 30 simulated days."""
    rng = np.random.default_rng(seed)
    pattern = rng.choice(len(PATTERNS), series, p=PATTERN_SHARE)
    rate = (
        np.select(
            [pattern == 0, pattern == 1, pattern == 2],
            [
                rng.uniform(1, 8, series),
                rng.uniform(0.5, 4, series),
                rng.uniform(0.04, 0.2, series),
            ],
            rng.uniform(0.02, 0.08, series),
        )
        * rate_scale
    )
    size = np.select([pattern == 2, pattern == 3], [rng.uniform(1, 3, series),
                     rng.uniform(5, 30, series)], 1.0)  # fmt: skip
    weekday_factor = np.array([1.2, 1.1, 1.0, 1.0, 1.1, 0.4, 0.2])
    lead = rng.integers(3, 21, series)
    daily_mean = rate * size
    reorder_at = np.ceil(daily_mean * (lead + 7) * 1.1)
    lot = np.maximum(np.ceil(daily_mean * 28), 1)

    on_hand, on_order = lot.copy(), np.zeros(series)
    pipeline = np.zeros((series, days + 40))
    issued = np.zeros((series, days), dtype=np.int64)
    received = np.zeros((series, days), dtype=np.int64)
    received[:, 0] = lot
    rows = np.arange(series)
    for day in range(days):
        if day:
            arriving = pipeline[:, day]
            on_hand += arriving
            on_order -= arriving
            received[:, day] = arriving
        wanted = np.select(
            [pattern == 0, pattern == 1],
            [rng.poisson(rate * weekday_factor[day % 7]),
             rng.negative_binomial(1, 1 / (1 + rate))],
            (rng.random(series) < rate) * np.ceil(rng.exponential(size)),
        )  # fmt: skip
        out = np.minimum(wanted, on_hand)
        issued[:, day] = out
        on_hand -= out
        order = on_hand + on_order <= reorder_at
        pipeline[rows[order], day + lead[order]] += lot[order]
        on_order[order] += lot[order]
        if progress is not None and day % 30 == 29:
            progress(30)
    return {"issued": issued, "received": received, "pattern": pattern, "lead": lead}


def seed_master(conn, items: int, warehouses: int, lead: np.ndarray, seed: int = 11) -> None:
    """Items (category C0..C19), ``warehouses`` warehouses, SUPPLIERS suppliers, and one preferred
    supplier item per item (supplier ``item % SUPPLIERS + 1``) with lead times from ``lead``
    (per series), MOQ and pack sizes."""
    rng = np.random.default_rng(seed + 1)
    conn.execute(f"""
        INSERT INTO item (sku, name, category, unit_of_measure, valuation_cost, active,
                          created_at, updated_at)
        SELECT 'R' || g, 'Reorder bench item ' || g, 'C' || (g % 20), 'pcs',
               (g % 97 + 1) * 10000, true, now(), now()
        FROM generate_series(1, {items}) g""")
    conn.execute(f"""
        INSERT INTO warehouse (code, name, active, created_at, updated_at)
        SELECT 'W' || g, 'Warehouse ' || g, true, now(), now()
        FROM generate_series(1, {warehouses}) g""")
    conn.execute(f"""
        INSERT INTO supplier (code, name, currency, payment_terms, default_lead_time_days, status,
                              contact_name, email, phone, created_at, updated_at)
        SELECT 'RS' || g, 'Reorder supplier ' || g, 'EUR', '', 14, 'active', '', '', '',
               now(), now()
        FROM generate_series(1, {SUPPLIERS}) g""")
    item_lead = lead.reshape(items, warehouses).max(axis=1)
    _copy(conn, "supplier_item", pd.DataFrame({
        "supplier_id": np.arange(items) % SUPPLIERS + 1, "item_id": np.arange(1, items + 1),
        "supplier_sku": "", "unit_price": (np.arange(items) % 97 + 1) * 9_000,
        "min_order_quantity": rng.choice([0, 10, 50], items) * 1000,
        "pack_size": rng.choice([0, 1, 6, 12], items) * 1000, "lead_time_days": item_lead,
        "preferred": True, "active": True,
    }), sequence=False)  # fmt: skip


def seed(conn, items: int, today: date, user_id: int, seed: int = 11) -> dict:
    """Items x WAREHOUSES series of DAYS days ending yesterday; suppliers, supplier items with
    lead times, MOQ and pack sizes. Returns counts."""
    sim = simulate(items * WAREHOUSES, DAYS, seed)
    seed_master(conn, items, WAREHOUSES, sim["lead"], seed)
    return write_movements(conn, sim, WAREHOUSES, today - timedelta(days=DAYS), user_id)


def write_movements(
    conn, sim: dict, warehouses: int, day0: date, user_id: int, *, orders: bool = False,
    step=None,
) -> dict:  # fmt: skip
    """COPY the simulated days from ``day0`` as posted documents, their lines, ledger entries
    with running balances, and the balances (the ledger's sums). Series s is item
    ``s // warehouses + 1`` in warehouse ``s % warehouses + 1``. With ``orders``, receipts are
    goods receipts of sent purchase orders (one order and receipt per warehouse, day and
    supplier; see bench/seed_large.py), so the spend reports have something to read.
    ``step(name)`` is told as each table is written. Returns counts."""
    step = step or (lambda name: None)
    days = sim["issued"].shape[1]
    issued, received = sim["issued"], sim["received"]
    s_in, d_in = np.nonzero(received)
    s_out, d_out = np.nonzero(issued)
    events = pd.DataFrame(
        {
            "series": np.concatenate([s_in, s_out]),
            "day": np.concatenate([d_in, d_out]),
            "inbound": np.concatenate([np.ones(len(s_in), bool), np.zeros(len(s_out), bool)]),
            "units": np.concatenate([received[s_in, d_in], -issued[s_out, d_out]]),
        }
    ).sort_values(["series", "day", "inbound"], ascending=[True, True, False], kind="stable")
    events["item_id"] = events["series"] // warehouses + 1
    events["warehouse_id"] = events["series"] % warehouses + 1
    # One document per warehouse, day and kind (receipt or issue), as a day's paperwork; with
    # orders, one receipt per supplier too (an order has one supplier).
    supplier = np.where(events["inbound"] & orders, (events["item_id"] - 1) % SUPPLIERS + 1, 0)
    events["supplier_id"] = supplier
    doc_key = ((events["warehouse_id"] * (days + 1) + events["day"]) * (SUPPLIERS + 1)
               + supplier) * 2 + events["inbound"]  # fmt: skip
    keys = np.sort(doc_key.unique())
    doc_id = pd.Series(np.arange(1, len(keys) + 1), index=keys)
    events["document_id"] = doc_id[doc_key].to_numpy()
    events["id"] = np.arange(1, len(events) + 1)
    events["quantity"] = events["units"] * 1000
    events["unit_cost"] = (events["item_id"] % 97 + 1) * 10_000
    events["value"] = events["quantity"] * events["unit_cost"] // 100_000
    seconds = np.where(events["inbound"], 8 * 3600, 14 * 3600)
    events["posted_at"] = _stamp(day0, events["day"].to_numpy(), seconds)

    docs = events.drop_duplicates("document_id").sort_values("document_id")
    source = np.where(docs["inbound"] & orders, "goods_receipt:" + docs["document_id"].astype(str),
                      "")  # fmt: skip
    _copy(conn, "stock_document", pd.DataFrame({
        "id": docs["document_id"], "type": np.where(docs["inbound"], "receipt", "issue"),
        "status": "posted", "warehouse_id": docs["warehouse_id"], "reference": "bench",
        "source": source, "created_by": user_id, "created_at": docs["posted_at"],
        "posted_by": user_id, "posted_at": docs["posted_at"],
    }))  # fmt: skip
    step("stock_document")
    # Lines in id order within a document, so a receipt's n-th line is its n-th ledger row.
    events = events.sort_values("id", kind="stable")
    events["line_no"] = events.groupby("document_id").cumcount() + 1
    _copy(conn, "stock_document_line",
          events[["id", "document_id", "line_no", "item_id", "quantity", "unit_cost"]])  # fmt: skip
    step("stock_document_line")
    by_series = events.groupby("series")
    _copy(conn, "stock_ledger", pd.DataFrame({
        "id": events["id"], "document_id": events["document_id"], "line_id": events["id"],
        "item_id": events["item_id"], "warehouse_id": events["warehouse_id"],
        "quantity": events["quantity"], "unit_cost": events["unit_cost"], "value": events["value"],
        "balance_quantity": by_series["quantity"].cumsum(),
        "balance_value": by_series["value"].cumsum(), "reversal": False, "actor_id": user_id,
        "posted_at": events["posted_at"],
    }))  # fmt: skip
    step("stock_ledger")
    totals = events.groupby(["item_id", "warehouse_id"])[["quantity", "value"]].sum()
    _copy(conn, "stock_balance", totals.reset_index(), sequence=False)
    step("stock_balance")
    if orders:
        _write_orders(conn, events[events["inbound"]], user_id)
        step("purchase orders and receipts")
    return {"series": issued.shape[0], "ledger_rows": len(events), "documents": len(docs)}


def _write_orders(conn, inbound: pd.DataFrame, user_id: int) -> None:
    """Per receipt document: a purchase order sent ten days before (same id), one order line
    per receipt line at the receipt's unit cost, and the goods receipt that posted it."""
    docs = inbound.drop_duplicates("document_id")
    sent = (pd.to_datetime(docs["posted_at"]) - pd.Timedelta(days=10)).dt.strftime(
        "%Y-%m-%dT%H:%M:%S+00:00"
    )
    _copy(conn, "purchase_order", pd.DataFrame({
        "id": docs["document_id"], "supplier_id": docs["supplier_id"],
        "warehouse_id": docs["warehouse_id"], "status": "received", "currency": "EUR",
        "exchange_rate": 1_000_000, "total": 0, "approval_status": "not_required",
        "next_step": 0, "created_by": user_id, "created_at": sent, "updated_at": sent,
        "sent_at": sent,
    }))  # fmt: skip
    _copy(conn, "purchase_order_line", pd.DataFrame({
        "id": inbound["id"], "order_id": inbound["document_id"], "line_no": inbound["line_no"],
        "item_id": inbound["item_id"], "quantity": inbound["quantity"],
        "unit_price": inbound["unit_cost"], "received_quantity": inbound["quantity"],
        "cancelled_quantity": 0, "suggestion_reason": "",
    }))  # fmt: skip
    _copy(conn, "goods_receipt", pd.DataFrame({
        "id": docs["document_id"], "order_id": docs["document_id"],
        "supplier_id": docs["supplier_id"], "warehouse_id": docs["warehouse_id"],
        "status": "posted", "stock_document_id": docs["document_id"], "received_by": user_id,
        "received_at": docs["posted_at"],
    }))  # fmt: skip
    _copy(conn, "goods_receipt_line", pd.DataFrame({
        "id": inbound["id"], "receipt_id": inbound["document_id"], "po_line_id": inbound["id"],
        "item_id": inbound["item_id"], "received": inbound["quantity"],
        "accepted": inbound["quantity"], "rejected": 0, "reason": "",
        "unit_price": inbound["unit_cost"], "ordered_at": sent.reindex(inbound.index),
        "stock_document_line_id": inbound["id"],  # what the receipt's line became
    }))  # fmt: skip
