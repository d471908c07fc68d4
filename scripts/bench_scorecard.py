"""City-scale benchmark of the scorecards: one month's full scorecard set over
a year of Shenzhen cases.

Run by hand (not in CI) against a scratch PostGIS database::

    .venv/bin/python scripts/bench_scorecard.py \
        [--postgres-url postgresql://postgres@127.0.0.1/gridcity_bench_scorecard] \
        [--cases 1100000] [--month 2025-06] [--runs 3]

The database named in the URL is DROPPED and recreated. The grid is the one
of scripts/bench_locate.py (real district outlines, a 100 m fishnet, ~216,000
unit grids, synthetic communities); on top of it this script groups
communities into streets (about three each) with one area (片区) per street,
cuts work grids of ~110 unit grids (two per work group) with two inspectors
each, and adds units (ten kinds per district, one office per street) with a
handler each, operators, shift leaders, dispatchers and patrols.

The year (2025, city time) of cases is generated in the database with bulk
``INSERT … SELECT`` (not through the services): a plan row per case draws its
place, category, source and fate — public reports verified (10 % untrue),
voids, dispatch, returns (2 %) and re-dispatch, extensions (3 %),
suspensions (1 %), overdue marks (7 %), reworks (8 %), checks and closes — and
one query writes every step's ``case_event`` row in time order, as a live
system appends them (ids follow time); case ids follow report times. The
``case_file`` columns the engine reads (place, source, unit, reporter,
patrol, step times, voided/closed, first overdue mark) and the ``case_task``
rows agree with the events; version and event counters are not maintained.

Before the timing the assessment settings are stored (version 1, as a
running system has them) and the month before ``--month`` is frozen (as the
monthly job has done: last month's scores and cards are read from it), both
committed; the server's ``shared_buffers`` is
printed (docker-compose.yml gives production 2 GB; PostgreSQL's default is
128 MB). A month is read on two connections at once (counting/log.py
``parallel_readers``) while the scoring layer reads who is scored and last
month's scores on a third (``read_aside``).

Measured (median of ``--runs`` after one warm-up run each):
- ``generate_seconds``: the dataset (grid import excluded, reported apart),
  analysed and written to disk (CHECKPOINT and sync) before the timing;
- ``month_seconds``: ``scores.compute_all(month)`` — every tier (unit grids
  … district, units, the four positions, group leaders, area heads, the
  center), with scores, grades, ranks, and the contest;
- ``month_runs_seconds``: each timed run (the spread is the machine's noise);
- ``month_cpu_seconds``: the CPU of a month (median of the runs): this
  process plus its database backends (every client backend of the database:
  the session's, the two readers' and the scoring reads');
  ``month_machine_cpu_seconds``: the whole machine's busy CPU during a month
  (the backends' parallel workers too — meaningful on a quiet machine);
  ``--busy N`` keeps N cores busy with burners while the month and the
  floor are timed (the machine at saturation);
- ``floor_seconds``: the bare SQL counting the month's closed cases per
  street (close events of the month joined to their cases);
- ``ratio`` = month / floor. Targets: month ≤ 2 s and ratio ≤ 10.

Human-readable lines first; the last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from gridcity import create_app
from gridcity.core.migrate import upgrade
from gridcity.core.settings import REPO_ROOT
from gridcity.extensions import db

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402 - beside this script
    Burners,
    after_the_run,
    backend_cpu_seconds,
    calibration_line,
    calibration_seconds,
    machine_busy_seconds,
    year_arguments,
)

SEED = 0.20260101
YEAR_START = "2024-12-31 16:00:00"  # 2025-01-01 00:00 in Shenzhen, as UTC


def say(line: str) -> None:
    print(line, flush=True)


def _bench_locate():
    spec = importlib.util.spec_from_file_location("bench_locate", REPO_ROOT / "scripts" / "bench_locate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sql(statement: str, **params) -> None:
    db.session.execute(text(statement), params)


def scalar(statement: str, **params):
    return db.session.execute(text(statement), params).scalar()


# ---------------------------------------------------------------- organisation


def build_organisation() -> dict:
    """Streets, areas, work groups and grids, units and people on the grid."""
    # Streets: about three communities each, within a district.
    sql(
        """
        CREATE TEMP TABLE street_plan AS
        SELECT c.id AS community_id, s.district_id,
               (row_number() OVER (PARTITION BY s.district_id ORDER BY c.code) - 1) / 3 AS n
        FROM community c JOIN street s ON s.id = c.street_id
        """
    )
    sql("UPDATE street SET code = 'Z' || id")  # the one street per district made by the import
    sql(
        """
        INSERT INTO street (district_id, code, name, geom)
        SELECT p.district_id, lpad((p.n + 1)::text, 3, '0'), d.name || '第' || (p.n + 1) || '街道',
               ST_Multi(ST_Union(c.geom))
        FROM street_plan p JOIN community c ON c.id = p.community_id JOIN district d ON d.id = p.district_id
        GROUP BY p.district_id, p.n, d.name
        """
    )
    old = [r[0] for r in db.session.execute(text("SELECT DISTINCT street_id FROM community"))]
    sql(
        """
        UPDATE community c SET street_id = s.id
        FROM street_plan p, street s
        WHERE p.community_id = c.id AND s.district_id = p.district_id
          AND s.code = lpad((p.n + 1)::text, 3, '0') AND s.id <> ALL(:old)
        """,
        old=old,
    )
    sql("DELETE FROM street WHERE id = ANY(:old)", old=old)
    # One area per street; work grids of ~110 unit grids; two per work group.
    sql(
        """
        INSERT INTO area (code, name, street_id)
        SELECT 'PQ' || s.id, s.name || '片区', s.id FROM street s
        """
    )
    sql(
        """
        CREATE TEMP TABLE wg_plan AS
        SELECT g.id AS unit_grid_id, g.community_id,
               (row_number() OVER (PARTITION BY g.community_id ORDER BY g.code) - 1) / 110 AS n
        FROM unit_grid g
        """
    )
    sql(
        """
        INSERT INTO work_grid (code, name, area_id)
        SELECT 'WG' || p.community_id || '-' || p.n, '工作网格' || p.community_id || '-' || p.n, a.id
        FROM (SELECT DISTINCT community_id, n FROM wg_plan) p
        JOIN community c ON c.id = p.community_id JOIN area a ON a.street_id = c.street_id
        """
    )
    sql(
        """
        UPDATE unit_grid g SET work_grid_id = w.id
        FROM wg_plan p, work_grid w
        WHERE p.unit_grid_id = g.id AND w.code = 'WG' || p.community_id || '-' || p.n
        """
    )
    sql(
        """
        INSERT INTO work_group (code, name, area_id)
        SELECT 'G' || a.id || '-' || k, a.name || '第' || k || '组', a.id
        FROM area a, LATERAL (
            SELECT DISTINCT (row_number() OVER (ORDER BY w.id) - 1) / 2 AS k FROM work_grid w WHERE w.area_id = a.id
        ) x
        """
    )
    sql(
        """
        UPDATE work_grid w SET work_group_id = g.id
        FROM (SELECT id, area_id, (row_number() OVER (PARTITION BY area_id ORDER BY id) - 1) / 2 AS k
              FROM work_grid) x, work_group g
        WHERE x.id = w.id AND g.code = 'G' || x.area_id || '-' || x.k
        """
    )
    # People (one password hash for all: the bench never signs in).
    hash_ = "pbkdf2:sha256:1$bench$0"
    sql(
        """
        INSERT INTO app_user (username, display_name, password_hash, role, active, on_duty)
        SELECT 'i' || w.id || '-' || k, '监督员' || w.id || '-' || k, :h, 'inspector', true, true
        FROM work_grid w, generate_series(1, 2) k
        """,
        h=hash_,
    )
    sql(
        """
        INSERT INTO inspector_work_grid (user_id, work_grid_id)
        SELECT u.id, w.id FROM work_grid w
        JOIN app_user u ON u.username IN ('i' || w.id || '-1', 'i' || w.id || '-2')
        """
    )
    for role, n in (("operator", 40), ("shift_leader", 12), ("dispatcher", 20), ("manager", 120)):
        sql(
            """
            INSERT INTO app_user (username, display_name, password_hash, role, active, on_duty)
            SELECT :role || k, :role || k, :h, :role, true, true FROM generate_series(1, :n) k
            """,
            role=role,
            n=n,
            h=hash_,
        )
    # Group leaders: the first inspector of the group's first grid; area heads: managers.
    sql(
        """
        UPDATE work_group g SET leader_user_id = (
            SELECT iw.user_id FROM work_grid w JOIN inspector_work_grid iw ON iw.work_grid_id = w.id
            WHERE w.work_group_id = g.id ORDER BY w.id, iw.user_id LIMIT 1)
        """
    )
    sql(
        """
        UPDATE area a SET head_user_id = m.id
        FROM (SELECT id, row_number() OVER (ORDER BY id) AS r FROM app_user WHERE role = 'manager') m,
             (SELECT id, row_number() OVER (ORDER BY id) AS r FROM area) x
        WHERE x.id = a.id AND m.r = x.r
        """
    )
    kinds = [
        "sanitation",
        "parks",
        "municipal",
        "water",
        "traffic",
        "enforcement",
        "other",
        "other",
        "other",
        "other",
    ]
    for k, kind in enumerate(kinds):
        sql(
            """
            INSERT INTO unit (code, name, kind, active)
            SELECT 'U' || d.code || '-' || :k, d.name || '责任单位' || :k, :kind, true FROM district d
            """,
            k=k,
            kind=kind,
        )
    sql(
        """
        INSERT INTO unit (code, name, kind, street_id, active)
        SELECT 'JD' || s.id, s.name || '办事处', 'street_office', s.id, true FROM street s
        """
    )
    sql(
        """
        INSERT INTO app_user (username, display_name, password_hash, role, unit_id, active, on_duty)
        SELECT 'h' || u.id, u.name || '处置员', :h, 'unit_handler', u.id, true, true FROM unit u
        """,
        h=hash_,
    )
    db.session.commit()
    return {
        name: scalar(f"SELECT count(*) FROM {table}")
        for name, table in (
            ("streets", "street"),
            ("areas", "area"),
            ("work_grids", "work_grid"),
            ("work_groups", "work_group"),
            ("users", "app_user"),
            ("units", "unit"),
        )
    }


# ---------------------------------------------------------------- cases


PLAN = """
CREATE UNLOGGED TABLE plan AS
WITH g AS (SELECT row_number() OVER (ORDER BY g.id) AS r, g.id AS ug, g.community_id, c.street_id, s.district_id,
                  g.work_grid_id, w.area_id, ST_X(ST_Centroid(g.geom)) AS lon, ST_Y(ST_Centroid(g.geom)) AS lat
           FROM unit_grid g JOIN community c ON c.id = g.community_id JOIN street s ON s.id = c.street_id
           JOIN work_grid w ON w.id = g.work_grid_id),
     cat AS (SELECT row_number() OVER (ORDER BY id) AS r, id FROM category),
     r0 AS (SELECT i, timestamp :y0 + random() * interval '365 days' AS t0 FROM generate_series(1, :n) i),
     r AS (SELECT row_number() OVER (ORDER BY t0) AS i, t0, random() AS r0, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
                  random() AS r6, random() AS r7, random() AS r8, random() AS r9
           FROM r0)
