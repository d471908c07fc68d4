"""The database connection when the database is gone or hangs.

Three timeouts make a request fail fast instead of waiting as long as the
database does: libpq's ``connect_timeout``, the server's ``statement_timeout``
and the pool's wait for a free connection (engine options, see
:func:`engine_options`). None of them notices a server that stops answering
on an open connection (its kernel still acknowledges every byte), so the
serving processes also install :func:`install_wait_deadline`: psycopg2 waits
for the socket through our callback, which gives up after the statement
timeout plus a margin with an error the pool takes for a disconnect, so it replaces the connection.

:func:`is_unavailable` says which errors mean "the database cannot answer
now" (503 + ``Retry-After``) rather than a bug (500).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import select
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import exc, text
from sqlalchemy.engine import Engine

from gridcity.core.settings import Settings

log = logging.getLogger(__name__)

# Past the server's own statement_timeout, how long the client still waits
# before it decides the server is not answering at all.
CLIENT_MARGIN_SECONDS = 1.0

SQLITE_BUSY = ("database is locked", "database table is locked", "unable to open database")

_deadlines = {"connect": 0.0, "statement": 0.0}
# A shorter limit for the waits of one block of code (the health checks).
_short_limit: contextvars.ContextVar[float | None] = contextvars.ContextVar("db_short_limit", default=None)


def engine_options(settings: Settings) -> dict[str, Any]:
    if settings.resolved_database_url.startswith("sqlite"):
        # Threads share the file; a writer waits this long for a lock, then 503.
        return {"connect_args": {"check_same_thread": False, "timeout": settings.db_lock_timeout_seconds}}
    connect_args: dict[str, Any] = {"connect_timeout": max(1, round(settings.db_connect_timeout_seconds))}
    if settings.db_statement_timeout_seconds > 0:
        milliseconds = int(settings.db_statement_timeout_seconds * 1000)
        connect_args["options"] = f"-c statement_timeout={milliseconds}"
    return {
        "pool_pre_ping": True,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_seconds,
        "connect_args": connect_args,
    }


def install_wait_deadline(settings: Settings) -> None:
    """Serve psycopg2's waits through :func:`_wait_with_deadline` (process-wide).

    Only the serving processes (web, scheduler) install it: psycopg2 cannot
    ``COPY`` through a wait callback, and the admin commands bulk-load with it.
    Under gevent ``select`` is gevent's, so the wait also yields to other
    greenlets (what psycogreen's callback did)."""
    if not settings.resolved_database_url.startswith("postgresql"):
        return
    import psycopg2.extensions

    _deadlines["connect"] = settings.db_connect_timeout_seconds
    statement = settings.db_statement_timeout_seconds
    _deadlines["statement"] = statement + CLIENT_MARGIN_SECONDS if statement > 0 else 0.0
    psycopg2.extensions.set_wait_callback(_wait_with_deadline)


def _wait_with_deadline(conn) -> None:
    import psycopg2
    import psycopg2.extensions as ext

    connecting = conn.status == ext.STATUS_SETUP
    limit = _deadlines["connect"] if connecting else _deadlines["statement"]
    if _short_limit.get() is not None:
        limit = min(limit, _short_limit.get()) if limit > 0 else _short_limit.get()
    deadline = time.monotonic() + limit if limit > 0 else None
    while True:
        state = conn.poll()
        if state == ext.POLL_OK:
            return
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            # The message is one SQLAlchemy knows as a disconnect: the pool
            # closes this connection (and its older siblings) instead of reusing it.
            what = "connecting" if connecting else "answering"
            raise psycopg2.OperationalError(
                f"could not receive data from server: not {what} within {limit:g} s"
            )
        if state == ext.POLL_READ:
            select.select([conn.fileno()], [], [], remaining)
        elif state == ext.POLL_WRITE:
            select.select([], [conn.fileno()], [], remaining)
        else:
            raise psycopg2.OperationalError(f"bad state from poll: {state}")


@contextlib.contextmanager
def short_waits(seconds: float) -> Iterator[None]:
    """Inside this block, no wait for the database lasts longer than ``seconds``
    (where :func:`install_wait_deadline` is in force)."""
    token = _short_limit.set(seconds)
    try:
        yield
    finally:
        _short_limit.reset(token)


def is_unavailable(error: BaseException) -> bool:
    """The database is gone, hangs, is locked or cancelled our statement: 503."""
    if isinstance(error, exc.TimeoutError):  # no free connection in the pool
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        original = getattr(error, "orig", None)
        if type(original).__module__ == "sqlite3":
            # pysqlite also calls a missing table an OperationalError: only a
            # lock that outlasted the wait (or a file it cannot open) is "busy".
            return any(words in str(original) for words in SQLITE_BUSY)
        if isinstance(error, exc.OperationalError):
            # psycopg2's OperationalError is about the connection or the
            # server (gone, cancelled, timed out, lock not available, out of
            # space), never about the statement's text or data.
            return True
        if isinstance(error, exc.InterfaceError):
            # psycopg2's InterfaceError: the connection (or its cursor) was
            # closed under us, as when the server went away mid-request.
            return True
        return type(original).__name__ in ("QueryCanceled", "AdminShutdown", "CannotConnectNow")
    return False


def wait_for_database(engine: Engine, *, what: str, poll_seconds: float = 1.0, timeout: float = 0) -> None:
    """Block until ``SELECT 1`` answers (``timeout`` 0: however long it takes),
    saying so in the log once; raises the last error when ``timeout`` passes."""
    started = time.monotonic()
    said = False
    while True:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            if said:
                log.info("%s: the database answers again", what)
            return
        except exc.DBAPIError as error:
            if timeout and time.monotonic() - started > timeout:
                raise
            if not said:
                log.warning("%s: waiting for the database (%s)", what, str(error).splitlines()[0])
                said = True
            time.sleep(poll_seconds)
