from flask.views import MethodView

from api.auth import current_actor, roles
from api.blueprint import Blueprint
from api.schemas.users import UserCreateSchema, UserSchema
from inventory.domain.actors import Role
from inventory.services import users

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Users and roles")


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
        user = users.create_user(current_actor(), **data)
        return {
            "id": user.id,
            "username": user.username,
            "full_name": user.full_name,
            "email": user.email,
            "active": user.active,
            "roles": sorted(set(data["roles"])),
        }