SELECT r.i AS id, g.ug, g.community_id, g.street_id, g.district_id, g.work_grid_id, g.area_id, g.lon, g.lat,
       cat.id AS category_id,
       r.t0,
       CASE WHEN r.r1 < 0.70 THEN 'inspector' WHEN r.r1 < 0.75 THEN 'patrol' ELSE 'hotline' END AS source,
       r.r4 AS fate, r.r5 AS luck, r.r6 AS pick, r.r7 AS pace, r.r8 AS late, r.r9 AS who
FROM r JOIN g ON g.r = 1 + floor(r.r0 * :ngrid)::bigint % :ngrid
JOIN cat ON cat.r = 1 + floor(r.r2 * :ncat)::int % :ncat
"""

# Fate (r4) bands: <0.05 voided by the leader; 0.05–0.07 returned once; 0.07–0.10
# extension; 0.10–0.11 suspended (stays); 0.11–0.15 not yet closed. Public
# reports: luck < 0.10 → verify fails (voided). late < 0.07 → overdue;
# 0.07–0.15 → one rework.
TIMES = """
CREATE UNLOGGED TABLE tl AS
SELECT p.*,
  p.t0 + (2 + p.pace * 38) * interval '1 minute' AS t_accept,
  CASE WHEN p.source = 'hotline' THEN p.t0 + (40 + p.pace * 120) * interval '1 minute' END AS t_verify,
  p.source = 'hotline' AND p.luck < 0.10 AS verify_fail,
  p.t0 + (60 + p.pace * 200) * interval '1 minute' AS t_file,
  p.fate < 0.05 AS leader_void,
  p.t0 + (80 + p.pace * 240) * interval '1 minute' AS t_dispatch,
  p.fate >= 0.05 AND p.fate < 0.07 AS returned,
  p.fate >= 0.07 AND p.fate < 0.10 AS extended,
  p.fate >= 0.10 AND p.fate < 0.11 AS suspended,
  p.fate >= 0.11 AND p.fate < 0.15 AS open_end,
  p.late < 0.07 AS overdue,
  p.late >= 0.07 AND p.late < 0.15 AS rework,
  u1.id AS unit1, u2.id AS unit2,
  1 + floor(p.who * 40)::int AS op_n, 1 + floor(p.who * 12)::int AS lead_n, 1 + floor(p.who * 20)::int AS disp_n,
  CASE WHEN p.who < 0.5 THEN 1 ELSE 2 END AS insp_k
