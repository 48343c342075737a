"""Admin: approval rules, cost centres and budgets (list, create, edit — as
/api/v1/approval-rules, /cost-centres and /budgets, which admin and finance write), and the job
runs with their outcome and progress. Edits carry the version they were rendered from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import abort, flash, g, redirect, render_template, request, url_for

from delivery.access import roles
from delivery.schemas.procurement_setup import (
    ACTIONS,
    ApprovalRuleSchema,
    ApprovalRuleUpdateSchema,
    BudgetSchema,
    BudgetUpdateSchema,
    CostCentreSchema,
    CostCentreUpdateSchema,
)
from inventory.db import job_queries, queries, reorder_queries
from inventory.db import request_queries as rq
from inventory.domain.actors import Role
from inventory.domain.approvals import APPROVING_ROLES
from inventory.errors import Conflict, NotFound, ValidationFailed
from inventory.services import approvals, budgets
from web import stale
from web.blueprint import pages
from web.forms import once
from web.reporting import Pager, load, page_number

WRITERS = (Role.ADMIN, Role.FINANCE)
ID = "<int(max=2147483647):record_id>"
MAX_CENTRES = 500  # choices offered in the budget form


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, date, amount, check, choice, centre, steps
    choices: tuple = ()
    optional: bool = False  # blank means null (an amount without an upper bound)
    hint: str = ""


@dataclass(frozen=True)
class Kind:
    slug: str
    title: str
    one: str
    schema: type
    update_schema: type
    fields: tuple[Field, ...]
    columns: tuple[tuple[str, str], ...]
    list_query: Callable
    create: Callable
    read: Callable
    update: Callable
    extra: dict = field(default_factory=dict)


KINDS = {
    k.slug: k
    for k in (
        Kind(
            "approval_rules",
            "Approval rules",
            "approval rule",
            ApprovalRuleSchema,
            ApprovalRuleUpdateSchema,
            (
                Field("name", "Name"),
                Field("min_amount", "From amount (included)", "amount"),
                Field(
                    "max_amount",
                    "Up to amount (excluded; blank: no limit)",
                    "amount",
                    optional=True,
                ),
                Field(
                    "steps",
                    "Approving roles in order, comma-separated",
                    "steps",
                    hint=f"From {', '.join(APPROVING_ROLES)}; blank: no approval needed.",
                ),
                Field("active", "Active", "check"),
            ),  # fmt: skip
            (
                ("name", "Name"),
                ("min_amount", "From"),
                ("max_amount", "Up to"),
                ("steps", "Steps"),
                ("active", "Active"),
            ),  # fmt: skip
            rq.approval_rules,
            approvals.create_rule,
            approvals.get_rule,
            approvals.update_rule,
        ),
        Kind(
            "cost_centres",
            "Cost centres",
            "cost centre",
            CostCentreSchema,
            CostCentreUpdateSchema,
            (Field("code", "Code"), Field("name", "Name"), Field("active", "Active", "check")),
            (("code", "Code"), ("name", "Name"), ("active", "Active")),
            rq.cost_centres,
            lambda actor, data: budgets.create_centre(actor, **data),
            budgets.get_centre,
            budgets.update_centre,
        ),
        Kind(
            "budgets",
            "Budgets",
            "budget",
            BudgetSchema,
            BudgetUpdateSchema,
            (
                Field("cost_centre_id", "Cost centre", "centre"),
                Field("period", "Period label", hint='e.g. "2026-Q4"'),
                Field("starts_on", "Starts on", "date"),
                Field("ends_on", "Ends on (included)", "date"),
                Field("amount", "Amount (base currency)", "amount"),
                Field("over_budget_action", "Past the budget", "choice", tuple(ACTIONS)),
            ),
            (
                ("cost_centre_id", "Cost centre"),
                ("period", "Period"),
                ("starts_on", "Starts"),
                ("ends_on", "Ends"),
                ("amount", "Budget"),
                ("committed", "Committed"),
                ("available", "Available"),
                ("over_budget_action", "Past the budget"),
            ),  # fmt: skip
            rq.budgets,
            budgets.create_budget,
            budgets.get_budget,
            budgets.update_budget,
        ),
    )
}


def _form_values(kind: Kind, schema) -> tuple[dict, dict]:
    """What the form sends, as the schema loads it (blank fields left out or null), and the
    values to show again in the form."""
    raw, shown = {}, {}
    for f in kind.fields:
        if f.name not in schema.fields:
            continue
        value = request.form.get(f.name, "").strip()
        if f.kind == "check":
            raw[f.name] = shown[f.name] = request.form.get(f.name) == "true"
        elif f.kind == "steps":
            shown[f.name] = value
            raw[f.name] = [s.strip() for s in value.split(",") if s.strip()]
        else:
            shown[f.name] = value
            if f.kind == "centre" and value.isdecimal() and len(value) < 12:
                raw[f.name] = int(value)  # the schema's ids are strict integers
            elif value:
                raw[f.name] = value
            elif f.optional:
                raw[f.name] = None
    return raw, shown


def _shown(kind: Kind, record: dict) -> dict:
    """A record as the form fields show it."""
    dumped = kind.schema().dump(record)
    values = {}
    for f in kind.fields:
        value = dumped.get(f.name)
        if f.kind == "steps":
            value = ", ".join(value or [])
        values[f.name] = "" if value is None else value
    return values


def _centres() -> list[dict]:
    return queries.first_rows(rq.cost_centres(), MAX_CENTRES)


def _kind(slug: str) -> Kind:
    return KINDS[slug]


def _list_page(kind: Kind, status=200, errors=None, values=None):
    found, total = queries.page(kind.list_query(), page_number(), 100)
    pager = Pager(page_number(), total)
    centres = _centres() if kind.slug == "budgets" else []
    labels = {c["id"]: c["code"] for c in centres}
    rows = []
    for record in found:
        dumped = kind.schema().dump(record)
        cells = []
        for key, _ in kind.columns:
            value = dumped.get(key)
            if key == "cost_centre_id":
                value = labels.get(value, value)
            elif key == "steps":
                value = " → ".join(value) or "no approval"
            elif isinstance(value, bool):
                value = "yes" if value else "no"
            cells.append("" if value is None else value)
        rows.append({"id": record["id"], "cells": cells})
    defaults = {"active": True, "over_budget_action": ACTIONS[0]}
    body = render_template(
        "web/admin/setup_list.html",
        kind=kind,
        rows=rows,
        paging=pager,
        errors=errors or {},
        values=values or defaults,
        centres=centres,
        can_write=True,
    )
    return body, status


def _record_page(kind: Kind, record: dict, status=200, errors=None, values=None, changed=None):
    body = render_template(
        "web/admin/setup_edit.html",
        kind=kind,
        record=record,
        values=values or _shown(kind, record),
        version=stale.version_of(record, kind.schema()),
        original=stale.as_json(record, kind.schema()),
        errors=errors or {},
        changed=changed or [],
        centres=_centres() if kind.slug == "budgets" else [],
    )
    return body, status


def _refusal(refused) -> dict:
    errors = {k: " ".join(v) if isinstance(v, list) else str(v) for k, v in refused.errors.items()}
    errors.setdefault("_form", str(refused))
    return errors


def _list(slug: str):
    return _list_page(_kind(slug))


def _create(slug: str):
    kind = _kind(slug)
    raw, shown = _form_values(kind, kind.schema())
    data, errors = load(kind.schema(), raw)
    if errors:
        return _list_page(kind, 422, errors, shown)
    try:
        _, body = once(lambda: (201, kind.schema().dump(kind.create(g.actor, data))))
    except (Conflict, ValidationFailed, NotFound) as refused:
        return _list_page(kind, refused.status, _refusal(refused), shown)
    flash(f"The {kind.one} was created.")
    return redirect(url_for(f"web.admin_setup_{slug}_record", record_id=body["id"]))


def _read(kind: Kind, record_id: int) -> dict:
    try:
        return kind.read(record_id)
    except NotFound as missing:
        abort(404, str(missing))


def _record(slug: str, record_id: int):
    kind = _kind(slug)
    return _record_page(kind, _read(kind, record_id))


def _save(slug: str, record_id: int):
    kind = _kind(slug)
    record = _read(kind, record_id)
    raw, shown = _form_values(kind, kind.update_schema())
    values = {**_shown(kind, record), **shown}
    changes, errors = load(kind.update_schema(), raw)
    if errors:
        return _record_page(kind, record, 422, errors, values)
    check = stale.guard(request.form.get("version", ""), kind.schema())
    try:
        once(lambda: (200, kind.schema().dump(kind.update(g.actor, record_id, changes, check))))
    except stale.StaleEdit as moved:
        changed = stale.changes(stale.original_of(request.form), moved.current)
        errors = {"_form": f"This {kind.one} changed since you opened it; nothing was saved."}
        return _record_page(kind, _read(kind, record_id), 409, errors, values, changed)
    except (Conflict, ValidationFailed) as refused:
        return _record_page(kind, record, refused.status, _refusal(refused), values)
    flash("Saved.")
    return redirect(url_for(f"web.admin_setup_{slug}_record", record_id=record_id))


def _register(slug: str) -> None:
    """The four routes of one kind: list, create, record, save."""
    path = f"/admin/{slug.replace('_', '-')}"
    endpoint = f"admin_setup_{slug}"

    def listed():
        return _list(slug)

    def created():
        return _create(slug)

    def shown(record_id: int):
        return _record(slug, record_id)

    def saved(record_id: int):
        return _save(slug, record_id)

    for func, name in ((listed, ""), (created, "_create"), (shown, "_record"), (saved, "_save")):
        func.__name__ = endpoint + name
    pages.get(path)(roles(*WRITERS)(listed))
    pages.post(path)(roles(*WRITERS)(created))
    pages.get(f"{path}/{ID}")(roles(*WRITERS)(shown))
    pages.post(f"{path}/{ID}")(roles(*WRITERS)(saved))


for _slug in KINDS:
    _register(_slug)


OUTCOMES = ("running", "succeeded", "failed")


@pages.get("/admin/jobs")
@roles(Role.ADMIN)
def admin_jobs():
    name = request.args.get("name") or None
    outcome = request.args.get("outcome") if request.args.get("outcome") in OUTCOMES else None
    found, total = queries.page(
        job_queries.job_runs(name=name, outcome=outcome), page_number(), 100
    )
    running = reorder_queries.running_run()
    progress = reorder_queries.run(running)["progress"] if running else None
    from inventory.jobs import registry

    return render_template(
        "web/admin/jobs.html",
        runs=found,
        paging=Pager(page_number(), total),
        names=sorted(registry()),
        outcomes=OUTCOMES,
        values={"name": name or "", "outcome": outcome or ""},
        reorder_progress=progress,
    )
