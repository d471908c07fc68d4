"""Upgrades: a database from the oldest supported migration, holding a city
and a month of case history, goes to the newest schema and keeps working;
every migration goes down and up again.

The oldest supported revision is the chain's base (0001, the city model): a
deployment of the first release can upgrade. Case tables first exist at the
next revision (0002, the case lifecycle), so the history is written there —
each piece of data at the first revision whose schema holds it, the way a
deployment that lived through those releases would have it. Every later
migration (Open311, patrols, the event counter, the scorecards, the first
overdue mark) then runs over that data. The revisions are read from the
migration scripts, so migrations added later are covered without editing this.

The history (October 2026, Shenzhen time) is written as events with what each
set on the case, like the services write them; each case row is those events
applied in order (``gridcity.cases.history.apply_event``), so after the
upgrade ``differences(case)`` checks what the migrations backfilled.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import uuid

import pytest
import shapely
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Time,
    column,
    create_engine,
    inspect,
    select,
    table,
    text,
)
from sqlalchemy.pool import NullPool
from werkzeug.security import generate_password_hash

from gridcity.cases import services
from gridcity.cases.history import Replayed, apply_event, differences
from gridcity.cases.models import Case, UTCDateTime
from gridcity.core import clock
from gridcity.core.geometry import GeometryType
from gridcity.core.migrate import alembic_config, upgrade
from gridcity.extensions import db
from gridcity.org.services import get_user
from gridcity.scorecards import services as scorecards
from tests.cases.conftest import EAST, WEST, jpeg_bytes
from tests.conftest import DEMO_PASSWORD
from tests.ops.support import app_on, closed_loop, empty_database, scratch_postgres  # noqa: F401

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONTH = "2026-10"


def local(day: int, hour: int, minute: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


@pytest.fixture
def empty_url(empty_database):  # noqa: F811 - the fixture imported above
    """An empty database with PostGIS where it is PostgreSQL."""
    if empty_database.startswith("postgresql"):
        engine = create_engine(empty_database, poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION postgis"))
        engine.dispose()
    return empty_database


# ---------------------------------------------------------------- the chain


def chain(url: str) -> list:
    """Every migration script, newest first (a merge after both its parents)."""
    return list(ScriptDirectory.from_config(alembic_config(url)).walk_revisions())


def revisions_in(url: str) -> list[str]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        found = "alembic_version" in inspect(conn).get_table_names()
        current = (
            sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) if found else []
        )
    engine.dispose()
    return current


def first_revision_with(url: str, table_name: str) -> str:
    """Upgrade step by step from the base until ``table_name`` exists."""
    for script in reversed(chain(url)):
        upgrade(url, script.revision)
        if table_name in tables_of(url):
            return script.revision
    raise AssertionError(f"no migration creates {table_name}")


def tables_of(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
    engine.dispose()
    return names


def undo(url: str, script) -> bool:
    """Undo one migration; False if it cannot be undone, which it must say:
    a module-level ``IRREVERSIBLE`` text that its ``downgrade()`` raises,
    changing nothing."""
    reason = getattr(script.module, "IRREVERSIBLE", None)
    if reason:
        with pytest.raises(Exception, match=re.escape(reason)):
            step_down(url, script)
        assert script.revision in revisions_in(url)
        return False
    step_down(url, script)
    assert script.revision not in revisions_in(url), script.revision
    return True


def step_down(url: str, script) -> None:
    """Undo exactly this migration."""
    if script.down_revision is None:
        target = "base"
    elif isinstance(script.down_revision, tuple):  # a merge: back to both parents
        target = script.down_revision[0]
    else:
        target = f"{script.revision}@-1"
    command.downgrade(alembic_config(url), target)


# ---------------------------------------------------------------- the city at 0001


def box(x0, y0, x1, y1):
    return shapely.box(x0, y0, x1, y1)


def multi(geom):
    return shapely.MultiPolygon([geom])


def insert_rows(conn, table_name: str, rows: list[dict], types: dict | None = None) -> None:
    """Plain INSERTs; ``types`` where the driver needs a conversion (geometry,
    times, JSON), everything else passed as it is."""
    types = types or {}
    names = dict.fromkeys(k for row in rows for k in row)
    target = table(table_name, *(column(n, types.get(n)) for n in names))
    conn.execute(target.insert(), [{k: row.get(k) for k in names} for row in rows])


GEOM = GeometryType()


def write_city(conn) -> None:
    """Two streets of two unit grids each (WEST in the first, EAST in the
    last), one area, two work grids, two units, one user per role, category
    E0102 with its rules, office hours — in the 0001 schema."""
    west, east = box(114.2400, 22.5780, 114.2460, 22.5800), box(114.2460, 22.5780, 114.2520, 22.5800)
    rows = {
        "district": [{"id": 1, "code": "440308", "name": "盐田区", "geom": multi(west.union(east))}],
        "street": [
            {"id": 1, "district_id": 1, "code": "001", "name": "西街道", "geom": multi(west)},
            {"id": 2, "district_id": 1, "code": "002", "name": "东街道", "geom": multi(east)},
        ],
        "community": [
            {"id": 1, "street_id": 1, "code": "001", "name": "西社区", "geom": multi(west)},
            {"id": 2, "street_id": 2, "code": "001", "name": "东社区", "geom": multi(east)},
        ],
        "area": [{"id": 1, "code": "PQ01", "name": "测试片区", "street_id": 1}],
        "work_group": [{"id": 1, "code": "PQ01-G1", "name": "测试小组", "area_id": 1}],
        "work_grid": [
            {
                "id": 1,
                "code": "WG01",
                "name": "工作网格1",
                "area_id": 1,
                "work_group_id": 1,
                "geom": multi(west),
            },
            {
                "id": 2,
                "code": "WG02",
                "name": "工作网格2",
                "area_id": 1,
                "work_group_id": 1,
                "geom": multi(east),
            },
        ],
        "unit_grid": [
            {
                "id": n,
                "code": f"440308{s:03d}001{q:03d}",
                "community_id": s,
                "work_grid_id": s,
                "area_m2": 6.6e4,
            }
            | {"geom": box(x, 22.5780, x + 0.003, 22.5800)}
            for n, (s, q, x) in enumerate(
                [(1, 1, 114.2400), (1, 2, 114.2430), (2, 1, 114.2460), (2, 2, 114.2490)], 1
            )
        ],
        "unit": [
            {"id": 1, "code": "HW", "name": "环卫处", "kind": "sanitation", "active": True},
            {
                "id": 2,
                "code": "JD01",
                "name": "西街道办",
                "kind": "street_office",
                "street_id": 1,
                "active": True,
            },
        ],
        "app_user": [
            {
                "id": n,
                "username": u,
                "display_name": u,
                "role": r,
                "unit_id": unit,
                "active": True,
                "on_duty": True,
            }
            | {"password_hash": generate_password_hash(DEMO_PASSWORD)}
            for n, (u, r, unit) in enumerate(
                [
                    ("insp", "inspector", None),
                    ("insp2", "inspector", None),
                    ("op", "operator", None),
                    ("lead", "shift_leader", None),
                    ("disp", "dispatcher", None),
                    ("hw", "unit_handler", 1),
                    ("jd", "unit_handler", 2),
                    ("mgr", "manager", None),
                ],
                1,
            )
        ],
        "inspector_work_grid": [{"user_id": 1, "work_grid_id": 1}, {"user_id": 2, "work_grid_id": 2}],
        "category_major": [
            {"id": 1, "kind": "event", "code": "01", "name_zh": "市容环境", "name_en": "Environment"}
        ],
        "category": [
            {
                "id": 1,
                "major_id": 1,
                "code": "E0102",
                "minor_code": "02",
                "name_zh": "暴露垃圾",
                "name_en": "Exposed garbage",
                "keywords": "垃圾",
                "filing_standard": "有暴露垃圾",
                "closing_standard": "清理干净",
                "urgency": "normal",
                "deadline_clock": "working_hours",
                "deadline_amount": 4.0,
                "active": True,
            }
        ],
        "responsibility_rule": [
            {"id": 1, "category_id": 1, "place_kind": "district", "place_id": 1, "unit_id": 1},
            {"id": 2, "category_id": 1, "place_kind": "street", "place_id": 1, "unit_id": 2},
        ],
        "office_period": [
            {"id": 1, "starts": dt.time(8, 30), "ends": dt.time(12)},
            {"id": 2, "starts": dt.time(14), "ends": dt.time(18)},
        ],
        "weekly_rest_day": [{"weekday": 5}, {"weekday": 6}],
    }
    types = {"geom": GEOM, "starts": Time(), "ends": Time()}
    for name, items in rows.items():
        insert_rows(conn, name, items, types)
    conn.execute(text("UPDATE geo_revision SET revision = 1"))


# ---------------------------------------------------------------- the history at 0002

USERS = {"insp": 1, "insp2": 2, "op": 3, "lead": 4, "disp": 5, "hw": 6, "jd": 7}
ROLES = {1: "inspector", 2: "inspector", 3: "operator", 4: "shift_leader", 5: "dispatcher", 6: "unit_handler"}
ROLES[7] = "unit_handler"
PLACES = {  # position → unit grid, community, street, work grid
    WEST: {"unit_grid_id": 1, "community_id": 1, "street_id": 1, "work_grid_id": 1},
    EAST: {"unit_grid_id": 4, "community_id": 2, "street_id": 2, "work_grid_id": 2},
}


def _iso(when: dt.datetime | None):
    return None if when is None else when.isoformat()


def report(case_id: int, who: str, position, at: dt.datetime) -> tuple:
    fields = {
        "number": f"{at.astimezone(SHANGHAI):%Y%m%d}{case_id:06d}",
        "source": "inspector",
        "reporter_id": USERS[who],
        "reporter_contact": None,
        "category_id": 1,
        "urgency": "normal",
        "description": "路边暴露垃圾",
        "address": None,
        "lon": position[0],
        "lat": position[1],
        "raw_lon": None,
        "raw_lat": None,
        "accuracy_m": None,
        "fix_time": None,
        "reported_at": _iso(at),
        "district_id": 1,
        "area_id": 1,
        **PLACES[position],
    }
    return ("report", "reported", who, at, fields, {})


def dispatched(unit_id: int, at: dt.datetime, deadline: dt.datetime, warn: dt.datetime) -> tuple:
    fields = {"unit_id": unit_id, "dispatched_at": _iso(at), "warned": False, "overdue": False}
    fields |= {"handle_clock": "working_hours", "handle_budget_s": 4 * 3600.0, "handle_used_s": 0.0}
    fields |= {"handle_started_at": _iso(at), "deadline_at": _iso(deadline), "warn_at": _iso(warn)}
    return ("dispatch", "dispatched", "disp", at, fields, {"routed_unit_id": unit_id})


def stamped(action: str, state: str, who: str | None, at: dt.datetime, field: str | None = None) -> tuple:
    return (action, state, who, at, {field: _iso(at)} if field else {}, {})


# Four cases of October 2026 (Monday 12th … Thursday 15th), one per state a
# deployment holds: closed on time (west, street office JD01), dispatched and
# overdue (east, sanitation HW), voided, just reported. Check task 1 and one
# photo row belong to case 1.
HISTORY = {
    1: (
        WEST,
        [
            report(1, "insp", WEST, local(12, 9)),
            stamped("accept", "accepted", "op", local(12, 9, 10), "accepted_at"),
            stamped("file", "filed", "lead", local(12, 9, 20), "filed_at"),
            dispatched(2, local(12, 9, 30), deadline=local(12, 15, 30), warn=local(12, 14, 30)),
            stamped("unit_accept", "in_progress", "jd", local(12, 10), "unit_accepted_at"),
            (
                "handle",
                "handled",
                "jd",
                local(12, 11),
                {"handled_at": _iso(local(12, 11)), "handle_used_s": 5400.0, "handle_started_at": None},
                {"task_id": 1, "inspector_id": 1},
            ),
            (
                "check",
                "checked",
                "insp",
                local(12, 11, 30),
                {"checked_at": _iso(local(12, 11, 30))},
                {"task_id": 1},
            ),
            stamped("close", "closed", "lead", local(12, 11, 40), "closed_at"),
        ],
    ),
    2: (
        EAST,
        [
            report(2, "insp2", EAST, local(13, 9)),
            stamped("accept", "accepted", "op", local(13, 9, 10), "accepted_at"),
            stamped("file", "filed", "lead", local(13, 9, 20), "filed_at"),
            dispatched(1, local(13, 9, 30), deadline=local(13, 15, 30), warn=local(13, 14, 30)),
            ("warn", "dispatched", None, local(13, 14, 30), {"warned": True}, {}),
            ("overdue", "dispatched", None, local(13, 15, 30), {"overdue": True, "warned": True}, {}),
        ],
    ),
    3: (
        WEST,
        [
            report(3, "insp", WEST, local(14, 9)),
            stamped("accept", "accepted", "op", local(14, 9, 10), "accepted_at"),
            (
                "void",
                "voided",
                "lead",
                local(14, 9, 20),
                {"voided_at": _iso(local(14, 9, 20)), "void_reason": "不属于立案标准"},
                {},
            ),
        ],
    ),
    4: (EAST, [report(4, "insp2", EAST, local(15, 9))]),
}
WHEN = UTCDateTime()


def write_history(conn) -> None:
    # The case columns of this revision: later ones (patrol, event counter,
    # first overdue mark…) are the migrations' to fill in.
    columns = [c["name"] for c in inspect(conn).get_columns("case_file")]
    derived = [f for f in Replayed().__dict__ if f in columns]
    events, cases = [], []
    for case_id, (position, steps) in HISTORY.items():
        case = Replayed()
        for action, state, who, at, fields, extra in steps:
            data = {**extra, "set": fields} if fields else dict(extra)
            actor = USERS.get(who)
            events.append(
                {"id": len(events) + 1, "case_id": case_id, "action": action, "from_state": case.state}
                | {"to_state": state, "actor_id": actor, "actor_role": ROLES.get(actor, "system"), "at": at}
                | {"note": "", "lon": None, "lat": None, "data": data}
            )
            apply_event(case, state, data)
        row = {f: getattr(case, f) for f in derived}
        row |= {"id": case_id, "client_uuid": str(uuid.UUID(int=case_id)), "version": len(steps)}
        cases.append(row | {"geom": shapely.Point(position)})
    dates = {f: WHEN for f in derived if f.endswith(("_at", "_on", "fix_time"))}
    insert_rows(conn, "case_file", cases, {"geom": GEOM, **dates})
    event_types = {"at": WHEN, "data": JSON()}
    insert_rows(conn, "case_event", events, event_types)
    task = {"id": 1, "case_id": 1, "kind": "check", "inspector_id": 1, "created_at": local(12, 11)}
    task |= {
        "due_at": local(12, 17),
        "warn_at": local(12, 16),
        "completed_at": local(12, 11, 30),
        "result": "pass",
    }
    task |= {"warned": False, "overdue": False}
    times = {k: WHEN for k in ("created_at", "due_at", "warn_at", "completed_at")}
    insert_rows(conn, "case_task", [task], times)
    sha = "ab" * 32
    photo = {
        "id": 1,
        "case_id": 1,
        "event_id": 6,
        "stage": "handle",
        "sha256": sha,
        "content_type": "image/jpeg",
    }
    photo |= {"width": 64, "height": 48, "size_bytes": 1000, "relative_path": f"ab/ab/{sha}.jpg"}
    photo |= {"thumbnail_path": f"thumbs/ab/ab/{sha}.jpg", "uploaded_by": 7, "uploaded_at": local(12, 11)}
    insert_rows(conn, "photo", [photo], {"uploaded_at": WHEN})
    if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        for name in ("case_file", "case_event", "case_task", "photo"):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
            )


def build_old_deployment(url: str) -> str:
    """The base revision with the city, the first revision with case tables
    with the history, then the newest; returns that first case revision."""
    base = chain(url)[-1]
    assert base.down_revision is None
    upgrade(url, base.revision)
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        write_city(conn)
    first = first_revision_with(url, "case_event")
    with engine.begin() as conn:
        write_history(conn)
    engine.dispose()
    upgrade(url)
    return first


# ---------------------------------------------------------------- the tests

OCTOBER = {  # the district's counts of October 2026, worked out from HISTORY
    "reported": 4,
    "inspector_reported": 4,
    "valid": 3,  # case 3 voided
    "patrol_findings": 0,
    "filed": 2,
    "voided": 1,
    "dispatched": 2,
    "handled": 1,
    "handled_on_time": 1,
    "closed": 1,
    "closed_on_time": 1,
    "overdue": 1,  # case 2
    "overdue_open": 1,  # still open when October ended
    "should_close": 2,
    "rework": 0,
    "extension": 0,
    "suspension": 0,
    "returned": 0,
}


def test_a_database_from_the_oldest_migration_upgrades_and_keeps_working(empty_url, tmp_path):
    build_old_deployment(empty_url)
    heads = sorted(s.revision for s in chain(empty_url) if not s.nextrev)
    assert revisions_in(empty_url) == heads

    with app_on(empty_url, tmp_path / "instance", tmp_path / "media") as app:
        cases = list(db.session.scalars(select(Case).order_by(Case.id)))
        assert [c.state for c in cases] == ["closed", "dispatched", "voided", "reported"]
        # The backfilled columns (event counter, first overdue mark) agree
        # with the history, as the services would have kept them.
        assert {c.id: differences(c) for c in cases} == {1: {}, 2: {}, 3: {}, 4: {}}
        assert [c.event_count for c in cases] == [8, 6, 3, 1] and cases[1].first_overdue_event_id == 14

        # October's scorecard from the upgraded history, then frozen.
        tables = scorecards.compute_scorecards(MONTH)
        (district,) = tables["district"].rows
        assert {k: district.counts[k] for k in OCTOBER} == OCTOBER
        units = {r.subject_code: r.counts for r in tables["unit"].rows}
        assert (units["JD01"]["closed_on_time"], units["HW"]["overdue_open"]) == (1, 1)
        inspectors = {r.subject_code: r.counts["reported"] for r in tables["inspector"].rows}
        assert (inspectors["insp"], inspectors["insp2"]) == (2, 2)
        version = scorecards.freeze_month(MONTH)
        db.session.commit()
        assert version.version == 1
        assert {
            k: scorecards.month_scorecard(MONTH, "district").rows[0].counts[k] for k in OCTOBER
        } == OCTOBER

        # The loop goes on: the overdue case and the waiting report are
        # finished in November, and a new report goes all the way round.
        clock.freeze(local(16, 10, month=11))
        try:
            overdue, waiting = cases[1], cases[3]
            for step in (
                lambda: services.unit_accept(overdue, get_user("hw")),
                lambda: services.handle(overdue, get_user("hw"), "已清理", photos=[jpeg_bytes()]),
                lambda: services.check(overdue, get_user("insp2"), True, photos=[jpeg_bytes()]),
                lambda: services.close(overdue, get_user("lead")),
                lambda: services.accept(waiting, get_user("op")),
                lambda: services.file_case(waiting, get_user("lead")),
                lambda: services.dispatch(waiting, get_user("disp")),
            ):
                step()
                db.session.commit()
            assert (overdue.state, waiting.state, waiting.unit.code) == ("closed", "dispatched", "HW")
            new = closed_loop(app.test_client())
            assert new["state"] == "closed" and new["unit"]["code"] == "JD01"
        finally:
            clock.freeze(None)
        assert all(differences(c) == {} for c in db.session.scalars(select(Case)))
        # October stays as it was frozen; November counts the new work.
        assert {
            k: scorecards.month_scorecard(MONTH, "district").rows[0].counts[k] for k in OCTOBER
        } == OCTOBER
        (november,) = scorecards.compute_scorecards("2026-11")["district"].rows
        assert (november.counts["reported"], november.counts["closed"]) == (1, 2)


def schema(url: str) -> dict:
    """Tables with their columns, indexes, foreign keys and unique constraints."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        found = inspect(conn)
        result = {
            name: {
                "columns": sorted(
                    (c["name"], c["nullable"], type(c["type"]).__name__) for c in found.get_columns(name)
                ),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(name)
                ),
                "foreign_keys": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in found.get_foreign_keys(name)
                ),
                "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(name)),
            }
            for name in found.get_table_names()
            if name != "spatial_ref_sys"
        }
    engine.dispose()
    return result