FROM plan p JOIN district d ON d.id = p.district_id
JOIN unit u1 ON u1.code = 'U' || d.code || '-' || floor(p.pick * 10)::int
JOIN unit u2 ON u2.code = 'JD' || p.street_id
"""


def iso(moment: str) -> str:
    """SQL for a naive UTC timestamp as the ISO text the services keep in an
    event's JSON (``data.set.deadline_at``)."""
    return f"""to_char({moment}, 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')"""


def generate_cases(n: int) -> dict:
    ncat = scalar("SELECT count(*) FROM category")
    ngrid = scalar("SELECT count(*) FROM unit_grid")
    sql("SELECT setseed(:s)", s=SEED)
    sql("SET work_mem = '256MB'")
    sql(PLAN, n=n, ncat=ncat, ngrid=ngrid, y0=YEAR_START)
    sql(TIMES)
    sql("ALTER TABLE tl ADD PRIMARY KEY (id)")
    # People by number, the unit's handler, the grid's inspector.
    sql(
        """
        CREATE UNLOGGED TABLE tl2 AS
        SELECT t.*,
          CASE WHEN t.returned THEN t.unit2 ELSE t.unit1 END AS unit_final,
          o.id AS op, l.id AS lead, dsp.id AS disp, i.id AS insp, hh1.id AS h1, hh2.id AS h2,
          t.t_dispatch + (30 + t.pace * 60) * interval '1 minute' AS t_return,
          t.t_dispatch + (50 + t.pace * 60) * interval '1 minute' AS t_dispatch2
        FROM tl t
        JOIN app_user o ON o.username = 'operator' || t.op_n
        JOIN app_user l ON l.username = 'shift_leader' || t.lead_n
        JOIN app_user dsp ON dsp.username = 'dispatcher' || t.disp_n
        JOIN app_user i ON i.username = 'i' || t.work_grid_id || '-' || t.insp_k
        JOIN app_user hh1 ON hh1.username = 'h' || t.unit1
        JOIN app_user hh2 ON hh2.username = 'h' || t.unit2
        """
    )
    sql("ALTER TABLE tl2 ADD PRIMARY KEY (id)")
    # Later steps from the (last) dispatch.
    sql(
        """
        CREATE UNLOGGED TABLE f AS
        SELECT t.*,
          NOT t.verify_fail AND NOT t.leader_void AS filed,
          CASE WHEN t.returned THEN t.t_dispatch2 ELSE t.t_dispatch END AS t_d,
          CASE WHEN t.returned THEN t.h2 ELSE t.h1 END AS h
        FROM tl2 t
        """
    )
    sql(
        """
        CREATE UNLOGGED TABLE cf AS
        SELECT f.*,
          f.t_d + (10 + f.pace * 50) * interval '1 minute' AS t_unit_accept,
          f.t_d + (70 + f.pace * 20) * interval '1 minute' AS t_ext,
          f.t_d + (70 + f.pace * 20) * interval '1 minute' AS t_susp,
          f.t_d + (250 + f.pace * 60) * interval '1 minute' AS t_overdue,
          CASE WHEN f.overdue THEN f.t_d + (400 + f.pace * 900) * interval '1 minute'
               ELSE f.t_d + (80 + f.pace * 100) * interval '1 minute' END AS t_handle1,
          1 + floor(f.pick * 5000)::int % 5000 AS patrol_id
        FROM f
        """
    )
    sql(
        """
        CREATE UNLOGGED TABLE c AS
        SELECT cf.*,
          cf.t_handle1 + (20 + cf.pace * 150) * interval '1 minute' AS t_check1,
          cf.t_handle1 + (200 + cf.pace * 300) * interval '1 minute' AS t_handle2,
          cf.t_handle1 + (260 + cf.pace * 400) * interval '1 minute' AS t_check2,
          CASE WHEN cf.rework THEN cf.t_handle1 + (260 + cf.pace * 400) * interval '1 minute'
               ELSE cf.t_handle1 + (20 + cf.pace * 150) * interval '1 minute' END AS t_pass,
          CASE WHEN cf.rework THEN cf.t_handle1 + (265 + cf.pace * 475) * interval '1 minute'
               ELSE cf.t_handle1 + (25 + cf.pace * 225) * interval '1 minute' END AS t_close,
          CASE WHEN cf.verify_fail OR cf.leader_void THEN 'voided'
               WHEN cf.suspended THEN 'suspended'
               WHEN cf.open_end AND cf.overdue THEN 'in_progress'
               WHEN cf.open_end THEN 'handled'
               ELSE 'closed' END AS state
        FROM cf
        """
    )
    sql("ALTER TABLE c ADD PRIMARY KEY (id)")
    db.session.commit()
    # case_file
    sql(
        """
        INSERT INTO case_file (id, number, client_uuid, source, reporter_id, category_id, urgency, description,
            lon, lat, geom, unit_grid_id, community_id, street_id, district_id, work_grid_id, area_id, patrol_id,
            state, version, unit_id, void_reason, reported_at, accepted_at, verified_at, filed_at, dispatched_at,
            unit_accepted_at, handled_at, checked_at, closed_at, voided_at, rework_count, extension_count,
            suspension_count, return_count, event_count, handle_used_s, warned, overdue, handle_clock,
            handle_budget_s, deadline_at)
        SELECT c.id, 'B' || c.id, 'bench-' || c.id, c.source,
            CASE WHEN c.source = 'hotline' THEN c.op ELSE c.insp END, c.category_id, 'normal', '',
            c.lon, c.lat, ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326), c.ug, c.community_id, c.street_id,
            c.district_id, c.work_grid_id, c.area_id, CASE WHEN c.source = 'patrol' THEN c.patrol_id END,
            c.state, 10, CASE WHEN c.filed THEN c.unit_final END,
            CASE WHEN NOT c.filed THEN '作废' END,
            c.t0, c.t_accept, c.t_verify, CASE WHEN c.filed THEN c.t_file END, CASE WHEN c.filed THEN c.t_d END,
            CASE WHEN c.filed AND NOT c.suspended THEN c.t_unit_accept END,
            CASE WHEN c.filed AND NOT c.suspended AND NOT (c.open_end AND c.overdue) THEN
                 CASE WHEN c.rework THEN c.t_handle2 ELSE c.t_handle1 END END,
            CASE WHEN c.state = 'closed' THEN c.t_pass END,
            CASE WHEN c.state = 'closed' THEN c.t_close END,
            CASE WHEN c.verify_fail THEN c.t_verify WHEN c.leader_void THEN c.t_file END,
            CASE WHEN c.filed AND c.rework AND NOT c.suspended AND NOT c.open_end THEN 1 ELSE 0 END,
            CASE WHEN c.filed AND c.extended THEN 1 ELSE 0 END, CASE WHEN c.filed AND c.suspended THEN 1 ELSE 0 END,
            CASE WHEN c.filed AND c.returned THEN 1 ELSE 0 END, 8, 0, c.overdue AND c.filed, c.overdue AND c.filed,
            'working_hours', 14400, c.t_d + interval '240 minutes'
        FROM c
        """
    )
    sql("SELECT setval(pg_get_serial_sequence('case_file', 'id'), (SELECT max(id) FROM case_file))")
    db.session.commit()
    steps = [
        # (action, from, to, actor, role, at, condition, data)
        ("report", "NULL", "'reported'", "CASE WHEN source = 'hotline' THEN op ELSE insp END",
         "CASE WHEN source = 'hotline' THEN 'operator' ELSE 'inspector' END", "t0", "true", "'{}'"),
        ("accept", "'reported'", "CASE WHEN source = 'hotline' THEN 'verifying' ELSE 'accepted' END", "op",
         "'operator'", "t_accept", "true", "'{}'"),
        ("verify", "'verifying'", "CASE WHEN verify_fail THEN 'voided' ELSE 'accepted' END", "insp", "'inspector'",
         "t_verify", "source = 'hotline'", "'{}'"),
        ("void", "'accepted'", "'voided'", "lead", "'shift_leader'", "t_file", "NOT verify_fail AND leader_void",
         "'{}'"),
        ("file", "'accepted'", "'filed'", "lead", "'shift_leader'", "t_file", "filed", "'{}'"),
        ("dispatch", "'filed'", "'dispatched'", "disp", "'dispatcher'", "t_dispatch", "filed",
         "json_build_object('set', json_build_object('unit_id', unit1, 'deadline_at', "
         + iso("t_dispatch + interval '240 minutes'") + "))::text"),
        ("request", "'dispatched'", "'dispatched'", "h1", "'unit_handler'", "t_return - interval '10 minutes'",
         "filed AND returned", """'{"kind": "return"}'"""),
        ("decide", "'dispatched'", "'filed'", "lead", "'shift_leader'", "t_return", "filed AND returned",
         """'{"kind": "return", "approved": true}'"""),
        ("dispatch", "'filed'", "'dispatched'", "disp", "'dispatcher'", "t_dispatch2", "filed AND returned",
         "json_build_object('set', json_build_object('unit_id', unit2, 'deadline_at', "
         + iso("t_dispatch2 + interval '240 minutes'") + "))::text"),
        ("unit_accept", "'dispatched'", "'in_progress'", "h", "'unit_handler'", "t_unit_accept",
         "filed AND NOT suspended", "'{}'"),
        ("request", "CASE WHEN extended THEN 'in_progress' ELSE 'dispatched' END",
         "CASE WHEN extended THEN 'in_progress' ELSE 'dispatched' END", "h", "'unit_handler'",
         "t_ext - interval '5 minutes'",
         "filed AND (extended OR suspended)",
         """CASE WHEN extended THEN '{"kind": "extension"}' ELSE '{"kind": "suspension"}' END"""),
        ("decide", "'in_progress'", "'in_progress'", "lead", "'shift_leader'", "t_ext", "filed AND extended",
         "json_build_object('kind', 'extension', 'approved', true, 'request_id', id, 'set', "
         "json_build_object('deadline_at', " + iso("t_d + interval '480 minutes'") + "))::text"),
        ("decide", "'dispatched'", "'suspended'", "lead", "'shift_leader'", "t_susp", "filed AND suspended",
         """'{"kind": "suspension", "approved": true}'"""),
        ("overdue", "'in_progress'", "'in_progress'", "NULL", "'system'", "t_overdue",
         "filed AND overdue AND NOT suspended", """'{"set": {"overdue": true, "warned": true}}'"""),
        ("handle", "'in_progress'", "'handled'", "h", "'unit_handler'", "t_handle1",
         "filed AND NOT suspended AND NOT (open_end AND overdue)", "'{}'"),
        ("check", "'handled'", "'in_progress'", "insp", "'inspector'", "t_check1",
         "filed AND rework AND NOT suspended AND NOT open_end",
         "json_build_object('set', json_build_object('deadline_at', "
         + iso("t_check1 + interval '120 minutes'") + "))::text"),
        ("handle", "'in_progress'", "'handled'", "h", "'unit_handler'", "t_handle2",
         "filed AND rework AND NOT suspended AND NOT open_end", "'{}'"),
        ("check", "'handled'", "'checked'", "insp", "'inspector'", "t_pass", "state = 'closed'", "'{}'"),
        ("close", "'checked'", "'closed'", "lead", "'shift_leader'", "t_close", "state = 'closed'", "'{}'"),
    ]  # fmt: skip
    sql("SET session_replication_role = replica")  # no FK triggers during the bulk load
    for name in ("ix_case_event_case_id", "ix_case_event_actor_id", "ix_case_event_at"):
        sql(f"DROP INDEX IF EXISTS {name}")
    # One INSERT in time order, as a live system appends them: ids follow time.
    passes = " UNION ALL ".join(
        f"SELECT id AS case_id, '{action}' AS action, {from_} AS from_state, {to} AS to_state, {actor} AS actor_id, "
        f"{role} AS actor_role, {at} AS at, ({data})::text AS data FROM c WHERE {cond}"
        for action, from_, to, actor, role, at, cond, data in steps
    )
    sql(
        f"""
        INSERT INTO case_event (case_id, action, from_state, to_state, actor_id, actor_role, at, note, data)
        SELECT case_id, action, from_state, to_state, actor_id, actor_role, at, '', data::json
        FROM ({passes}) x ORDER BY at, case_id
        """
    )
    # Tasks: a verify task per public report, a check task per check.
    # Extensions: the request each approval decided (request id = case id).
    sql(
        """
        INSERT INTO case_request (id, case_id, kind, state, requested_by, requested_at, reason, extra_amount,
                                  decided_by, decided_at, decision_note)
        SELECT id, id, 'extension', 'approved', h, t_ext - interval '5 minutes', '', 4, lead, t_ext, ''
        FROM c WHERE filed AND extended
        """
    )
    sql(
        """
        INSERT INTO case_task (id, case_id, kind, inspector_id, created_at, due_at, warn_at, completed_at, result,
                               warned, overdue)
        SELECT id, case_id, action, actor_id, at - (30 + (case_id % 11) * 15) * interval '1 minute',
               at - (30 + (case_id % 11) * 15) * interval '1 minute' + interval '120 minutes',
               at - (30 + (case_id % 11) * 15) * interval '1 minute' + interval '90 minutes', at,
               CASE WHEN to_state IN ('voided', 'in_progress') THEN 'fail' ELSE 'pass' END, false, false
        FROM case_event WHERE action IN ('verify', 'check') ORDER BY id
        """
    )
    # A verify or check event names the task it completed (task id = event id).
    sql(
        """
        UPDATE case_event SET data = (data::jsonb || jsonb_build_object('task_id', id))::json
        WHERE action IN ('verify', 'check')
        """
    )
    sql("SELECT setval(pg_get_serial_sequence('case_task', 'id'), (SELECT max(id) FROM case_task))")
    sql(
        "SELECT setval(pg_get_serial_sequence('case_request', 'id'), (SELECT coalesce(max(id), 1) FROM case_request))"
    )
    sql("SET session_replication_role = DEFAULT")
    for name, column in (
        ("ix_case_event_case_id", "case_id"),
        ("ix_case_event_actor_id", "actor_id"),
        ("ix_case_event_at", "at"),
    ):
        sql(f"CREATE INDEX {name} ON case_event ({column})")
    # The sweeper keeps each case's first overdue mark on the case when it
    # writes the mark; here every overdue case has one mark.
    sql(
        """
        UPDATE case_file c SET first_overdue_event_id = e.id
        FROM case_event e WHERE e.case_id = c.id AND e.action = 'overdue'
        """
    )
    sql("DROP TABLE plan, tl, tl2, f, cf, c")
    db.session.commit()
    return {
        "cases": scalar("SELECT count(*) FROM case_file"),
        "events": scalar("SELECT count(*) FROM case_event"),
        "tasks": scalar("SELECT count(*) FROM case_task"),
    }


