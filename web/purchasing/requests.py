"""Purchase requests: the list (mine or all, by status), raising one with lines typed by SKU,
editing a draft (a stale edit shows what changed instead of overwriting), submitting it."""

from __future__ import annotations

import hashlib
import json

from flask import abort, flash, g, redirect, render_template, request, url_for

from delivery.access import EVERYONE, roles
from delivery.schemas.requests import RequestEditSchema, RequestInSchema, RequestSchema
from inventory.db import purchasing_page_queries as ppq
from inventory.db import request_queries as rq
from inventory.db.queries import first_rows
from inventory.domain.actors import Role
from inventory.domain.requests import MAX_REQUEST_LINES, RequestLineIn, RequestStatus
from inventory.errors import DomainError, ValidationFailed
from inventory.services import purchase_requests
from web.blueprint import pages
from web.forms import load, once
from web.nav import menu_entry
from web.purchasing.common import (
    as_id,
    blank_to_none,
    field_errors,
    page_url,
    paged,
    refused,
    renumber,
)

RAISERS = (Role.ADMIN, Role.PURCHASING)
DECIDERS = (Role.APPROVER, Role.FINANCE)
LINE_FIELDS = ("sku", "quantity", "estimated_price", "needed_by", "note")
BLANK_ROWS = 3
MAX_CENTRES = 500  # the cost centre choice lists the active ones, by code
STATUSES = [s.value for s in RequestStatus]

menu_entry("Requests", "purchase_requests_list", EVERYONE, 30)


class StaleEdit(Exception):
    """The request changed since the edit form was rendered."""

    def __init__(self, current: dict):
        super().__init__("The request changed since you opened it.")
        self.current = current


def version_of(body: dict) -> str:
    """The request's version as the API's ETag computes it (the schema's dump, hashed)."""
    data = json.dumps(RequestSchema().dump(body), sort_keys=True)
    return hashlib.sha1(data.encode()).hexdigest()  # noqa: S324 - a version, not a secret


@pages.get("/purchasing/requests")
@roles(*EVERYONE)
def purchase_requests_list():
    raiser = g.actor.has_any(RAISERS)
    scope = request.args.get("scope") or ("mine" if raiser else "all")
    status = request.args.get("status") or None
    if status not in STATUSES:
        status = None
    query = rq.purchase_requests(
        status=status, requester_id=g.actor.id if scope == "mine" else None
    )
    found = paged(query)
    rows = found["rows"]
    return render_template(
        "web/purchasing/requests.html",
        found=found,
        scope=scope,
        status=status,
        statuses=STATUSES,
        centres=ppq.cost_centre_codes(r["cost_centre_id"] for r in rows),
        names=ppq.usernames(r["requester_id"] for r in rows),
        may_raise=raiser,
        page_url=lambda n: page_url("web.purchase_requests_list", n),
    )


def _centres() -> list[dict]:
    return first_rows(rq.cost_centres(active=True), MAX_CENTRES)


def _typed_rows(form) -> list[dict]:
    """The line rows as typed (at least one; blank rows kept, so the form shows them again)."""
    count = as_id(form.get("line_rows")) or 0
    count = min(count if isinstance(count, int) else 0, MAX_REQUEST_LINES + BLANK_ROWS)
    rows = [{f: form.get(f"lines-{i}-{f}", "").strip() for f in LINE_FIELDS} for i in range(count)]
    return rows or [dict.fromkeys(LINE_FIELDS, "")]


def _payload(form, rows: list[dict]) -> tuple[dict, list[int], dict[str, str]]:
    """The request as the API's schema reads it, which form row each line came from, and the
    SKUs that name no active item."""
    filled = [i for i, row in enumerate(rows) if any(row.values())]
    skus = ppq.item_ids_by_sku(rows[i]["sku"] for i in filled)
    errors: dict[str, str] = {}
    lines = []
    for i in filled:
        row = rows[i]
        item_id = skus.get(row["sku"].lower())
        if not row["sku"]:
            errors[f"lines.{i}.sku"] = "Type or scan a SKU."
        elif item_id is None:
            errors[f"lines.{i}.sku"] = f"No active item with SKU {row['sku']}."
        lines.append(
            {
                "item_id": item_id or 1,  # a stand-in: the SKU's own error is said above
                "quantity": row["quantity"],
                "estimated_price": row["estimated_price"],
                "needed_by": blank_to_none(row["needed_by"]),
                "note": row["note"],
            }
        )
    data = {"cost_centre_id": as_id(form.get("cost_centre_id")), "note": form.get("note", "")}
    if data["cost_centre_id"] is None:
        data.pop("cost_centre_id")
    data["lines"] = lines
    return data, filled, errors


