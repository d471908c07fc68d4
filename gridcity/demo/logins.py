"""Who to sign in as: every login of the loaded city grouped by role, with
what each can try there, read from the data (the inspectors' work grids,
the units' responsibility rules, the areas' heads) — printed by
``gridcity demo logins`` (and so by ``scripts/run.sh``)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import Area, Street, WorkGrid, inspector_work_grid
from gridcity.org.models import ROLE_NAMES, UNIT_ROLES, Role, Unit, User
from gridcity.taxonomy.models import Category, ResponsibilityRule

# What each desk does on a first visit, in the order of a case's loop.
ROLE_ORDER = (
    Role.INSPECTOR,
    Role.OPERATOR,
    Role.SHIFT_LEADER,
    Role.DISPATCHER,
    Role.UNIT_HANDLER,
    Role.UNIT_SUPERVISOR,
    Role.MANAGER,
    Role.ADMIN,
)
TRY = {
    Role.INSPECTOR: "phone app /m/: report a problem in your work grid, verify (核实) and check (核查) tasks, patrols",
    Role.OPERATOR: "/dispatch/: accept (受理) new reports, merge duplicates, void what is not a case",
    Role.SHIFT_LEADER: "/dispatch/: file (立案) accepted cases, decide extensions / returns, close (结案) checked ones",
    Role.DISPATCHER: "/dispatch/: dispatch (派遣) filed cases to the unit the rules name",
    Role.UNIT_HANDLER: "/unit/: accept a dispatched case, report it handled with a photo, ask for more time",
    Role.UNIT_SUPERVISOR: "/unit/: the 督办 banner and queue (overdue cases escalated to you), your unit's cases",
    Role.MANAGER: "/scorecards/: monthly scorecards, appeals, the sanitation contest",
    Role.ADMIN: "/admin/: users, grids, categories and rules; everything the others see",
}


def _names(users: list[User]) -> str:
    return ", ".join(f"{u.username} ({u.display_name})" for u in users)


def logins_by_role() -> list[dict]:
    """One entry per role that has logins: ``role`` (zh, en), ``try`` and
    ``lines``, each line a login (or a group of them) with what it covers."""
    users = list(db.session.scalars(select(User).where(User.active).order_by(User.username)))
    by_role: dict[str, list[User]] = defaultdict(list)
    for user in users:
        by_role[user.role].append(user)
    out = []
    for role in ROLE_ORDER:
        people = by_role.get(role.value, [])
        if not people:
            continue
        if role is Role.INSPECTOR:
            lines = _inspector_lines(people)
        elif role in UNIT_ROLES:
            lines = _unit_lines(people)
        elif role is Role.MANAGER:
            lines = _manager_lines(people)
        else:
            lines = [_names(people)]
        zh, en = ROLE_NAMES[role]
        out.append({"role": (zh, en), "try": TRY[role], "lines": lines})
    return out


def _inspector_lines(people: list[User]) -> list[str]:
    """Inspectors by the work grid they cover (a case reported there is theirs to verify and check)."""
    mine = {u.id: u for u in people}
    team: dict[int, list[User]] = defaultdict(list)
    for user_id, grid_id in db.session.execute(
        select(inspector_work_grid.c.user_id, inspector_work_grid.c.work_grid_id)
    ):
        if user_id in mine:
            team[grid_id].append(mine[user_id])
    lines = []
    for grid in db.session.scalars(select(WorkGrid).order_by(WorkGrid.code)):
        if team.get(grid.id):
            members = sorted(team[grid.id], key=lambda u: u.username)
            lines.append(f"{grid.code} {grid.name} ({grid.area.name}): {_names(members)}")
    covered = {u.id for members in team.values() for u in members}
    rest = [u for u in people if u.id not in covered]
    if rest:
        lines.append(f"no work grid: {_names(rest)}")
    return lines


def _unit_lines(people: list[User]) -> list[str]:
    """A unit's handlers (or supervisors) by unit, with what the responsibility rules send it and where."""
    streets = dict(db.session.execute(select(Street.id, Street.name)).all())
    handles: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for unit_id, kind, place_id, name in db.session.execute(
        select(
            ResponsibilityRule.unit_id,
            ResponsibilityRule.place_kind,
            ResponsibilityRule.place_id,
            Category.name_zh,
        )
        .join(Category, Category.id == ResponsibilityRule.category_id)
        .order_by(Category.code)
    ):
        if kind == "district":
            place = "district-wide"
        elif kind == "street":
            place = f"in {streets.get(place_id, place_id)}"
        else:
            place = f"in {kind.replace('_', ' ')} {place_id}"
        handles[unit_id][place].add(name)
    lines = []
    by_unit: dict[int, list[User]] = defaultdict(list)
    for user in people:
        by_unit[user.unit_id].append(user)
    for unit in db.session.scalars(select(Unit).order_by(Unit.code)):
        if unit.id not in by_unit:
            continue
        rules = handles.get(unit.id, {})
        what = "; ".join(
            f"{place}: {len(names)} categories, e.g. {'、'.join(sorted(names)[:3])}"
            for place, names in sorted(rules.items())
        )
        lines.append(f"{_names(by_unit[unit.id])} — {unit.name}: {what or 'no rule sends it cases yet'}")
    return lines


def _manager_lines(people: list[User]) -> list[str]:
    heads = {a.head_user_id: a for a in db.session.scalars(select(Area).order_by(Area.code))}
    lines = []
    center = [u for u in people if u.id not in heads]
    if center:
        lines.append(f"{_names(center)} — the center's scorecards and appeals")
    for user in people:
        if user.id in heads:
            area = heads[user.id]
            grids = ", ".join(g.code for g in sorted(area.work_grids, key=lambda g: g.code))
            lines.append(f"{_names([user])} — head of area {area.code} {area.name} ({grids})")
    return lines
