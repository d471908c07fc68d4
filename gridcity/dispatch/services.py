"""The dispatch center's view of the city (指挥中心 / 监督中心 大屏): the compact
state of every open case for the live map, the work queues of each role, and
what the case drawer needs beyond the case itself.

The map state is read as plain columns (no ORM objects): 10,000 open cases
must come back well under a second. A queue is data — which states, and
optionally a flag (overdue, or a pending request) — so the page counts its
live updates with the same rule the server counts with.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select

from gridcity.cases import states
from gridcity.cases.models import Case, CaseEvent, CaseRequest
from gridcity.cases.queries import visible_cases
from gridcity.core.api import DB_INT_MAX
from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.dispatch.suggestion import suggestion
from gridcity.extensions import db
from gridcity.geo.models import Community, Street, UnitGrid, WorkGrid
from gridcity.org.models import UNIT_ROLES, Role, Unit, User, is_unit_member
from gridcity.risk import explain as risk_explain
from gridcity.risk import services as risk_services
from gridcity.risk.models import TRAINED, CaseRisk
from gridcity.taxonomy.models import Category
from gridcity.web.ui_text import ui_text

# Who works at the centers and sees the whole city.
STAFF_ROLES = (Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER, Role.ADMIN)
R = Role


@dataclass(frozen=True)
class Queue:
    """A work queue: open cases in one of ``states`` (all open states when
    empty) that also carry ``flag`` (``overdue``; ``warned`` = warned, not
    yet overdue; ``request`` = a request waiting for a decision; ``urged`` =
    urged (催办) or escalated (督办); ``escalated`` = escalated (督办) only).
    ``roles`` are those whose work it is."""

    key: str
    states: tuple[str, ...]
    roles: tuple[Role, ...]
    flag: str | None = None

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "states": list(self.states),
            "flag": self.flag,
            "roles": [r.value for r in self.roles],
        }


RUNNING = states.CLOCK_RUNNING
STAFF_QUEUES = (
    Queue("to_accept", (states.REPORTED,), (R.OPERATOR,)),  # 待受理
    Queue("to_verify", (states.VERIFYING,), (R.OPERATOR,)),  # 核实中 (an inspector's task)
    Queue("to_file", (states.ACCEPTED,), (R.SHIFT_LEADER,)),  # 待立案
    Queue("to_dispatch", (states.FILED,), (R.DISPATCHER,)),  # 待派遣
    Queue("requests", RUNNING, (R.SHIFT_LEADER, R.DISPATCHER), "request"),  # 延期 / 挂账 / 回退 待审批
    Queue("awaiting_check", (states.HANDLED,), (R.OPERATOR, R.SHIFT_LEADER)),  # 待核查
    Queue("to_close", (states.CHECKED,), (R.SHIFT_LEADER,)),  # 待结案
    Queue("suspended", (states.SUSPENDED,), (R.SHIFT_LEADER, R.DISPATCHER)),  # 挂账中
    Queue("overdue", RUNNING, STAFF_ROLES, "overdue"),  # 超期
    Queue("warned", RUNNING, STAFF_ROLES, "warned"),  # 预警: about to be due
    Queue("urged", RUNNING, (R.SHIFT_LEADER, R.DISPATCHER), "urged"),  # 催办 / 督办
)
UNIT_QUEUES = (
    Queue("unit_new", (states.DISPATCHED,), UNIT_ROLES),  # 待签收
    Queue("unit_in_progress", (states.IN_PROGRESS,), UNIT_ROLES),  # 处置中
    Queue("unit_requests", RUNNING, UNIT_ROLES, "request"),  # 申请待审批
    Queue("unit_awaiting_check", (states.HANDLED,), UNIT_ROLES),  # 待核查
    Queue("unit_overdue", RUNNING, UNIT_ROLES, "overdue"),  # 超期
    Queue("unit_warned", RUNNING, UNIT_ROLES, "warned"),  # 预警
    Queue("unit_urged", RUNNING, UNIT_ROLES, "urged"),  # 被催办 / 督办
)
# The supervisor's portal leads with what was escalated to them (督办).
SUPERVISOR_QUEUES = (Queue("unit_escalated", RUNNING, (R.UNIT_SUPERVISOR,), "escalated"), *UNIT_QUEUES)

# The columns of one case in the map state, in order.
MAP_FIELDS = (
    "id",
    "number",
    "state",
    "version",
    "lon",
    "lat",
    "category",
    "urgency",
    "unit_id",
    "street_id",
    "work_grid_id",
    "unit_grid_id",
    "source",
    "reported_at",
    "deadline_at",
    "warned",
    "overdue",
    "request",
    "rework",
    "urge",
    "escalated",
    "last_urged_at",
    "risk",
)
MAX_IDS = 500
# The orders the map state can come in: by case id, or highest overdue risk first.
SORTS = ("id", "risk")


def queues_for(user: User) -> tuple[Queue, ...]:
    if user.role == Role.UNIT_SUPERVISOR.value:
        return SUPERVISOR_QUEUES
    if is_unit_member(user):
        return UNIT_QUEUES
    if user.role in {r.value for r in STAFF_ROLES}:
        return STAFF_QUEUES
    return ()


def queue_by_key(user: User, key: str) -> Queue:
    for queue in queues_for(user):
        if queue.key == key:
            return queue
    known = ", ".join(q.key for q in queues_for(user))
    raise GridCityError("bad_request", detail=f"unknown queue {key}; yours are {known}")


def latest_seq() -> int:
    """The newest history event id: the live feed resumes after it."""
    return db.session.scalar(select(func.max(CaseEvent.id))) or 0


def _pending_requests():
    return (
        select(CaseRequest.case_id, CaseRequest.kind)
        .where(CaseRequest.state == "pending")
        .subquery("pending_request")
    )


def _open_visible(user: User) -> Select:
    return visible_cases(user).where(Case.state.in_(states.OPEN_STATES))


def _queue_condition(queue: Queue, pending):
    conditions = []
    if queue.states:
        conditions.append(Case.state.in_(queue.states))
    if queue.flag == "overdue":
        conditions.append(Case.overdue.is_(True))
    elif queue.flag == "warned":
        conditions.append(and_(Case.warned.is_(True), Case.overdue.is_(False)))
    elif queue.flag == "request":
        conditions.append(pending.c.kind.is_not(None))
    elif queue.flag == "urged":
        conditions.append(or_(Case.urge_count > 0, _escalated()))
    elif queue.flag == "escalated":
        conditions.append(_escalated())
    return and_(*conditions) if conditions else True


def _escalated():
    """SQL of ``states.is_escalated``: 督办 in this overdue episode."""
    return and_(Case.overdue.is_(True), Case.escalated_at.is_not(None), Case.escalated_at >= Case.deadline_at)


def queue_counts(user: User) -> list[dict]:
    """Each of the user's queues with how many open cases it holds now."""
    queues = queues_for(user)
    if not queues:
        return []
    pending = _pending_requests()
    base = _open_visible(user).outerjoin(pending, pending.c.case_id == Case.id)
    # One pass over the open cases: a filtered count per queue.
    columns = [func.count(Case.id).filter(_queue_condition(q, pending)) for q in queues]
    counts = db.session.execute(base.with_only_columns(*columns)).one()
    return [{**q.to_dict(), "count": int(n), "mine": user.role in q.roles} for q, n in zip(queues, counts)]