def _validated(schema, form, rows):
    data, filled, sku_errors = _payload(form, rows)
    loaded, errors = load(schema, data)
    errors = renumber(errors, filled, {"item_id": "sku"})
    errors.update(sku_errors)
    if "lines" in errors:
        errors["lines"] = "Fill in at least one line (SKU, quantity and estimated price)."
    return (None if errors else loaded), filled, errors


def _lines_in(loaded: dict) -> list[RequestLineIn]:
    return [RequestLineIn(**line) for line in loaded["lines"]]


def _form_page(template_args: dict, status: int = 200):
    if request.form.get("action") == "add_line":
        template_args["rows"] = template_args["rows"] + [dict.fromkeys(LINE_FIELDS, "")]
    return render_template("web/purchasing/request_form.html", centres=_centres(), **template_args)


@pages.get("/purchasing/requests/new")
@roles(*RAISERS)
def purchase_request_new():
    rows = [dict.fromkeys(LINE_FIELDS, "") for _ in range(BLANK_ROWS)]
    return render_template(
        "web/purchasing/request_form.html",
        centres=_centres(),
        rows=rows,
        values={},
        errors={},
        record=None,
    )


@pages.post("/purchasing/requests/new")
@roles(*RAISERS)
def purchase_request_create():
    rows = _typed_rows(request.form)
    values = dict(request.form)
    if request.form.get("action") == "add_line":
        return _form_page({"rows": rows, "values": values, "errors": {}, "record": None})
    loaded, filled, errors = _validated(RequestInSchema(), request.form, rows)
    if loaded is not None:
        try:
            _, body = once(
                lambda: (
                    201,
                    {
                        "id": purchase_requests.create(
                            g.actor, loaded["cost_centre_id"], _lines_in(loaded), loaded["note"]
                        )
                    },
                )
            )
        except ValidationFailed as invalid:
            errors = renumber(field_errors(invalid), filled, {"item_id": "sku"})
            errors.setdefault("_form", str(invalid))
        else:
            flash(f"Purchase request {body['id']} saved as a draft. Submit it when it is ready.")
            return redirect(url_for("web.purchase_request_page", request_id=body["id"]))
    page = _form_page({"rows": rows, "values": values, "errors": errors, "record": None})
    return page, 422


def _record(request_id: int) -> dict:
    return purchase_requests.get(request_id)


@pages.get("/purchasing/requests/<int(max=2147483647):request_id>")
@roles(*EVERYONE)
def purchase_request_page(request_id: int):
    record = _record(request_id)
    items = ppq.item_labels(line["item_id"] for line in record["lines"])
    people = [record["requester_id"]] + [d["approver_id"] for d in record["decisions"]]
    people += [h["actor_id"] for h in record["history"]]
    actor = g.actor
    mine_or_admin = actor.id == record["requester_id"] or Role.ADMIN.value in actor.roles
    draft = record["status"] == RequestStatus.DRAFT.value
    waiting = record["status"] == RequestStatus.SUBMITTED.value and record["waiting_role"]
    return render_template(
        "web/purchasing/request.html",
        record=record,
        items=items,
        names=ppq.usernames(people),
        centre=ppq.cost_centre_codes([record["cost_centre_id"]]).get(record["cost_centre_id"]),
        may_edit=draft and mine_or_admin and actor.has_any(RAISERS),
        may_decide=bool(waiting) and actor.has_any(DECIDERS) and waiting in actor.roles,
    )


def _display(record: dict, items: dict) -> dict[str, str]:
    """What a person reads of a draft's editable content, one entry per field or line."""
    codes = ppq.cost_centre_codes([record["cost_centre_id"]])
    shown = {
        "Cost centre": codes.get(record["cost_centre_id"], str(record["cost_centre_id"])),
        "Note": record["note"],
    }
    for line in record["lines"]:
        sku = items.get(line["item_id"], {}).get("sku", f"item {line['item_id']}")
        text = f"{sku} × {line['quantity']} at {line['estimated_price']}"
        if line["needed_by"]:
            text += f", needed by {line['needed_by']}"
        if line["note"]:
            text += f" ({line['note']})"
        shown[f"Line {line['line_no']}"] = text
    return shown


