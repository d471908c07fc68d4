"""Periodic jobs: where they are registered and the process that runs them.

APScheduler's job store cannot be shared by several processes, so in
production exactly one ``gridcity scheduler`` process acts: it holds a
PostgreSQL advisory lock for as long as it runs, and a second copy waits on
standby until the lock is free. In the embedded mode the web process runs the
same jobs in a background scheduler. ``registered_jobs`` names every job; job
bodies must be idempotent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from gridcity.ops import metrics

log = logging.getLogger(__name__)

# Any constant shared by every scheduler of one database.
ADVISORY_LOCK_KEY = 0x67726964  # "grid"


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[], object]
    seconds: int
    options: dict = field(default_factory=dict)


def registered_jobs(app: Flask) -> list[Job]:
    """Every periodic job of the application, named here explicitly."""
    from gridcity.cases.sweeper import sweep
    from gridcity.media.storage import remove_stale_uploads
    from gridcity.ops.retention import retention_job
    from gridcity.org.sessions import prune_expired_sessions
    from gridcity.public.follow import notices_job
    from gridcity.risk.services import retrain_due, score_job
    from gridcity.scorecards.snapshots.freeze import freeze_due

    settings = app.config["SETTINGS"]
    return [
        Job("sweep_deadlines", sweep, seconds=settings.sweep_seconds),
        # Month end: freeze last month's scorecards once (idempotent; hourly).
        Job("freeze_scorecards", freeze_due, seconds=3600),
        Job("anonymise_reporters", retention_job, seconds=86400),  # reporters' contacts past retention
        Job("prune_sessions", prune_expired_sessions, seconds=86400),  # sign-ins past GRIDCITY_SESSION_DAYS
        # Temp files of uploads whose process was killed mid-write.
        Job("remove_stale_uploads", remove_stale_uploads, seconds=settings.media_temp_max_age_seconds),
        # Nightly: retrain the overdue-risk model once a day after GRIDCITY_RISK_TRAIN_HOUR (hourly check).
        Job("retrain_risk_model", retrain_due, seconds=3600),
        Job("score_overdue_risk", score_job, seconds=settings.risk_score_seconds),  # open cases' risks again
        # The citizens' app: a message on each public step to those who asked.
        Job("public_step_notices", notices_job, seconds=settings.sweep_seconds),
    ]


def try_leadership(connection: Connection) -> bool:
    """Take the scheduler lock on this connection if no other process has it.
    SQLite has one process by construction: always the leader there."""
    if connection.dialect.name != "postgresql":
        return True
    return bool(
        connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}).scalar()
    )


def lock_holder(connection: Connection) -> int | None:
    """The backend pid holding the scheduler lock (None: no acting scheduler)."""
    return connection.execute(
        text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 0"
            " AND objid = :k AND objsubid = 1 AND granted"
            # Advisory locks are per database; pg_locks lists every database's.
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"k": ADVISORY_LOCK_KEY},
    ).scalar()


class Leadership:
    """The scheduler lock, held by a session of its own connection.

    A database blip can end that session (and so free the lock for another
    scheduler) without this process noticing, so :meth:`still_held` asks the
    database before every job; on a lost connection or lock the process stops
    acting, and :meth:`try_take` (called every ``standby_seconds``) reconnects
    and re-takes the lock when it is free."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None
        self.backend_pid: int | None = None

    @property
    def is_leader(self) -> bool:
        return self.backend_pid is not None

    def try_take(self) -> bool:
        if self.is_leader:
            return True
        try:
            if self.connection is None:
                self.connection = self.engine.connect()
            if not try_leadership(self.connection):
                self.connection.rollback()
                return False
            pid = self.connection.execute(text("SELECT pg_backend_pid()")).scalar()
            self.connection.commit()  # keep the session-level lock, end the transaction
        except DBAPIError as error:
            self._drop(f"cannot take the lock ({_first_line(error)})")
            return False
        self.backend_pid = pid
        metrics.SCHEDULER_LEADER.set(1)
        return True

    def still_held(self) -> bool:
        """Ask the database whether our session still holds the lock."""
        if not self.is_leader:
            return False
        try:
            holder = lock_holder(self.connection)
            self.connection.rollback()
        except DBAPIError as error:
            self._drop(f"lost the database connection ({_first_line(error)})")
            return False
        if holder != self.backend_pid:
            self._drop(f"the lock is now held by backend {holder}")
            return False
        return True

    def release(self) -> None:
        self._drop(None)

    def _drop(self, why: str | None) -> None:
        if self.is_leader and why:
            log.warning("scheduler stops acting: %s; standing by", why)
        self.backend_pid = None
        metrics.SCHEDULER_LEADER.set(0)
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.invalidate()  # a dead session must not go back to the pool
                connection.close()
            except DBAPIError:
                pass


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def add_jobs(scheduler, app: Flask, acting: Callable[[], bool] | None = None) -> list[Job]:
    """Register every job. With ``acting`` (the dedicated process), each run
    first asks it whether this process may act, and logs the run."""
    jobs = registered_jobs(app)
    for job in jobs:

        def run(job=job):
            if acting is not None and not acting():
                return
            started = time.time()
            with app.app_context(), metrics.job_timer(job.id):
                job.func()
            if acting is not None:
                log.info("job %s ran as leader from %.3f to %.3f", job.id, started, time.time())

        scheduler.add_job(
            run,
            "interval",
            seconds=job.seconds,
            id=job.id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(job.seconds, 30),
            **job.options,
        )
    return jobs


def start_embedded(app: Flask):
    """The embedded mode: the same jobs on a background thread of the web
    process (one process, so no lock is needed)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=app.config["SETTINGS"].timezone, daemon=True)
    add_jobs(scheduler, app)
    scheduler.start()
    metrics.SCHEDULER_LEADER.set(1)
    return scheduler


def run_scheduler(app: Flask) -> None:
    """The dedicated scheduler process: wait for the database, take the lock
    (or stand by until it is free), then run the jobs for as long as the lock
    is ours, checked before each one."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from gridcity.core.database import install_wait_deadline, wait_for_database
    from gridcity.extensions import db

    settings = app.config["SETTINGS"]
    install_wait_deadline(settings)
    with app.app_context():
        engine = db.engine
    wait_for_database(engine, what="scheduler")
    scheduler = BlockingScheduler(timezone=settings.timezone)
    names = ", ".join(j.id for j in registered_jobs(app))
    if engine.dialect.name != "postgresql":
        # One process per SQLite database by construction: always the leader.
        add_jobs(scheduler, app)
        metrics.SCHEDULER_LEADER.set(1)
        log.info("scheduler is the leader; jobs: %s", names)
        scheduler.start()
        return
    leadership = Leadership(engine)
    lock = threading.Lock()  # APScheduler runs jobs on a pool of threads

    def acting() -> bool:
        with lock:
            return leadership.still_held()

    def campaign() -> None:
        with lock:
            if leadership.is_leader:
                return
            if leadership.try_take():
                log.info("scheduler is the leader (backend %s); jobs: %s", leadership.backend_pid, names)
            else:
                log.info("another scheduler holds the lock (or no database); standing by")

    campaign()
    scheduler.add_job(
        campaign,
        "interval",
        seconds=settings.scheduler_standby_seconds,
        id="scheduler_leadership",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
    add_jobs(scheduler, app, acting)
    try:
        scheduler.start()
    finally:
        leadership.release()
