"""The demo data set: three warehouses, a catalogue of MRO items, a year of movements and the
purchasing behind them (``demo_procurement``), with one user per role.

Everything is posted through the ordinary services (``master_data.create``,
``stock.create_document``, ``stock.cancel_document``, the purchasing and stocktake services), so
the books are exactly as real use would leave them. The clock is pinned to each movement's moment
while it posts, so the ledger carries real past dates and ``as_of`` queries and demand history
have something to show.

The history is a small simulation: items have a skewed popularity and a typical issue lot, some
categories are seasonal, the site stores are topped up from the main warehouse twice a week and
the main warehouse reorders from its suppliers every Monday through a purchase request, its
approvals and purchase orders, received when the suppliers deliver. Issues never ask for more
than the simulation knows is there, so no posting is refused.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from sqlalchemy import func, select

from inventory import clock
from inventory.db.base import db
from inventory.db.models import Item, User, Warehouse
from inventory.db.procurement_models import ApprovalRule, CostCentre, Supplier
from inventory.domain import numbers as n
from inventory.domain.actors import Actor
from inventory.domain.documents import DocumentType, LineIn
from inventory.errors import Conflict, InsufficientStock
from inventory.services import master_data, stock, users
from inventory.services.demo_catalogue import ItemSpec, catalogue
from inventory.services.demo_procurement import Delivery, Purchasing

WAREHOUSES = (
    ("MAIN", "Main warehouse"),
    ("NORTH", "North site store"),
    ("SOUTH", "South site store"),
)
DEMO_ROLES = ("admin", "warehouse", "purchasing", "approver", "finance", "viewer")
SOURCE = "demo"
LOT_FACTORS = (0.5, 1, 1, 1, 1, 1.5, 2, 3)
COST_CENTRES = ("Maintenance", "Production line 1", "Production line 2", "Facilities", "Shipping")


@dataclass(frozen=True)
class DemoSize:
    items: int = 300
    days: int = 365


@dataclass
class DemoSummary:
    warehouses: int = 0
    items: int = 0
    documents: Counter = field(default_factory=Counter)
    cancelled: int = 0
    refused: int = 0
    first_posting: datetime | None = None
    last_posting: datetime | None = None
    users_created: list[str] = field(default_factory=list)
    users_existing: list[str] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)  # of the users created
    supplier_items: int = 0
    orders_sent: int = 0
    goods_receipts: int = 0
    rejected_lines: int = 0
    stocktakes: int = 0
    suppliers_scored: int = 0


# Users alone do not count: `make run` may have created the first admin already.
DATA_TABLES = (Item, Warehouse, Supplier, CostCentre, ApprovalRule)


def has_data() -> bool:
    """True when any master data exists: the demo set loads only into an empty database."""
    session = db.session
    found = any(session.scalar(select(func.count()).select_from(t)) for t in DATA_TABLES)
    session.rollback()
    return found


def load(
    size: DemoSize = DemoSize(),
    *,
    password: str | None = None,
    seed: int = 7,
    end: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Load the demo set, its history ending the day before ``end`` (default: now).

    Creates the demo users (one per role in ``DEMO_ROLES``, username = role, each with a random
    password, or all with ``password``) unless those usernames exist; ``summary.passwords`` holds
    the new ones. ``progress(days)`` is called as days are posted. Raises ``Conflict`` if any
    master data exists already.
    """
    if has_data():
        raise Conflict("The database already holds data; the demo loads only into an empty one.")
    specs = catalogue(size.items)
    end = end or clock.now()
    start = datetime.combine(end.date() - timedelta(days=size.days), time(), tzinfo=UTC)
    summary = DemoSummary()
    with clock.pinned(start + timedelta(hours=5)):
        people = _demo_users(password, summary)
        warehouse_ids = [
            master_data.create("warehouse", None, {"code": code, "name": name})["id"]
            for code, name in WAREHOUSES
        ]
        item_ids = [
            master_data.create(
                "item",
                None,
                {
                    "sku": s.sku,
                    "name": s.name,
                    "category": s.category,
                    "unit_of_measure": s.unit,
                    "valuation_cost": s.cost,
                },
            )["id"]
            for s in specs
        ]
    summary.warehouses, summary.items = len(warehouse_ids), len(item_ids)
    items = dict(zip(item_ids, specs, strict=True))
    rng = random.Random(seed)
    purchasing = Purchasing(rng, people, items, summary)
    history = _History(rng, people["warehouse"], warehouse_ids, items, summary, purchasing)
    with clock.pinned(start + timedelta(hours=5, minutes=30)):
        # A quarter's budget for the stores: what the main warehouse passes on in 65 days.
        spend = sum(Decimal(str(history.total_rate[i])) * s.cost for i, s in items.items())
        purchasing.set_up(start.date(), end.date() + timedelta(days=90), 65 * spend)
    history.run(start, size.days, progress or (lambda _days: None))
    return summary


