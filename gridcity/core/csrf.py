"""Only our own pages may change state with the session cookie.

Every POST/PUT/PATCH/DELETE outside the Open311 gateway (API keys, no cookies)
must carry the session's CSRF token (Flask-WTF, ``X-CSRFToken`` header or a
``csrf_token`` form field), and a request that names its ``Origin`` must name
ours (the request's own, or one of ``GRIDCITY_ALLOWED_ORIGINS``; the live
socket's handshake follows the same rule). Our pages find the token in the
``csrf-token`` meta tag, a sign-in answer, or ``GET /api/v1/csrf``; it lasts
as long as the session, so the inspectors' outbox can still send a report
queued days ago. Sign-in needs the token too (no forged sign-ins).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_wtf.csrf import CSRFError, generate_csrf

from gridcity.core.api import Answer, operation
from gridcity.core.auth import current_user, forget_cached_session
from gridcity.core.errors import Forbidden, GridCityError
from gridcity.core.settings import Settings
from gridcity.extensions import csrf

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Blueprints whose callers authenticate otherwise and never with our cookie.
EXEMPT_BLUEPRINTS = frozenset({"open311"})

bp = Blueprint("csrf", __name__, url_prefix="/api/v1")


class CsrfToken(Answer):
    """The session's CSRF token."""

    csrf_token: str


@bp.get("/csrf")
@operation(responses={200: CsrfToken})
def csrf_token():
    """The session's CSRF token, for clients that have no page to read it from
    (or whose page came from a cache). Another origin cannot read the answer."""
    return jsonify({"csrf_token": generate_csrf()})


def own_origins(environ: dict) -> set[str]:
    """The origin the request was addressed to, as the browser wrote it (also
    behind a proxy that says so in X-Forwarded-Proto / -Host)."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST", "")
    origins = {f"{scheme}://{host}"}
    forwarded_proto = environ.get("HTTP_X_FORWARDED_PROTO", "")
    forwarded_host = environ.get("HTTP_X_FORWARDED_HOST", "")
    if forwarded_proto or forwarded_host:
        proto = (forwarded_proto or scheme).split(",")[0].strip()
        origins.add(f"{proto}://{(forwarded_host or host).split(',')[0].strip()}")
    for origin in list(origins):  # a default port may or may not be written
        for default in (":80", ":443"):
            if origin.endswith(default):
                origins.add(origin.removesuffix(default))
    return origins


def origin_allowed(origin: str | None, environ: dict, settings: Settings) -> bool:
    """Whether a browser's ``Origin`` is one of ours. No header (a script, a
    same-origin GET) is not a cross-origin request."""
    if not origin:
        return True
    return origin.rstrip("/") in settings.allowed_origin_list or origin in own_origins(environ)


def socket_origin_allowed(settings: Settings):
    """Socket.IO's ``cors_allowed_origins`` check (called per handshake request)."""

    def allowed(origin, environ=None) -> bool:
        return origin_allowed(origin, environ or {}, settings)

    return allowed


def _check_request() -> None:
    # The app context, and so ``g``, may outlive a request (tests, the CLI):
    # nothing cached for another request may answer for this one.
    g.pop("csrf_token", None)
    g.pop("csrf_valid", None)
    forget_cached_session()
    if request.method in SAFE_METHODS or request.blueprint in EXEMPT_BLUEPRINTS:
        return
    settings = current_app.config["SETTINGS"]
    if not origin_allowed(request.headers.get("Origin"), request.environ, settings):
        raise Forbidden("cross_origin_refused")
    if any(not isinstance(name, str) for name in request.form):
        # A malformed multipart part (e.g. a line break in its name) parses to
        # a field without a name, which Flask-WTF's token search cannot read.
        raise GridCityError("bad_request", detail="a form field has no name")
    try:
        csrf.protect()
    except CSRFError:
        if request.endpoint != "org.login" and current_user() is None:
            # Nobody is signed in (an expired session took its token along):
            # what the client must do is sign in, which brings a new token.
            raise GridCityError("login_required", status=401) from None
        raise Forbidden("csrf_failed") from None


def init_csrf(app: Flask) -> None:
    app.config.update(
        # The token lives as long as the session: queued reports still go days later.
        WTF_CSRF_TIME_LIMIT=None,
        # We call protect() ourselves (after the Origin check, with our own refusal).
        WTF_CSRF_CHECK_DEFAULT=False,
        # Flask-WTF would also demand a same-host Referer over HTTPS: the Origin
        # check above does that job (also behind a proxy that ends TLS, where
        # the request looks like HTTP), and a Referrer-Policy of no-referrer
        # or a script without a Referer would otherwise be refused.
        WTF_CSRF_SSL_STRICT=False,
    )
    csrf.init_app(app)
    app.before_request(_check_request)
    app.register_blueprint(bp)
