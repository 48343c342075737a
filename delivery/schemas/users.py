from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import DayOrMoment, ExportFormat, Flag, Id, QueryId, Text, When
from inventory.domain.actors import ALL_ROLES


class TokenRequestSchema(ma.Schema):
    class Meta:
        example = {"username": "admin", "password": "correct horse battery staple"}

    username = Text(80, min_length=1, required=True)
    password = Text(200, min_length=1, secret=True, required=True, load_only=True)


class TokenSchema(ma.Schema):
    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_at = When()


class UserCreateSchema(ma.Schema):
    class Meta:
        example = {
            "username": "jdoe",
            "password": "a long passphrase",
            "full_name": "Jane Doe",
            "email": "jane@example.com",
            "roles": ["purchasing"],
        }

    username = Text(80, min_length=1, required=True)
    password = Text(200, min_length=8, required=True, load_only=True)
    full_name = Text(200, load_default="")
    email = ma.fields.Email(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "Where notifications are e-mailed; optional."},
    )
    roles = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(sorted(ALL_ROLES))),
        required=True,
        validate=validate.Length(1, len(ALL_ROLES)),
    )


class UserSchema(ma.Schema):
    id = Id()
    username = ma.fields.String()
    full_name = ma.fields.String()
    email = ma.fields.String()
    active = Flag()
    roles = ma.fields.List(ma.fields.String())


class AuditQuerySchema(ma.Schema):
    entity_type = Text(64)
    entity_id = Text(64)
    actor_id = QueryId()
    since = DayOrMoment(bound="start", metadata={"description": "Events from then on."})
    format = ExportFormat()


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer()
    at = When()
    actor_id = Id(allow_none=True)
    action = ma.fields.String()
    entity_type = ma.fields.String()
    entity_id = ma.fields.String()
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)
    request_id = ma.fields.String()


class UserEditSchema(ma.Schema):
    class Meta:
        example = {"email": "jane@example.com", "roles": ["purchasing", "approver"]}

    full_name = Text(200)
    email = ma.fields.Email(
        validate=validate.Length(max=200),
        metadata={"description": "Where notifications are e-mailed."},
    )
    roles = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(sorted(ALL_ROLES))),
        validate=validate.Length(1, len(ALL_ROLES)),
        metadata={"description": "The whole new list; replaces the old roles."},
    )
    # Only true or false: marshmallow would otherwise read 0, "no" or "off" as false.
    active = Flag(
        truthy={True},
        falsy={False},
        metadata={"description": "false deactivates the user and revokes their tokens."},
    )


class PasswordResetSchema(ma.Schema):
    class Meta:
        example = {"password": "a new long passphrase"}

    password = Text(200, min_length=8, required=True, load_only=True)


class PasswordChangeSchema(ma.Schema):
    class Meta:
        example = {
            "current_password": "a long passphrase",
            "new_password": "a new long passphrase",
        }

    current_password = Text(200, min_length=1, secret=True, required=True, load_only=True)
    new_password = Text(200, min_length=8, required=True, load_only=True)
