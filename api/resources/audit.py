import json

from flask.views import MethodView

from api.blueprint import Blueprint, listing
from delivery import exports
from delivery.access import roles
from delivery.exports import Column
from delivery.schemas.users import AuditEventSchema, AuditQuerySchema
from inventory.db import queries
from inventory.domain.actors import Role

AUDIT_COLUMNS = [
    Column("id", "Id", "integer", width=10),
    Column("at", "At", "moment", width=20),
    Column("actor_id", "User id", "integer", width=8),
    Column("action", "Action", width=24),
    Column("entity_type", "Entity", width=16),
    Column("entity_id", "Entity id", width=12),
    Column("before", "Before", width=40),
    Column("after", "After", width=40),
    Column("request_id", "Request id", width=20),
]


blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="The audit log")


@blp.route("/audit-events")
class AuditEvents(MethodView):
    @roles(Role.ADMIN, Role.FINANCE)
    @blp.arguments(AuditQuerySchema(), location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @exports.export_responses(blp, "the audit log, before and after as JSON text")
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Every write, newest first: who, when, what, before and after; as a CSV or XLSX file
        with ``format`` or an Accept header."""
        fmt = exports.requested_format(args.pop("format", None))
        if fmt == "json":
            return listing(queries.audit_events(**args), pagination_parameters)
        rows = [
            {**row, "before": _json(row["before"]), "after": _json(row["after"])}
            for row in queries.first_rows(queries.audit_events(**args), exports.row_limit())
        ]
        return exports.download(
            rows,
            AUDIT_COLUMNS,
            fmt,
            name=f"audit-log-{exports.report_day(None)}",
            sheet="Audit log",
            too_many="Narrow it with since, entity_type or actor_id.",
        )


def _json(value) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, default=str)
