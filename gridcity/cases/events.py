"""Socket.IO: who may connect and which rooms they join.

Authentication happens at connect, from the signed-in session; a socket
without one is refused. Rooms follow the role's scope (see ``live``).
"""

from __future__ import annotations

from flask_socketio import ConnectionRefusedError, join_room

from gridcity.core.auth import current_user
from gridcity.extensions import socketio
from gridcity.ops import metrics
from gridcity.org.models import Role


def rooms_of(user) -> list[str]:
    if user.role == Role.UNIT_HANDLER.value:
        return [f"unit:{user.unit_id}", f"user:{user.id}"]
    if user.role == Role.INSPECTOR.value:
        return [f"work_grid:{w.id}" for w in user.work_grids] + [f"user:{user.id}"]
    return ["staff", f"user:{user.id}"]


@socketio.on("connect")
def on_connect(auth=None):
    user = current_user()
    if user is None:
        raise ConnectionRefusedError("sign in first")
    for room in rooms_of(user):
        join_room(room)
    metrics.SOCKETS_OPEN.inc()
    return True


@socketio.on("disconnect")
def on_disconnect(reason=None):
    metrics.socket_closed(reason)