def counts(url: str, names) -> dict[str, int]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        result = {n: conn.execute(text(f"SELECT count(*) FROM {n}")).scalar() for n in names}
    engine.dispose()
    return result


def test_every_migration_goes_down_and_up_again_on_a_database_with_data(empty_url, tmp_path):
    """Each migration is undone one at a time, newest first, with the data in
    place: what the older schema holds survives, and upgrading again gives
    the same schema and a history that still replays. Then down to nothing
    and up again. A migration that cannot be undone must say why: a module
    ``IRREVERSIBLE`` text that its ``downgrade()`` raises."""
    first_with_cases = build_old_deployment(empty_url)
    at_head = schema(empty_url)
    kept = ("case_file", "case_event", "case_task", "photo", "app_user", "unit_grid", "category")
    before = counts(empty_url, kept)
    scripts = chain(empty_url)

    for script in scripts:
        if script.revision == first_with_cases or not undo(empty_url, script):
            break
        assert counts(empty_url, kept) == before, f"data lost undoing {script.revision}"
    upgrade(empty_url)
    assert schema(empty_url) == at_head
    assert counts(empty_url, kept) == before
    with app_on(empty_url, tmp_path / "instance") as app:  # noqa: F841
        assert all(differences(c) == {} for c in db.session.scalars(select(Case)))

    for script in scripts:
        if not undo(empty_url, script):
            break
    else:
        assert tables_of(empty_url) == set()
    upgrade(empty_url)
    assert schema(empty_url) == at_head


