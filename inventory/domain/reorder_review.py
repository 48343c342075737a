"""Reviewing reorder suggestions, and the limits of the reorder settings and policies.

The rules, in full:
- A suggestion is ``open`` until purchasing decides it once: ``accepted`` (it becomes a line of a
  draft purchase request) or ``dismissed`` (with a reason). A decided suggestion is never decided
  again: accepting twice would order twice, the duplicate request the review exists to prevent.
- Only suggestions of the newest succeeded run are reviewed. An older run's figures are
  superseded (stock, orders and forecasts have moved since), so accepting from it would order
  against a picture that no longer holds; a run that failed or is still running proposes nothing
  to act on.
- One review call takes 1 to ``MAX_REVIEW_BATCH`` distinct suggestions, and is refused whole when
  any of them is refused: nothing is half done.
- Accepted suggestions become draft requests grouped by supplier (one request per supplier, in
  supplier id order, those without a supplier last), each of at most ``MAX_REQUEST_LINES`` lines.
- Settings: service levels strictly between 0 and 1 (a level of 1 asks for infinite stock, 0 for
  none), periods within the bounds below, horizons up to forecasting's limit (passed in),
  demand kinds from ``DEMAND_KINDS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from inventory.domain import numbers as n
from inventory.domain import wording
from inventory.domain.demand import DEMAND_KINDS
from inventory.domain.requests import MAX_REQUEST_LINES
from inventory.errors import Conflict, ValidationFailed

MAX_REVIEW_BATCH = 500
FREQUENCIES = ("D", "W", "M")
ABC_CLASSES = ("A", "B", "C")
URGENCIES = ("overdue", "urgent", "normal")
EXCEPTION_KINDS = ("expedite", "late_order", "overstock")
REVIEW_PERIOD_DAYS = (1, 365)
HISTORY_DAYS = (28, 3650)
LEAD_TIME_DAYS = (0, 730)
# The defaults migration 0004 writes; they hold again should the settings row be missing.
DEFAULT_SETTINGS = {
    "service_level_a": Decimal("0.98"),
    "service_level_b": Decimal("0.95"),
    "service_level_c": Decimal("0.90"),
    "review_period_days": 7,
    "history_days": 1095,
    "freq": "W",
    "horizon": 26,
    "demand_kinds": ["issue"],
}


class SuggestionStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Reviewable:
    """What the review rules need of one suggestion."""

    id: int
    run_id: int
    run_status: str
    status: str
    supplier_id: int | None = None


R = TypeVar("R", bound=Reviewable)


def check_batch(suggestion_ids: Sequence[int]) -> None:
    """1 to MAX_REVIEW_BATCH ids, none twice (422)."""
    if not suggestion_ids:
        raise ValidationFailed(
            "Name at least one suggestion.",
            errors={"suggestion_ids": ["Send 1 or more suggestion ids."]},
        )
    if len(suggestion_ids) > MAX_REVIEW_BATCH:
        raise ValidationFailed(
            f"At most {MAX_REVIEW_BATCH} suggestions are reviewed in one call.",
            errors={"suggestion_ids": [f"Send at most {MAX_REVIEW_BATCH} ids per call."]},
        )
    repeated = sorted({i for i in suggestion_ids if list(suggestion_ids).count(i) > 1})
    if repeated:
        raise ValidationFailed(
            f"Suggestions named more than once: {repeated}.",
            errors={"suggestion_ids": [f"Name each suggestion once; repeated: {repeated}."]},
        )


def check_known(wanted: Iterable[int], found: Iterable[int]) -> None:
    """Every wanted id exists (422 naming the unknown ones)."""
    unknown = sorted(set(wanted) - set(found))
    if unknown:
        raise ValidationFailed(
            f"No reorder suggestions with ids {unknown}.",
            errors={"suggestion_ids": [f"Unknown ids: {unknown}."]},
            extra={"unknown_ids": unknown},
        )


def check_reviewable(
    suggestions: Sequence[Reviewable], newest_succeeded_run: int | None, action: str
) -> None:
    """Refuse (409) the whole batch when any suggestion is decided already, from a run that did
    not succeed, or from a run a newer succeeded run supersedes; the problem lists each kind."""
    refused: dict[str, list[int]] = {}
    for s in suggestions:
        if s.status != SuggestionStatus.OPEN:
            refused.setdefault(str(s.status), []).append(s.id)
        elif s.run_status != RunStatus.SUCCEEDED:
            refused.setdefault("run_not_succeeded", []).append(s.id)
        elif newest_succeeded_run is not None and s.run_id < newest_succeeded_run:
            refused.setdefault("superseded", []).append(s.id)
    if not refused:
        return
    why = {
        "accepted": "accepted already",
        "dismissed": "dismissed already",
        "run_not_succeeded": "from a run that did not succeed",
        "superseded": f"from a run superseded by run {newest_succeeded_run}",
    }
    parts = [
        f"{'suggestion' if len(ids) == 1 else 'suggestions'} {', '.join(map(str, ids))} "
        f"{why.get(kind, kind)}"
        for kind, ids in sorted(refused.items())
    ]
    raise Conflict(
        f"Nothing was {action}: " + "; ".join(parts) + ".",
        extra={"refused": refused, "newest_run_id": newest_succeeded_run},
    )


def group_by_supplier(suggestions: Sequence[R]) -> list[tuple[int | None, list[R]]]:
    """One group per supplier (by supplier id, those without one last), each split into pieces
    of at most MAX_REQUEST_LINES suggestions, in suggestion id order inside."""
    groups: dict[int | None, list[R]] = {}
    for s in sorted(suggestions, key=lambda x: x.id):
        groups.setdefault(s.supplier_id, []).append(s)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    return [
        (supplier, members[i : i + MAX_REQUEST_LINES])
        for supplier, members in ordered
        for i in range(0, len(members), MAX_REQUEST_LINES)
    ]


def require_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if wording.blank(text):
        raise ValidationFailed(
            "Say why the suggestions are dismissed.",
            errors={"reason": ["Must not be blank."]},
        )
    return text


# --- settings and policies -----------------------------------------------------------------


def _service_level_problem(value: Decimal) -> str | None:
    if not Decimal(0) < value < Decimal(1):
        return "Use a service level strictly between 0 and 1 (e.g. 0.95)."
    if n.places(value) > n.COST_PLACES:
        return f"Use at most {n.COST_PLACES} decimal places."
    return None


def _within(value: int, bounds: tuple[int, int]) -> str | None:
    low, high = bounds
    if not low <= value <= high:
        return f"Use a whole number from {low} to {high}."
    return None


def check_settings(values: dict, max_horizon: int) -> None:
    """The defaults of every run (422 with field errors). ``max_horizon`` is the longest horizon
    forecasting accepts (``forecasting.MAX_HORIZON``): the limit is forecasting's, and this
    module stays free of pandas."""
    errors: dict[str, list[str]] = {}

    def note(field: str, problem: str | None) -> None:
        if problem:
            errors[field] = [problem]

    for abc in ABC_CLASSES:
        field = f"service_level_{abc.lower()}"
        if field in values:
            note(field, _service_level_problem(values[field]))
    if "review_period_days" in values:
        note("review_period_days", _within(values["review_period_days"], REVIEW_PERIOD_DAYS))
    if "history_days" in values:
        note("history_days", _within(values["history_days"], HISTORY_DAYS))
    if "freq" in values and values["freq"] not in FREQUENCIES:
        note("freq", f"Use one of {', '.join(FREQUENCIES)}.")
    if "horizon" in values:
        note("horizon", _within(values["horizon"], (1, max_horizon)))
    if "demand_kinds" in values:
        note("demand_kinds", _kinds_problem(values["demand_kinds"]))
    if errors:
        raise ValidationFailed(
            "Some reorder settings are not valid; see the field errors.", errors=errors
        )


def _kinds_problem(kinds: Sequence[str]) -> str | None:
    if not kinds:
        return "Name at least one kind of movement that counts as demand."
    unknown = [k for k in kinds if k not in DEMAND_KINDS]
    if unknown:
        return f"Unknown kinds {unknown}; use {', '.join(DEMAND_KINDS)}."
    if len(set(kinds)) != len(kinds):
        return "Name each kind once."
    return None


def check_policy(values: dict) -> None:
    """One item and warehouse's overrides (422 with field errors); ``None`` means the default."""
    errors: dict[str, list[str]] = {}
    if values.get("service_level") is not None:
        problem = _service_level_problem(values["service_level"])
        if problem:
            errors["service_level"] = [problem]
    for field, bounds in (
        ("review_period_days", REVIEW_PERIOD_DAYS),
        ("lead_time_days", LEAD_TIME_DAYS),
    ):
        if values.get(field) is not None:
            problem = _within(values[field], bounds)
            if problem:
                errors[field] = [problem]
    for field in ("min_quantity", "max_quantity"):
        value = values.get(field)
        if value is not None and (value < 0 or n.places(value) > n.QTY_PLACES):
            errors[field] = [f"Use a quantity of 0 or more with at most {n.QTY_PLACES} places."]
    low, high = values.get("min_quantity"), values.get("max_quantity")
    if low is not None and high is not None and low > high and "min_quantity" not in errors:
        errors["min_quantity"] = [f"Must not be more than max_quantity ({high})."]
    if errors:
        raise ValidationFailed(
            "The reorder policy is not valid; see the field errors.", errors=errors
        )
