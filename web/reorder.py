"""Reorder review: a run's suggestions and exceptions, filtered and paged, and accepting a
selection into draft purchase requests or dismissing it with a reason, through the same service
as the API. Purchasing and admin review, as in the API."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from delivery.access import roles
from delivery.schemas.replenishment import (
    AcceptSchema,
    DismissSchema,
    ExceptionQuerySchema,
    SuggestionQuerySchema,
)
from forecasting import DEMAND_CLASSES
from inventory.db import purchasing_queries as pq
from inventory.db import queries, request_queries
from inventory.db import review_queries as rq
from inventory.domain.actors import Role
from inventory.domain.pricing import BASE_CURRENCY
from inventory.domain.reorder_review import (
    ABC_CLASSES,
    EXCEPTION_KINDS,
    URGENCIES,
    SuggestionStatus,
)
from inventory.errors import Conflict, NotFound, ValidationFailed
from inventory.services import reorder_review
from web.blueprint import pages
from web.forms import form_id, load, once
from web.items_paging import GET_PAGES, filters, ids, one_page, whole
from web.nav import menu_entry

REVIEWERS = (Role.PURCHASING, Role.ADMIN)
menu_entry("Reorder", "reorder", REVIEWERS, 80)
SUGGESTION_FILTERS = (
    "warehouse_id",
    "supplier_id",
    "demand_class",
    "abc_class",
    "urgency",
    "status",
)
EXCEPTION_FILTERS = ("warehouse_id", "supplier_id", "demand_class", "abc_class", "kind")
# What the filter form keeps across a review (posted back as hidden fields).
KEPT = ("run_id", *SUGGESTION_FILTERS, "kind")
MAX_CHOICES = 500
GET_PAGES.update({f"web.{post}": ("web.reorder", KEPT) for post in ("accept", "dismiss")})


def _run_asked(source) -> tuple[dict | None, dict | None]:
    """The run asked for with ``run_id``, else the newest that succeeded; and that newest."""
    newest = rq.latest_succeeded_run()
    raw = (source.get("run_id") or "").strip()
    if not raw:
        return (rq.run(newest["id"]) if newest else None), newest
    run_id = whole(raw)
    if run_id is None or not rq.run_exists(run_id):
        raise NotFound(f"No reorder run with id {raw}.")
    return rq.run(run_id), newest


def _choices() -> dict:
    return {
        "warehouses": queries.first_rows(queries.warehouses(), MAX_CHOICES),
        "suppliers": queries.first_rows(pq.suppliers(), MAX_CHOICES),
        "centres": queries.first_rows(request_queries.cost_centres(active=True), MAX_CHOICES),
        "demand_classes": DEMAND_CLASSES,
        "abc_classes": ABC_CLASSES,
        "urgencies": URGENCIES,
        "kinds": EXCEPTION_KINDS,
        "statuses": [s.value for s in SuggestionStatus],
    }


def _review_page(status: int = 200, *, form: dict | None = None, form_errors=None, refusal=""):
    # After a post the page shows the filters the reviewer was looking at (sent with the form).
    source = request.args.to_dict() if request.method == "GET" else request.form.to_dict()
    # Open lines are what is left to review; "All" (blank) shows the decided ones too.
    source.setdefault("status", SuggestionStatus.OPEN.value)
    run, newest = _run_asked(source)
    args, errors, typed = filters(SuggestionQuerySchema(), SUGGESTION_FILTERS, source)
    exc_args, exc_errors, exc_typed = filters(ExceptionQuerySchema(), EXCEPTION_FILTERS, source)
    suggestions = exceptions = None
    if run is not None and not errors:
        suggestions = one_page(rq.suggestions(run["id"], **args))
    if run is not None and not exc_errors:
        exceptions = one_page(rq.exceptions(run["id"], **exc_args), name="exc_page")
    body = render_template(
        "web/reorder/review.html",
        run=run,
        newest=newest,
        suggestions=suggestions,
        exceptions=exceptions,
        errors={**exc_errors, **errors},
        typed={**exc_typed, **typed},
        form=form or {},
        form_errors=form_errors or {},
        refusal=refusal,
        kept={k: source.get(k, "") for k in KEPT},
        base_currency=BASE_CURRENCY,  # suggestions are priced in it
        **_choices(),
    )
    return body, status


@pages.get("/reorder")
@roles(*REVIEWERS)
def reorder():
    """The newest succeeded run (or ``?run_id=``): suggestions, most urgent first, and
    exceptions, each filtered and paged."""
    return _review_page()


def _back():
    # The filters the reviewer was looking at; a blank status (all) stays blank.
    kept = {k: request.form[k] for k in KEPT if k in request.form}
    return redirect(url_for("web.reorder", **kept))


def _typed_form() -> dict:
    return {
        "suggestion_ids": request.form.getlist("suggestion_ids"),
        "cost_centre_id": request.form.get("cost_centre_id", ""),
        "note": request.form.get("note", ""),
        "reason": request.form.get("reason", ""),
    }


FIELD_LABELS = {
    "suggestion_ids": "Lines",
    "cost_centre_id": "Cost centre",
    "note": "Note",
    "reason": "Reason",
}
# The schema's words where a person needs others.
PLAIN = {
    "suggestion_ids": "Tick the lines to act on, from the list below.",
    "cost_centre_id": "Choose the cost centre the requests are charged to.",
}


def _invalid(form: dict, errors: dict[str, str]) -> tuple[str, int]:
    """The form's field errors beside their fields and, so they are seen, named at the top
    (a tampered id comes as ``suggestion_ids.0``; its field is the list)."""
    fields: dict[str, str] = {}
    for key, message in errors.items():
        name = key.split(".")[0]
        if name in PLAIN and (key != name or not form[name]):  # nothing usable was chosen
            message = PLAIN[name]
        fields.setdefault(name, message)
    summary = " ".join(f"{FIELD_LABELS.get(n, n)}: {m}" for n, m in fields.items())
    return _review_page(422, form=form, form_errors=fields, refusal=summary)


def _refused(form: dict, error) -> tuple[str, int]:
    """The page again with the service's words, the selection kept: a refusal writes nothing."""
    fields = {name: " ".join(msgs) for name, msgs in (error.errors or {}).items()}
    return _review_page(error.status, form=form, form_errors=fields, refusal=str(error))


