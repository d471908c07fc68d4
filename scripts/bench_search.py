"""City-scale benchmark of finding any case (issue 15, build item 1): each
kind of search over a year of Shenzhen cases, beside a bare indexed look-up.

Run by hand (not in CI) against a scratch PostGIS database::

    .venv/bin/python scripts/bench_search.py \
        [--postgres-url postgresql://postgres@127.0.0.1/gridcity_bench_search] \
        [--cases 1100000] [--queries 200] [--reuse]

Without ``--reuse`` the database named in the URL is DROPPED and recreated
with the year of scripts/bench_scorecard.py (its generator, imported). That
year has no words: ``fill_texts`` gives every case an inspector-like
description, an address, a case number as the services write it (report day
in city time + the id), a phone for public reports (11 digits, written as
people write them) and notes on the handling, failed-check and void steps —
drawn from the case id, so every run fills the same. With ``--reuse`` an
existing database is timed; it is filled first if it has no words yet, and
migrated to the head (the search indexes).

Timed through the service (``cases.search.search`` and the rows of the
result list), ``--queries`` random queries per kind, as a dispatcher:

- ``number``: a whole case number;
- ``number_last4``: its last four digits (about one case in 10,000 shares them);
- ``phone``: a caller's phone, the digits as typed (half with spaces);
- ``text``: words of a description or address: half a road and house number
  (the fill draws 600 such pairs, so each names ~1,800 cases), half a phrase
  of the problem (~140,000 cases each). Both pass the count's cap: the page
  is the newest 50 and the count stops at 1,000;
- ``notes``: six characters of a note (a handling note names ~100,000 cases);
- ``filter``: no words, a street + closed + one month of reports;
- ``bare``: ``SELECT id, number, state FROM case_file WHERE number = :n`` in
  the same session — the floor.

Each kind prints p50 / p95 / max in ms and the CPU per query (this process
plus the database backend). Target: p95 < 300 ms for every kind.
Human-readable lines first; the last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from gridcity import create_app
from gridcity.core.migrate import upgrade
from gridcity.core.settings import REPO_ROOT
from gridcity.extensions import db

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import after_the_run, backend_cpu_seconds, calibration_line, calibration_seconds  # noqa: E402 - beside this script

SEED = 20250615
KINDS = ("bare", "number", "number_last4", "phone", "text", "notes", "filter")
SEARCH_INDEXES = (
    "ix_case_file_number_reversed",
    "ix_case_file_contact_digits",
    "ix_case_file_description_trgm",
    "ix_case_file_address_trgm",
    "ix_case_event_note_trgm",
    "ix_case_event_noted_at",
)

ROADS = (
    "深南大道 沙头角路 盐田路 海山路 北山道 深盐路 梧桐路 东海道 大梅沙环梅路 小梅沙路 洪安路 "
    "明珠大道 永安路 金融路 林园路 进港路 海景二路 沿港路 盐坝高速辅路 东和路 园林路 教育路 "
    "官下路 恩上路 海涛路 翠堤路 云海路 海鹏路 背仔角路 沙盐路 田东路 上坪路 中英街 桥东路 "
    "西山路 东埔路 环碧路 碧海路 海港路 盐港东路"
).split()
PLACES = (
    "公交站旁 小区门口 菜市场东侧 学校正门 人行天桥下 地铁口 十字路口 公园入口 停车场内 "
    "加油站对面 商铺门前 绿化带中 河道边 桥头 社区党群服务中心旁 垃圾转运站外"
).split()
DETAILS = (
    "现场堆放约两立方米 影响行人通行 已持续两天 附近居民多次反映 夜间尤为严重 存在安全隐患 "
    "占用盲道 雨后积水严重 气味刺鼻 面积约五平方米 影响市容 早高峰时段明显 周末人流量大 "
    "已拍照取证 需尽快处理 车辆绕行"
).split()
HANDLING = (
    "已安排人员清理完毕，现场恢复整洁 已更换新件并加固 已联系业主限期整改 已清运并冲洗地面 "
    "已拆除违规设施 已设置警示围挡，待材料到场后修复 已疏通排水口 已劝离占道经营人员 "
    "已补种绿化并浇水 已修补路面坑洼"
).split()
FAILED = "现场仍有残留垃圾 井盖仍未固定 广告未清除干净 积水仍未排净 围挡缺失".split()
VOIDS = "重复上报 不属于城管范围 现场无此问题 位置描述不清无法核实".split()
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高".replace("", " ").split()


def say(line: str) -> None:
    print(line, flush=True)


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sql(statement: str, **params) -> None:
    db.session.execute(text(statement), params)


def scalar(statement: str, **params):
    return db.session.execute(text(statement), params).scalar()


def _pick(words: tuple[str, ...] | list[str], expression: str) -> str:
    """SQL choosing one of ``words`` by an integer expression."""
    array = "ARRAY[" + ",".join(f"'{w}'" for w in words) + "]"
    return f"({array})[1 + (({expression}) % {len(words)})]"


def has_texts() -> bool:
    return bool(scalar("SELECT EXISTS (SELECT 1 FROM case_file WHERE description <> '' LIMIT 1)"))


def fill_texts() -> float:
    """Words, numbers and phones on the generated year (see the docstring);
    the search indexes are dropped first and built again after (as a fresh
    import would), and the build is timed apart."""
    t = time.perf_counter()
    for name in SEARCH_INDEXES:
        sql(f"DROP INDEX IF EXISTS {name}")
    sql("SET session_replication_role = replica")
    road, house = _pick(ROADS, "c.id::bigint * 7919"), "(1 + (c.id::bigint * 104729) % 300)::text"
    sql(
        f"""
        UPDATE case_file c SET
          number = to_char((c.reported_at AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
                   || lpad(c.id::text, greatest(6, length(c.id::text)), '0'),
          address = s.name || {road} || {house} || '号',
          description = {road} || {house} || '号' || {_pick(PLACES, "c.id::bigint * 31")} || k.name_zh || '，'
                        || {_pick(DETAILS, "c.id::bigint * 17")} || '，' || {_pick(DETAILS, "c.id::bigint * 13 + 5")},
          reporter_contact = CASE WHEN c.source IN ('hotline', 'public') THEN
            CASE c.id % 3
              WHEN 0 THEN {_pick(SURNAMES, "c.id")} || '先生 ' || '1' || (3 + c.id % 7)::text
                          || lpad(((c.id::bigint * 2654435761) % 1000000000)::text, 9, '0')
              WHEN 1 THEN '1' || (3 + c.id % 7)::text
                          || lpad(((c.id::bigint * 2654435761) % 1000000000)::text, 9, '0')
              ELSE {_pick(SURNAMES, "c.id")} || '女士 1' || (3 + c.id % 7)::text
                   || substr(lpad(((c.id::bigint * 2654435761) % 1000000000)::text, 9, '0'), 1, 1) || '-'
                   || substr(lpad(((c.id::bigint * 2654435761) % 1000000000)::text, 9, '0'), 2, 4) || '-'
                   || substr(lpad(((c.id::bigint * 2654435761) % 1000000000)::text, 9, '0'), 6, 4)
            END END
        FROM street s, category k
        WHERE s.id = c.street_id AND k.id = c.category_id
        """
    )
    sql(
        f"""
        UPDATE case_event e SET note = CASE
            WHEN e.action = 'handle' THEN {_pick(HANDLING, "e.id::bigint * 7")}
            WHEN e.action = 'check' THEN {_pick(FAILED, "e.id")}
            ELSE {_pick(VOIDS, "e.id")} END
        WHERE e.action = 'handle' OR (e.action = 'check' AND e.to_state = 'in_progress')
           OR e.action = 'void' OR (e.action = 'verify' AND e.to_state = 'voided')
        """
    )
    sql("UPDATE case_file SET void_reason = '重复上报' WHERE state = 'voided'")
    sql("SET session_replication_role = DEFAULT")
    db.session.commit()
    fill_s = time.perf_counter() - t
    say(f"texts: numbers, descriptions, addresses, phones and notes filled in {fill_s:.1f} s")
    return fill_s


def build_indexes() -> float:
    """The search indexes as the models declare them (migration 0017_search's)."""
    from gridcity.cases.models import Case, CaseEvent

    t = time.perf_counter()
    sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    sql("SET maintenance_work_mem = '512MB'")
    for table in (Case.__table__, CaseEvent.__table__):
        for index in table.indexes:
            if index.name in SEARCH_INDEXES:
                index.create(db.session.connection(), checkfirst=True)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE case_file"))
        conn.execute(text("VACUUM ANALYZE case_event"))
        conn.execute(text("CHECKPOINT"))
    os.sync()
    seconds = time.perf_counter() - t
    say(f"indexes: the search indexes built (and the tables analysed) in {seconds:.1f} s")
    return seconds


# ---------------------------------------------------------------- the queries


def queries(n: int) -> dict[str, list[dict]]:
    """``n`` random queries of each kind, drawn from the data (seeded)."""
    rng = random.Random(SEED)
    top = scalar("SELECT max(id) FROM case_file")
    ids = [rng.randint(1, top) for _ in range(n * 4)]
    rows = db.session.execute(
        text("SELECT id, number, reporter_contact, address FROM case_file WHERE id = ANY(:ids)"), {"ids": ids}
    ).all()
    rng.shuffle(rows := list(rows))
    phones = [r.reporter_contact for r in rows if r.reporter_contact][:n]
    notes = [
        r[0]
        for r in db.session.execute(
            text("SELECT note FROM case_event WHERE id = ANY(:ids) AND note <> ''"),
            {"ids": [rng.randint(1, scalar("SELECT max(id) FROM case_event")) for _ in range(n * 20)]},
        )
    ][:n]
    streets = [r[0] for r in db.session.execute(text("SELECT id FROM street ORDER BY id"))]
    out: dict[str, list[dict]] = {k: [] for k in KINDS}
    for i, r in enumerate(rows[:n]):
        out["bare"].append({"number": r.number})
        out["number"].append({"q": r.number})
        out["number_last4"].append({"q": r.number[-4:]})
        # Words of a description or address: a road and its house number
        # (a few dozen cases), or a phrase of the problem (thousands).
        if i % 2 == 0:
            words = next((road for road in ROADS if road in r.address), ROADS[0])
            tail = r.address.split(words, 1)[1]
            out["text"].append({"q": words + tail})
        else:
            out["text"].append({"q": rng.choice(DETAILS)})
    for i, contact in enumerate(phones):
        digits = "".join(ch for ch in contact if ch.isdigit())
        typed = digits if i % 2 else f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        out["phone"].append({"q": typed})
    for note in notes:
        start = rng.randint(0, max(0, len(note) - 6))
        out["notes"].append({"q": note[start : start + 6]})
    for _ in range(n):
        month = rng.randint(1, 12)
        out["filter"].append(
            {
                "street": rng.choice(streets),
                "state": ["closed"],
                "from": f"2025-{month:02d}-01",
                "to": f"2025-{month:02d}-28",
            }
        )
    return out


def time_kind(kind: str, items: list[dict], user, zone) -> dict:
    from gridcity.cases import search

    def one(item: dict) -> int:
        if kind == "bare":
            return len(
                db.session.execute(
                    text("SELECT id, number, state FROM case_file WHERE number = :n"), {"n": item["number"]}
                ).all()
            )
        wanted = search.SearchQuery(
            q=item.get("q"),
            state=item.get("state", []),
            street=item.get("street"),
            reported_from=search.parse_moment(item.get("from"), zone),
            reported_to=search.parse_moment(item.get("to"), zone, end=True),
        )
        found = search.search(user, wanted)
        search.result_items(found.cases, "zh")
        return found.total

    for item in items[:5]:  # warm the plans and the caches of this session
        one(item)
    db.session.rollback()
    pid = scalar("SELECT pg_backend_pid()")
    times, totals = [], []
    cpu0, backend0 = time.process_time(), backend_cpu_seconds(pid)
    for item in items:
        t = time.perf_counter()
        totals.append(one(item))
        times.append(1000 * (time.perf_counter() - t))
        db.session.rollback()  # each query on its own, as each request
    cpu_ms = 1000 * (time.process_time() - cpu0 + backend_cpu_seconds(pid) - backend0) / len(items)
    times.sort()
    return {
        "queries": len(items),
        "p50_ms": statistics.median(times),
        "p95_ms": times[max(0, int(round(0.95 * len(times))) - 1)],
        "max_ms": times[-1],
        "cpu_ms_per_query": cpu_ms,
        "found_median": statistics.median(totals),
        "found_none": sum(1 for t in totals if t == 0),
    }


def run(args) -> dict:
    out: dict = {"cases_requested": args.cases}
    scorecard = _script("bench_scorecard")
    if not args.reuse:
        locate = scorecard._bench_locate()
        t = time.perf_counter()
        locate.recreate_database(args.postgres_url)
        upgrade(args.postgres_url)
        say(
            f"schema: fresh database {make_url(args.postgres_url).database} in {time.perf_counter() - t:.1f} s"
        )
    with tempfile.TemporaryDirectory(prefix="gc_bench_search_") as instance_dir:
        app = create_app(
            {
                "database_url": args.postgres_url,
                "instance_dir": Path(instance_dir),
                "db_statement_timeout_seconds": 0,
            }
        )
        with app.app_context():
            from gridcity.org.models import User
            from gridcity.web.formats import city_zone

            if not args.reuse:
                scorecard.generate(args, locate, out)
            out["fill_seconds"] = out["index_seconds"] = None
            if not has_texts():
                out["fill_seconds"] = fill_texts()
            db.session.remove()
            t = time.perf_counter()
            upgrade(args.postgres_url)  # a reused database gets the search migration (its indexes)
            out["migrate_seconds"] = time.perf_counter() - t
            say(f"migrated to the head in {out['migrate_seconds']:.1f} s")
            if out["fill_seconds"] is not None or scalar(
                "SELECT count(*) FROM pg_indexes WHERE indexname = ANY(:n)", n=list(SEARCH_INDEXES)
            ) < len(SEARCH_INDEXES):
                out["index_seconds"] = build_indexes()
            out["cases"] = scalar("SELECT count(*) FROM case_file")
            out["events"] = scalar("SELECT count(*) FROM case_event")
            out["with_phone"] = scalar("SELECT count(*) FROM case_file WHERE reporter_contact IS NOT NULL")
            out["with_note"] = scalar("SELECT count(*) FROM case_event WHERE note <> ''")
            say(
                f"database {make_url(args.postgres_url).database}: {out['cases']:,} cases "
                f"({out['with_phone']:,} with a phone), {out['events']:,} events ({out['with_note']:,} with a note)"
            )
            plan = queries(args.queries)
            # Timed on fresh connections, none of the generator's objects left.
            db.session.remove()
            db.engine.dispose()
            gc.collect()
            user = db.session.scalar(select(User).where(User.role == "dispatcher").order_by(User.id))
            zone = city_zone()
            out["kinds"] = {}
            for kind in KINDS:
                figures = time_kind(kind, plan[kind], user, zone)
                out["kinds"][kind] = {
                    k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()
                }
                say(
                    f"{kind:>12}: p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms  "
                    f"max {figures['max_ms']:7.1f} ms  CPU {figures['cpu_ms_per_query']:6.1f} ms/query  "
                    f"({figures['queries']} queries, median {figures['found_median']:g} found, "
                    f"{figures['found_none']} found none)"
                )
            slowest = max((k for k in KINDS if k != "bare"), key=lambda k: out["kinds"][k]["p95_ms"])
            out["worst_p95_ms"] = out["kinds"][slowest]["p95_ms"]
            say(f"worst p95 {out['worst_p95_ms']:.1f} ms ({slowest}); target < 300 ms for every kind")
            db.session.remove()
            db.engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1/gridcity_bench_search",
        help="scratch database; it is dropped and recreated unless --reuse",
    )
    parser.add_argument("--cases", type=int, default=1_100_000, help="cases over the year (when generating)")
    parser.add_argument("--queries", type=int, default=200, help="random queries per kind")
    parser.add_argument("--reuse", action="store_true", help="time an existing database (no generation)")
    parser.add_argument("--note", default="", help="free text kept in the JSON (e.g. the machine's load)")
    args = parser.parse_args(argv)
    if "bench" not in (make_url(args.postgres_url).database or ""):
        parser.error("refusing to use a database whose name lacks 'bench'")
    calibration = calibration_seconds()
    say(calibration_line(calibration))
    say(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (before the run)")
    out = run(args)
    after_the_run(out, calibration, args.note)
    keys = [
        "cases",
        "events",
        "with_phone",
        "with_note",
        "generate_seconds",
        "fill_seconds",
        "migrate_seconds",
        "index_seconds",
        "kinds",
        "worst_p95_ms",
        "load_average_1m",
        "calibration_seconds",
        "calibration_after_seconds",
        "note",
    ]
    print(
        json.dumps(
            {k: round(out[k], 3) if isinstance(out.get(k), float) else out.get(k) for k in keys},
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
