"""Reorder review in a real browser: purchasing filters the newest run's suggestions, accepts one
into a draft purchase request, dismisses another with a reason, and opens an item's page to see
the demand chart with its forecast band and the suggestion's explanation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api import create_app
from inventory import clock
from inventory.db.base import db
from inventory.db.procurement_models import PurchaseRequest, PurchaseRequestLine
from inventory.db.replenishment_models import ReorderSuggestion
from tests.api.reorder_helpers import Reorder
from tests.conftest import Factory
from tests.e2e.browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
PHONE = {"width": 390, "height": 844}
WEEKLY_ISSUES = (3, 5, 4, 6, 2, 5, 7, 4, 3, 6, 5, 4, 8, 3, 5, 6, 4, 5, 3, 6)


def _explanation(today, *, on_hand: str, reorder_point: str, order_up_to: str) -> dict:
    return {
        "on_hand": on_hand,
        "on_order": "0",
        "requested": "0",
        "position": on_hand,
        "reorder_point": reorder_point,
        "order_up_to": order_up_to,
        "mean_demand_per_day": "0.68",
        "lead_time_days": "7",
        "service_level": "0.95",
        "stockout_on": (today + timedelta(days=9)).isoformat(),
        "rule": f"Position {on_hand} is at or below the reorder point {reorder_point}: "
        f"order up to {order_up_to}.",
    }


def seed_run(database_url: str) -> dict:
    """Through the services: stock and weekly issues for R1 over twenty weeks; then, as the
    review API's tests do, a succeeded run with its series, forecast, suggestions and an
    exception written to its tables."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        make = Factory()
        reorder = Reorder(make)
        r1, r2, r3 = reorder.items
        start = datetime.now(UTC) - timedelta(weeks=len(WEEKLY_ISSUES) + 1)
        with clock.pinned(start):
            make.receive(reorder.warehouse, r1, 200, "2.40")
        for week, qty in enumerate(WEEKLY_ISSUES, start=1):
            with clock.pinned(start + timedelta(weeks=week)):
                make.document("issue", reorder.warehouse, [(r1, qty, None)])
        run = reorder.run()
        today = reorder.today
        reorder.series(run, r1, model="AutoETS", backtest_mase=0.82)
        for week in range(1, 9):
            reorder.forecast(run, r1, today + timedelta(weeks=week), 4.8)
        accepted = reorder.suggestion(
            run,
            r1,
            quantity="40",
            urgency="urgent",
            explanation=_explanation(today, on_hand="102", reorder_point="110", order_up_to="140"),
        )
        dismissed = reorder.suggestion(
            run,
            r2,
            explanation=_explanation(today, on_hand="8", reorder_point="10", order_up_to="30"),
        )
        other = reorder.suggestion(
            run,
            r3,
            supplier_id=reorder.supplier_b,
            explanation=_explanation(today, on_hand="3", reorder_point="5", order_up_to="25"),
        )
        reorder.exception(run, r2, "overstock", message="Open order holds 60 more than needed")
        seeded = {
            "run": run,
            "r1": r1,
            "accepted": accepted,
            "dismissed": dismissed,
            "other": other,
            "centre": reorder.centre,
        }
        db.session.remove()
        db.engine.dispose()
    return seeded


def decisions(database_url: str, ids) -> dict:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        rows = db.session.execute(
            select(
                ReorderSuggestion.id,
                ReorderSuggestion.status,
                ReorderSuggestion.dismiss_reason,
                PurchaseRequest.status,
                PurchaseRequest.cost_centre_id,
            )
            .outerjoin(
                PurchaseRequestLine, PurchaseRequestLine.id == ReorderSuggestion.request_line_id
            )
            .outerjoin(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.request_id)
            .where(ReorderSuggestion.id.in_(list(ids)))
        ).all()
        db.session.remove()
        db.engine.dispose()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_purchasing_reviews_a_run_and_reads_an_items_forecast(live_server, page, tmp_path):
    seeded = seed_run(live_server.database_url)
    sign_in(page, live_server, "purchasing")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reorder").click()
    rows = page.locator("table.suggestions tbody tr")
    assert rows.count() == 3

    # Filter: Acme's lines only (the third is Bolts').
    page.get_by_label("Supplier").select_option(label="ACME")
    page.get_by_role("button", name="Filter").click()
    assert rows.count() == 2
    screenshot(page, tmp_path, "reorder-review-desktop")

    # Accept R1 into a draft request charged to Operations.
    page.get_by_label("Select R1 in MAIN").check()
    page.get_by_label("Cost centre").select_option(label="OPS — Operations")
    page.get_by_role("button", name="Accept into draft requests").click()
    assert (
        "Accepted 1 suggestion into draft purchase request" in page.locator(".flash").inner_text()
    )
    assert rows.count() == 1  # still filtered to Acme, open lines only

    # Dismiss R2: without a reason it is said beside the field; with one it is done.
    page.get_by_label("Select R2 in MAIN").check()
    page.get_by_role("button", name="Dismiss with reason").click()
    assert page.locator("#reason-error").is_visible()
    page.get_by_label("Select R2 in MAIN").check()
    page.get_by_label("Reason").fill("Item is being phased out")
    page.get_by_role("button", name="Dismiss with reason").click()
    assert "Dismissed 1 suggestion" in page.locator(".flash").inner_text()
    assert "No suggestion matches" in page.locator("main").inner_text()

    state = decisions(
        live_server.database_url, [seeded["accepted"], seeded["dismissed"], seeded["other"]]
    )
    assert state[seeded["accepted"]] == ("accepted", "", "draft", seeded["centre"])
    assert state[seeded["dismissed"]] == ("dismissed", "Item is being phased out", None, None)
    assert state[seeded["other"]][0] == "open"

    page.goto(live_server.url("/reorder?status="))
    page.set_viewport_size(PHONE)
    screenshot(page, tmp_path, "reorder-review-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The item page: the chart with its band, and the suggestion explained in numbers.
    page.goto(live_server.url(f"/items/{seeded['r1']}"))
    chart = page.locator("figure.chart svg").first
    chart.wait_for()  # htmx loads the chart after the page
    assert chart.is_visible()
    assert page.locator("figure.chart svg polygon.band").count() == 1
    assert page.locator("figure.chart svg path.history").count() == 1
    assert "Position 102 is at or below the reorder point 110: order up to 140." in (
        page.locator("#suggestion ~ article.suggestion").first.inner_text()
    )
    assert page.locator("table.ledger tbody tr").count() == len(WEEKLY_ISSUES) + 1
    screenshot(page, tmp_path, "item-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, tmp_path, "item-phone")


def seed_scores(database_url: str) -> None:
    """The scoring tests' receipt history, scored as the nightly job would."""
    from inventory.services import scoring
    from tests.scoring_seed import AS_OF, hand_example

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        hand_example(Factory())
        scoring.rescore(AS_OF)
        db.session.remove()
        db.engine.dispose()


def test_a_viewer_reads_a_suppliers_score_and_deliveries(live_server, page, tmp_path):
    seed_scores(live_server.database_url)
    sign_in(page, live_server, "viewer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Suppliers").click()
    page.get_by_role("link", name="A", exact=True).click()
    assert "grade C" in page.locator("p.score").inner_text()
    assert page.locator("figure.chart svg path.line").count() == 1
    assert page.locator("#deliveries ~ .table-wrap tbody tr").count() == 2
    screenshot(page, tmp_path, "supplier-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, tmp_path, "supplier-phone")
