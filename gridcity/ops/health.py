"""Health (健康检查) for the proxy and the orchestrator.

``/healthz``: the process is alive and answers (no dependency is asked).
``/readyz``: it can serve: the database answers, Redis answers (when
configured), the schema is at the newest migration; it also names the acting
scheduler. 503 when not ready, so a proxy stops sending requests here. Each
check is bounded by ``GRIDCITY_HEALTH_TIMEOUT_SECONDS``.

A missing scheduler is reported but does not make a web process unready:
taking the web down would not bring the scheduler back (its container's
restart policy does).

:func:`prepare_serving_process` is what a web or scheduler process does
before it serves: the database deadlines, waiting (bounded) for the database,
and clearing photo uploads a killed process left half-written.
"""

from __future__ import annotations

import logging
from functools import cache

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gridcity.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "alive"})


@bp.get("/readyz")
def readyz():
    checks = readiness()
    ready = all(checks[name] == "ok" for name in ("database", "redis", "migrations"))
    return jsonify({"status": "ready" if ready else "unready", "checks": checks}), 200 if ready else 503


def readiness() -> dict[str, str]:
    """Each check's word: ``ok``, or what is wrong (short, for an operator)."""
    from gridcity.core.database import short_waits

    settings = current_app.config["SETTINGS"]
    checks = {"database": "ok", "redis": "ok", "migrations": "ok", "scheduler": "unknown"}
    try:
        with short_waits(settings.health_timeout_seconds), db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
            if current != newest_migrations():
                checks["migrations"] = f"at {', '.join(sorted(current)) or 'none'}, newest is " + ", ".join(
                    sorted(newest_migrations())
                )
            checks["scheduler"] = _scheduler(connection, settings)
    except SQLAlchemyError as error:
        checks["database"] = _first_line(error)
        checks["migrations"] = "unknown"
    checks["redis"] = _redis(settings)
    return checks


def _scheduler(connection, settings) -> str:
    if connection.dialect.name != "postgresql":
        return "embedded" if settings.scheduler_mode == "embedded" else "the gridcity scheduler process"
    from gridcity.core.scheduler import lock_holder

    holder = lock_holder(connection)
    return f"leader pid {holder}" if holder is not None else "no acting scheduler"


def _redis(settings) -> str:
    if not settings.redis_url:
        return "ok"  # one process: no message queue to reach
    import redis

    timeout = settings.health_timeout_seconds
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as error:
        return _first_line(error)
    finally:
        client.close()
    return "ok"


@cache
def newest_migrations() -> set[str]:
    from alembic.script import ScriptDirectory

    from gridcity.core.migrate import MIGRATIONS, alembic_config

    config = alembic_config("sqlite://")
    config.set_main_option("script_location", str(MIGRATIONS))
    return set(ScriptDirectory.from_config(config).get_heads())


def _first_line(error: BaseException) -> str:
    text_ = str(getattr(error, "orig", None) or error).strip()
    return (text_.splitlines() or [type(error).__name__])[0][:200]


def prepare_serving_process(app: Flask, what: str) -> None:
    """Before a web or scheduler process serves: give every database wait a
    deadline, wait for the database (at most ``GRIDCITY_DB_WAIT_AT_START_SECONDS``
    for a web process, raising after that so the orchestrator restarts it),
    and remove the temp files of uploads a killed process left behind."""
    from gridcity.core.database import install_wait_deadline, wait_for_database
    from gridcity.media.storage import remove_stale_temp_files

    settings = app.config["SETTINGS"]
    install_wait_deadline(settings)
    with app.app_context():
        wait_for_database(db.engine, what=what, timeout=settings.db_wait_at_start_seconds)
    removed = remove_stale_temp_files(settings.resolved_media_dir, settings.media_temp_max_age_seconds)
    if removed:
        log.info("%s: removed %d unfinished upload(s) from the media directory", what, removed)
