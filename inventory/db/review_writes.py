"""The writer of reviews and reorder settings: locks what a review decides, records decisions,
and changes the settings row and the per item-and-warehouse policies. Called inside a service's
transaction; nothing here commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select

from inventory.db.models import Item
from inventory.db.procurement_models import PurchaseRequestLine
from inventory.db.replenishment_models import (
    ReorderPolicy,
    ReorderRun,
    ReorderSetting,
    ReorderSuggestion,
)
from inventory.db.review_queries import SETTINGS_ID
from inventory.domain.reorder_review import DEFAULT_SETTINGS, RunStatus


def lock_suggestions(session, suggestion_ids: Iterable[int]) -> list[tuple[ReorderSuggestion, str]]:
    """The named suggestions with their run's status, locked in id order (so two reviews of
    overlapping selections take turns instead of deadlocking); unknown ids are left out."""
    rows = session.execute(
        select(ReorderSuggestion, ReorderRun.status)
        .join(ReorderRun, ReorderRun.id == ReorderSuggestion.run_id)
        .where(ReorderSuggestion.id.in_(list(suggestion_ids)))
        .order_by(ReorderSuggestion.id)
        .with_for_update(of=ReorderSuggestion)
    ).all()
    return [(suggestion, status) for suggestion, status in rows]


def newest_succeeded_run_id(session) -> int | None:
    return session.scalar(
        select(ReorderRun.id)
        .where(ReorderRun.status == RunStatus.SUCCEEDED)
        .order_by(ReorderRun.id.desc())
        .limit(1)
    )


def valuation_costs(session, item_ids: Iterable[int]) -> dict[int, object]:
    rows = session.execute(
        select(Item.id, Item.valuation_cost).where(Item.id.in_(list(item_ids)))
    ).all()
    return dict(rows)


def request_line_ids(session, request_id: int) -> list[int]:
    """A request's line ids in line order (the order its lines were given in)."""
    return list(
        session.scalars(
            select(PurchaseRequestLine.id)
            .where(PurchaseRequestLine.request_id == request_id)
            .order_by(PurchaseRequestLine.line_no)
        )
    )


def record_decision(
    session,
    suggestions: Sequence[ReorderSuggestion],
    status: str,
    actor_id: int,
    at: datetime,
    *,
    reason: str = "",
    request_line_ids: dict[int, int] | None = None,
) -> None:
    """Mark the suggestions ``status`` by the actor at ``at``; accepted ones link to their
    request line (``request_line_ids``: suggestion id → line id)."""
    for suggestion in suggestions:
        suggestion.status = status
        suggestion.decided_by = actor_id
        suggestion.decided_at = at
        suggestion.dismiss_reason = reason
        if request_line_ids is not None:
            suggestion.request_line_id = request_line_ids[suggestion.id]
    session.flush()


def locked_settings(session) -> ReorderSetting:
    """The settings row, locked; written with the defaults first should it be missing."""
    row = session.get(ReorderSetting, SETTINGS_ID, with_for_update=True)
    if row is None:
        kinds = list(DEFAULT_SETTINGS["demand_kinds"])  # a copy: the row must not share it
        row = ReorderSetting(id=SETTINGS_ID, **{**DEFAULT_SETTINGS, "demand_kinds": kinds})
        session.add(row)
        session.flush()
    return row


def change_settings(session, row: ReorderSetting, values: dict, actor_id: int, at) -> None:
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by, row.updated_at = actor_id, at
    session.flush()


def locked_policy(session, item_id: int, warehouse_id: int) -> ReorderPolicy | None:
    return session.get(ReorderPolicy, (item_id, warehouse_id), with_for_update=True)


def put_policy(
    session, row: ReorderPolicy | None, item_id: int, warehouse_id: int, values: dict, actor_id, at
) -> ReorderPolicy:
    """Replace the policy's overrides with ``values`` (creating it when ``row`` is None)."""
    if row is None:
        row = ReorderPolicy(item_id=item_id, warehouse_id=warehouse_id)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by, row.updated_at = actor_id, at
    session.flush()
    return row


def delete_policy(session, row: ReorderPolicy) -> None:
    session.delete(row)
    session.flush()