def _epoch(value) -> int | None:
    return None if value is None else int(value.timestamp())


def _int_list(args, name: str) -> list[int]:
    try:
        values = [int(v) for v in args[name].split(",") if v != ""]
    except ValueError:
        raise GridCityError("bad_request", detail=f"{name} must be comma-separated integers") from None
    if any(abs(v) > DB_INT_MAX for v in values):
        raise GridCityError("bad_request", detail=f"{name}: an id beyond the database's integers")
    return values


def map_state(user: User, args) -> dict:
    """Every open case the user may see, one compact array each (``MAP_FIELDS``),
    and ``seq``: the live feed's position when they were read. Filters:
    state, category, street, unit, work_grid, source (comma lists), overdue,
    queue, ids."""
    # Read the position first: an event committed in between is then replayed
    # by the client (and skipped by its version), never lost.
    seq = latest_seq()
    pending = _pending_requests()
    active = risk_services.active_model()
    query = (
        _open_visible(user)
        .outerjoin(pending, pending.c.case_id == Case.id)
        .outerjoin(
            CaseRisk, and_(CaseRisk.case_id == Case.id, CaseRisk.model_id == (active.id if active else -1))
        )
        .join(Category, Category.id == Case.category_id)
        .with_only_columns(
            Case.id,
            Case.number,
            Case.state,
            Case.version,
            Case.lon,
            Case.lat,
            Category.code,
            Case.urgency,
            Case.unit_id,
            Case.street_id,
            Case.work_grid_id,
            Case.unit_grid_id,
            Case.source,
            Case.reported_at,
            Case.deadline_at,
            Case.warned,
            Case.overdue,
            pending.c.kind,
            Case.rework_count,
            Case.urge_count,
            Case.escalated_at,
            Case.last_urged_at,
            CaseRisk.risk,
        )
    )
    query = _filtered(query, user, args, pending).order_by(*_order(args))
    rows = [
        [
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            r[11],
            r[12],
            _epoch(r[13]),
            _epoch(r[14]),
            bool(r[15]),
            bool(r[16]),
            r[17],
            r[18] or 0,
            r[19] or 0,
            states.is_escalated(r[20], r[14], r[16]),
            _epoch(r[21]),
            None if r[22] is None else round(r[22] * 100),
        ]  # fmt: skip
        for r in db.session.execute(query)
    ]
    return {"seq": seq, "now": utcnow().timestamp(), "fields": list(MAP_FIELDS), "cases": rows}


