"""Sign-in sessions kept on the server, and the live sockets they opened.

Flask's session cookie is only signed, so a copy of it would stay valid until
it expires. The cookie therefore carries a random token whose SHA-256 names a
``user_session`` row; the request is signed in only while that row exists.
Signing out deletes the row, deactivating a user or changing their password
deletes all of theirs; their sockets are disconnected after the commit, through
the Socket.IO message queue when the socket lives on another web process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from flask import current_app
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from gridcity.core import clock
from gridcity.extensions import db, socketio
from gridcity.org.models import LiveSocket, User, UserSession

log = logging.getLogger(__name__)
DISCONNECT_KEY = "gridcity.end_sockets"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """A new session for ``user``; returns the token the cookie keeps."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(token), created_at=_wall_clock()))
    db.session.flush()
    return token


def _wall_clock() -> dt.datetime:
    # A session's age is real time, like its cookie's: not the application's
    # clock, which tests and simulations move by months.
    return dt.datetime.now(dt.UTC)


def _oldest_live_start() -> dt.datetime:
    """Sessions started before this have outlived GRIDCITY_SESSION_DAYS."""
    return _wall_clock() - dt.timedelta(days=current_app.config["SETTINGS"].session_days)


def session_for_token(token: str) -> UserSession | None:
    return db.session.scalar(
        select(UserSession).where(
            UserSession.token_hash == _digest(token), UserSession.created_at >= _oldest_live_start()
        )
    )


def prune_expired_sessions() -> int:
    """Delete the sessions older than GRIDCITY_SESSION_DAYS (their cookies
    expired with them; a never-signed-out session would otherwise stay for
    ever). The scheduler runs it daily; commits; returns how many ended."""
    ids = list(
        db.session.scalars(select(UserSession.id).where(UserSession.created_at < _oldest_live_start()))
    )
    _end(ids)
    db.session.commit()
    if ids:
        log.info("ended %d expired sign-in sessions", len(ids))
    return len(ids)


def end_session(token: str) -> None:
    """Sign one session out (its sockets go after the commit)."""
    row = session_for_token(token)
    if row is not None:
        _end([row.id])


def end_user_sessions(user: User) -> int:
    """Sign ``user`` out everywhere; returns how many sessions ended."""
    ids = list(db.session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)))
    _end(ids)
    return len(ids)


def _end(session_ids: list[int]) -> None:
    if not session_ids:
        return
    sids = list(db.session.scalars(select(LiveSocket.sid).where(LiveSocket.user_session_id.in_(session_ids))))
    # SQLite enforces no foreign keys here: delete the sockets explicitly.
    db.session.execute(delete(LiveSocket).where(LiveSocket.user_session_id.in_(session_ids)))
    db.session.execute(delete(UserSession).where(UserSession.id.in_(session_ids)))
    db.session.info.setdefault(DISCONNECT_KEY, []).extend(sids)


def add_socket(sid: str, user_session: UserSession) -> None:
    db.session.merge(LiveSocket(sid=sid, user_session_id=user_session.id, connected_at=clock.utcnow()))


def forget_socket(sid: str) -> None:
    db.session.execute(delete(LiveSocket).where(LiveSocket.sid == sid))


def _disconnect_after_commit(session: Session) -> None:
    for sid in session.info.pop(DISCONNECT_KEY, []):
        try:
            # Published on the message queue when the socket is on another process.
            socketio.server.disconnect(sid, namespace="/")
        except Exception:  # the row is gone already; a dead queue must not undo the sign-out
            log.exception("socket %s of an ended session not disconnected", sid)


def _drop_after_rollback(session: Session, *args) -> None:
    session.info.pop(DISCONNECT_KEY, None)


def register() -> None:
    if not event.contains(Session, "after_commit", _disconnect_after_commit):
        event.listen(Session, "after_commit", _disconnect_after_commit)
        event.listen(Session, "after_soft_rollback", _drop_after_rollback)
