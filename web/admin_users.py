"""Admin: users — create with roles and e-mail, change roles and e-mail, deactivate and
activate, reset a password (shown once). The same services as /api/v1/users; edits carry the
version they were rendered from and a changed user shows what changed."""

from __future__ import annotations

import secrets

from flask import abort, flash, g, redirect, render_template, request, url_for

from delivery.access import roles
from delivery.schemas.users import UserCreateSchema, UserEditSchema, UserSchema
from inventory.domain.actors import ALL_ROLES, Role
from inventory.errors import Conflict, NotFound, ValidationFailed
from inventory.services import user_admin, users
from web import stale
from web.blueprint import pages
from web.forms import once
from web.nav import menu_entry
from web.reporting import Pager, load, page_number

ADMIN = (Role.ADMIN,)
ROLE_NAMES = sorted(ALL_ROLES)
ID = "<int(max=2147483647):user_id>"
user_schema = UserSchema()

menu_entry("Admin", "admin_users", ADMIN, 100)


def _list_page(status=200, errors=None, values=None):
    everyone = users.list_users()
    pager = Pager(page_number(), len(everyone))
    body = render_template(
        "web/admin/users.html",
        users=everyone[pager.offset : pager.offset + pager.size],
        paging=pager,
        errors=errors or {},
        values=values or {"roles": []},
        role_names=ROLE_NAMES,
    )
    return body, status


@pages.get("/admin/users")
@roles(*ADMIN)
def admin_users():
    return _list_page()


@pages.post("/admin/users")
@roles(*ADMIN)
def admin_user_create():
    form = {
        "username": request.form.get("username", "").strip(),
        "password": request.form.get("password", ""),
        "full_name": request.form.get("full_name", "").strip(),
        "email": request.form.get("email", "").strip(),
        "roles": request.form.getlist("roles"),
    }
    kept = {k: v for k, v in form.items() if k != "password"}
    data, errors = load(UserCreateSchema(), {k: v for k, v in form.items() if v != ""})
    if errors:
        if "roles" in errors and not form["roles"]:
            errors["roles"] = "Choose at least one role."  # as the edit page says it
        return _list_page(422, errors, kept)
    try:
        _, body = once(lambda: (201, user_admin.get_user(users.create_user(g.actor, **data).id)))
    except Conflict as taken:
        return _list_page(409, {"username": str(taken)}, kept)
    except ValidationFailed as refused:
        return _list_page(422, _field_errors(refused), kept)
    flash(f"User {body['username']} created with roles {', '.join(body['roles'])}.")
    return redirect(url_for("web.admin_user", user_id=body["id"]))


def _field_errors(refused: ValidationFailed) -> dict:
    return {k: " ".join(v) for k, v in refused.errors.items()} or {"_form": str(refused)}


def _user_page(user: dict, status=200, errors=None, values=None, changed=None, password=None):
    body = render_template(
        "web/admin/user.html",
        user=user,
        values=values or user,
        version=stale.version_of(user, user_schema),
        original=stale.as_json(user, user_schema),
        errors=errors or {},
        changed=changed or [],
        role_names=ROLE_NAMES,
        new_password=password,
    )
    return body, status, {"Cache-Control": "no-store"} if password else {}


def _user_or_404(user_id: int) -> dict:
    try:
        return user_admin.get_user(user_id)
    except NotFound as missing:
        abort(404, str(missing))


@pages.get(f"/admin/users/{ID}")
@roles(*ADMIN)
def admin_user(user_id: int):
    return _user_page(_user_or_404(user_id))


def _save(user_id: int, changes: dict, values: dict):
    """Apply ``changes`` if the user is still the version the form came from."""
    user = _user_or_404(user_id)
    check = stale.guard(request.form.get("version", ""), user_schema)
    try:
        once(lambda: (200, user_admin.update_user(g.actor, user_id, changes, check)))
    except stale.StaleEdit as moved:
        changed = stale.changes(stale.original_of(request.form), moved.current)
        errors = {"_form": "This user changed since you opened the page; nothing was saved."}
        return _user_page(user, 409, errors, values, changed)
    except Conflict as refused:  # e.g. the last active admin
        return _user_page(user, 409, {"_form": str(refused)}, values)
    except ValidationFailed as refused:  # beside the fields, the form kept
        fields = {k: " ".join(v) for k, v in (refused.errors or {}).items()}
        return _user_page(user, 422, {"_form": str(refused), **fields}, values)
    return None


@pages.post(f"/admin/users/{ID}")
@roles(*ADMIN)
def admin_user_save(user_id: int):
    form = {
        "full_name": request.form.get("full_name", "").strip(),
        "email": request.form.get("email", "").strip(),
        "roles": request.form.getlist("roles"),
    }
    data, errors = load(UserEditSchema(), {k: v for k, v in form.items() if v != ""})
    if not errors:
        data["email"] = data.get("email", "")  # a blank e-mail clears it
        data.setdefault("roles", [])
        if not data["roles"]:
            errors = {"roles": "Choose at least one role."}
    if errors:
        return _user_page(_user_or_404(user_id), 422, errors, {**form, "id": user_id})
    refused = _save(user_id, data, {**_user_or_404(user_id), **form})
    if refused:
        return refused
    flash("Saved.")
    return redirect(url_for("web.admin_user", user_id=user_id))


@pages.post(f"/admin/users/{ID}/active")
@roles(*ADMIN)
def admin_user_active(user_id: int):
    active = request.form.get("active") == "true"
    refused = _save(user_id, {"active": active}, _user_or_404(user_id))
    if refused:
        return refused
    flash("Activated: they can sign in again." if active else "Deactivated: signed out at once.")
    return redirect(url_for("web.admin_user", user_id=user_id))


@pages.post(f"/admin/users/{ID}/password")
@roles(*ADMIN)
def admin_user_password(user_id: int):
    user = _user_or_404(user_id)
    new_password = secrets.token_urlsafe(12)
    applied = []

    def reset():
        user_admin.reset_password(g.actor, user_id, new_password)
        applied.append(True)
        return 204, {}  # the password itself is never stored with the idempotency key

    once(reset)
    if not applied:
        flash("That reset was already done by this form; reset again for a new password.")
        return redirect(url_for("web.admin_user", user_id=user_id))
    return _user_page(user, password=new_password)
