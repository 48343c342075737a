"""The one writer of ``status_change`` rows: who moved which subject from which status to which,
when and why.

Every service records a change through ``record_status_change``. The one exception is a goods
receipt on PostgreSQL, whose order status change is a CTE of the receipt's single statement
(``receipt_writes.write_receipt``, the measured hot path); it writes the same columns as
``change_row`` makes, and SQLite's receipt path calls ``record_status_change`` itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from inventory.db.procurement_models import StatusChange


def change_row(
    subject_type: str,
    subject_id: int,
    from_status,
    to_status,
    actor_id: int | None,
    at: datetime,
    reason: str = "",
) -> dict:
    """A ``status_change`` row's columns; statuses (enum members or strings) as strings."""
    return {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "from_status": None if from_status is None else str(from_status),
        "to_status": str(to_status),
        "actor_id": actor_id,
        "at": at,
        "reason": reason,
    }


def record_status_change(
    session: Session,
    subject_type: str,
    subject_id: int,
    from_status,
    to_status,
    actor_id: int | None,
    at: datetime,
    reason: str = "",
) -> None:
    """Add one ``status_change`` row to ``session`` (written with the transaction's next flush,
    in the order changes are recorded)."""
    session.add(
        StatusChange(
            **change_row(subject_type, subject_id, from_status, to_status, actor_id, at, reason)
        )
    )
