"""Two admins removing each other at once, with real threads on PostgreSQL: one admin remains."""

from __future__ import annotations

import threading
import traceback

import pytest

from inventory.db import user_queries
from inventory.db.base import db
from inventory.errors import Conflict
from inventory.services import user_admin
from tests.conftest import Factory

JOIN_TIMEOUT = 60
pytestmark = pytest.mark.postgres


def _race(pg_app, calls) -> list:
    outcomes: list = [None] * len(calls)
    start = threading.Barrier(len(calls), timeout=JOIN_TIMEOUT)

    def run(i: int) -> None:
        actor, user_id, changes = calls[i]
        with pg_app.app_context():
            try:
                start.wait()
                user_admin.update_user(actor, user_id, changes)
                outcomes[i] = "done"
            except Conflict as refused:
                outcomes[i] = refused
            except Exception:  # anything else fails the test, with its traceback
                outcomes[i] = traceback.format_exc()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not [t for t in threads if t.is_alive()], "an update hung"
    return outcomes


@pytest.mark.parametrize(
    "first, second",
    [({"active": False}, {"active": False}), ({"roles": ["viewer"]}, {"active": False})],
    ids=["both-deactivate", "demote-and-deactivate"],
)
def test_two_admins_removing_each_other_at_once_leave_one(pg_app, first, second):
    make = Factory()
    root, other = make.admin, make.user("admin")
    for _ in range(3):  # the same race again, from a fresh pair each time
        outcomes = _race(pg_app, [(root, other.id, first), (other, root.id, second)])
        assert sorted(map(type, outcomes), key=str) == sorted([str, Conflict], key=str), outcomes
        assert "last active admin" in str(next(o for o in outcomes if isinstance(o, Conflict)))
        db.session.rollback()
        assert user_queries.active_admin_count(db.session) == 1
        db.session.rollback()
        survivor = root if outcomes[1] != "done" else other
        root, other = survivor, make.user("admin")