@pages.post("/reorder/accept")
@roles(*REVIEWERS)
def accept():
    """Accept the selected suggestions into draft purchase requests, one per supplier."""
    form = _typed_form()
    centre = form["cost_centre_id"]
    data, errors = load(
        AcceptSchema(),
        {
            "suggestion_ids": ids(form["suggestion_ids"]),
            "cost_centre_id": form_id(centre) if centre else None,
            "note": form["note"],
        },
    )
    if data is None:
        return _invalid(form, errors)

    def work():
        done = reorder_review.accept(
            g.actor, data["suggestion_ids"], data["cost_centre_id"], data["note"]
        )
        return 201, done

    try:
        _, done = once(work)
    except (Conflict, NotFound, ValidationFailed) as refused:
        return _refused(form, refused)
    count, made = len(done["suggestion_ids"]), done["request_ids"]
    flash(
        f"Accepted {count} suggestion{'s' if count != 1 else ''} into draft purchase "
        f"request{'s' if len(made) != 1 else ''} {', '.join(str(r) for r in made)}."
    )
    return _back()


@pages.post("/reorder/dismiss")
@roles(*REVIEWERS)
def dismiss():
    """Dismiss the selected suggestions with the reason given."""
    form = _typed_form()
    data, errors = load(
        DismissSchema(),
        {"suggestion_ids": ids(form["suggestion_ids"]), "reason": form["reason"]},
    )
    if data is None:
        return _invalid(form, errors)

    def work():
        return 200, {
            "suggestion_ids": reorder_review.dismiss(
                g.actor, data["suggestion_ids"], data["reason"]
            )
        }

    try:
        _, done = once(work)
    except (Conflict, NotFound, ValidationFailed) as refused:
        return _refused(form, refused)
    count = len(done["suggestion_ids"])
    flash(f"Dismissed {count} suggestion{'s' if count != 1 else ''}: {data['reason']}")
    return _back()
