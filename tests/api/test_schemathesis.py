"""Schemathesis against the app in-process, with every check ``st run --checks all`` runs.

Every operation gets generated requests, valid and invalid; then the stateful run follows the
spec's links from a created record to what can be done with it. Requests are sent as a user
holding every role, so roles stop nothing and the stateful run can create records. The checks
and their accepted statuses come from ``schemathesis.toml`` at the top of the repository, which
the CLI reads too (``st run`` against a live server). Seeded, bounded and deterministic.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode

from api import create_app
from inventory.db.base import db
from inventory.domain.actors import ALL_ROLES
from inventory.services import users

CONFIG = SchemathesisConfig.from_path(Path(__file__).resolve().parents[2] / "schemathesis.toml")
# The operations come from the spec, which needs no database: an app without one serves it at
# collection time. Each generated request then goes to the test's own app (``app=``), seeded below.
SCHEMA = schemathesis.openapi.from_wsgi(
    "/api/openapi.json",
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "LOG_LEVEL": "WARNING"}),
    config=CONFIG,
)
OPERATIONS = [
    result.ok().label
    for result in SCHEMA.get_all_operations()
    if result.ok().label != "DELETE /api/v1/auth/token"  # it would revoke the run's token
]
TOKEN = {}  # the current test's token; schemathesis asks the provider below for it


@SCHEMA.auth(refresh_interval=None)
class Bearer:
    """Through an auth provider, not a plain header, so the ignored_auth check knows which
    header is the credential and can send it spoiled or leave it out."""

    def get(self, case, context):
        return TOKEN["value"]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


SETTINGS = dict(
    deadline=None,
    derandomize=True,  # the same requests every run
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def everything(make):
    """A little of everything, so generated ids sometimes name real records (1 and 2 exist), and
    a token of a user holding every role."""
    warehouses = [make.warehouse(), make.warehouse()]
    items = [make.item(), make.item()]
    for warehouse in warehouses:
        for item in items:
            make.receive(warehouse, item, "50", "2.5")
    make.document("receipt", warehouses[0], [(items[0], "1", "1")], draft=True)
    holder = make.user(*sorted(ALL_ROLES))
    TOKEN["value"] = users.issue_token(holder.id, timedelta(hours=1)).access_token
    yield
    TOKEN.clear()


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_keeps_to_its_spec(app, everything, label):
    operation = SCHEMA.find_operation_by_label(label)
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(max_examples=12, phases=[Phase.explicit, Phase.generate], **SETTINGS)
    @given(case=cases)
    def keeps_to_spec(case):
        case.call_and_validate(app=app)  # every check the config enables

    keeps_to_spec()


def test_the_stateful_run_keeps_to_the_spec(app, everything, tmp_path):
    """Create records and follow the links from them: read, change, act on, delete."""

    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    seeded = tmp_path / "seeded.sqlite3"
    db.session.remove()
    db.engine.dispose()
    shutil.copyfile(database, seeded)

    class Links(SCHEMA.as_state_machine()):
        def setup(self):
            # Every scenario starts from the same records: the same draws then send the same
            # requests and get the same answers, as derandomize needs.
            db.session.remove()
            db.engine.dispose()
            shutil.copyfile(seeded, database)

        def get_call_kwargs(self, case):
            return {"app": app}

    Links.run(settings=settings(max_examples=25, stateful_step_count=6, **SETTINGS))
