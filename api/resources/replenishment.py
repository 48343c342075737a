"""Reorder runs and their review: the runs with their progress, a run's suggestions and
exceptions, and accepting or dismissing suggestions.

Everyone reads; purchasing (and admin, who may raise requests too) reviews; admin starts runs.
"""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from api.blueprint import Blueprint, listing
from api.idempotent import IDEMPOTENCY_DOC, run_once
from delivery.access import EVERYONE, current_actor, roles
from delivery.schemas.replenishment import (
    AcceptedSchema,
    AcceptSchema,
    DismissedSchema,
    DismissSchema,
    ExceptionQuerySchema,
    ExceptionSchema,
    RunQuerySchema,
    RunSchema,
    RunSummarySchema,
    SuggestionQuerySchema,
    SuggestionSchema,
)
from inventory.db import review_queries as rq
from inventory.domain.actors import Role
from inventory.errors import NotFound
from inventory.services import purchase_requests, reorder_review, replenishment

runs_blp = Blueprint(
    "reorder_runs",
    __name__,
    url_prefix="/api/v1/reorder-runs",
    description="Reorder runs: forecasts, suggestions and exceptions, with progress",
)
review_blp = Blueprint(
    "reorder_suggestions",
    __name__,
    url_prefix="/api/v1/reorder-suggestions",
    description="Review of reorder suggestions: accept into draft purchase requests, or dismiss",
)
RUN_ID = "<int(max=2147483647):run_id>"
REVIEWERS = (Role.PURCHASING, Role.ADMIN)
accepted_schema = AcceptedSchema()


def _known_run(run_id: int) -> None:
    # An unknown run is a 404, not an empty page.
    if not rq.run_exists(run_id):
        raise NotFound(f"No reorder run with id {run_id}.")


@runs_blp.route("")
class Runs(MethodView):
    @roles(*EVERYONE)
    @runs_blp.arguments(RunQuerySchema(), location="query")
    @runs_blp.response(200, RunSummarySchema(many=True))
    @runs_blp.paged()
    def get(self, args, pagination_parameters):
        """One page of reorder runs, newest first, with their status and progress."""
        rows, total = rq.runs(pagination_parameters.page, pagination_parameters.page_size, **args)
        pagination_parameters.item_count = total
        return rows

    @roles(Role.ADMIN)
    @runs_blp.response(201, RunSchema, description="The run finished (no job broker).")
    @runs_blp.alt_response(
        202, schema=RunSchema, description="The run was handed to the job workers; poll it."
    )
    @runs_blp.alt_response(409, description="A run is in progress.")
    def post(self):
        """Start a reorder run now. Without a job broker it runs here and answers 201 with the
        finished run; with one it is dispatched and answers 202 at once. Either way the
        Location header names the run. The same day and inputs give the existing run."""
        run, finished = replenishment.start_reorder(current_actor())
        location = url_for("reorder_runs.RunRecord", run_id=run["id"])
        return run, 201 if finished else 202, {"Location": location}


@runs_blp.route(f"/{RUN_ID}")
class RunRecord(MethodView):
    @roles(*EVERYONE)
    @runs_blp.response(200, RunSchema)
    def get(self, run_id):
        """The run: status, progress (done, total, percent), counts and per-item errors."""
        found = rq.run(run_id)
        if found is None:
            raise NotFound(f"No reorder run with id {run_id}.")
        return found


@runs_blp.route(f"/{RUN_ID}/suggestions")
class RunSuggestions(MethodView):
    @roles(*EVERYONE)
    @runs_blp.arguments(SuggestionQuerySchema(), location="query")
    @runs_blp.response(200, SuggestionSchema(many=True))
    @runs_blp.paged()
    def get(self, args, run_id, pagination_parameters):
        """The run's suggestions, most urgent first, each explaining itself: the figures, the
        model and its backtest error, and the projected stock-out day."""
        _known_run(run_id)
        return listing(rq.suggestions(run_id, **args), pagination_parameters)


@runs_blp.route(f"/{RUN_ID}/exceptions")
class RunExceptions(MethodView):
    @roles(*EVERYONE)
    @runs_blp.arguments(ExceptionQuerySchema(), location="query")
    @runs_blp.response(200, ExceptionSchema(many=True))
    @runs_blp.paged()
    def get(self, args, run_id, pagination_parameters):
        """The run's exceptions: expedite (stock runs out before the next receipt), late order
        lines, and overstock (reduce or cancel open orders)."""
        _known_run(run_id)
        return listing(rq.exceptions(run_id, **args), pagination_parameters)


@review_blp.route("/accept")
class Accept(MethodView):
    @roles(*REVIEWERS)
    @review_blp.doc(**IDEMPOTENCY_DOC)
    @review_blp.arguments(AcceptSchema())
    @review_blp.response(201, AcceptedSchema)
    @review_blp.alt_response(
        409,
        description="Accepted or dismissed already, or from a run that is superseded or did not "
        "succeed; nothing is written and `refused` lists the ids by reason.",
    )
    def post(self, data):
        """Accept suggestions: draft purchase requests charged to the cost centre, one per
        supplier, each line linked back to its suggestion. All or nothing."""

        def work():
            done = reorder_review.accept(
                current_actor(), data["suggestion_ids"], data["cost_centre_id"], data["note"]
            )
            return 201, accepted_schema.dump(
                {
                    "requests": [purchase_requests.get(r) for r in done["request_ids"]],
                    "suggestions": rq.suggestion_rows(done["suggestion_ids"]),
                }
            )

        return run_once(data, work)


@review_blp.route("/dismiss")
class Dismiss(MethodView):
    @roles(*REVIEWERS)
    @review_blp.arguments(DismissSchema())
    @review_blp.response(200, DismissedSchema)
    @review_blp.alt_response(
        409, description="Decided already, or from a superseded run; nothing is written."
    )
    def post(self, data):
        """Dismiss suggestions with a reason (required). All or nothing."""
        ids = reorder_review.dismiss(current_actor(), data["suggestion_ids"], data["reason"])
        return {"suggestions": rq.suggestion_rows(ids)}
