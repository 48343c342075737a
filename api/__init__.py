"""The app factory: ``create_app()`` wires configuration, database, API, errors and logs."""

from __future__ import annotations

from datetime import timedelta
from inspect import CO_COROUTINE
from types import FunctionType

from flask import Flask, send_from_directory
from flask_migrate import Migrate
from swagger_ui_bundle import swagger_ui_path
from werkzeug.middleware.proxy_fix import ProxyFix

from api import auth, problems, request_log
from delivery import config
from delivery.schemas.common import DecimalString
from inventory.db import health_models as _health_models  # noqa: F401
from inventory.db import models as _models  # noqa: F401 - registers the tables
from inventory.db import procurement_models as _procurement_models  # noqa: F401
from inventory.db import replenishment_models as _replenishment_models  # noqa: F401
from inventory.db import valuation_models as _valuation_models  # noqa: F401
from inventory.db.base import configure_engine, db

migrate = Migrate()


class QuartermasterFlask(Flask):
    """Flask, with a cheaper check of each hook for being ``async def``."""

    def ensure_sync(self, func):
        # Flask asks inspect.iscoroutinefunction about every hook and view on every request
        # (about 13 times a request here, some 90 Python calls). For a plain function the
        # answer is its code's coroutine flag, which is what inspect ends up reading too.
        if type(func) is FunctionType and not func.__code__.co_flags & CO_COROUTINE:
            return func
        return super().ensure_sync(func)


def create_app(overrides: dict | None = None) -> Flask:
    app = QuartermasterFlask(__name__, instance_relative_config=False)
    app.config.update(config.API_SETTINGS)
    app.config.update(config.from_environment())
    app.config.update(overrides or {})
    app.config["SQLALCHEMY_DATABASE_URI"] = config.database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # No pool_pre_ping: it costs a round trip on every request. A connection the server
        # dropped fails its first statement instead; SQLAlchemy then invalidates the whole pool,
        # and the token lookup (every request's first statement) runs once more on a fresh one.
        # A connection the server ended (57P01 on a restart) is invalidated with every older one
        # (configure_engine), so the pool recovers by itself once the database is back; while it
        # is down, requests answer 503 (api/problems.py). pool_recycle retires connections before
        # a firewall or proxy times them out unseen; connect_timeout keeps a database host that
        # does not answer at all from holding requests (and the health check) for minutes.
        app.config.setdefault(
            "SQLALCHEMY_ENGINE_OPTIONS",
            {
                "pool_size": app.config["DB_POOL_SIZE"],
                "max_overflow": 10,
                "pool_recycle": 1800,
                "connect_args": {"connect_timeout": app.config["DB_CONNECT_TIMEOUT"]},
            },
        )
    request_log.configure_logging(app.config["LOG_LEVEL"])
    if app.config["TRUSTED_PROXIES"] > 0:
        # remote_addr becomes the address the outermost trusted proxy saw; without trusted
        # proxies X-Forwarded-For is the client's own claim, and the login throttle ignores it.
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    config.time_zone(app.config["SERVICE_TIME_ZONE"])  # a misspelt zone stops the start

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(config.ROOT / "migrations"))

    api = problems.ProblemApi(
        app,
        spec_kwargs={
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}}
        },
    )
    api.register_field(DecimalString, "string", "decimal")
    _register_blueprints(api)
    problems.register(app)

    app.before_request(request_log.start_request)
    app.before_request(auth.authenticate)
    app.before_request(problems.check_body)
    app.after_request(request_log.finish_request)

    @app.get("/api/docs/assets/<path:filename>", endpoint="docs_assets")
    def docs_assets(filename):
        # Swagger UI's files come from the pinned swagger-ui-bundle package, not a CDN.
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    from api import cli
    from web import pages
    from web.errors import routing_error
    from web.session import CookieSessions

    # The pages' session lives as long as the token it holds.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["TOKEN_TTL_HOURS"])
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.session_interface = CookieSessions()
    app.register_blueprint(pages)
    api.page_errors = routing_error
    cli.register(app)
    if app.config["CELERY_BROKER_URL"]:
        # Imported only here: without a broker (make run on SQLite) Celery is never loaded.
        from api.celery_app import init_celery

        init_celery(app)
    return app


def _register_blueprints(api: problems.ProblemApi) -> None:
    from api.resources import (
        audit,
        finance_reports,
        health,
        health_reports,
        master_data,
        procurement_setup,
        purchase_requests,
        replenishment,
        replenishment_forecasts,
        replenishment_settings,
        stock,
        stocktakes,
        users,
        valuation,
    )
    from api.resources import auth as auth_resource
    from api.resources import purchase_orders as purchase_orders_resource
    from api.resources import receipts as receipts_resource
    from api.resources import scores as scores_resource
    from api.resources import suppliers as suppliers_resource

    for blueprint in (
        health.blp,
        auth_resource.blp,
        users.blp,
        master_data.items,
        master_data.warehouses,
        stock.blp,
        stocktakes.blp,
        audit.blp,
        procurement_setup.cost_centres,
        procurement_setup.budget_periods,
        procurement_setup.approval_rules,
        purchase_requests.blp,
        purchase_requests.inbox_blp,
        purchase_requests.order_approvals,
        scores_resource.blp,
        receipts_resource.blp,
        receipts_resource.plans_blp,
        suppliers_resource.blp,
        purchase_orders_resource.blp,
        replenishment.runs_blp,
        replenishment.review_blp,
        replenishment_settings.settings_blp,
        replenishment_settings.policies_blp,
        replenishment_forecasts.blp,
        valuation.reports,
        valuation.periods_blp,
        finance_reports.blp,
        health_reports.blp,
    ):
        api.register_blueprint(blueprint)