def generate_patrols() -> None:
    sql(
        """
        INSERT INTO patrol (inspector_id, kind, interval_s, started_at, ended_at, distance_m, point_count)
        WITH ins AS (SELECT id, row_number() OVER (ORDER BY id) AS r FROM app_user WHERE role = 'inspector'),
             n AS (SELECT count(*) AS n FROM ins)
        SELECT ins.id,
               (ARRAY['daily', 'night', 'holiday', 'month_end'])[1 + k % 4], 30,
               timestamp :y0 + (k % 365) * interval '1 day' + interval '12 hours',
               timestamp :y0 + (k % 365) * interval '1 day' + interval '14 hours', 2500.0, 240
        FROM generate_series(1, 5000) k, n, ins WHERE ins.r = 1 + (k * 37) % n.n
        """,
        y0=YEAR_START,
    )
    db.session.commit()


# ---------------------------------------------------------------- timing


def floor_query(month: str, tuned: bool = False) -> int:
    """The floor; ``tuned``: with the session settings the engine's own query
    uses (no JIT, more work memory), so the comparison is like for like."""
    from gridcity.scorecards.counting.engine import month_bounds

    start, end = month_bounds(month)
    if tuned:
        sql("SET LOCAL jit = off")
        sql("SET LOCAL work_mem = '256MB'")
        sql("SET LOCAL parallel_setup_cost = 10")
        sql("SET LOCAL parallel_tuple_cost = 0.001")
        sql("SET LOCAL max_parallel_workers_per_gather = 1")
    rows = db.session.execute(
        text(
            """
            SELECT c.street_id, count(*) FROM case_event e JOIN case_file c ON c.id = e.case_id
            WHERE e.action = 'close' AND e.at >= :s AND e.at < :e GROUP BY c.street_id
            """
        ),
        {"s": start.replace(tzinfo=None), "e": end.replace(tzinfo=None)},
    ).all()
    return sum(n for _, n in rows)


