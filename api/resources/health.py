from flask.views import MethodView
from marshmallow import Schema, fields

from api.auth import public
from api.blueprint import Blueprint
from inventory.services import health

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Liveness and readiness")


class HealthSchema(Schema):
    status = fields.String()
    database = fields.String()


@blp.route("/health")
class Health(MethodView):
    @public
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database is unreachable.")
    def get(self):
        """Is the service up, and can it reach its database?"""
        ok = health.database_ok()
        body = {"status": "ok" if ok else "degraded", "database": "ok" if ok else "unreachable"}
        return body, (200 if ok else 503)
