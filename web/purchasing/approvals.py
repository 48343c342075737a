"""The approver's inbox: what waits for one of your roles, with the budget figures of its cost
centre, and approve / reject with a reason."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import abort, flash, g, redirect, render_template, request, url_for

from delivery.access import roles
from delivery.schemas.requests import ApproveSchema, RejectSchema
from inventory import clock
from inventory.db import budget_queries
from inventory.db import purchasing_page_queries as ppq
from inventory.db import request_queries as rq
from inventory.domain import numbers as n
from inventory.domain import wording
from inventory.domain.actors import Role
from inventory.errors import DomainError
from inventory.services import approvals, purchase_requests
from web import items_paging
from web.blueprint import pages
from web.forms import load, once
from web.nav import menu_entry
from web.purchasing.common import as_id, page_url, paged, refused

DECIDERS = (Role.APPROVER, Role.FINANCE)
KINDS = ("purchase_request", "purchase_order")
DECISIONS = ("approve", "reject")

menu_entry("Approvals", "approval_inbox", DECIDERS, 40)


def _budget_rows(rows: list[dict]) -> None:
    """Beside each waiting request: its budget's figures and what is left after it."""
    heads = ppq.request_heads(r["id"] for r in rows if r["kind"] == "purchase_request")
    figures = budget_queries.figures(
        [h["budget_id"] for h in heads.values() if h["budget_id"]], clock.now().date()
    )
    for row in rows:
        head = heads.get(row["id"]) if row["kind"] == "purchase_request" else None
        row["steps"] = head["steps"] if head else []
        row["note"] = head["note"] if head else ""
        row["lines"] = head["lines"] if head else []
        row["line_count"] = head["line_count"] if head else 0
        budget = figures.get(head["budget_id"]) if head else None
        if budget is not None:
            budget = {**budget, "after": n.value(budget["available"] - row["amount"])}
        row["budget"] = budget


def inbox_page(decide_errors: dict | None = None, status: int = 200, number: int | None = None):
    actor = g.actor
    found = paged(rq.inbox(actor.id, actor.roles), number)
    rows = found["rows"]
    _budget_rows(rows)
    page = render_template(
        "web/purchasing/inbox.html",
        found=found,
        centres=ppq.cost_centre_codes(r["cost_centre_id"] for r in rows),
        names=ppq.usernames(r["raised_by"] for r in rows),
        decide_errors=decide_errors or {},
        page_url=lambda number: page_url("web.approval_inbox", number),
    )
    return page, status


@pages.get("/purchasing/approvals")
@roles(*DECIDERS)
def approval_inbox():
    return inbox_page()


def _back(default: str) -> str:
    target = request.form.get("next") or default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target.rstrip("?")


def _page_of(address: str) -> int | None:
    """The inbox page ``address`` shows (the form's ``next``), so a refusal is shown on it."""
    asked = parse_qs(urlsplit(address).query).get("page", [""])[0]
    return items_paging.whole(asked)


def _decide(kind: str, subject_id: int, decision: str, data: dict) -> int:
    step, reason = data.get("step"), data["reason"]
    if kind == "purchase_request":
        if decision == "approve":
            return purchase_requests.approve(g.actor, subject_id, expected_step=step, reason=reason)
        return purchase_requests.reject(g.actor, subject_id, reason=reason, expected_step=step)
    if decision == "approve":
        approvals.approve_order(g.actor, subject_id, expected_step=step, reason=reason)
    else:
        approvals.reject_order(g.actor, subject_id, reason=reason, expected_step=step)
    return subject_id


@pages.post("/purchasing/approvals/<kind>/<int(max=2147483647):subject_id>/<decision>")
@roles(*DECIDERS)
def approval_decide(kind: str, subject_id: int, decision: str):
    if kind not in KINDS or decision not in DECISIONS:
        abort(404)
    schema = ApproveSchema() if decision == "approve" else RejectSchema()
    values = {"step": as_id(request.form.get("step")), "reason": request.form.get("reason", "")}
    if values["step"] is None:
        values.pop("step")
    data, errors = load(schema, values)
    what = "request" if kind == "purchase_request" else "order"
    back = _back(url_for("web.approval_inbox"))
    if data is None:
        message = errors.get("reason") or next(iter(errors.values()))
        if decision == "reject" and wording.blank(values["reason"]):
            message = "Say why you reject it; the requester reads this."
        # Said at the top too: the entry may be on another page, or decided by someone else.
        flash(f"Purchase {what} {subject_id} was not decided: {message}", "error")
        if urlsplit(back).path == url_for("web.approval_inbox"):
            key = f"{kind}-{subject_id}"
            typed = {"reason": message, "typed": values["reason"], "decision": decision}
            return inbox_page({key: typed}, 422, _page_of(back))
        return redirect(back)
    try:
        once(lambda: (200, {"id": _decide(kind, subject_id, decision, data)}))
    except DomainError as error:
        if error.status == 404:
            abort(404, str(error))
        refused(error)
        return redirect(back)
    flash(_outcome(kind, subject_id, decision))
    return redirect(back)


def _outcome(kind: str, subject_id: int, decision: str) -> str:
    done = "approved" if decision == "approve" else "rejected"
    if kind == "purchase_order":
        state = approvals.get_order_approval(subject_id)
    else:
        state = purchase_requests.get(subject_id)
    what = "request" if kind == "purchase_request" else "order"
    now = state.get("approval_status", state["status"])
    waits = f"; it now waits for {state['waiting_role']}" if state.get("waiting_role") else ""
    return f"You {done} purchase {what} {subject_id}: it is {now}{waits}."