def freeze_previous_month(month: str) -> float | None:
    """Freeze the month before ``month`` unless it is frozen; its seconds (None: it was)."""
    from gridcity.scorecards.counting.engine import shift_month
    from gridcity.scorecards.snapshots import services

    previous = shift_month(month, -1)
    if scalar("SELECT count(*) FROM scorecard_version WHERE month = :m", m=previous):
        say(f"previous month {previous}: frozen already")
        return None
    t = time.perf_counter()
    services.freeze_month(previous)
    db.session.commit()
    seconds = time.perf_counter() - t
    say(f"previous month {previous}: frozen in {seconds:.1f} s (its scorecards, facts and contest)")
    return seconds


def timed(
    fn, runs: int, cpu: list | None = None, machine: list | None = None
) -> tuple[float, float, object, list[float]]:
    """The first run's time, the median of the next ``runs``, the last
    result, and every timed run (the spread shows the machine's noise).
    ``cpu`` receives the CPU seconds of each timed run: this process plus
    its database backends (every client backend of the database: the
    session's, the month's two readers' and the scoring reads');
    ``machine``: the whole machine's busy CPU seconds (the backends'
    parallel workers too, and whatever else runs)."""
    db.session.rollback()
    t = time.perf_counter()
    result = fn()
    first = time.perf_counter() - t
    times = []

    def backends() -> dict[int, float]:
        """CPU seconds of each backend connected to this database (this run only)."""
        pids = db.session.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend'"
            )
        ).scalars()
        return {pid: backend_cpu_seconds(pid) for pid in pids}

    for _ in range(runs):
        db.session.rollback()
        before, cpu0, machine0 = backends(), time.process_time(), machine_busy_seconds()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
        if cpu is not None:
            after, mine = backends(), time.process_time() - cpu0
            cpu.append(mine + sum(v - before.get(pid, 0.0) for pid, v in after.items()))
        if machine is not None:
            machine.append(machine_busy_seconds() - machine0)
    return first, statistics.median(times), result, times


