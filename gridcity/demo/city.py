"""The demo city: Yantian district (盐田区), reproducible from a seed.

Only the district outline is real (``gis_data/yantian_district.geojson``, GCJ-02).
Streets, communities, unit grids, work grids and areas are synthetic: a 100 m
fishnet grouped into the four street offices west to east, communities and work
grids of whole cells. People, units, the taxonomy, responsibility rules, the
calendar and a component inventory complete it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import shapely
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from gridcity.core.settings import REPO_ROOT
from gridcity.extensions import db
from gridcity.geo import services as geo
from gridcity.geo.fishnet import fishnet
from gridcity.geo.models import Area, Community, District, Street, UnitGrid, WorkGrid, WorkGroup
from gridcity.geo.synthetic import bisect, shares, strips_west_to_east
from gridcity.inventory.services import add_components
from gridcity.org.models import Role, Unit, User
from gridcity.taxonomy.models import Category, CategoryMajor
from gridcity.taxonomy.services import load_taxonomy, set_rule
from gridcity.workcalendar.services import load_calendar

BOUNDARY = REPO_ROOT / "gis_data" / "yantian_district.geojson"
DEMO_PASSWORD = "gridcity-demo"
STREETS = [  # west to east, with their share of the district's cells
    ("沙头角", "Shatoujiao", 0.22),
    ("海山", "Haishan", 0.20),
    ("盐田", "Yantian", 0.30),
    ("梅沙", "Meisha", 0.28),
]
WORK_GRIDS = 17
COMMUNITY_SIZE = 450  # cells; a community may hold at most 999 with 3-digit sequences
COMPONENTS = 3000
# Everyday components (上水井盖, 路灯, 垃圾箱): one of them in every unit grid,
# so that wherever an inspector stands, a report on one finds some nearby.
EVERYDAY_COMPONENTS = ("C0101", "C0112", "C0305")
DISTRICT_UNITS = [  # kind, code, name
    ("sanitation", "YT-HW", "盐田区环境卫生管理处"),
    ("parks", "YT-YL", "盐田区园林绿化管理所"),
    ("municipal", "YT-SZ", "盐田区市政设施管理所"),
    ("water", "YT-SW", "盐田区水务局"),
    ("traffic", "YT-JT", "盐田交通运输局"),
    ("enforcement", "YT-ZF", "盐田区城管执法大队"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志海峰辉鹏"


def city_is_loaded() -> bool:
    return bool(db.session.scalar(select(func.count(District.id))))


def build_demo_city(
    seed: int = 2026, boundary: Path = BOUNDARY, progress: Callable[[str], None] | None = None
) -> dict:
    """Load the whole demo city into an empty database. Commits after the
    geography (the component import locates against committed grids).
    ``progress`` hears a line after each step."""
    say = progress or (lambda line: None)
    rng = random.Random(seed)
    (district,) = geo.import_districts(boundary.read_text(encoding="utf-8"), "gcj02")
    cells = fishnet(district.geom, 100.0)
    say(f"[1/5] {district.name}: the district outline and a 100 m fishnet of {len(cells):,} unit grids")
    streets, street_cells = _streets(district, cells)
    code_of = _communities_and_grids(streets, street_cells)
    db.session.flush()
    areas = _areas_and_work_grids(streets, street_cells, code_of)
    say(
        f"[2/5] {len(streets)} streets, {db.session.scalar(select(func.count(Community.id)))} communities, "
        f"{sum(len(a.work_grids) for a in areas)} work grids in {len(areas)} areas"
    )
    load_taxonomy()
    load_calendar()
    from gridcity.hotline.services import load_default_channels

    load_default_channels()  # 12345, 12319, 来访, 来信 (a migrated database has them already)
    from gridcity.open311.attributes import load_attributes

    load_attributes()  # what the Open311 services ask (manhole covers, road emergencies)
    units = _units(streets)
    users = _people(rng, areas, units)
    _responsibility_rules(district, streets, units)
    db.session.commit()
    say(
        f"[3/5] {db.session.scalar(select(func.count(Category.id)))} categories and their rules, "
        f"the working calendar, {len(units)} units, {sum(len(v) for v in users.values())} people"
    )
    components = _components(rng, units, streets)
    say(f"[4/5] {components:,} components (部件) placed")
    return {
        "district": district.name,
        "unit_grids": db.session.scalar(select(func.count(UnitGrid.id))),
        "streets": len(streets),
        "communities": db.session.scalar(select(func.count(Community.id))),
        "work_grids": db.session.scalar(select(func.count(WorkGrid.id))),
        "areas": len(areas),
        "units": len(units),
        "users": users,
        "categories": db.session.scalar(select(func.count(Category.id))),
        "components": components,
        "password": DEMO_PASSWORD,
    }


def _streets(district, cells):
    groups = strips_west_to_east(cells, [share for _, _, share in STREETS])
    streets = []
    for n, ((name, _, _), group) in enumerate(zip(STREETS, groups), start=1):
        geom = geo.as_multipolygon(shapely.union_all([c.geom for c in group]))
        street = Street(district=district, code=f"{n:03d}", name=f"{name}街道", geom=geom)
        db.session.add(street)
        streets.append(street)
    return streets, groups


def _communities_and_grids(streets, street_cells) -> dict[tuple, str]:
    """Communities of each street and their coded unit grids; returns each
    cell's grid code by the cell's (row, col, part)."""
    rows, code_of = [], {}
    for street, cells in zip(streets, street_cells):
        parts = bisect(cells, max(1, -(-len(cells) // COMMUNITY_SIZE)))
        for n, part in enumerate(parts, start=1):
            community = Community(
                street=street,
                code=f"{n:03d}",
                name=f"{street.name[:-2]}第{n}社区",
                geom=geo.as_multipolygon(shapely.union_all([c.geom for c in part])),
            )
            db.session.add(community)
            db.session.flush()
            for code, cell in geo.code_cells(community.full_code, part):
                rows.append(
                    dict(
                        code=code,
                        community_id=community.id,
                        work_grid_id=None,
                        geom=cell.geom,
                        area_m2=cell.area_m2,
                    )
                )
                code_of[cell.order_key] = code
    geo.insert_unit_grids(rows)
    return code_of


def _areas_and_work_grids(streets, street_cells, code_of):
    counts = shares(WORK_GRIDS, [len(c) for c in street_cells], minimum=3)
    grid_id = dict(db.session.execute(select(UnitGrid.code, UnitGrid.id)).all())
    areas, wg_no = [], 0
    for n, (street, cells, count) in enumerate(zip(streets, street_cells, counts), start=1):
        short = street.name[:-2]
        area = Area(code=f"PQ{n:02d}", name=f"{short}片区", street_id=street.id)
        db.session.add(area)
        db.session.flush()
        grids = []
        for part in bisect(cells, count):
            wg_no += 1
            work_grid = WorkGrid(code=f"WG{wg_no:02d}", name=f"{short}第{len(grids) + 1}工作网格", area=area)
            db.session.add(work_grid)
            db.session.flush()
            geo.assign_work_grid(work_grid, [grid_id[code_of[c.order_key]] for c in part])
            grids.append(work_grid)
        for g_no in range(0, len(grids), 2):
            group = WorkGroup(
                code=f"{area.code}-G{g_no // 2 + 1}",
                name=f"{short}第{g_no // 2 + 1}工作小组",
                area_id=area.id,
            )
            db.session.add(group)
            for wg in grids[g_no : g_no + 2]:
                wg.work_group = group
        areas.append(area)
    db.session.flush()
    return areas


def _units(streets) -> dict[str, Unit]:
    units = {}
    for kind, code, name in DISTRICT_UNITS:
        units[kind] = Unit(
            code=code,
            name=name,
            kind=kind,
            contact_name="值班室",
            contact_phone=f"07552522{1000 + len(units) * 11:04d}",
            active=True,
        )
    for n, street in enumerate(streets, start=1):
        units[f"street:{street.id}"] = Unit(
            code=f"YT-JD{n:02d}",
            name=f"{street.name}办事处",
            kind="street_office",
            street_id=street.id,
            contact_name="城管科",
            contact_phone=f"07552523{1000 + n * 17:04d}",
            active=True,
        )
    db.session.add_all(units.values())
    db.session.flush()
    return units


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _people(rng, areas, units) -> dict[str, list[str]]:
    """Everyone shares the demo password (hashed once: hashing is slow on purpose)."""
    password_hash = generate_password_hash(DEMO_PASSWORD)
    logins: dict[str, list[str]] = {r.value: [] for r in Role}

    def add(username, role, **kwargs):
        user = User(
            username=username,
            display_name=kwargs.pop("name", None) or _person(rng),
            role=role.value,
            password_hash=password_hash,
            active=True,
            on_duty=True,
            **kwargs,
        )
        db.session.add(user)
        logins[role.value].append(username)
        return user

    inspector_no = 0
    for area in areas:
        head = add(f"head{area.code[-2:]}", Role.MANAGER)
        db.session.flush()
        area.head_user_id = head.id
        for work_grid in area.work_grids:
            team = []
            for _ in range(rng.randint(2, 4)):
                inspector_no += 1
                team.append(add(f"insp{inspector_no:03d}", Role.INSPECTOR, work_grids=[work_grid]))
            db.session.flush()
            group = work_grid.work_group
            if group is not None and group.leader_user_id is None:
                group.leader_user_id = team[0].id
    add("admin", Role.ADMIN, name="系统管理员")
    add("manager", Role.MANAGER, name="指挥中心主任")
    for n in (1, 2):
        add(f"operator{n}", Role.OPERATOR)
        add(f"leader{n}", Role.SHIFT_LEADER)
        add(f"dispatcher{n}", Role.DISPATCHER)
    for unit in units.values():
        add(f"unit-{unit.code.lower()}", Role.UNIT_HANDLER, unit_id=unit.id)
    # One supervisor (单位主管) per unit, to whom overdue cases are escalated.
    # Named from the unit's code, not the city's random stream, so the rest of
    # the demo (components, history) stays what it was for a seed.
    for unit in units.values():
        name = _person(random.Random(unit.code))
        add(f"sup-{unit.code.lower()}", Role.UNIT_SUPERVISOR, unit_id=unit.id, name=name)
    db.session.flush()
    return logins


def _responsibility_rules(district, streets, units):
    """Components: owner first — the district unit of the category's kind.
    Place-first events: each street office for its street, with the district
    enforcement team as the fallback."""
    for category in db.session.scalars(select(Category).join(CategoryMajor)):
        kind = category.default_unit_kind or "enforcement"
        if kind == "street_office":
            set_rule(category.code, "district", district.id, units["enforcement"].id)
            for street in streets:
                set_rule(category.code, "street", street.id, units[f"street:{street.id}"].id)
        else:
            set_rule(category.code, "district", district.id, units[kind].id)


def _components(rng, units, streets) -> int:
    categories = list(
        db.session.scalars(
            select(Category)
            .join(CategoryMajor)
            .where(CategoryMajor.kind == "component")
            .order_by(Category.code)
        )
    )
    grids = db.session.execute(select(UnitGrid.geom, Community.street_id).join(Community)).all()
    states = ["intact"] * 90 + ["damaged"] * 6 + ["lost"] * 2 + ["occupied"] * 2
    records = []
    for _ in range(COMPONENTS):
        geom, street_id = rng.choice(grids)
        minx, miny, maxx, maxy = geom.bounds
        for _ in range(20):
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if geom.contains(shapely.Point(lon, lat)):
                break
        else:
            point = geom.representative_point()
            lon, lat = point.x, point.y
        category = rng.choice(categories)
        kind = category.default_unit_kind or "municipal"
        unit = units[f"street:{street_id}"] if kind == "street_office" else units[kind]
        records.append(
            {
                "category": category.code,
                "lon": lon,
                "lat": lat,
                "owner": unit.code,
                "maintainer": unit.code,
                "state": rng.choice(states),
                "installed_on": f"{rng.randint(2005, 2025)}-{rng.randint(1, 12):02d}-01",
            }
        )
    # Drawn after the others, so the first ones (and their codes) stay as they were.
    everyday = [c for c in categories if c.code in EVERYDAY_COMPONENTS]
    for geom, street_id in grids:
        point = _point_in(rng, geom)
        category = rng.choice(everyday)
        kind = category.default_unit_kind or "municipal"
        unit = units[f"street:{street_id}"] if kind == "street_office" else units[kind]
        state = rng.choice(states)
        records.append(
            {"category": category.code, "lon": point[0], "lat": point[1], "owner": unit.code,
             "maintainer": unit.code, "state": state}
        )  # fmt: skip
    count = add_components(records, "wgs84", data_source="demo")
    db.session.commit()
    return count


def _point_in(rng, geom) -> tuple[float, float]:
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(20):
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if geom.contains(shapely.Point(lon, lat)):
            return lon, lat
    point = geom.representative_point()
    return point.x, point.y