def _edit_args(record: dict) -> dict:
    items = ppq.item_labels(line["item_id"] for line in record["lines"])
    return {
        "version": version_of(record),
        "original": json.dumps(_display(record, items)),
        "items": items,
    }


@pages.get("/purchasing/requests/<int(max=2147483647):request_id>/edit")
@roles(*RAISERS)
def purchase_request_edit(request_id: int):
    record = _record(request_id)
    if record["status"] != RequestStatus.DRAFT.value:
        flash(f"Purchase request {request_id} is {record['status']}; only drafts are edited.")
        return redirect(url_for("web.purchase_request_page", request_id=request_id))
    args = _edit_args(record)
    rows = [
        {
            "sku": args["items"].get(line["item_id"], {}).get("sku", ""),
            "quantity": str(line["quantity"]),
            "estimated_price": str(line["estimated_price"]),
            "needed_by": line["needed_by"].isoformat() if line["needed_by"] else "",
            "note": line["note"],
        }
        for line in record["lines"]
    ] + [dict.fromkeys(LINE_FIELDS, "")]
    values = {"cost_centre_id": str(record["cost_centre_id"]), "note": record["note"]}
    return render_template(
        "web/purchasing/request_form.html",
        centres=_centres(),
        rows=rows,
        values=values,
        errors={},
        record=record,
        version=args["version"],
        original=args["original"],
    )


def _changes(original: str, now: dict[str, str]) -> list[dict]:
    try:
        before = json.loads(original)
    except ValueError:
        before = {}
    if not isinstance(before, dict):
        before = {}
    keys = list(dict.fromkeys([*before, *now]))
    return [
        {"field": k, "old": before.get(k, "—"), "new": now.get(k, "—")}
        for k in keys
        if before.get(k) != now.get(k)
    ]


@pages.post("/purchasing/requests/<int(max=2147483647):request_id>/edit")
@roles(*RAISERS)
def purchase_request_update(request_id: int):
    record = _record(request_id)
    rows = _typed_rows(request.form)
    values = dict(request.form)
    form_args = {
        "rows": rows,
        "values": values,
        "record": record,
        "version": request.form.get("version", ""),
        "original": request.form.get("original", "{}"),
    }
    if request.form.get("action") == "add_line":
        return _form_page({**form_args, "errors": {}})
    loaded, filled, errors = _validated(RequestEditSchema(), request.form, rows)
    if loaded is None:
        return _form_page({**form_args, "errors": errors}), 422
    sent = request.form.get("version", "")

    def check_current(current: dict) -> None:
        if version_of(current) != sent:
            raise StaleEdit(current)

    changes = {**loaded, "lines": _lines_in(loaded)}
    try:
        once(
            lambda: (
                200,
                {"id": purchase_requests.edit(g.actor, request_id, changes, check_current)},
            )
        )
    except StaleEdit as stale:
        args = _edit_args(stale.current)
        shown = json.loads(args["original"])
        page = _form_page(
            {
                **form_args,
                "record": stale.current,
                "errors": {},
                "changed": _changes(form_args["original"], shown),
                "version": args["version"],
                "original": args["original"],
            }
        )
        return page, 409
    except ValidationFailed as invalid:
        errors = renumber(field_errors(invalid), filled, {"item_id": "sku"})
        errors.setdefault("_form", str(invalid))
        return _form_page({**form_args, "errors": errors}), 422
    except DomainError as error:  # submitted meanwhile, or not yours
        refused(error)
        return redirect(url_for("web.purchase_request_page", request_id=request_id))
    flash(f"Purchase request {request_id} saved.")
    return redirect(url_for("web.purchase_request_page", request_id=request_id))


@pages.post("/purchasing/requests/<int(max=2147483647):request_id>/submit")
@roles(*RAISERS)
def purchase_request_submit(request_id: int):
    try:
        once(lambda: (200, {"id": purchase_requests.submit(g.actor, request_id)}))
    except DomainError as error:
        if error.status == 404:
            abort(404, str(error))
        refused(error)
    else:
        record = _record(request_id)
        if record["status"] == RequestStatus.APPROVED.value:
            flash(f"Purchase request {request_id} is approved (its amount needs no approval).")
        else:
            flash(
                f"Purchase request {request_id} is submitted; it waits for "
                f"{record['waiting_role']}."
            )
    return redirect(url_for("web.purchase_request_page", request_id=request_id))