def _demo_users(password: str | None, summary: DemoSummary) -> dict[str, Actor]:
    """Create the demo users; return one actor per role (the existing user of that name, if
    any, is taken as holding that role)."""
    people = {}
    for role in DEMO_ROLES:
        user_id = db.session.scalar(select(User.id).where(User.username == role))
        if user_id is None:
            secret = password or secrets.token_urlsafe(12)
            user_id = users.create_user(
                None, username=role, password=secret, roles=[role], full_name=f"Demo {role}"
            ).id
            summary.users_created.append(role)
            summary.passwords[role] = secret
        else:
            summary.users_existing.append(role)
        people[role] = Actor(user_id, role, frozenset({role}))
    return people


class _History:
    """Replays a year of warehouse work day by day, posting each document at its own moment."""

    def __init__(self, rng, actor, warehouse_ids, items: dict[int, ItemSpec], summary, purchasing):
        self.rng = rng
        self.actor = actor
        self.purchasing: Purchasing = purchasing
        self.main, *self.sites = warehouse_ids
        self.warehouses = warehouse_ids
        self.items = items
        self.summary = summary
        self.on_hand: Counter = Counter()  # (item_id, warehouse_id) -> Decimal
        self.serial: Counter = Counter()
        self.posted_issues: list[tuple[int, int, list[LineIn]]] = []
        ids = list(items)
        rng.shuffle(ids)
        popularity = {item: 1 / (rank + 1) ** 0.8 for rank, item in enumerate(ids)}
        self.weights = {
            wh: {i: p * rng.uniform(0.5, 1.5) for i, p in popularity.items()}
            for wh in warehouse_ids
        }
        # Expected demand per business day, for the replenishment rules: docs × lines × share.
        mean_factor = sum(LOT_FACTORS) / len(LOT_FACTORS)
        docs = {self.main: 1.0, **{s: 2.0 for s in self.sites}}
        self.rate: dict[tuple[int, int], float] = {}
        for wh, weights in self.weights.items():
            total = sum(weights.values())
            for item, w in weights.items():
                lines = docs[wh] * 3.5 * w / total
                self.rate[item, wh] = lines * float(items[item].lot) * mean_factor
        self.total_rate = {i: sum(self.rate[i, wh] for wh in warehouse_ids) for i in items}

    # -- the calendar ---------------------------------------------------------------------

    def run(self, start: datetime, days: int, progress: Callable[[int], None]) -> None:
        opening = start + timedelta(hours=6)
        self._opening(opening)
        progress(1)
        last = start
        for offset in range(1, days):
            day = start + timedelta(days=offset)
            if day.weekday() < 5:
                self._business_day(day)
                last = day
            progress(1)
        self._closing(last)

    def _closing(self, day: datetime) -> None:
        """After the last business day's work: a stocktake, open requests, supplier scores."""
        site = self.sites[0] if self.sites else self.main
        for item, delta in self.purchasing.stocktake(
            day + timedelta(hours=17, minutes=45), site, self.on_hand
        ):
            self.on_hand[item, site] += delta
        self.summary.last_posting = day + timedelta(hours=17, minutes=51)
        self.purchasing.open_business(day + timedelta(hours=17, minutes=55), self.main)
        with clock.pinned(day + timedelta(hours=18, minutes=30)):
            self.summary.suppliers_scored = self.purchasing.score(day.date())

    def _opening(self, at: datetime) -> None:
        by_category: dict[str, list[LineIn]] = {}
        for item, spec in self.items.items():
            qty = self._lots(spec, max(35 * self.total_rate[item], 2 * float(spec.lot)))
            by_category.setdefault(spec.category, []).append(LineIn(item, qty, spec.cost))
        for k, (category, lines) in enumerate(sorted(by_category.items())):
            ref = f"Opening balance {category}"
            self._post(at + timedelta(minutes=k), DocumentType.RECEIPT, self.main, lines, ref=ref)
        for k, site in enumerate(self.sites):
            self._top_up(site, at + timedelta(minutes=30 + k), days=10)

    def _business_day(self, day: datetime) -> None:
        rng = self.rng
        events: list[Callable[[datetime], None]] = []
        if day.weekday() == 0:
            events.append(self._reorder)
        if day.weekday() in (1, 4):
            events.extend(lambda at, s=s: self._top_up(s, at, days=10) for s in self.sites)
        events.extend(lambda at, d=d: self._receive(at, d) for d in self.purchasing.due(day.date()))
        work: list[Callable[[datetime], None]] = []
        for wh in self.warehouses:
            count = rng.randint(0, 2) if wh == self.main else rng.randint(1, 3)
            work.extend(lambda at, wh=wh: self._issue(at, wh) for _ in range(count))
        if rng.random() < 0.08:
            work.append(self._adjust)
        rng.shuffle(work)
        events.extend(work)
        issued_before = len(self.posted_issues)
        if rng.random() < 0.05:
            events.append(lambda at: self._cancel_one_issue(at, since=issued_before))
        minutes = sorted(rng.sample(range(6 * 60 + 30, 17 * 60 + 30), len(events)))
        for event, minute in zip(events, minutes, strict=True):
            # Seconds stay below 50 so a burst of receipts (one second apart) keeps its order.
            event(day + timedelta(minutes=minute, seconds=rng.randint(0, 40)))

    # -- the work -------------------------------------------------------------------------

    def _issue(self, at: datetime, wh: int) -> None:
        rng = self.rng
        weights = self.weights[wh]
        picked = list(dict.fromkeys(rng.choices(list(weights), list(weights.values()), k=6)))
        lines = []
        for item in picked[: rng.randint(1, 6)]:
            spec = self.items[item]
            lot = float(spec.lot) * rng.choice(LOT_FACTORS) * spec.season(at.month)
            wanted = self._round(spec, lot)
            qty = min(wanted, self.on_hand[item, wh])  # a short shelf gives what it has
            if qty > 0:
                lines.append(LineIn(item, qty))
        if lines:
            centre = rng.choice(COST_CENTRES)
            ref = f"WO-{self._next('WO'):05d} {centre}"
            self._post(at, DocumentType.ISSUE, wh, lines, ref=ref)

    def _top_up(self, site: int, at: datetime, *, days: int) -> None:
        """Transfer from the main warehouse what a site store lacks for ``days`` of demand."""
        lines = []
        for item, spec in self.items.items():
            rate = self.rate[item, site]
            if float(self.on_hand[item, site]) >= 0.4 * days * rate:
                continue
            need = self._round(spec, days * rate - float(self.on_hand[item, site]), up=True)
            qty = min(need, self.on_hand[item, self.main])
            if qty > 0:
                lines.append(LineIn(item, qty))
        if lines:
            ref = f"TR-{self._next('TR'):05d} replenish store"
            self._post(at, DocumentType.TRANSFER, self.main, lines, to_wh=site, ref=ref)

    def _reorder(self, at: datetime) -> None:
        """Monday's replenishment: what is short, counting what is on order, in whole lots."""
        wanted = []
        for item, spec in self.items.items():
            rate = self.total_rate[item]
            position = float(self.on_hand[item, self.main] + self.purchasing.on_order[item])
            if position >= 12 * rate:
                continue
            wanted.append((item, self._lots(spec, 30 * rate - position)))
        if wanted:
            self.purchasing.reorder(at, self.main, wanted)

    def _receive(self, at: datetime, delivery: Delivery) -> None:
        for item, accepted in self.purchasing.receive(at, delivery):
            self.on_hand[item, self.main] += accepted
        self.summary.documents[DocumentType.RECEIPT.value] += 1
        self.summary.first_posting = self.summary.first_posting or at
        self.summary.last_posting = at

    def _adjust(self, at: datetime) -> None:
        """A stock count correction: mostly shrinkage or damage, sometimes found stock."""
        rng = self.rng
        wh = rng.choice(self.warehouses)
        stocked = [i for i in self.items if self.on_hand[i, wh] > 0]
        found = rng.random() < 0.3
        lines = []
        for item in rng.sample(stocked, min(len(stocked), rng.randint(1, 3))):
            spec = self.items[item]
            delta = self._round(spec, max(1.0, float(self.on_hand[item, wh]) * 0.04))
            delta = min(delta, self.on_hand[item, wh])
            lines.append(LineIn(item, delta if found else -delta))
        if lines:
            reason = "Found during cycle count" if found else "Damaged or missing"
            self._post(at, DocumentType.ADJUSTMENT, wh, lines, ref=reason)

    def _cancel_one_issue(self, at: datetime, *, since: int) -> None:
        """Someone posted an issue by mistake earlier today; cancelling reverses it exactly."""
        today = self.posted_issues[since:]
        if not today:
            return
        doc_id, wh, lines = self.rng.choice(today)
        with clock.pinned(at):
            stock.cancel_document(self.actor, doc_id)
        for line in lines:
            self.on_hand[line.item_id, wh] += line.quantity
        self.posted_issues.remove((doc_id, wh, lines))
        self.summary.cancelled += 1
        self.summary.last_posting = at

    # -- helpers --------------------------------------------------------------------------

    def _post(self, at, doc_type, wh, lines, *, to_wh=None, ref="") -> None:
        new = stock.NewDocument(
            type=doc_type,
            warehouse_id=wh,
            to_warehouse_id=to_wh,
            lines=lines,
            reference=ref,
            source=SOURCE,
        )
        try:
            with clock.pinned(at):
                doc_id = stock.create_document(self.actor, new)
        except InsufficientStock:  # the simulation and the books disagree; say so, go on
            self.summary.refused += 1
            return
        sign = -1 if doc_type in (DocumentType.ISSUE, DocumentType.TRANSFER) else 1
        for line in lines:
            self.on_hand[line.item_id, wh] += sign * line.quantity
            if to_wh is not None:
                self.on_hand[line.item_id, to_wh] += line.quantity
        if doc_type is DocumentType.ISSUE:
            self.posted_issues.append((doc_id, wh, lines))
        self.summary.documents[doc_type.value] += 1
        self.summary.first_posting = self.summary.first_posting or at
        self.summary.last_posting = at

    def _next(self, series: str) -> int:
        self.serial[series] += 1
        return self.serial[series]

    @staticmethod
    def _round(spec: ItemSpec, x: float, *, up: bool = False) -> Decimal:
        """Whole units, or half units of metres, litres and kilograms; at least one step."""
        step = Decimal("0.5") if spec.fractional else Decimal(1)
        mode = ROUND_CEILING if up else ROUND_FLOOR
        steps = (Decimal(str(x)) / step).to_integral_value(rounding=mode)
        return n.qty(max(steps, Decimal(1)) * step)

    @staticmethod
    def _lots(spec: ItemSpec, x: float) -> Decimal:
        """Round an order up to whole issue lots, as suppliers pack them."""
        lots = (Decimal(str(x)) / spec.lot).to_integral_value(rounding=ROUND_CEILING)
        return n.qty(max(lots, Decimal(1)) * spec.lot)
