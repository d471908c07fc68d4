"""City-scale benchmark of decision support (决策建议, issue 20): the hotspots
of a month of the whole city and the recurring problems of the year, over
the year of Shenzhen cases that scripts/bench_scorecard.py generates.

Run by hand (not in CI) against a scratch PostGIS database::

    .venv/bin/python scripts/bench_analytics.py \
        [--postgres-url postgresql://postgres@127.0.0.1/gridcity_bench_analytics] \
        [--cases 1100000] [--month 2025-06] [--runs 3] [--reuse] [--busy N]

The database named in the URL is DROPPED and recreated (unless ``--reuse``:
then it times a database an earlier run, or scripts/bench_scorecard.py,
generated). The grid, organisation and cases are bench_scorecard's own
generator (imported, not copied); its cases lie at their unit grid's centre.

Measured per operation (median of ``--runs`` after one warm-up run each):
- ``hotspots``: ``hotspots.find_hotspots`` for ``--month``, whole city, the
  default parameters — the period's cases read in one query, DBSCAN per
  category, each hotspot described; target < 5 s;
- ``recurrences``: ``recurrences.find_recurrences`` for the year 2025 — the
  cases reported in it or closed in it and the window before, matched per
  (category × unit grid / component), counted per unit and street; target < 30 s;
- the **floor** of each: the bare SQL reading the same rows (the same
  WHERE, the same columns) through the DB-API cursor, fetched whole;
  ``ratio`` = operation / floor;
- CPU per operation: this process plus its database backend (median of the
  runs), and the whole machine's busy CPU; ``--busy N`` keeps N cores busy
  with burners while every operation and floor is timed.

With ``--with-risk`` it then times the overdue-risk model's nightly
retraining on the same year (scripts/bench_risk.py's
``measure_risk_retraining``: target < 5 min; its floor is the bare read of
the training rows). Other operations join by adding a row to ``operations()``.
Human-readable lines first; the last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from gridcity.core.migrate import upgrade
from gridcity.extensions import db

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402 - beside this script
    Burners,
    after_the_run,
    bench_app,
    calibration_line,
    calibration_seconds,
    say,
    script_module,
    year_arguments,
)

YEAR = 2025


@dataclass
class Operation:
    name: str
    run: object  # () -> the figure counted (rows found)
    floor: object  # () -> rows the bare SQL read
    target_s: float


def bare_rows(statement: str, **params) -> int:
    """The floor: the statement through the DB-API cursor, every row fetched."""
    connection = db.session.connection().connection
    cursor = connection.cursor()
    try:
        cursor.execute(statement, params)
        return len(cursor.fetchall())
    finally:
        cursor.close()


def naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def operations(args) -> list[Operation]:
    from gridcity.analysis import hotspots, recurrences
    from gridcity.analysis.scope import build_scope

    month = build_scope(month=args.month)
    year = build_scope(first_day=dt.date(YEAR, 1, 1), last_day=dt.date(YEAR, 12, 31))
    live = "merged_into_id IS NULL AND state <> 'voided'"
    return [
        Operation(
            "hotspots",
            lambda: len(hotspots.find_hotspots(month)),
            lambda: bare_rows(
                "SELECT id, number, lon, lat, reported_at, category_id, unit_grid_id, unit_id, street_id "
                f"FROM case_file WHERE reported_at >= %(s)s AND reported_at < %(e)s AND {live} ORDER BY id",
                s=naive(month.start),
                e=naive(month.end),
            ),
            5.0,
        ),
        Operation(
            "recurrences",
            lambda: len(recurrences.find_recurrences(year).rows),
            lambda: bare_rows(
                "SELECT id, number, category_id, unit_grid_id, component_id, reported_at, closed_at, street_id, "
                "unit_id FROM case_file WHERE ((reported_at >= %(s)s AND reported_at < %(e)s) OR "
                f"(closed_at >= %(w)s AND closed_at < %(e)s)) AND {live} ORDER BY id",
                s=naive(year.start),
                e=naive(year.end),
                w=naive(year.start - dt.timedelta(days=year.window_days)),
            ),
            30.0,
        ),
    ]


def measure(bench, op: Operation, runs: int, out: dict) -> None:
    cpu: list[float] = []
    machine: list[float] = []
    first, median, found, times = bench.timed(op.run, runs, cpu, machine)
    floor_first, floor, rows, _ = bench.timed(op.floor, runs)
    out[op.name] = {
        "seconds": median,
        "first_seconds": first,
        "runs_seconds": [round(t, 3) for t in times],
        "cpu_seconds": statistics.median(cpu),
        "machine_cpu_seconds": statistics.median(machine),
        "floor_seconds": floor,
        "floor_first_seconds": floor_first,
        "rows_read": rows,
        "found": found,
        "ratio": median / floor if floor else float("inf"),
        "target_seconds": op.target_s,
    }
    r = out[op.name]
    say(
        f"{op.name}: {median:.3f} s (first {first:.3f} s; runs {min(times):.3f}–{max(times):.3f} s), "
        f"{found:,} found; CPU {r['cpu_seconds']:.3f} s (this process and its backend), "
        f"machine {r['machine_cpu_seconds']:.3f} CPU-s"
    )
    say(
        f"  floor: the bare SQL reading the same {rows:,} rows {floor:.3f} s; ratio {r['ratio']:.1f}×; "
        f"target < {op.target_s:g} s: {'met' if median < op.target_s else 'MISSED'}"
    )


def run(args) -> dict:
    out: dict = {"cases_requested": args.cases, "month": args.month, "busy_cores": args.busy}
    bench = script_module("bench_scorecard")
    locate = bench._bench_locate()
    if not args.reuse:
        locate.recreate_database(args.postgres_url)
    upgrade(args.postgres_url)  # a reused database gains the tables of later migrations (risk_model…)
    with tempfile.TemporaryDirectory(prefix="gc_bench_an_") as instance_dir:
        with bench_app(args.postgres_url, instance_dir).app_context():
            if args.reuse:
                out["generate_seconds"] = None
            else:
                bench.generate(args, locate, out)
                db.session.remove()
                db.engine.dispose()
                gc.collect()
            out["cases"] = db.session.execute(text("SELECT count(*) FROM case_file")).scalar()
            say(f"{make_url(args.postgres_url).database}: {out['cases']:,} cases")
            burners = Burners(args.busy) if args.busy else None
            try:
                for op in operations(args):
                    measure(bench, op, args.runs, out)
            finally:
                if burners:
                    burners.stop()
            db.session.remove()
            db.engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    year_arguments(parser, "gridcity_bench_analytics")
    parser.add_argument(
        "--with-risk",
        action="store_true",
        help="also time the risk model's nightly retraining (bench_risk.py)",
    )
    args = parser.parse_args(argv)
    if "bench" not in (make_url(args.postgres_url).database or ""):
        parser.error("refusing to drop a database whose name lacks 'bench'")
    calibration = calibration_seconds()
    say(calibration_line(calibration))
    out = run(args)
    if args.with_risk:
        risk = script_module("bench_risk")
        out["risk_retraining"] = risk.measure_risk_retraining(args.postgres_url, args.runs, args.busy)
        risk.report_retraining(out["risk_retraining"], args.busy)
    after_the_run(out, calibration, args.note)
    print(json.dumps(out, default=lambda v: round(v, 3) if isinstance(v, float) else str(v)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
