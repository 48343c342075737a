from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields

from api.blueprint import Blueprint
from api.problems import RETRY_AFTER_SECONDS
from delivery.access import public
from inventory.services import health

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Liveness and readiness")


class DependencySchema(Schema):
    status = fields.String(metadata={"enum": ["ok", "down"]})
    required = fields.Boolean(
        metadata={"description": "Whether this process cannot serve while it is down."}
    )
    detail = fields.String(metadata={"description": "What being down means; only when down."})


class HealthSchema(Schema):
    status = fields.String(
        metadata={
            "enum": ["ok", "degraded", "unavailable"],
            "description": "ok: everything is up. degraded: an optional dependency is down "
            "(200). unavailable: a required one is down (503).",
        }
    )
    dependencies = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(DependencySchema),
        metadata={"description": "database always; broker when CELERY_BROKER_URL is set."},
    )


@blp.route("/health")
class Health(MethodView):
    @public
    @blp.response(200, HealthSchema)
    @blp.alt_response(
        503,
        schema=HealthSchema,
        description="A required dependency (the database) is down; see Retry-After.",
        headers={"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    )
    def get(self):
        """Which dependencies this process reaches; 503 when it cannot serve."""
        checks = {"database": health.database()}
        broker_url = current_app.config["CELERY_BROKER_URL"]
        if broker_url:
            checks["broker"] = health.broker(broker_url)
        body, ready = health.report(checks)
        if ready:
            return body
        return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
