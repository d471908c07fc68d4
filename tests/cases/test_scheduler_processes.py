"""Two `gridcity scheduler` processes on one database: on PostgreSQL one
leads and the other stands by; on either database each overdue case is
marked exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from sqlalchemy import func, select

from gridcity.cases.models import CaseEvent
from gridcity.extensions import db
from tests.cases.test_deadlines import dispatched, local


def start_scheduler(database_url: str, instance_dir) -> subprocess.Popen:
    env = {
        **os.environ,
        "GRIDCITY_DATABASE_URL": database_url,
        "GRIDCITY_INSTANCE_DIR": str(instance_dir),
        "GRIDCITY_SWEEP_SECONDS": "1",
        "GRIDCITY_LOG_LEVEL": "INFO",
        "GRIDCITY_SECRET_KEY": "test",
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from gridcity.cli import main; main()", "scheduler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_scheduler_processes_mark_each_case_once(city, database_url, backend, tmp_path):
    # Dispatched on Monday 2 November 2026 at 10:00: due at 16:00 that day, long past.
    cases = [dispatched("E0102", local(2026, 11, 2, 10)) for _ in range(5)]
    db.session.commit()
    processes = [start_scheduler(database_url, tmp_path / f"s{n}") for n in (1, 2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.rollback()
            marked = db.session.scalar(select(func.count()).where(CaseEvent.action == "overdue"))
            if marked >= len(cases):
                break
            time.sleep(0.5)
        time.sleep(3)  # several more sweeps by whoever is sweeping
    finally:
        for p in processes:
            p.terminate()
        logs = [p.communicate(timeout=30)[0] for p in processes]
    db.session.rollback()
    per_case = db.session.execute(
        select(CaseEvent.case_id, func.count())
        .where(CaseEvent.action == "overdue")
        .group_by(CaseEvent.case_id)
    ).all()
    assert sorted(n for _, n in per_case) == [1] * len(cases), logs
    leaders = [log for log in logs if "scheduler is the leader" in log]
    if backend == "postgresql":
        assert len(leaders) == 1, logs
        assert any("standing by" in log for log in logs)
    else:
        assert len(leaders) == 2  # one process per SQLite database by design; the claims still hold
