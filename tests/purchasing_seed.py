"""What the purchasing pages' tests start from, made through the services as a real caller
would: a cost centre with a budget around today, one approval band (approver), two items, a
warehouse, two suppliers offering the bolt (one with a price break), and a sampling inspection
plan for the bolt. Used in-process by the page tests and against the browser tests' server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal as D

from inventory import clock
from inventory.domain.actors import Actor
from inventory.services import (
    approvals,
    budgets,
    inspection,
    master_data,
    supplier_items,
    suppliers,
    users,
)


@dataclass(frozen=True)
class Seeded:
    centre_id: int
    budget_id: int
    warehouse_id: int
    bolt_id: int
    nut_id: int
    acme_id: int
    beta_id: int


def seed_purchasing(admin: Actor | None = None, *, budget: str = "50000") -> Seeded:
    if admin is None:
        made = users.create_user(
            None, username="seed-admin", password="seed-admin-pw-1", roles=["admin"]
        )
        admin = Actor(made.id, made.username, frozenset({"admin"}))
    today = clock.now().date()
    centre = budgets.create_centre(admin, code="OPS", name="Operations")["id"]
    budget_id = budgets.create_budget(
        admin,
        {
            "cost_centre_id": centre,
            "period": "this-quarter",
            "starts_on": today - timedelta(days=45),
            "ends_on": today + timedelta(days=45),
            "amount": D(budget),
            "over_budget_action": "refuse",
        },
    )["id"]
    approvals.create_rule(admin, {"name": "all", "min_amount": D("0"), "steps": ["approver"]})
    warehouse = master_data.create("warehouse", admin, {"code": "MAIN", "name": "Main store"})["id"]

    def item(sku: str, name: str) -> int:
        values = {"sku": sku, "name": name, "unit_of_measure": "pcs", "category": "fasteners"}
        return master_data.create("item", admin, values)["id"]

    bolt, nut = item("BOLT-M8", "Hex bolt M8x40"), item("NUT-M8", "Hex nut M8")

    def supplier(code: str, lead: int) -> int:
        values = {"code": code, "name": f"{code.title()} Fasteners", "currency": "EUR"}
        return suppliers.create_supplier(admin, {**values, "default_lead_time_days": lead})

    acme, beta = supplier("ACME", 5), supplier("BETA", 3)
    supplier_items.create_supplier_item(
        admin,
        acme,
        {
            "item_id": bolt,
            "unit_price": D("0.12"),
            "price_breaks": [{"min_quantity": D("500"), "unit_price": D("0.10")}],
        },
    )
    supplier_items.create_supplier_item(
        admin, beta, {"item_id": bolt, "unit_price": D("0.15"), "price_breaks": []}
    )
    supplier_items.create_supplier_item(
        admin, acme, {"item_id": nut, "unit_price": D("0.05"), "price_breaks": []}
    )
    inspection.create_plan(admin, bolt, None, "sampling", D("1.0"))
    return Seeded(centre, budget_id, warehouse, bolt, nut, acme, beta)
