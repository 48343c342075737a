"""The one writer of ``purchase_order_budget_flag`` rows: a direct order let through over a
budget that flags, with its amount, what the budget had left, who and when (append-only; the
exceptions report reads them, ``control_queries``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from inventory.db.procurement_models import PurchaseOrderBudgetFlag

_INSERT = insert(PurchaseOrderBudgetFlag.__table__)
STAGES = ("create", "send")


def record_order_flag(
    session: Session,
    *,
    order_id: int,
    budget_id: int,
    stage: str,
    amount: Decimal,
    budget_left: Decimal,
    actor_id: int,
    at: datetime,
) -> None:
    """Record that order ``order_id`` went on over budget ``budget_id`` at ``stage`` (create or
    send): ``amount`` in base currency, ``budget_left`` = budget − committed before it."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
    session.execute(
        _INSERT,
        {
            "order_id": order_id,
            "budget_id": budget_id,
            "stage": stage,
            "amount": amount,
            "budget_left": budget_left,
            "actor_id": actor_id,
            "at": at,
        },
    )
