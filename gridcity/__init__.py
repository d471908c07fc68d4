"""GridCity — a digital urban-management (数字化城管) grid dispatch system."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import Flask

from gridcity.core.settings import Settings

__version__ = "0.1.0"


def create_app(config: dict[str, Any] | Settings | None = None) -> Flask:
    """Build the application. ``config`` is a :class:`Settings` or a mapping of
    setting names (lower case, as on ``Settings``) overriding the environment."""
    if isinstance(config, Settings):
        settings = config
    else:
        settings = Settings.from_env(**(config or {}))

    app = Flask(
        __name__,
        static_folder=str(settings.frontend_dir / "static"),
        template_folder=str(settings.frontend_dir / "templates"),
    )
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key or _instance_secret(settings),
        SQLALCHEMY_DATABASE_URI=settings.resolved_database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=settings.session_days),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
    )
    from gridcity.core import api

    api.install(app)  # the JSON guard and bounded ids, before any route exists
    app.json.ensure_ascii = False

    from gridcity.core.errors import register_error_handlers
    from gridcity.extensions import db, socketio

    db.init_app(app)
    socketio.init_app(
        app,
        async_mode=_async_mode(),
        message_queue=settings.redis_url or None,
        channel=settings.socketio_channel,
        cors_allowed_origins=[],
    )
    register_error_handlers(app)
    _register_blueprints(app)

    from gridcity.cases import events as case_events  # noqa: F401 - registers the socket handlers
    from gridcity.cases import live
    from gridcity.geo.services import register_session_events

    register_session_events()
    live.register()

    from gridcity.cli import register_cli

    register_cli(app)
    return app


def _async_mode() -> str:
    """Greenlets when the server runs on gevent (``gunicorn -k gevent``: it
    patched the standard library before loading us), threads otherwise."""
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    if not monkey.is_module_patched("socket"):
        return "threading"
    # psycopg2 is C: without a wait callback every query would block all greenlets.
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()
    return "gevent"


def _register_blueprints(app: Flask) -> None:
    from gridcity.cases.views import bp as cases_bp
    from gridcity.core.openapi import bp as openapi_bp
    from gridcity.geo.views import bp as geo_bp
    from gridcity.inventory.views import bp as inventory_bp
    from gridcity.mobile.views import api_bp as mobile_api_bp
    from gridcity.mobile.views import bp as mobile_bp
    from gridcity.open311.views import bp as open311_bp
    from gridcity.org.views import bp as org_bp
    from gridcity.patrols.views import bp as patrols_bp
    from gridcity.taxonomy.views import bp as taxonomy_bp
    from gridcity.web.views import bp as web_bp

    for bp in (org_bp, geo_bp, taxonomy_bp, inventory_bp, cases_bp, web_bp, openapi_bp, open311_bp):
        app.register_blueprint(bp)
    for bp in (patrols_bp, mobile_api_bp, mobile_bp):  # the inspectors' app (巡查, /m/)
        app.register_blueprint(bp)
    from gridcity.scorecards.pages import bp as scorecard_pages_bp

    app.register_blueprint(scorecard_pages_bp)  # the managers' scorecard pages (/scorecards/)
    from gridcity.scorecards.views import bp as scorecards_api_bp

    app.register_blueprint(scorecards_api_bp)  # the scorecard JSON API (/api/v1/scorecards/)
    from gridcity.dispatch.views import api_bp as dispatch_api_bp
    from gridcity.dispatch.views import bp as dispatch_bp

    for bp in (dispatch_api_bp, dispatch_bp):  # the live map (/dispatch/) and the unit portal (/unit/)
        app.register_blueprint(bp)


def _engine_options(settings: Settings) -> dict[str, Any]:
    if settings.resolved_database_url.startswith("sqlite"):
        # The web server answers requests on threads.
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    return {
        "pool_pre_ping": True,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
    }


def _instance_secret(settings: Settings) -> str:
    """A secret kept in the instance folder so sessions survive restarts."""
    path = settings.instance_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