LOSSY = """\"\"\"Merge duplicate geo revisions (a test's own migration).\"\"\"

from alembic import op

revision = "9999_lossy"
down_revision = {down!r}
branch_labels = None
depends_on = None
IRREVERSIBLE = "the merged rows cannot be told apart again"


def upgrade() -> None:
    op.execute("UPDATE geo_revision SET revision = revision + 1")


def downgrade() -> None:
    raise NotImplementedError(IRREVERSIBLE)
"""


def test_a_migration_that_cannot_be_undone_refuses_and_says_why(empty_url, tmp_path, monkeypatch):
    """The walk above accepts a migration that cannot be undone only if it
    refuses with its reason and leaves the database as it was."""
    from gridcity.core import migrate

    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    heads = tuple(s.revision for s in chain(empty_url) if not s.nextrev)
    (copy / "versions" / "9999_lossy.py").write_text(
        LOSSY.format(down=heads[0] if len(heads) == 1 else heads)
    )
    monkeypatch.setattr(migrate, "MIGRATIONS", copy)
    upgrade(empty_url)
    lossy = chain(empty_url)[0]
    assert lossy.revision == "9999_lossy" and revisions_in(empty_url) == ["9999_lossy"]
    assert undo(empty_url, lossy) is False
    assert revisions_in(empty_url) == ["9999_lossy"]
