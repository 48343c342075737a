"""Period close on the pages: the closed months, closing the next one (finance, admin) and
reopening (admin, audited) — the same services as /api/v1/periods, after a confirmation."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from delivery.access import roles
from delivery.config import service_zone
from inventory import clock
from inventory.db import period_queries
from inventory.domain.actors import Role
from inventory.errors import Conflict, ValidationFailed
from inventory.services import periods
from web.blueprint import pages
from web.forms import once

MONEY = (Role.FINANCE, Role.ADMIN)
CONFIRM = "Tick the box to confirm."


def _suggested(listing: dict) -> str:
    """The month to offer for closing: the next one in order, else last month."""
    if listing["next"]:
        return listing["next"]
    return _last_month()


def _last_month() -> str:
    today = clock.now().astimezone(service_zone()).date()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _page(status: int = 200, errors: dict | None = None, values: dict | None = None, **extra):
    listing = period_queries.listing()
    values = values or {}
    values.setdefault("period", _suggested(listing))
    body = render_template(
        "web/finance/periods.html",
        listing=listing,
        closed=listing["closed"][::-1],
        errors=errors or {},
        values=values,
        can_reopen=g.actor.has_any({Role.ADMIN.value}),
        **extra,
    )
    return body, status


@pages.get("/finance/periods")
@roles(*MONEY)
def finance_periods():
    return _page()


def _confirmed_period():
    period = request.form.get("period", "").strip()
    errors = {}
    if not request.form.get("confirm"):
        errors["confirm"] = CONFIRM
    if not period:
        errors["period"] = "Give the month as YYYY-MM."
    return period, errors


def _refused(action: str, period: str, refused):
    # The close form has a month to type; reopen's month is a hidden field, so its refusal is
    # said at the top.
    field = "period" if isinstance(refused, ValidationFailed) and action == "close" else "_form"
    errors = {field: str(refused), "action": action}
    return _page(refused.status, errors, {"period": period} if action == "close" else {})


@pages.post("/finance/periods/close")
@roles(*MONEY)
def finance_period_close():
    period, errors = _confirmed_period()
    if errors:
        return _page(422, {**errors, "action": "close"}, {"period": period})
    try:
        once(lambda: (201, _shown(periods.close(g.actor, period))))
    except (Conflict, ValidationFailed) as refused:
        return _refused("close", period, refused)
    flash(f"Period {period} is closed: postings dated inside it are refused from now on.")
    return redirect(url_for("web.finance_periods"))


@pages.post("/finance/periods/reopen")
@roles(Role.ADMIN)
def finance_period_reopen():
    period, errors = _confirmed_period()
    if errors:
        return _page(422, {**errors, "action": "reopen", "reopen_period": period})
    try:
        _, body = once(lambda: (200, {"reopened": periods.reopen(g.actor, period)}))
    except (Conflict, ValidationFailed) as refused:
        return _refused("reopen", period, refused)
    flash(f"Reopened {', '.join(body['reopened'])} (audited); their snapshots were dropped.")
    return redirect(url_for("web.finance_periods"))


def _shown(row: dict) -> dict:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
