"""The demo's purchasing: suppliers and their offers, cost centres with quarterly budgets,
approval bands, and the main warehouse's weekly replenishment run as the product runs it.

Every Monday the purchasing user raises one request for what the main warehouse runs short of,
the roles its amount's band names approve it, and it becomes one order per proposed supplier,
sent at once. Each order arrives its supplier's lead time later (some suppliers are often late);
now and then a line comes damaged, is rejected and is replaced a few days later. On the last
business day a stocktake is counted and posted, a handful of requests are left in every state
a request can be in, one order is left a draft, and the suppliers are scored.

Everything goes through the ordinary services at a pinned clock, like the rest of the demo.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from inventory import clock
from inventory.domain import numbers as n
from inventory.domain.actors import Actor
from inventory.domain.receiving import ReceiptLineIn
from inventory.domain.requests import RequestLineIn
from inventory.domain.stocktake import CountIn
from inventory.services import (
    approvals,
    budgets,
    order_from_requests,
    purchase_orders,
    purchase_requests,
    receipts,
    scoring,
    stocktakes,
    supplier_items,
    suppliers,
)
from inventory.services.demo_catalogue import ItemSpec
from inventory.services.tx import transaction


@dataclass(frozen=True)
class SupplierSpec:
    code: str
    name: str
    categories: tuple[str, ...]
    currency: str
    lead_days: int
    price_factor: Decimal  # of the catalogue cost, in EUR
    late_share: float  # share of deliveries that come later than promised


SUPPLIERS = (
    SupplierSpec("BOLTWORKS", "Boltworks", ("hardware",), "EUR", 3, Decimal("0.94"), 0.05),
    SupplierSpec("VOLTA", "Volta Electrical", ("electrical",), "EUR", 4, Decimal("0.95"), 0.1),
    SupplierSpec("SAFEGUARD", "Safeguard PPE", ("safety",), "EUR", 2, Decimal("0.93"), 0.02),
    SupplierSpec("BOXCO", "Boxco Packaging", ("packaging",), "EUR", 5, Decimal("0.90"), 0.35),
    SupplierSpec("CLEANRITE", "Cleanrite Supplies", ("cleaning",), "EUR", 3, Decimal("0.96"), 0.1),
    SupplierSpec("AQUAFLOW", "Aquaflow Plumbing", ("plumbing",), "EUR", 4, Decimal("0.94"), 0.15),
    # Priced in USD; competes with Boltworks for hardware, so some lines go one way, some the other.
    SupplierSpec(
        "GLOBEX",
        "Globex Industrial (US)",
        ("maintenance", "hardware"),
        "USD",
        6,
        Decimal("0.92"),
        0.2,
    ),
)
USD_RATES = ((0, Decimal("0.92")), (182, Decimal("0.95")))  # (days after the start, EUR per USD)
STORES = ("STORES", "Central stores")  # the weekly replenishment is charged here
CENTRES = (
    ("MAINT", "Maintenance"),
    ("LINE1", "Production line 1"),
    ("LINE2", "Production line 2"),
    ("FAC", "Facilities"),
    ("SHIP", "Shipping"),
)
CENTRE_BUDGET = Decimal("20000.00")  # per quarter, for each centre but the stores
BANDS = (
    {"name": "Petty purchases", "min_amount": Decimal(0), "max_amount": Decimal(250), "steps": []},
    {
        "name": "Standard purchases",
        "min_amount": Decimal(250),
        "max_amount": Decimal(10000),
        "steps": ["approver"],
    },
    {"name": "Large purchases", "min_amount": Decimal(10000), "steps": ["approver", "finance"]},
)
BREAKS = ((5, Decimal("0.95")), (20, Decimal("0.90")))  # (from so many lots, price factor)
REJECT_SHARE = 0.06  # of deliveries, one line comes damaged
DAMAGE = "damaged in transit"


@dataclass(frozen=True)
class Delivery:
    """Goods on their way: due on ``due``, lines of (order line, item, quantity)."""

    due: date
    order_id: int
    lines: tuple[tuple[int, int, Decimal], ...]
    replacement: bool = False


def quarters(first: date, last: date) -> list[tuple[str, date, date]]:
    """Calendar quarters covering ``first`` to ``last``: (label, first day, last day)."""
    out = []
    year, q = first.year, (first.month - 1) // 3
    while True:
        starts = date(year, 3 * q + 1, 1)
        if starts > last:
            return out
        nxt = date(year + (q == 3), 3 * ((q + 1) % 4) + 1, 1)
        out.append((f"{year}-Q{q + 1}", starts, nxt - timedelta(days=1)))
        year, q = nxt.year, (q + 1) % 4


class Purchasing:
    """The purchasing side of the demo history; ``_History`` calls it and posts its receipts."""

    def __init__(self, rng, people: dict[str, Actor], items: dict[int, ItemSpec], summary):
        self.rng = rng
        self.people = people
        self.items = items
        self.summary = summary
        self.on_order: Counter = Counter()  # item_id -> Decimal on order, not yet accepted
        self.deliveries: list[Delivery] = []
        self.centres: dict[str, int] = {}
        self.supplier_ids: dict[str, int] = {}
        self.spec_of: dict[int, SupplierSpec] = {}

    # -- master data, at the start ---------------------------------------------------------

    def set_up(self, first: date, last: date, quarterly_stores_spend: Decimal) -> None:
        # One transaction for all of it, as an import would: each service joins it, so the
        # few hundred supplier items cost one commit, not one each.
        with transaction():
            self._set_up(first, last, quarterly_stores_spend)

    def _set_up(self, first: date, last: date, quarterly_stores_spend: Decimal) -> None:
        buyer, finance = self.people["purchasing"], self.people["finance"]
        for band in BANDS:
            approvals.create_rule(self.people["admin"], band)
        for days, rate in USD_RATES:
            suppliers.create_exchange_rate(buyer, "USD", first + timedelta(days=days), rate)
        for code, name in (STORES, *CENTRES):
            self.centres[code] = budgets.create_centre(finance, code=code, name=name)["id"]
        for label, starts, ends in quarters(first, last):
            for code, centre_id in self.centres.items():
                stores = code == STORES[0]
                budgets.create_budget(
                    finance,
                    {
                        "cost_centre_id": centre_id,
                        "period": label,
                        "starts_on": starts,
                        "ends_on": ends,
                        "amount": n.value(quarterly_stores_spend) if stores else CENTRE_BUDGET,
                        # The stores' budget is an estimate: overspending it is flagged for
                        # finance, not refused, so the shelves never run empty over it.
                        "over_budget_action": "flag" if stores else "refuse",
                    },
                )
        for spec in SUPPLIERS:
            self._supplier(buyer, spec)

    def _supplier(self, buyer: Actor, spec: SupplierSpec) -> None:
        supplier_id = suppliers.create_supplier(
            buyer,
            {
                "code": spec.code,
                "name": spec.name,
                "currency": spec.currency,
                "payment_terms": "30 days net",
                "default_lead_time_days": spec.lead_days,
                "status": "active",
                "contact_name": "Order desk",
                "email": f"orders@{spec.code.lower()}.example",
                "phone": "",
            },
        )
        self.supplier_ids[spec.code] = supplier_id
        self.spec_of[supplier_id] = spec
        to_supplier = Decimal(1) / USD_RATES[0][1] if spec.currency == "USD" else Decimal(1)
        for item_id, item in self.items.items():
            if item.category not in spec.categories:
                continue
            factor = spec.price_factor * Decimal(str(self.rng.uniform(0.97, 1.03)))
            price = n.cost(item.cost * factor * to_supplier)
            supplier_items.create_supplier_item(
                buyer,
                supplier_id,
                {
                    "item_id": item_id,
                    "supplier_sku": f"{spec.code[:3]}-{item.sku}",
                    "unit_price": price,
                    # Sold in whole issue lots, cheaper by the many lots.
                    "pack_size": item.lot,
                    "price_breaks": [
                        {"min_quantity": lots * item.lot, "unit_price": n.cost(price * off)}
                        for lots, off in BREAKS
                    ],
                    "lead_time_days": spec.lead_days,
                    "preferred": spec.currency == "EUR",
                },
            )
            self.summary.supplier_items += 1

    # -- the weekly run ----------------------------------------------------------------------

    def reorder(self, at: datetime, main: int, wanted: list[tuple[int, Decimal]]) -> None:
        """Request ``wanted`` (item, quantity) for the main warehouse, approve, order, send."""
        buyer = self.people["purchasing"]
        today = at.date()
        lines = [
            RequestLineIn(item, qty, self.items[item].cost, needed_by=today + timedelta(days=7))
            for item, qty in wanted
        ]
        with clock.pinned(at):
            request_id = purchase_requests.create(
                buyer, self.centres[STORES[0]], lines, note="Weekly replenishment of MAIN"
            )
            purchase_requests.submit(buyer, request_id)
            self._approve_request(request_id, at)
            request = purchase_requests.get(request_id)
            order_ids = order_from_requests.create_from_requests(
                buyer, [x["id"] for x in request["lines"]], main, today
            )
            for order_id in order_ids:
                order = purchase_orders.get_order(order_id)
                if order["waiting_role"]:  # dearer than estimated: not with the demo's prices
                    self._approve_order(order_id, order["waiting_role"])
                purchase_orders.send_order(buyer, order_id, today)
                self._expect(order, today)
        self.summary.orders_sent += len(order_ids)

    def _approve_request(self, request_id: int, at: datetime, *, steps: int = 9) -> None:
        # Each of the first ``steps`` steps by a holder of its role, a minute apart, as people
        # would; a petty amount was approved on submission and needs nobody.
        request = purchase_requests.get(request_id)
        for step, role in enumerate(request["steps"][:steps]):
            with clock.pinned(at + timedelta(minutes=step + 1)):
                purchase_requests.approve(self.people[role], request_id, expected_step=step)

    def _approve_order(self, order_id: int, role: str | None) -> None:
        while role:
            role = approvals.approve_order(self.people[role], order_id)["waiting_role"]

    def _expect(self, order: dict, sent: date) -> None:
        spec = self.spec_of[order["supplier_id"]]
        late = self.rng.random() < spec.late_share
        due = sent + timedelta(days=spec.lead_days + (self.rng.randint(1, 4) if late else 0))
        lines = tuple((x["id"], x["item_id"], x["quantity"]) for x in order["lines"])
        for _, item, qty in lines:
            self.on_order[item] += qty
        self.deliveries.append(Delivery(due, order["id"], lines))

    def due(self, day: date) -> list[Delivery]:
        """The deliveries that arrive on ``day`` (those due over a weekend come on Monday)."""
        arriving = [d for d in self.deliveries if d.due <= day]
        self.deliveries = [d for d in self.deliveries if d.due > day]
        return arriving

    def receive(self, at: datetime, delivery: Delivery) -> list[tuple[int, Decimal]]:
        """Post the goods receipt; returns (item, accepted quantity) for the stock simulation."""
        damaged = None
        # The first delivery always brings a damaged line, so even a short demo shows one.
        first = self.summary.goods_receipts == 0
        if not delivery.replacement and (first or self.rng.random() < REJECT_SHARE):
            damaged = self.rng.randrange(len(delivery.lines))
        lines, accepted, replace = [], [], []
        for i, (po_line, item, qty) in enumerate(delivery.lines):
            rejected = Decimal(0)
            if i == damaged:
                step = Decimal("0.5") if self.items[item].fractional else Decimal(1)
                rejected = n.qty(max(step, (qty / 10 / step).to_integral_value() * step))
                rejected = rejected if rejected < qty else Decimal(0)
            reason = DAMAGE if rejected else ""
            lines.append(ReceiptLineIn(po_line, qty, qty - rejected, rejected, reason))
            accepted.append((item, qty - rejected))
            if rejected:
                replace.append((po_line, item, rejected))
        with clock.pinned(at):
            receipts.receive(self.people["warehouse"], delivery.order_id, lines)
        for item, qty in accepted:
            self.on_order[item] -= qty
        if replace:
            self.summary.rejected_lines += len(replace)
            self.deliveries.append(
                Delivery(at.date() + timedelta(days=3), delivery.order_id, tuple(replace), True)
            )
        self.summary.goods_receipts += 1
        return accepted

    # -- the last business day ---------------------------------------------------------------

    def stocktake(self, at: datetime, warehouse_id: int, on_hand: Counter) -> list[tuple]:
        """Count one category in a site store, with a few variances, approve and post it.
        Returns (item, variance) for the stock simulation."""
        clerk = self.people["warehouse"]
        category = Counter(s.category for s in self.items.values()).most_common(1)[0][0]
        counted = [i for i, s in self.items.items() if s.category == category]
        stocked = [i for i in counted if on_hand[i, warehouse_id] >= 1]
        off = set(self.rng.sample(stocked, min(3, len(stocked))))
        counts, variances = [], []
        for item in counted:
            book = on_hand[item, warehouse_id]
            step = Decimal("0.5") if self.items[item].fractional else Decimal(1)
            delta = Decimal(0)
            if item in off:  # mostly missing, sometimes found
                delta = -step if self.rng.random() < 0.7 else step
            counts.append(CountIn(item, n.qty(book + delta)))
            if delta:
                variances.append((item, delta))
        with clock.pinned(at):
            take = stocktakes.create(
                clerk, warehouse_id, category=category, note=f"Quarterly count of {category}"
            )
            stocktakes.count(clerk, take, counts)
        with clock.pinned(at + timedelta(minutes=5)):
            stocktakes.approve(self.people["approver"], take)
        with clock.pinned(at + timedelta(minutes=6)):
            stocktakes.post(clerk, take)
        self.summary.stocktakes += 1
        return variances

    def open_business(self, at: datetime, main: int) -> None:
        """Leave requests in every state a request can be in, and one order a draft."""
        buyer, approver = self.people["purchasing"], self.people["approver"]
        by_cost = sorted(self.items, key=lambda i: self.items[i].cost)
        costly = by_cost[-1]

        def pick(rank: int) -> int:  # the rank-th costliest item, or the cheapest of a few
            return by_cost[-min(rank, len(by_cost))]

        def worth(item: int, amount: int) -> list[RequestLineIn]:
            """One line of ``item`` worth about ``amount`` (which fixes its approval band)."""
            cost = self.items[item].cost
            return [RequestLineIn(item, Decimal(math.ceil(amount / cost)), cost)]

        def raised(centre: str, request_lines, note: str, minute: int) -> int:
            with clock.pinned(at + timedelta(minutes=minute)):
                request_id = purchase_requests.create(
                    buyer, self.centres[centre], request_lines, note=note
                )
                if minute:  # all but the first are submitted
                    purchase_requests.submit(buyer, request_id)
            return request_id

        draft = worth(by_cost[0], 120) + worth(by_cost[len(by_cost) // 2], 200)
        raised("MAINT", draft, "Spares for the compressor overhaul (draft)", 0)
        raised("LINE1", worth(pick(2), 600), "Line 1 changeover kit", 1)
        rejected = raised("LINE2", worth(pick(3), 900), "Second set of tools", 2)
        cancelled = raised("FAC", worth(pick(4), 400), "Office move", 3)
        approved = raised("SHIP", worth(pick(5), 1200), "Peak season packing", 4)
        drafted = raised("SHIP", worth(pick(5), 500), "Peak season, second wave", 5)
        large = raised("MAINT", worth(costly, 11000), "Annual stock of spares", 6)
        moment = at + timedelta(minutes=8)
        with clock.pinned(moment):
            purchase_requests.reject(
                approver, rejected, reason="Use the tools in the north store first."
            )
            purchase_requests.cancel(buyer, cancelled, reason="The move is postponed.")
        for request_id in (approved, drafted):
            self._approve_request(request_id, moment)
        self._approve_request(large, moment, steps=1)  # finance's step is still to come
        with clock.pinned(moment + timedelta(minutes=5)):
            request = purchase_requests.get(drafted)
            order_from_requests.create_from_requests(
                buyer, [x["id"] for x in request["lines"]], main, at.date()
            )

    def score(self, as_of: date) -> int:
        return scoring.rescore(as_of)["suppliers_scored"]
