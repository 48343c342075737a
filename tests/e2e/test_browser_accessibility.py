"""Every page the menu reaches, with data on it, at desktop and phone width: axe-core finds no
serious or critical violation, and Tab from the top reaches every visible control without a
positive tabindex or a trap. With ``SCREENSHOT_DIR`` set, the main pages are photographed at
both widths (``make screenshots`` keeps them in docs/screenshots/).

One server on a database of the module's own, seeded once per worker (the demo data set, a
reorder run, an open count, a receipt today), and one browser context per role, shared by every
page. The xdist group keeps the module on one worker; the database is its own all the same, so no
other browser test can empty it underneath."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from api import create_app
from inventory import jobs
from inventory.db.base import db
from inventory.db.models import Item, StockDocument, Stocktake, User, Warehouse
from inventory.db.procurement_models import (
    ApprovalRule,
    Budget,
    CostCentre,
    PurchaseOrder,
    PurchaseRequest,
    SupplierScore,
)
from inventory.db.replenishment_models import ReorderSuggestion
from inventory.domain.actors import Actor
from inventory.domain.documents import DocumentType, LineIn
from inventory.domain.stocktake import CountIn
from inventory.services import demo, stock, stocktakes
from tests.conftest import migrated_pg_database
from tests.e2e.accessibility import axe_violations, blocking, keyboard_problems, to_top
from tests.e2e.browser import PASSWORD, SCREENSHOTS, screenshot, serving, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.xdist_group("accessibility")]

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# A year of history fills the month-end charts in the screenshots; the check itself needs only
# some history, which loads faster.
HISTORY_DAYS = 365 if SCREENSHOTS else 120
# Screenshots stop at about two screens, which keeps docs/screenshots/ to a few megabytes.
SHOT_HEIGHT = {"desktop": 1350, "phone": 1700}


@dataclass(frozen=True)
class Page:
    name: str  # also the screenshot's name when ``shot``
    role: str | None  # who opens it; None: nobody signed in
    path: str  # may hold {ids}
    shot: bool = False
    wait_for: str | None = None  # a selector htmx fills after the page loads


PAGES = (
    Page("sign-in", None, "/sign-in", shot=True),
    Page("home", "warehouse", "/"),
    Page("desk", "warehouse", "/desk", shot=True),
    Page("desk-issue", "warehouse", "/desk?type=issue"),
    Page("desk-transfer", "warehouse", "/desk?type=transfer"),
    Page("desk-cancel", "warehouse", "/desk/documents/{document}/cancel"),
    Page("counting", "warehouse", "/counting", shot=True),
    Page("count-sheet", "warehouse", "/counting/{stocktake}", shot=True),
    Page("count-review", "admin", "/counting/{stocktake}/review", shot=True),
    Page("requests", "purchasing", "/purchasing/requests", shot=True),
    Page("request-new", "purchasing", "/purchasing/requests/new"),
    Page("request-edit", "purchasing", "/purchasing/requests/{draft_request}/edit"),
    Page("request", "approver", "/purchasing/requests/{submitted_request}"),
    Page("approvals", "approver", "/purchasing/approvals", shot=True),
    Page("orders", "purchasing", "/purchasing/orders", shot=True),
    Page("order", "purchasing", "/purchasing/orders/{sent_order}"),
    Page("order-from-requests", "purchasing", "/purchasing/orders/from-requests"),
    Page("receiving", "warehouse", "/purchasing/orders/{sent_order}/receive", shot=True),
    Page("items", "viewer", "/items"),
    Page("item", "purchasing", "/items/{item}", shot=True, wait_for="figure.chart svg"),
    Page("item-forecast", "purchasing", "/items/{item}/forecast"),
    Page("suppliers", "purchasing", "/suppliers"),
    Page("supplier", "purchasing", "/suppliers/{supplier}", shot=True),
    Page("reorder", "purchasing", "/reorder", shot=True),
    Page("finance", "finance", "/finance", shot=True),
    Page("finance-spend", "finance", "/finance/spend", shot=True),
    Page("finance-ageing", "finance", "/finance/ageing"),
    Page("finance-kpis", "finance", "/finance/kpis", shot=True),
    Page("finance-budgets", "finance", "/finance/budgets"),
    Page("finance-exceptions", "finance", "/finance/exceptions"),
    Page("finance-periods", "finance", "/finance/periods"),
    Page("admin-users", "admin", "/admin/users", shot=True),
    Page("admin-user", "admin", "/admin/users/{user}"),
    Page("admin-approval-rules", "admin", "/admin/approval-rules"),
    Page("admin-approval-rule", "admin", "/admin/approval-rules/{rule}"),
    Page("admin-cost-centres", "admin", "/admin/cost-centres"),
    Page("admin-cost-centre", "admin", "/admin/cost-centres/{centre}"),
    Page("admin-budgets", "admin", "/admin/budgets"),
    Page("admin-budget", "admin", "/admin/budgets/{budget}"),
    Page("admin-jobs", "admin", "/admin/jobs", shot=True),
    Page("refused-403", "viewer", "/desk"),
    Page("not-found-404", "admin", "/items/2147483000"),
)


def _first(statement) -> int:
    return db.session.scalars(statement.limit(1)).one()


def seed_everything(database_url: str) -> dict:
    """The demo data set (small), a reorder run, an open count with a recount waiting, and a
    receipt posted today, all through the services; returns the ids the pages need."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        demo.load(demo.DemoSize(items=30, days=HISTORY_DAYS), password=PASSWORD)
        jobs.run("reorder")
        user = db.session.scalars(select(User).filter_by(username="warehouse")).one()
        keeper = Actor(user.id, user.username, frozenset({"warehouse"}))
        north = _first(select(Warehouse.id).filter_by(code="NORTH"))
        on_sheet = list(db.session.scalars(select(Item.id).order_by(Item.id).limit(6)))
        take = stocktakes.create(keeper, north, item_ids=on_sheet)
        stocktakes.count(keeper, take, [CountIn(on_sheet[0], D(0)), CountIn(on_sheet[1], D(7))])
        main = _first(select(Warehouse.id).filter_by(code="MAIN"))
        receipt = stock.NewDocument(DocumentType.RECEIPT, main, [LineIn(on_sheet[2], D(5), D(1))])
        document = stock.create_document(keeper, receipt)
        request = select(PurchaseRequest.id).order_by(PurchaseRequest.id)
        ids = {
            "document": document,
            "stocktake": take,
            "draft_request": _first(request.filter_by(status="draft")),
            "submitted_request": _first(request.filter_by(status="submitted")),
            "sent_order": _first(select(PurchaseOrder.id).filter_by(status="sent")),
            "item": _first(select(ReorderSuggestion.item_id).order_by(ReorderSuggestion.id)),
            "supplier": _first(select(SupplierScore.supplier_id).order_by(SupplierScore.score)),
            "user": user.id,
            "rule": _first(select(ApprovalRule.id)),
            "centre": _first(select(CostCentre.id)),
            "budget": _first(select(Budget.id)),
        }
        assert db.session.scalar(select(Stocktake.status).filter_by(id=take)) == "open"
        assert db.session.get(StockDocument, document) is not None
        db.session.remove()
        db.engine.dispose()
    return ids


