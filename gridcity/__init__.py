"""GridCity — a digital urban-management (数字化城管) grid dispatch system."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import Flask

from gridcity.core.settings import Settings
from gridcity.version import __version__ as __version__


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
        # Scripts never read the cookie. Lax, not Strict: a link from a chat or
        # a mail must open the app signed in; cross-site POSTs get no cookie and
        # same-site ones (another port of our host) still need the CSRF token.
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
    )
    from gridcity.core import api

    api.install(app)  # the JSON guard and bounded ids, before any route exists
    app.json.ensure_ascii = False
    if settings.proxy_count:
        # Behind nginx: the client's address (sign-in throttling counts it) and scheme.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_count, x_proto=settings.proxy_count)

    from gridcity.cases.delivery import client_manager
    from gridcity.core.auth import SessionCookies
    from gridcity.core.csrf import init_csrf, socket_origin_allowed
    from gridcity.core.errors import register_error_handlers
    from gridcity.core.headers import register_security_headers
    from gridcity.extensions import db, socketio

    app.session_interface = SessionCookies()
    db.init_app(app)
    socketio.init_app(
        app,
        async_mode=_async_mode(settings),
        # Our manager: coalesces for lagging sockets, bounded Redis timeouts.
        client_manager=client_manager(settings),
        ping_interval=settings.socketio_ping_interval,
        ping_timeout=settings.socketio_ping_timeout,
        # Our own origin(s) only: a page elsewhere must not read the live feed.
        cors_allowed_origins=socket_origin_allowed(settings),
    )
    register_error_handlers(app)
    init_csrf(app)
    register_security_headers(app)
    _register_blueprints(app)
    from gridcity.ops import metrics, request_log

    request_log.init_app(app)  # request ids, access lines, redaction; counts each request
    metrics.init_app(app)  # /metrics

    from gridcity.cases import events as case_events
    from gridcity.cases import live
    from gridcity.geo.services import register_session_events
    from gridcity.org import sessions

    register_session_events()
    case_events.register()
    live.register(settings)
    from gridcity.media.storage import register_session_events as register_media_events

    register_media_events()  # a rolled-back photo leaves no file behind
    sessions.register()

    from gridcity.cli.commands import register_cli

    register_cli(app)
    from gridcity.cases import admission

    admission.install(app)  # in front of everything: a refused report costs next to nothing
    return app


def _async_mode(settings: Settings) -> str:
    """Greenlets when the server runs on gevent (``gunicorn -k gevent``: it
    patched the standard library before loading us), threads otherwise."""
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    if not monkey.is_module_patched("socket"):
        return "threading"
    # psycopg2 is C: without a wait callback every query would block all
    # greenlets. Ours waits in gevent's select, with a deadline.
    from gridcity.core.database import install_wait_deadline

    install_wait_deadline(settings)
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
    from gridcity.scorecards.presentation.pages import bp as scorecard_pages_bp

    app.register_blueprint(scorecard_pages_bp)  # the managers' scorecard pages (/scorecards/)
    from gridcity.scorecards.presentation.appeal_pages import bp as appeal_pages_bp

    app.register_blueprint(appeal_pages_bp)  # appeals (考核申诉, /scorecards/appeals/)
    from gridcity.scorecards.presentation.views import bp as scorecards_api_bp

    app.register_blueprint(scorecards_api_bp)  # the scorecard JSON API (/api/v1/scorecards/)
    from gridcity.dispatch.views import api_bp as dispatch_api_bp
    from gridcity.dispatch.views import bp as dispatch_bp

    for bp in (dispatch_api_bp, dispatch_bp):  # the live map (/dispatch/) and the unit portal (/unit/)
        app.register_blueprint(bp)
    from gridcity.hotline.views import api_bp as hotline_api_bp
    from gridcity.hotline.views import bp as hotline_bp

    for bp in (hotline_api_bp, hotline_bp):  # the hotline intake (热线受理, /hotline/)
        app.register_blueprint(bp)
    from gridcity.proactive.views import api_bp as proactive_api_bp
    from gridcity.proactive.views import bp as proactive_bp

    for bp in (proactive_api_bp, proactive_bp):  # proactive tasks (主动治理, /proactive/)
        app.register_blueprint(bp)
    from gridcity.screen.views import api_bp as screen_api_bp
    from gridcity.screen.views import bp as screen_bp

    for bp in (screen_api_bp, screen_bp):  # the command center's wall screen (大屏, /screen/)
        app.register_blueprint(bp)
    from gridcity.risk.views import api_bp as risk_api_bp

    app.register_blueprint(risk_api_bp)  # the overdue-risk model (/api/v1/risk/)
    from gridcity.analysis.views import api_bp as analysis_api_bp
    from gridcity.analysis.views import bp as analysis_bp

    for bp in (analysis_api_bp, analysis_bp):  # decision support (决策建议, /analysis/)
        app.register_blueprint(bp)
    from gridcity.ops.privacy_views import bp as privacy_bp

    app.register_blueprint(privacy_bp)  # citizen data requests (/api/v1/admin/citizen-data)
    from gridcity.audit.views import bp as audit_bp
    from gridcity.web.admin_assessment import bp as admin_assessment_bp
    from gridcity.web.admin_people import account_bp
    from gridcity.web.admin_people import bp as admin_people_bp
    from gridcity.web.admin_taxonomy import bp as admin_taxonomy_bp

    for bp in (admin_people_bp, account_bp, audit_bp):  # people, the audit log (/admin/), one's own password
        app.register_blueprint(bp)
    from gridcity.open311.key_views import bp as open311_keys_bp
    from gridcity.web.admin_keys import bp as admin_keys_bp

    for bp in (open311_keys_bp, admin_keys_bp):  # Open311 clients' keys (/admin/open311-keys)
        app.register_blueprint(bp)
    from gridcity.web.admin_calendar import bp as admin_calendar_bp
    from gridcity.workcalendar.views import bp as calendar_api_bp

    # the working calendar (/admin/calendar, /api/v1/calendar)
    for bp in (admin_calendar_bp, calendar_api_bp):
        app.register_blueprint(bp)
    app.register_blueprint(admin_taxonomy_bp)  # categories and responsibility rules (/admin/)
    from gridcity.web.admin_components import bp as admin_components_bp

    app.register_blueprint(admin_components_bp)  # the component inventory (部件, /admin/components)
    from gridcity.org.admin_api import bp as org_admin_api_bp
    from gridcity.web.admin_org import bp as admin_org_bp

    for bp in (admin_org_bp, org_admin_api_bp):  # units, areas, work groups, work grids (/admin/)
        app.register_blueprint(bp)
    app.register_blueprint(admin_assessment_bp)  # assessment settings as versions (/admin/assessment)
    from gridcity.web.admin_geography import bp as admin_geography_bp

    app.register_blueprint(admin_geography_bp)  # geography layers: import, export (/admin/geography)
    from gridcity.public.feedback_views import api as public_feedback_api_bp
    from gridcity.public.feedback_views import bp as public_feedback_bp

    # "not fixed", ratings, the public map and its photo review (/p/…, /public/photos, /api/v1/public/…)
    for bp in (public_feedback_api_bp, public_feedback_bp):
        app.register_blueprint(bp)
    from gridcity.ops.health import bp as health_bp

    app.register_blueprint(health_bp)  # /healthz, /readyz for the proxy and the orchestrator
    from gridcity.public.staff_pages import bp as public_staff_bp
    from gridcity.public.views import api_bp as public_api_bp
    from gridcity.public.views import bp as public_bp

    for bp in (public_api_bp, public_bp, public_staff_bp):  # the citizens' app (随手拍, /p/, /api/v1/public/)
        app.register_blueprint(bp)


def _engine_options(settings: Settings) -> dict[str, Any]:
    from gridcity.core.database import engine_options

    return engine_options(settings)


def _instance_secret(settings: Settings) -> str:
    """A secret kept in the instance folder so sessions survive restarts."""
    path = settings.instance_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