def generate(args, locate, out: dict) -> None:
    from gridcity.taxonomy.services import load_taxonomy
    from gridcity.workcalendar.services import load_calendar

    t = time.perf_counter()
    city = locate.import_city(locate.BOUNDARIES.read_text(encoding="utf-8"))
    out["grid_import_seconds"] = time.perf_counter() - t
    out["unit_grids"] = city["grids"]
    say(f"grid: {city['grids']:,} unit grids imported in {out['grid_import_seconds']:.1f} s")

    t = time.perf_counter()
    load_taxonomy()
    load_calendar()
    db.session.commit()
    org = build_organisation()
    generate_patrols()
    out["organisation_seconds"] = time.perf_counter() - t
    out.update(org)
    say(f"organisation: {org} in {out['organisation_seconds']:.1f} s")

    t = time.perf_counter()
    data = generate_cases(args.cases)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does to a live table
        # The year on disk: else the server and the kernel write its ~3 GB
        # back while the month is timed, on the same two cores.
        conn.execute(text("CHECKPOINT"))
    os.sync()
    out["generate_seconds"] = time.perf_counter() - t
    out.update(data)
    say(
        f"cases: {data['cases']:,} cases, {data['events']:,} events, {data['tasks']:,} tasks "
        f"generated in {out['generate_seconds']:.1f} s"
    )


