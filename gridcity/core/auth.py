"""Who is asking, and may they: the session login and role checks.

Roles are enforced here, server-side, for every API and page. API callers get
401/403 JSON; page visitors are sent to the login page.

The signed cookie keeps only a session token; a request is signed in while the
token's ``user_session`` row exists (see ``gridcity.org.sessions``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from gridcity.core.errors import Forbidden, GridCityError

SESSION_TOKEN_KEY = "auth"  # where the cookie keeps the session token
_CACHE = "gridcity_auth"  # (token, user_session row, its user id) for this request


def current_session():
    """The request's signed-in session row (``UserSession``), or None."""
    from gridcity.org.sessions import session_for_token

    token = session.get(SESSION_TOKEN_KEY)
    if not token:
        return None
    cached = g.get(_CACHE)
    if cached is not None and cached[0] == token:
        return cached[1]
    row = session_for_token(token)
    # The user id is kept as a plain value: after a commit the row is expired,
    # and reading it again would cost a connection and a query.
    setattr(g, _CACHE, (token, row, row.user_id if row is not None else None))
    return row


def current_user():
    """The signed-in, active user, or None."""
    row = current_session()
    user = row.user if row is not None else None
    return user if user is not None and user.active else None


def known_user_id() -> int | None:
    """The signed-in user's id if this request has already looked its session
    up (no query, also after a commit: for the access line written after the answer)."""
    cached = g.get(_CACHE)
    return cached[2] if cached is not None else None


def forget_cached_session() -> None:
    """Called at the start of each request and socket connect: the app context
    (and so ``g``) may outlive one request (tests, the CLI)."""
    g.pop(_CACHE, None)


def sign_in(user, remember: bool = True) -> str:
    """Start a new session for ``user`` in the cookie (dropping whatever the
    cookie held); returns the session's CSRF token. The caller commits."""
    from flask_wtf.csrf import generate_csrf

    from gridcity.org.sessions import start_session

    session.clear()
    forget_cached_session()
    session[SESSION_TOKEN_KEY] = start_session(user)
    session.permanent = remember
    g.pop("csrf_token", None)  # a new session, a new CSRF token
    return generate_csrf()


def sign_out() -> None:
    """End the cookie's session on the server and clear the cookie. The
    caller commits (the session's sockets are disconnected after that)."""
    from gridcity.org.sessions import end_session

    token = session.get(SESSION_TOKEN_KEY)
    if token:
        end_session(token)
    session.clear()
    forget_cached_session()
    g.pop("csrf_token", None)


def roles_required(*roles: str) -> Callable:
    """Allow only signed-in users whose role is one of ``roles`` (any role if
    none are named)."""
    allowed = {getattr(r, "value", r) for r in roles}

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            is_api = request.path.startswith("/api/")
            if user is None:
                if is_api:
                    raise GridCityError("login_required", status=401)
                return redirect(url_for("web.login_page", next=request.path))
            if allowed and user.role not in allowed:
                raise Forbidden("forbidden_role", role=role_name(user.role))
            if user.must_change_password and not getattr(view, "allows_password_change", False):
                # An admin reset the password: nothing else until the user chose their own.
                if is_api:
                    raise Forbidden("password_change_required")
                return redirect(url_for("account.password_page", next=request.full_path.rstrip("?")))
            return view(*args, **kwargs)

        return wrapped

    return decorator


login_required = roles_required()


def allows_password_change(view: Callable) -> Callable:
    """Mark a view (below ``roles_required``) that a user whose password was
    reset may still reach: the change-password page and its API."""
    view.allows_password_change = True
    return view


def role_name(role: str) -> str:
    """The role as a person calls it, in the request's language."""
    from gridcity.core.i18n import current_language
    from gridcity.org.models import ROLE_NAMES, Role

    zh, en = ROLE_NAMES[Role(role)]
    return zh if current_language() == "zh" else en


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie, with ``Secure`` from ``GRIDCITY_SECURE_COOKIES``:
    ``auto`` sets it on requests that came over HTTPS, also through a proxy
    that terminated it (X-Forwarded-Proto), so the cookie never travels in clear
    once the site is served over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        mode = app.config["SETTINGS"].secure_cookies
        if mode != "auto":
            return mode == "on"
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip()
        return request.is_secure or forwarded == "https"
