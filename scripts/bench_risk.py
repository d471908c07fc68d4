"""City-scale benchmark of the nightly overdue-risk retraining (issue 20,
item 4): the whole ``gridcity.risk.services.retrain`` over a year of cases.

Run by hand (not in CI) against a scratch PostGIS database::

    .venv/bin/python scripts/bench_risk.py \
        [--postgres-url postgresql://postgres@127.0.0.1/gridcity_bench_risk] \
        [--cases 1100000] [--runs 1] [--busy N] [--reuse]

Without ``--reuse`` the database named in the URL is DROPPED and recreated,
and the year is made by scripts/bench_scorecard.py's generator (the same
grid, organisation and 2025 of cases; see its docstring). ``--reuse`` times
an existing database, e.g. one bench_scorecard.py left behind.

Measured (median of ``--runs`` after one warm-up run; each run is rolled
back, so every run trains on the same history):
- ``train_seconds``: ``retrain()`` as the nightly job runs it — read every
  dispatch, label and featurise it (with each unit's load at dispatch), the
  held-out check (a model of all but the last GRIDCITY_RISK_HOLDOUT_DAYS
  days, scored on them), the final fit, and the open cases scored again;
- ``train_cpu_seconds``: this process plus its database backend; and
  ``train_machine_cpu_seconds``: the whole machine's busy CPU in a run;
- ``floor_seconds``: the bare SQL that reads the training rows (the same
  columns and rows, fetched by the driver, nothing else);
- ``ratio`` = train / floor. Target: train < 300 s on 2 cores.

``measure_risk_retraining(database_url)`` is the function other benchmarks
call (scripts/bench_analytics.py); it times an existing database.
Human-readable lines first; the last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from gridcity import create_app
from gridcity.core.clock import utcnow
from gridcity.core.migrate import upgrade
from gridcity.extensions import db

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Burners, after_the_run, calibration_line, calibration_seconds  # noqa: E402 - beside this script
from bench_scorecard import _bench_locate, generate, say, timed  # noqa: E402 - its year and its timing


def _app(database_url: str, instance_dir: str):
    # Bulk work runs longer than a request's statement timeout.
    return create_app(
        {"database_url": database_url, "instance_dir": Path(instance_dir), "db_statement_timeout_seconds": 0}
    )


def generate_year(database_url: str, cases: int) -> dict:
    """A fresh database with bench_scorecard.py's year of ``cases`` cases."""
    locate = _bench_locate()
    locate.recreate_database(database_url)
    upgrade(database_url)
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="gc_bench_risk_") as instance_dir:
        app = _app(database_url, instance_dir)
        with app.app_context():
            generate(argparse.Namespace(cases=cases), locate, out)
            db.session.remove()
            db.engine.dispose()
    return out


def floor_read(as_of) -> int:
    """The training rows, read by the driver and nothing else."""
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    cursor.execute(
        "SELECT id, category_id, unit_id, street_id, handle_clock, dispatched_at, handled_at, deadline_at, state"
        " FROM case_file WHERE dispatched_at IS NOT NULL AND unit_id IS NOT NULL AND dispatched_at < %s"
        " ORDER BY id",
        (as_of.replace(tzinfo=None),),
    )
    n = len(cursor.fetchall())
    cursor.close()
    return n