def _order(args) -> tuple:
    sort = args.get("sort", "id")
    if sort not in SORTS:
        raise GridCityError("bad_request", detail=f"sort must be one of {', '.join(SORTS)}")
    if sort == "risk":  # unscored cases last
        return (CaseRisk.risk.is_(None), CaseRisk.risk.desc(), Case.id)
    return (Case.id,)


def _filtered(query: Select, user: User, args, pending) -> Select:
    if "state" in args:
        wanted = [s for s in args["state"].split(",") if s]
        unknown = set(wanted) - set(states.OPEN_STATES)
        if unknown:
            raise GridCityError(
                "bad_request",
                detail=f"state must be open states ({', '.join(states.OPEN_STATES)}); "
                f"not {', '.join(sorted(unknown))}",
            )
        query = query.where(Case.state.in_(wanted))
    if "category" in args:
        query = query.where(Category.code.in_(args["category"].split(",")))
    for name, column in (
        ("street", Case.street_id),
        ("unit", Case.unit_id),
        ("work_grid", Case.work_grid_id),
    ):
        if name in args:
            query = query.where(column.in_(_int_list(args, name)))
    if "source" in args:
        sources = args["source"].split(",")
        unknown = set(sources) - set(states.SOURCES)
        if unknown:
            raise GridCityError("bad_request", detail=f"source must be one of {', '.join(states.SOURCES)}")
        query = query.where(Case.source.in_(sources))
    if "overdue" in args:
        query = query.where(Case.overdue.is_(args["overdue"].lower() in ("1", "true", "yes")))
    if "queue" in args:
        query = query.where(_queue_condition(queue_by_key(user, args["queue"]), pending))
    if "ids" in args:
        ids = _int_list(args, "ids")
        if len(ids) > MAX_IDS:
            raise GridCityError("bad_request", detail=f"at most {MAX_IDS} ids at once")
        query = query.where(Case.id.in_(ids))
    return query


