"""Socket.IO: who may connect and which rooms they join.

Authentication happens at connect, from the signed-in session; a socket
without one is refused. Rooms follow the role's scope (see ``live``). Each
socket is recorded with its session, so ending the session (sign-out,
deactivation, a new password) disconnects it (``gridcity.org.sessions``).
"""

from __future__ import annotations

from flask import request
from flask_socketio import ConnectionRefusedError, join_room
from sqlalchemy.exc import IntegrityError

from gridcity.core.auth import current_session, current_user, forget_cached_session
from gridcity.extensions import db, socketio
from gridcity.ops import metrics
from gridcity.org import sessions
from gridcity.org.models import Role, is_unit_member


def rooms_of(user) -> list[str]:
    if is_unit_member(user):
        return [f"unit:{user.unit_id}", f"user:{user.id}"]
    if user.role == Role.INSPECTOR.value:
        return [f"work_grid:{w.id}" for w in user.work_grids] + [f"user:{user.id}"]
    return ["staff", f"user:{user.id}"]


def on_connect(auth=None):
    forget_cached_session()
    user = current_user()
    if user is None:
        raise ConnectionRefusedError("sign in first")
    sessions.add_socket(request.sid, current_session())
    try:
        db.session.commit()
    except IntegrityError:  # the session ended meanwhile (PostgreSQL checks the key)
        db.session.rollback()
        raise ConnectionRefusedError("sign in first") from None
    for room in rooms_of(user):
        join_room(room)
    metrics.SOCKETS_OPEN.inc()
    return True


def on_disconnect(reason=None):
    metrics.socket_closed(reason)
    if reason == socketio.server.reason.SERVER_DISCONNECT:
        return  # we ended its session, and deleted its row with it
    sessions.forget_socket(request.sid)
    db.session.commit()


def register() -> None:
    """Bind the handlers to the app's Socket.IO server. Each ``create_app``
    makes a new server: a decorator run once at import would bind them to the
    first app's server only, and a later app (tests, the CLI) would accept any
    socket into no room."""
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
