"""Reviewing a reorder run, and the settings runs start from.

Purchasing accepts suggestions (they become draft purchase requests, one per supplier, raised
through ``purchase_requests.create`` so a request made here is the same as one raised by hand) or
dismisses them with a reason. Admins change the defaults and the per item-and-warehouse policies.
Each use case is one transaction, refused whole or done whole, and audited. The rules live in
``inventory.domain.reorder_review``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from forecasting import MAX_HORIZON
from inventory import clock
from inventory.db import review_queries as rq
from inventory.db import review_writes as writes
from inventory.db.replenishment_models import ReorderSuggestion
from inventory.domain import reorder_review as rules
from inventory.domain.actors import Actor
from inventory.domain.reorder_review import Reviewable, SuggestionStatus
from inventory.domain.requests import RequestLineIn
from inventory.errors import NotFound
from inventory.services import audit, purchase_requests
from inventory.services.tx import retrying, transaction

SUBJECT = "reorder_suggestion"


def _snapshot(s: ReorderSuggestion) -> dict:
    return {
        "status": s.status,
        "run_id": s.run_id,
        "item_id": s.item_id,
        "warehouse_id": s.warehouse_id,
        "supplier_id": s.supplier_id,
        "quantity": s.quantity,
        "request_line_id": s.request_line_id,
        "dismiss_reason": s.dismiss_reason,
    }


def _load_open(session, suggestion_ids: Sequence[int], action: str) -> list[ReorderSuggestion]:
    """Lock the suggestions and refuse the batch unless every one may be decided now."""
    rules.check_batch(suggestion_ids)
    found = writes.lock_suggestions(session, suggestion_ids)
    rules.check_known(suggestion_ids, [s.id for s, _ in found])
    rules.check_reviewable(
        [
            Reviewable(s.id, s.run_id, run_status, s.status, s.supplier_id)
            for s, run_status in found
        ],
        writes.newest_succeeded_run_id(session),
        action,
    )
    return [s for s, _ in found]


def _request_line(s: ReorderSuggestion, costs: dict) -> RequestLineIn:
    # A suggestion without a supplier price is estimated at the item's valuation cost: the
    # request still needs a figure for its approval band, and this is the best one we hold.
    price = s.unit_price if s.unit_price is not None else costs.get(s.item_id, Decimal(0))
    return RequestLineIn(
        item_id=s.item_id,
        quantity=s.quantity,
        estimated_price=price,
        needed_by=s.need_by,
        note=f"Reorder suggestion {s.id} (run {s.run_id}, warehouse {s.warehouse_id})",
    )


def _request_note(note: str, supplier_id: int | None, run_ids: set[int]) -> str:
    runs = ", ".join(str(r) for r in sorted(run_ids))
    origin = f"From reorder run {runs}; " + (
        f"supplier {supplier_id}." if supplier_id else "no supplier proposed."
    )
    return f"{note}\n{origin}" if note else origin


@retrying
def accept(
    actor: Actor, suggestion_ids: Sequence[int], cost_centre_id: int, note: str = ""
) -> dict:
    """Turn open suggestions of the newest run into draft purchase requests charged to
    ``cost_centre_id``, one per supplier; link each suggestion to its request line. Returns the
    ids of the requests raised and of the suggestions accepted."""
    with transaction() as session:
        chosen = _load_open(session, suggestion_ids, "accepted")
        by_id = {s.id: s for s in chosen}
        costs = writes.valuation_costs(session, {s.item_id for s in chosen})
        before = {s.id: _snapshot(s) for s in chosen}
        links: dict[int, int] = {}  # suggestion -> request line
        request_of: dict[int, int] = {}  # suggestion -> request
        request_ids: list[int] = []
        groups = rules.group_by_supplier(
            [Reviewable(s.id, s.run_id, "", s.status, s.supplier_id) for s in chosen]
        )
        for supplier_id, group in groups:
            members = [by_id[g.id] for g in group]
            request_id = purchase_requests.create(
                actor,
                cost_centre_id,
                [_request_line(s, costs) for s in members],
                _request_note(note, supplier_id, {s.run_id for s in members}),
            )
            request_ids.append(request_id)
            line_ids = writes.request_line_ids(session, request_id)
            links.update(zip([s.id for s in members], line_ids, strict=True))
            request_of.update((s.id, request_id) for s in members)
        writes.record_decision(
            session,
            chosen,
            SuggestionStatus.ACCEPTED,
            actor.id,
            clock.now(),
            request_line_ids=links,
        )
        for s in chosen:
            audit.record(
                actor,
                f"{SUBJECT}.accept",
                SUBJECT,
                s.id,
                before=before[s.id],
                after={**_snapshot(s), "request_id": request_of[s.id]},
            )
        return {"request_ids": request_ids, "suggestion_ids": sorted(by_id)}


@retrying
def dismiss(actor: Actor, suggestion_ids: Sequence[int], reason: str) -> list[int]:
    """Dismiss open suggestions of the newest run, with the reason; returns their ids."""
    reason = rules.require_reason(reason)
    with transaction() as session:
        chosen = _load_open(session, suggestion_ids, "dismissed")
        before = {s.id: _snapshot(s) for s in chosen}
        writes.record_decision(
            session, chosen, SuggestionStatus.DISMISSED, actor.id, clock.now(), reason=reason
        )
        for s in chosen:
            audit.record(
                actor, f"{SUBJECT}.dismiss", SUBJECT, s.id, before=before[s.id], after=_snapshot(s)
            )
        return sorted(s.id for s in chosen)


# --- settings and policies ---------------------------------------------------------------------


def get_settings() -> dict:
    return rq.settings()


@retrying
def update_settings(actor: Actor, values: dict, check_current: Callable[[dict], None]) -> dict:
    """Replace the run defaults with ``values`` if ``check_current`` accepts them as they are
    now (the If-Match)."""
    rules.check_settings(values, MAX_HORIZON)
    with transaction() as session:
        row = writes.locked_settings(session)
        current = rq.settings()
        check_current(current)
        writes.change_settings(session, row, values, actor.id, clock.now())
        after = rq.settings()
        audit.record(
            actor,
            "reorder_settings.update",
            "reorder_setting",
            row.id,
            before={k: current[k] for k in rq.SETTING_FIELDS},
            after={k: after[k] for k in rq.SETTING_FIELDS},
        )
        return after


def _check_place(item_id: int, warehouse_id: int) -> None:
    if not rq.item_exists(item_id):
        raise NotFound(f"No item with id {item_id}.")
    if not rq.warehouse_exists(warehouse_id):
        raise NotFound(f"No warehouse with id {warehouse_id}.")


def get_policy(item_id: int, warehouse_id: int) -> dict:
    """The item's policy in the warehouse; ``stored`` false (every override empty, so the
    defaults hold) when none was set."""
    _check_place(item_id, warehouse_id)
    found = rq.policy(item_id, warehouse_id)
    if found is not None:
        return {**found, "stored": True}
    return {
        "item_id": item_id,
        "warehouse_id": warehouse_id,
        **{name: None for name in rq.POLICY_FIELDS},
        "active": True,
        "updated_at": None,
        "updated_by": None,
        "stored": False,
    }


def _policy_values(policy: dict) -> dict:
    return {name: policy[name] for name in rq.POLICY_FIELDS}


@retrying
def put_policy(
    actor: Actor,
    item_id: int,
    warehouse_id: int,
    values: dict,
    check_current: Callable[[dict], None],
) -> dict:
    """Set the item's overrides in the warehouse (all of them: an absent one is cleared, so the
    default holds), if ``check_current`` accepts the policy as it is now (the If-Match)."""
    values = {name: values.get(name) for name in rq.POLICY_FIELDS}
    values["active"] = True if values["active"] is None else values["active"]
    rules.check_policy(values)
    with transaction() as session:
        _check_place(item_id, warehouse_id)
        row = writes.locked_policy(session, item_id, warehouse_id)
        current = get_policy(item_id, warehouse_id)
        check_current(current)
        writes.put_policy(session, row, item_id, warehouse_id, values, actor.id, clock.now())
        after = get_policy(item_id, warehouse_id)
        audit.record(
            actor,
            "reorder_policy.create" if row is None else "reorder_policy.update",
            "reorder_policy",
            f"{item_id}@{warehouse_id}",
            before=_policy_values(current) if row is not None else None,
            after=_policy_values(after),
        )
        return after


@retrying
def delete_policy(actor: Actor, item_id: int, warehouse_id: int) -> None:
    """Drop the item's overrides in the warehouse; the defaults hold again."""
    with transaction() as session:
        _check_place(item_id, warehouse_id)
        row = writes.locked_policy(session, item_id, warehouse_id)
        if row is None:
            raise NotFound(f"Item {item_id} has no reorder policy in warehouse {warehouse_id}.")
        before = _policy_values(get_policy(item_id, warehouse_id))
        writes.delete_policy(session, row)
        audit.record(
            actor,
            "reorder_policy.delete",
            "reorder_policy",
            f"{item_id}@{warehouse_id}",
            before=before,
        )
