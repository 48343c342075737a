from flask.views import MethodView

from api.auth import roles
from api.blueprint import Blueprint, listing
from api.schemas.users import AuditEventSchema, AuditQuerySchema
from inventory.db import queries
from inventory.domain.actors import Role

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="The audit log")


@blp.route("/audit-events")
class AuditEvents(MethodView):
    @roles(Role.ADMIN, Role.FINANCE)
    @blp.arguments(AuditQuerySchema(), location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Every write, newest first: who, when, what, before and after."""
        return listing(queries.audit_events(**args), pagination_parameters)
