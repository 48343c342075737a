"""Suppliers: the list with their scores, and a supplier's page with its score, the parts the
score is made of, the monthly trend chart and its recent deliveries. The roles are those of the
API's supplier score, which this page shows."""

from __future__ import annotations

from flask import render_template

from delivery import charts
from delivery.access import roles
from delivery.schemas.suppliers import SupplierQuerySchema
from inventory.db import purchasing_queries as pq
from inventory.db import receipt_queries
from inventory.domain.actors import Role
from inventory.services import scoring, suppliers
from web.blueprint import pages
from web.items_paging import filters, one_page
from web.nav import menu_entry

READERS = (Role.ADMIN, Role.PURCHASING, Role.APPROVER, Role.FINANCE, Role.VIEWER)
menu_entry("Suppliers", "suppliers_list", READERS, 70)
SUPPLIER_ID = "<int(max=2147483647):supplier_id>"
RECENT_DELIVERIES = 20
PART_NAMES = {"otif": "On time, in full", "quality": "Quality", "lead_time": "Lead time"}


@pages.get("/suppliers")
@roles(*READERS)
def suppliers_list():
    """Suppliers by code, searched by code or name and filtered by status."""
    args, errors, typed = filters(SupplierQuerySchema(), ("q", "status"))
    listed = one_page(pq.suppliers(**args))
    return render_template("web/suppliers/list.html", listed=listed, errors=errors, typed=typed)


@pages.get(f"/suppliers/{SUPPLIER_ID}")
@roles(*READERS)
def supplier(supplier_id: int):
    """The supplier, its stored score with each part, the trend by month and recent
    deliveries."""
    found = suppliers.get_supplier(supplier_id)  # 404 page for an unknown supplier
    score = scoring.supplier_score(supplier_id, live=False)
    title = charts.score_title(found["code"], found["name"], score["score"], score["grade"])
    return render_template(
        "web/suppliers/supplier.html",
        supplier=found,
        score=score,
        part_names=PART_NAMES,
        trend_svg=charts.score_trend_svg(title, score["trend"]["months"]),
        deliveries=receipt_queries.supplier_receipts(supplier_id, RECENT_DELIVERIES),
    )
