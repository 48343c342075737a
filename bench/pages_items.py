"""Item, supplier and reorder pages rendered in-process on an existing seeded database, read only.

Usage: ``.venv/bin/python bench/pages_items.py --database-url postgresql://.../qm_x``. Signs no one
in (that would write a token): each view runs in a request context with an admin actor set, as
the session check would leave it, and the full HTML is rendered. Prints the median of
``--repeat`` renders after one warm-up, beside the start page rendered the same way (the in-run
baseline: the template and context cost with no query of ours), and the 300 ms aim.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from flask import g
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from api import create_app  # noqa: E402
from inventory.db.base import db  # noqa: E402
from inventory.domain.actors import ALL_ROLES, Actor  # noqa: E402
from inventory.services import forecast_reports  # noqa: E402

AIM_MS = 300


def timed(app, endpoint: str, path: str, repeat: int, **view_args) -> float:
    view = app.view_functions[endpoint]
    times = []
    for _ in range(repeat + 1):
        with app.test_request_context(path):
            g.actor = Actor(0, "bench", frozenset(ALL_ROLES))
            start = time.perf_counter()
            body = view(**view_args)
            html = body[0] if isinstance(body, tuple) else body
            assert "<html" in html
            times.append((time.perf_counter() - start) * 1000)
            db.session.rollback()
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        ledger = db.session.scalar(text("SELECT count(*) FROM stock_ledger"))
        busiest = db.session.execute(
            text(
                "SELECT item_id, count(*) FROM stock_ledger GROUP BY item_id "
                "ORDER BY 2 DESC LIMIT 1"
            )
        ).first()
        supplier = db.session.scalar(
            text("SELECT supplier_id FROM goods_receipt GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        ) or db.session.scalar(text("SELECT min(id) FROM supplier"))
        db.session.rollback()
    item, item_rows = busiest
    print(f"{ledger:,} ledger rows; busiest item {item} has {item_rows:,}; supplier {supplier}")
    pages = [
        ("web.home", "/", {}),
        ("web.items", "/items", {}),
        ("web.items", "/items?q=1", {}),
        ("web.item", f"/items/{item}", {"item_id": item}),
        ("web.item", f"/items/{item}?page=100", {"item_id": item}),
        ("web.item_forecast", f"/items/{item}/forecast", {"item_id": item}),
        ("web.suppliers_list", "/suppliers", {}),
        ("web.reorder", "/reorder", {}),
        ("web.reorder", "/reorder?urgency=urgent&page=2", {}),
    ]
    if supplier:
        pages.append(("web.supplier", f"/suppliers/{supplier}", {"supplier_id": supplier}))
    with app.app_context():
        # What the chart fragment stands on: the API's own item forecast read, alone.
        times = []
        for _ in range(args.repeat + 1):
            start = time.perf_counter()
            forecast_reports.item_forecast(item)
            times.append((time.perf_counter() - start) * 1000)
        print(f"{'item_forecast() alone (API GET)':40s} {statistics.median(times[1:]):8.1f} ms")
    baseline = None
    for endpoint, path, view_args in pages:
        ms = timed(app, endpoint, path, args.repeat, **view_args)
        baseline = baseline or ms
        verdict = "ok" if ms < AIM_MS else f"OVER {AIM_MS} ms"
        print(f"{path:40s} {ms:8.1f} ms  {ms / baseline:6.1f}x start page  {verdict}")


if __name__ == "__main__":
    main()