def run(args) -> dict:
    out: dict = {"cases_requested": args.cases, "month": args.month}
    locate = _bench_locate()
    if not args.reuse:
        t = time.perf_counter()
        locate.recreate_database(args.postgres_url)
        upgrade(args.postgres_url)
        say(
            f"schema: fresh database {make_url(args.postgres_url).database} in {time.perf_counter() - t:.1f} s"
        )
    with tempfile.TemporaryDirectory(prefix="gc_bench_sc_") as instance_dir:
        # Bulk generation runs longer than the server-side statement timeout of a request.
        app = create_app(
            {
                "database_url": args.postgres_url,
                "instance_dir": Path(instance_dir),
                "db_statement_timeout_seconds": 0,
            }
        )
        with app.app_context():
            from gridcity.scorecards.scoring import scores

            if args.reuse:
                out.update(
                    {k: None for k in ("grid_import_seconds", "generate_seconds")},
                    unit_grids=scalar("SELECT count(*) FROM unit_grid"),
                    cases=scalar("SELECT count(*) FROM case_file"),
                    events=scalar("SELECT count(*) FROM case_event"),
                    **{k: scalar(f"SELECT count(*) FROM {t}") for k, t in (
                        ("streets", "street"), ("work_grids", "work_grid"), ("users", "app_user"), ("units", "unit"))},
                )  # fmt: skip
                say(
                    f"reusing {make_url(args.postgres_url).database}: {out['cases']:,} cases, {out['events']:,} events"
                )
            else:
                generate(args, locate, out)
                # Time the month as the freeze job meets it: fresh database
                # connections, not those that wrote the year, and none of the
                # generator's objects left in this process.
                db.session.remove()
                db.engine.dispose()
                gc.collect()
            # The assessment settings as a running system has them (version 1,
            # stored on first use): else each timed month would store them anew,
            # and a month read by a session that has written reads through it alone.
            from gridcity.scorecards.scoring import indicators

            indicators.current_set()
            db.session.commit()
            # Last month frozen, as the monthly job has done by the time a month
            # is scored (its scores are this month's "change from last month",
            # its contest cards count for this month's).
            out["previous_freeze_seconds"] = freeze_previous_month(args.month)
            # The server's page cache: a month reads ~150 MB of cases and events
            # (and the timelines of its cases, scattered over the year), more than
            # PostgreSQL's default 128 MB; docker-compose.yml gives production 2 GB.
            out["shared_buffers"] = scalar("SHOW shared_buffers")
            say(f"server: shared_buffers {out['shared_buffers']} (production, docker-compose.yml: 2GB)")
            # --busy: burners keep cores busy while the month and its floor are timed.
            burners = Burners(args.busy) if args.busy else None
            month_cpu: list[float] = []
            month_machine: list[float] = []
            first, month_s, result, month_runs = timed(
                lambda: scores.compute_all(args.month), args.runs, month_cpu, month_machine
            )
            out["month_first_seconds"], out["month_seconds"] = first, month_s
            out["month_runs_seconds"] = [round(t, 3) for t in month_runs]
            out["month_cpu_seconds"] = statistics.median(month_cpu)
            out["month_machine_cpu_seconds"] = statistics.median(month_machine)
            out["busy_cores"] = args.busy
            rows = {tier: len(table.rows) for tier, table in result.tables.items()}
            out["rows"] = sum(rows.values()) + len(result.contest.rows)
            out["month_cases_closed"] = sum(r.counts.get("closed", 0) for r in result.tables["street"].rows)
            say(
                f"month {args.month}: full scorecard set {month_s:.3f} s (first run {first:.3f} s; "
                f"runs {min(month_runs):.3f}–{max(month_runs):.3f} s); rows {rows}"
            )
            say(
                f"CPU per month: {out['month_cpu_seconds']:.3f} s (this process and its database backends); "
                f"the machine busy {out['month_machine_cpu_seconds']:.3f} CPU-s (parallel workers too)"
                + (
                    f"; {args.busy} cores kept busy by burners while the month and the floor are timed"
                    if args.busy
                    else ""
                )
            )

            first_d, floor_default, closed, _ = timed(lambda: floor_query(args.month), args.runs)
            first_t, floor_tuned, closed_t, _ = timed(lambda: floor_query(args.month, tuned=True), args.runs)
            if burners:
                burners.stop()
            assert closed == closed_t
            # The ratio is taken against the faster of the two (the stricter test).
            floor_s = min(floor_default, floor_tuned)
            first_f = first_d if floor_default <= floor_tuned else first_t
            out["floor_first_seconds"], out["floor_seconds"] = first_f, floor_s
            out["floor_default_seconds"], out["floor_tuned_seconds"] = floor_default, floor_tuned
            out["floor_closed"] = closed
            say(
                f"floor: closed cases per street {floor_s:.3f} s (default settings {floor_default:.3f} s, "
                f"the engine's settings {floor_tuned:.3f} s); {closed:,} closed"
            )
            assert closed == out["month_cases_closed"], "the engine's closed count differs from the floor's"
            out["ratio"] = month_s / floor_s if floor_s else float("inf")
            say(f"ratio {out['ratio']:.1f}× the floor (target ≤ 10×); month {month_s:.2f} s (target ≤ 2 s)")
            db.session.remove()
            db.engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    year_arguments(parser, "gridcity_bench_scorecard")
    args = parser.parse_args(argv)
    if "bench" not in (make_url(args.postgres_url).database or ""):
        parser.error("refusing to drop a database whose name lacks 'bench'")
    calibration = calibration_seconds()
    say(calibration_line(calibration))
    out = run(args)
    after_the_run(out, calibration, args.note)
    keys = [
        "cases",
        "events",
        "unit_grids",
        "streets",
        "work_grids",
        "users",
        "units",
        "month",
        "grid_import_seconds",
        "generate_seconds",
        "month_first_seconds",
        "month_seconds",
        "month_runs_seconds",
        "month_cpu_seconds",
        "month_machine_cpu_seconds",
        "busy_cores",
        "floor_first_seconds",
        "floor_seconds",
        "floor_default_seconds",
        "floor_tuned_seconds",
        "ratio",
        "rows",
        "floor_closed",
        "load_average_1m",
        "calibration_seconds",
        "calibration_after_seconds",
        "note",
    ]
    print(json.dumps({k: round(out[k], 3) if isinstance(out[k], float) else out[k] for k in keys}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
