"""Who is asking, and may they: the session login and role checks.

Roles are enforced here, server-side, for every API and page. API callers get
401/403 JSON; page visitors are sent to the login page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import redirect, request, session, url_for

from gridcity.core.errors import Forbidden, GridCityError
from gridcity.extensions import db


def current_user():
    """The signed-in, active user, or None. (The session's identity map makes
    repeated calls in one request cheap.)"""
    from gridcity.org.models import User

    user_id = session.get("user_id")
    user = db.session.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.active else None


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
            return view(*args, **kwargs)

        return wrapped

    return decorator


login_required = roles_required()


def role_name(role: str) -> str:
    """The role as a person calls it, in the request's language."""
    from gridcity.core.i18n import current_language
    from gridcity.org.models import ROLE_NAMES, Role

    zh, en = ROLE_NAMES[Role(role)]
    return zh if current_language() == "zh" else en
