from flask import request
from flask.views import MethodView

from api.auth import bearer_token
from api.blueprint import Blueprint
from delivery.access import EVERYONE, current_actor, login_policy, roles
from delivery.schemas.users import (
    PasswordChangeSchema,
    PasswordResetSchema,
    UserCreateSchema,
    UserEditSchema,
    UserSchema,
)
from inventory.domain.actors import Role
from inventory.services import user_admin, users

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Users and roles")
ID = "<int(max=2147483647):user_id>"
user_schema = UserSchema()


@blp.route("")
class Users(MethodView):
    @roles(Role.ADMIN)
    @blp.response(200, UserSchema(many=True))
    def get(self):
        """Every user with their roles."""
        return users.list_users()

    @roles(Role.ADMIN)
    @blp.arguments(UserCreateSchema())
    @blp.response(201, UserSchema)
    def post(self, data):
        """Create a user with a password and at least one role."""
        return user_admin.get_user(users.create_user(current_actor(), **data).id)


@blp.route(f"/{ID}")
class UserRecord(MethodView):
    @roles(Role.ADMIN)
    @blp.etag
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One user, with their roles."""
        return user_admin.get_user(user_id)

    @roles(Role.ADMIN)
    @blp.etag
    @blp.arguments(UserEditSchema())
    @blp.response(200, UserSchema)
    @blp.alt_response(409, description="The change would leave no active admin.")
    def patch(self, changes, user_id):
        """Change a user's full name, e-mail, roles (the whole new list) and/or active flag.
        Deactivating revokes their tokens at once; reactivating lets them log in again. Send
        If-Match with the ETag of your last read."""
        return user_admin.update_user(
            current_actor(),
            user_id,
            changes,
            lambda current: blp.check_etag(current, user_schema),
        )


@blp.route(f"/{ID}/password")
class PasswordReset(MethodView):
    @roles(Role.ADMIN)
    @blp.arguments(PasswordResetSchema())
    @blp.response(204)
    def post(self, data, user_id):
        """Reset a user's password (tell them the new one); revokes all their tokens."""
        user_admin.reset_password(current_actor(), user_id, data["password"])


@blp.route("/me/password")
class PasswordChange(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(PasswordChangeSchema())
    @blp.response(204)
    @blp.alt_response(429, description="Too many wrong passwords; see Retry-After.")
    def post(self, data):
        """Change your own password, giving the current one (a wrong one is a 422 and counts as
        a failed login). Your other tokens are revoked; this one stays valid."""
        user_admin.change_own_password(
            current_actor(),
            bearer_token(),
            data["current_password"],
            data["new_password"],
            request.remote_addr or "",
            login_policy(),
        )
