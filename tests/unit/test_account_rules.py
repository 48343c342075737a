"""What an account may hold, and the rule that an active admin always remains."""

from __future__ import annotations

import pytest

from inventory.domain import accounts
from inventory.errors import Conflict


def _account(active=True, roles=("admin",)):
    return {"username": "root", "active": active, "roles": sorted(roles)}


@pytest.mark.parametrize(
    "email", ["a@example.com", "first.last+tag@mail.example.co.uk", "x@" + "d" * 190 + ".io"]
)
def test_good_addresses(email):
    assert accounts.email_errors(email) == []


@pytest.mark.parametrize(
    "email",
    [
        "",
        "plain",
        "a@b",
        "@example.com",
        "a@example.",
        "a b@example.com",
        "a@@example.com",
        "a@example..com",
        "x" * 190 + "@example.com",
    ],
)
def test_bad_addresses(email):
    assert accounts.email_errors(email)


def test_roles_must_be_known_and_not_empty():
    assert accounts.role_errors(["viewer", "finance"]) == []
    assert "at least one" in accounts.role_errors([])[0]
    assert "wizard" in accounts.role_errors(["viewer", "wizard"])[0]


def test_password_length_edges():
    assert accounts.password_errors("x" * 7)
    assert accounts.password_errors("x" * 8) == []
    assert accounts.password_errors("x" * 200) == []
    assert accounts.password_errors("x" * 201)


@pytest.mark.parametrize(
    "after", [_account(active=False), _account(roles=("viewer",)), _account(False, ("viewer",))]
)
def test_the_last_active_admin_cannot_step_down(after):
    with pytest.raises(Conflict, match="last active admin"):
        accounts.check_an_admin_remains(_account(), after, active_admins_after=0)
    accounts.check_an_admin_remains(_account(), after, active_admins_after=1)


def test_changes_that_keep_or_never_had_admin_rights_pass():
    accounts.check_an_admin_remains(_account(), _account(roles=("admin", "viewer")), 1)
    # An inactive admin being edited, or a non-admin: nothing to remove.
    accounts.check_an_admin_remains(_account(active=False), _account(active=False), 0)
    accounts.check_an_admin_remains(_account(roles=("viewer",)), _account(active=False), 0)
