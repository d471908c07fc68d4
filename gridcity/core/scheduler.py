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
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Connection

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
    from gridcity.ops.retention import retention_job
    from gridcity.scorecards.freeze import freeze_due

    return [
        Job("sweep_deadlines", sweep, seconds=app.config["SETTINGS"].sweep_seconds),
        # Month end: freeze last month's scorecards once (idempotent; hourly).
        Job("freeze_scorecards", freeze_due, seconds=3600),
        Job("anonymise_reporters", retention_job, seconds=86400),  # reporters' contacts past retention
    ]


def try_leadership(connection: Connection) -> bool:
    """Take the scheduler lock on this connection if no other process has it.
    SQLite has one process by construction: always the leader there."""
    if connection.dialect.name != "postgresql":
        return True
    return bool(
        connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}).scalar()
    )


def add_jobs(scheduler, app: Flask) -> list[Job]:
    jobs = registered_jobs(app)
    for job in jobs:

        def run(job=job):
            with app.app_context(), metrics.job_timer(job.id):
                job.func()

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


def run_scheduler(app: Flask, standby_seconds: float = 10.0) -> None:
    """The dedicated scheduler process: wait for the lock, then run the jobs."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from gridcity.extensions import db

    with app.app_context():
        connection = db.engine.connect()
    while not try_leadership(connection):
        connection.rollback()
        log.info("another scheduler holds the lock; standing by")
        time.sleep(standby_seconds)
    connection.commit()  # keep the session-level lock, end the transaction
    metrics.SCHEDULER_LEADER.set(1)
    scheduler = BlockingScheduler(timezone=app.config["SETTINGS"].timezone)
    jobs = add_jobs(scheduler, app)
    log.info("scheduler is the leader; jobs: %s", ", ".join(j.id for j in jobs))
    try:
        scheduler.start()
    finally:
        metrics.SCHEDULER_LEADER.set(0)
        connection.close()