def measure_risk_retraining(database_url: str, runs: int = 1, busy: int = 0) -> dict:
    """Time the nightly retraining on an existing database (see the module
    docstring for the figures); nothing it trains is kept."""
    out: dict = {"runs": runs, "busy_cores": busy}
    with tempfile.TemporaryDirectory(prefix="gc_bench_risk_") as instance_dir:
        app = _app(database_url, instance_dir)
        with app.app_context():
            from gridcity.risk import services

            # The night after the history's last dispatch (the bench year is 2025):
            # the held-out check then has its last days to score.
            last = db.session.scalar(text("SELECT max(dispatched_at) FROM case_file"))
            as_of = utcnow() if last is None else last.replace(tzinfo=dt.UTC) + dt.timedelta(hours=2)
            out["as_of"] = as_of.isoformat()
            out["cases"] = db.session.scalar(text("SELECT count(*) FROM case_file"))
            burners = Burners(busy) if busy else None
            cpu: list[float] = []
            machine: list[float] = []
            try:
                first, train_s, run, train_runs = timed(lambda: services.retrain(as_of), runs, cpu, machine)
                out["train_first_seconds"], out["train_seconds"] = first, train_s
                out["train_runs_seconds"] = [round(t, 3) for t in train_runs]
                out["train_cpu_seconds"] = statistics.median(cpu)
                out["train_machine_cpu_seconds"] = statistics.median(machine)
                out["status"] = run.status
                out["rows_used"], out["late_rows"] = run.rows_used, run.late_rows
                out["holdout_auc"] = run.metrics.get("holdout_auc")
                out["read_seconds"] = run.metrics.get("read_seconds")
                out["fit_seconds"] = run.metrics.get("fit_seconds")
                floor_first, floor_s, rows, _ = timed(lambda: floor_read(as_of), runs)
            finally:
                if burners:
                    burners.stop()
                db.session.rollback()
            out["floor_first_seconds"], out["floor_seconds"], out["floor_rows"] = floor_first, floor_s, rows
            out["ratio"] = train_s / floor_s if floor_s else float("inf")
            db.session.remove()
            db.engine.dispose()
    return out


def report_retraining(out: dict, busy: int) -> None:
    """The human-readable lines of :func:`measure_risk_retraining`'s figures
    (also printed by scripts/bench_analytics.py --with-risk)."""
    say(
        f"retraining: {out['train_seconds']:.2f} s (first run {out['train_first_seconds']:.2f} s) over "
        f"{out['cases']:,} cases; {out['rows_used']:,} dispatches with a known outcome, {out['late_rows']:,} late; "
        f"model {out['status']}, held-out AUC {out['holdout_auc']}; read {out['read_seconds']} s, "
        f"fit {out['fit_seconds']} s (target < 300 s)"
    )
    say(
        f"CPU per retraining: {out['train_cpu_seconds']:.2f} s (this process and its database backend); "
        f"the machine busy {out['train_machine_cpu_seconds']:.2f} CPU-s"
        + (f"; {busy} cores kept busy by burners while timed" if busy else "")
    )
    say(
        f"floor: the training rows read by the driver {out['floor_seconds']:.2f} s ({out['floor_rows']:,} rows); "
        f"ratio {out['ratio']:.1f}× the floor"
    )


# The command line: (flag, argparse keywords).
OPTIONS = (
    ("--postgres-url", {"default": "postgresql://postgres@127.0.0.1/gridcity_bench_risk",
                        "help": "scratch database; it is dropped and recreated unless --reuse"}),
    ("--cases", {"type": int, "default": 1_100_000, "help": "cases over the year"}),
    ("--runs", {"type": int, "default": 1, "help": "timed runs after the first (median)"}),
    ("--reuse", {"action": "store_true", "help": "time an existing database (no generation)"}),
    ("--busy", {"type": int, "default": 0, "help": "cores kept busy by CPU burners while timed"}),
    ("--note", {"default": "", "help": "free text kept in the JSON (e.g. the machine's load)"}),
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for flag, options in OPTIONS:
        parser.add_argument(flag, **options)
    args = parser.parse_args(argv)
    if not args.reuse and "bench" not in (make_url(args.postgres_url).database or ""):
        parser.error("refusing to drop a database whose name lacks 'bench'")
    calibration = calibration_seconds()
    say(calibration_line(calibration))
    out: dict = {"generate_seconds": None}
    if not args.reuse:
        t = time.perf_counter()
        generated = generate_year(args.postgres_url, args.cases)
        out["generate_seconds"] = time.perf_counter() - t
        say(f"generated {generated.get('cases', 0):,} cases in {out['generate_seconds']:.1f} s")
    out.update(measure_risk_retraining(args.postgres_url, args.runs, args.busy))
    report_retraining(out, args.busy)
    after_the_run(out, calibration, args.note)
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