def drawer_extras(case: Case, user: User) -> dict:
    """What the drawer shows beside the case detail: names of its places, the
    unit the case would go to (the dispatcher's default: its component's
    owner, or the responsibility rules' unit) and why, the
    request waiting for a decision, the open cases it may duplicate (merge
    targets), and the actions that fit it."""
    from gridcity.cases.routing import BY_RULES, distance_m, likely_duplicates, responsible_unit
    from gridcity.proactive.services import drawer_basis

    try:
        routed, routed_by = responsible_unit(case)
    except GridCityError:  # no rule for this category here: the dispatcher picks
        routed, routed_by = None, BY_RULES
    street = db.session.get(Street, case.street_id)
    work_grid = db.session.get(WorkGrid, case.work_grid_id) if case.work_grid_id else None
    unit_grid = db.session.get(UnitGrid, case.unit_grid_id)
    request = db.session.scalar(
        select(CaseRequest).where(CaseRequest.case_id == case.id, CaseRequest.state == "pending")
    )
    routed_unit = db.session.get(Unit, routed) if routed else None
    # The state table allows a decision on any case with a unit, and another
    # request while one waits; the drawer offers what can succeed now.
    actions = states.allowed_actions(case.state, user.role)
    if request is None:
        actions = [a for a in actions if a != "decide"]
    else:
        actions = [a for a in actions if a != "request"]
    return {
        **_risk_and_suggestion(case, user, routed_unit),
        "allowed_actions": actions,
        "street": None if street is None else {"id": street.id, "name": street.name},
        "work_grid": None
        if work_grid is None
        else {"id": work_grid.id, "code": work_grid.code, "name": work_grid.name},
        "unit_grid_code": unit_grid.code if unit_grid else None,
        "routed_unit": None
        if routed_unit is None
        else {"id": routed_unit.id, "code": routed_unit.code, "name": routed_unit.name},
        "routed_by": routed_by,
        "pending_request": None
        if request is None
        else {
            "id": request.id,
            "kind": request.kind,
            "reason": request.reason,
            "extra_amount": request.extra_amount,
            "review_on": request.review_on.isoformat() if request.review_on else None,
            "requested_at": request.requested_at.isoformat(),
        },
        "handle_clock": case.handle_clock,
        # Said in words: the position is where the inspector put the pin, not a GPS fix.
        "position_note": ui_text("d_position_by_hand", current_language()) if case.position_by_hand else None,
        # Beside the decision: what makes it a case and what makes it done, and
        # the clock an extension is counted in (the handling one once dispatched).
        "standards": {
            "filing": case.category.filing_standard or "",
            "closing": case.category.closing_standard or "",
        },
        "extension_clock": case.handle_clock or case.category.deadline_clock,
        "merge_candidates": [
            {
                "id": other.id,
                "number": other.number,
                "state": other.state,
                "description": other.description,
                "distance_m": round(distance_m(case, other)),
            }
            for other in (likely_duplicates(case) if "merge" in actions else [])
        ],
        "proactive": drawer_basis(case, user),
    }


def _risk_and_suggestion(case: Case, user: User, routed_unit: Unit | None) -> dict:
    """The centers' view only: the overdue risk in words (or why there is
    none) and the dispatch suggestion (派遣建议)."""
    if user.role not in {r.value for r in STAFF_ROLES}:
        return {"risk": None, "risk_note": None, "suggestion": None}
    language = current_language()
    run = risk_services.latest_run()
    risk = risk_explain.risk_view(risk_services.case_risk(case), language)
    if risk is not None:
        note = None
    elif run is None or run.status != TRAINED:
        note = risk_explain.no_risk_note(run, language)
    else:
        note = ui_text("d_risk_not_scored", language)
    return {"risk": risk, "risk_note": note, "suggestion": suggestion(case, routed_unit)}


def search_lookups() -> dict:
    """The places the search page filters by beyond streets: communities and
    work grids, each with its street (names, not codes)."""
    communities = db.session.execute(
        select(Community.id, Community.name, Community.street_id).order_by(
            Community.street_id, Community.code
        )
    ).all()
    work_grids = db.session.execute(select(WorkGrid.id, WorkGrid.name).order_by(WorkGrid.code)).all()
    return {
        "communities": [{"id": i, "name": n, "street_id": s} for i, n, s in communities],
        "work_grids": [{"id": i, "name": n} for i, n in work_grids],
    }


def page_lookups(user: User, language: str) -> dict:
    """Names the pages show for ids and codes: streets, units, categories."""
    streets = db.session.execute(select(Street.id, Street.name).order_by(Street.code)).all()
    units = db.session.execute(
        select(Unit.id, Unit.code, Unit.name).where(Unit.active.is_(True)).order_by(Unit.code)
    ).all()
    categories = db.session.execute(
        select(Category.code, Category.name_zh, Category.name_en)
        .where(Category.active.is_(True))
        .order_by(Category.code)
    ).all()
    return {
        "streets": [{"id": i, "name": n} for i, n in streets],
        "units": [{"id": i, "code": c, "name": n} for i, c, n in units],
        "categories": [{"code": c, "name": zh if language == "zh" else en} for c, zh, en in categories],
    }
