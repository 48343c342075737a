from flask import request
from flask.views import MethodView

from api.auth import bearer_token
from api.blueprint import Blueprint
from delivery.access import EVERYONE, current_actor, login_policy, public, roles
from delivery.schemas.users import TokenRequestSchema, TokenSchema
from inventory.services import users

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Bearer tokens")


@blp.route("/token")
class Token(MethodView):
    @public
    @blp.arguments(TokenRequestSchema())
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Wrong username or password.")
    @blp.alt_response(429, description="Too many failed logins; see Retry-After.")
    def post(self, data):
        """Log in: exchange username and password for a bearer token."""
        issued = users.login(
            data["username"], data["password"], request.remote_addr or "", login_policy()
        )
        return {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_at": issued.expires_at,
        }

    @roles(*EVERYONE)
    @blp.response(204)
    def delete(self):
        """Log out: revoke the token this request carries."""
        users.revoke_token(current_actor(), bearer_token())