@pytest.fixture(scope="module")
def own_database():
    """A database of this module's own: the worker's shared one is emptied by any other browser
    test that xdist runs on the same worker while this module's server is still up."""
    with migrated_pg_database("qm_a11y") as url:
        yield url


@pytest.fixture(scope="module")
def site(own_database, tmp_path_factory):
    ids = {}
    folder = tmp_path_factory.mktemp("accessibility-server")
    with serving(own_database, folder, lambda url: ids.update(seed_everything(url))) as server:
        yield server, ids


@pytest.fixture(scope="module")
def pages_by_role(site, browser):
    """One signed-in page per role (and one signed out), made when first asked for."""
    server, _ = site
    contexts, pages = [], {}

    def page_for(role: str | None):
        if role not in pages:
            context = browser.new_context()
            contexts.append(context)
            pages[role] = context.new_page()
            if role is not None:
                sign_in(pages[role], server, role)
        return pages[role]

    yield page_for
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("shown", PAGES, ids=lambda p: p.name)
def test_the_page_passes_axe_and_every_control_is_reached_by_keyboard(
    site, pages_by_role, shown, width, tmp_path
):
    server, ids = site
    page = pages_by_role(shown.role)
    page.set_viewport_size(WIDTHS[width])
    page.goto(server.url(shown.path.format(**ids)))
    if shown.wait_for:
        page.locator(shown.wait_for).first.wait_for()
    where = f"{shown.name} at {width} width ({page.url})"

    found = blocking(axe_violations(page))
    assert not found, f"axe-core: serious or critical violations on {where}:\n{found}"
    problems = keyboard_problems(page)
    assert not problems, f"keyboard on {where}:\n  " + "\n  ".join(problems)
    if shown.shot:
        to_top(page)
        screenshot(page, tmp_path, f"{shown.name}-{width}", max_height=SHOT_HEIGHT[width])
