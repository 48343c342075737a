"""Supplier scores: the ranked list and one supplier's score with its parts and trend.

Without query settings both read the table the ``rescore-suppliers`` job writes; with any of
them (``as_of``, ``window_months``, ``grace_days``, ``k``, ``weight_*``) the scores are computed
now from the receipts.
"""

from flask.views import MethodView

from api.auth import roles
from api.blueprint import Blueprint
from api.schemas.scores import LIVE_FIELDS, ScoreDetailSchema, ScoreQuerySchema, ScoreSummarySchema
from inventory.domain import scoring as rules
from inventory.domain.actors import Role
from inventory.services import scoring

blp = Blueprint("scores", __name__, url_prefix="/api/v1", description="Supplier scores")
READERS = (Role.ADMIN, Role.PURCHASING, Role.APPROVER, Role.FINANCE, Role.VIEWER)


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
    @blp.arguments(ScoreQuerySchema(), location="query")
    @blp.response(200, ScoreSummarySchema(many=True))
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Every scored supplier, best first, with the deliveries its score stands on."""
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
