"""An old deployment: the base revision with a small city, the first
revision with case tables with a month of history (October 2026, Shenzhen
time), then the newest schema.

The history is written as events with what each set on the case, like the
services write them; each case row is those events applied in order
(``gridcity.cases.history.apply_event``), so after the upgrade
``differences(case)`` checks what the migrations backfilled.
"""

from __future__ import annotations

import datetime as dt
import uuid

import shapely
from sqlalchemy import JSON, Time, column, create_engine, inspect, table, text
from sqlalchemy.pool import NullPool
from werkzeug.security import generate_password_hash

from gridcity.cases.history import Replayed, apply_event
from gridcity.cases.models import UTCDateTime
from gridcity.core.geometry import GeometryType
from gridcity.core.migrate import upgrade
from tests.cases.conftest import EAST, WEST
from tests.conftest import DEMO_PASSWORD
from tests.ops.migration_chain import chain, first_revision_with

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def local(day: int, hour: int, minute: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


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
