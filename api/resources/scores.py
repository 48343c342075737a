"""Supplier scores: the ranked list and one supplier's score with its parts and trend.

Without query settings both read the table the ``rescore-suppliers`` job writes; with any of
them (``as_of``, ``window_months``, ``grace_days``, ``k``, ``weight_*``) the scores are computed
now from the receipts.
"""

from flask import Response
from flask.views import MethodView

from api.blueprint import Blueprint
from delivery import charts, exports
from delivery.access import roles
from delivery.schemas.scores import (
    LIVE_FIELDS,
    ScoreDetailSchema,
    ScoreListQuerySchema,
    ScoreQuerySchema,
    ScoreSummarySchema,
)
from inventory.domain import scoring as rules
from inventory.domain.actors import Role
from inventory.services import scoring

blp = Blueprint("scores", __name__, url_prefix="/api/v1", description="Supplier scores")
READERS = (Role.ADMIN, Role.PURCHASING, Role.APPROVER, Role.FINANCE, Role.VIEWER)
SCORE_COLUMNS = (
    exports.Column("rank", "Rank", "integer", width=8),
    exports.Column("supplier_id", "Supplier id", "integer", width=12),
    exports.Column("supplier_code", "Supplier", width=14),
    exports.Column("supplier_name", "Name", width=32),
    exports.Column("score", "Score", "number", places=2, width=10),
    exports.Column("grade", "Grade", width=8),
    exports.Column("raw_score", "Raw score", "number", places=2, width=12),
    exports.Column("deliveries", "Deliveries", "integer", width=12),
    *(
        exports.Column(f"{part}_sub_score", f"{title} (0-100)", "number", places=2, width=16)
        for part, title in (
            ("otif", "OTIF"),
            ("quality", "Quality"),
            ("lead_time", "Lead time"),
            ("price", "Price"),
        )
    ),
    exports.Column("trend_direction", "Trend", width=18),
    exports.Column("as_of", "As of", width=12),
    exports.Column("computed_at", "Computed at (UTC)", "moment", width=20),
    exports.Column("source", "Source", width=10),
)


def _settings(args: dict) -> dict:
    if not any(name in args for name in LIVE_FIELDS):
        return {"live": False}
    weights = dict(rules.DEFAULT_WEIGHTS)
    weights.update({p: args[f"weight_{p}"] for p in rules.PARTS if f"weight_{p}" in args})
    defaults = rules.ScoringConfig()
    config = rules.ScoringConfig(
        window_months=args.get("window_months", defaults.window_months),
        grace_days=args.get("grace_days", defaults.grace_days),
        k=float(args.get("k", defaults.k)),
        weights=weights,
    )
    return {"live": True, "as_of": args.get("as_of"), "config": config}


@blp.route("/supplier-scores")
class Scores(MethodView):
    @roles(*READERS)
    @blp.arguments(ScoreListQuerySchema(), location="query")
    @blp.response(200, ScoreSummarySchema(many=True))
    @exports.export_responses(blp, "the ranked scores with each part's sub-score")
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Every scored supplier, best first, with the deliveries its score stands on; as a CSV
        or XLSX file (with each part's sub-score) with ``format`` or an Accept header."""
        fmt = exports.requested_format(args.pop("format", None))
        if fmt != "json":
            return exports.download(
                scoring.score_report(exports.row_limit(), **_settings(args)),
                SCORE_COLUMNS,
                fmt,
                name=f"supplier-scores-{exports.report_day(args.get('as_of'))}",
                sheet="Supplier scores",
                too_many="Page through the JSON list instead.",
            )
        rows, total = scoring.list_scores(
            pagination_parameters.page, pagination_parameters.page_size, **_settings(args)
        )
        pagination_parameters.item_count = total
        return rows


@blp.route("/suppliers/<int(max=2147483647):supplier_id>/score")
class SupplierScore(MethodView):
    @roles(*READERS)
    @blp.arguments(ScoreQuerySchema(), location="query")
    @blp.response(200, ScoreDetailSchema)
    def get(self, args, supplier_id):
        """One supplier's score: each part's raw value, sub-score, weight and contribution, the
        deliveries counted, and the score per month with its direction."""
        return scoring.supplier_score(supplier_id, **_settings(args))


@blp.route("/suppliers/<int(max=2147483647):supplier_id>/score/trend.svg")
class SupplierScoreTrend(MethodView):
    @roles(*READERS)
    @blp.arguments(ScoreQuerySchema(), location="query")
    @blp.alt_response(
        200,
        schema={"type": "string"},
        content_type="image/svg+xml",
        description="The monthly score as a line chart (0-100), with the current score.",
        success=True,
    )
    def get(self, args, supplier_id):
        """One supplier's monthly score trend as an SVG line chart; the query settings work as
        for ``/score``."""
        found = scoring.supplier_score(supplier_id, **_settings(args))
        title = charts.score_title(
            found["supplier_code"], found["supplier_name"], found["score"], found["grade"]
        )
        svg = charts.score_trend_svg(title, found["trend"]["months"])
        response = Response(svg, mimetype="image/svg+xml")
        # Served from our own origin: the chart needs no scripts or fetches, so allow none.
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        return response
