"""Past months of the demo city, lived through the real services.

A small discrete-event simulation: every step of every case (report, accept,
verify, file, void, merge, dispatch, unit accept, requests and decisions,
handle, check, rework, close) and every patrol is an appointment on a timeline;
the clock (:mod:`gridcity.core.clock`) is frozen at each appointment and the
step goes through :mod:`gridcity.cases.services` or
:mod:`gridcity.patrols.services` like a user's request would. The deadline
sweeper runs as time passes, so warnings and overdue marks are the sweeper's
own. Every case is finished (closed, voided or merged) before the current
month starts, so the present-day queues stay as they were.

Deterministic: the same seed on the same city gives the same history. The
details that only make it read true (reporters' phone numbers, the
inspectors' words) come from a second generator seeded alike, so they do not
move the timeline. Verifies (核实) and voids (作废) happen in office hours of
the working calendar, as at a real center; steps that would fall after the
last month spread over its last hours instead of piling up at its end.
"""

from __future__ import annotations

import datetime as dt
import heapq
import io
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import shapely
from flask import current_app
from sqlalchemy import func, select

from gridcity.cases import services as cases
from gridcity.cases import states
from gridcity.cases.models import Case, CaseTask
from gridcity.cases.sweeper import sweep
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.geo.models import Community, Street, UnitGrid, WorkGrid, inspector_work_grid
from gridcity.org.models import Role, Unit, User
from gridcity.patrols import services as patrols
from gridcity.patrols.services import Breadcrumb
from gridcity.taxonomy.models import Category, CategoryMajor, ResponsibilityRule
from gridcity.workcalendar.services import is_working_day, working_calendar

# Reports per work grid and month (inspectors' own; public ones come on top).
REPORTS_PER_GRID = 15
SWEEP_EVERY = dt.timedelta(hours=1)
# How a case goes, by share of cases (the rest: the plain closed loop).
PATHS = {
    "void": 0.05,  # below the filing standard
    "rework": 0.08,  # the check fails once
    "late": 0.12,  # handled after the deadline
    "extension": 0.06,
    "suspension": 0.03,
    "return": 0.03,
}
PUBLIC_SHARE = 0.18  # hotline 12345 / public reports (verified by an inspector)
NOT_REAL_SHARE = 0.15  # of the public ones: not confirmed on site
DUPLICATE_SHARE = 0.06  # a second report of an open problem: merged
MISSED_SHARE = 0.05  # found by an inspector of a neighbouring grid
# Event categories weigh more than components, as in any city.
MAJOR_WEIGHTS = {
    ("event", "01"): 30,
    ("event", "02"): 18,
    ("event", "03"): 8,
    ("event", "04"): 20,
    ("event", "05"): 2,
    ("event", "06"): 4,
    ("component", "01"): 6,
    ("component", "02"): 4,
    ("component", "03"): 5,
    ("component", "04"): 2,
    ("component", "05"): 1,
    ("component", "06"): 1,
    ("component", "07"): 1,
}
PATROLS_PER_MONTH = {"night": 6, "month_end": 4, "daily": 8}  # holiday: one per holiday per area
TEXTS = {
    "handle": ["已清理完毕", "已修复", "已整改到位", "已拆除", "已恢复原状"],
    "check_fail": ["现场仍有残留，需返工", "未整改到位", "整改不彻底"],
    "void": ["不符合立案标准", "属私人领域，不属于城管范畴", "问题已自行消失"],
    "extension": ["需协调多个部门，申请延期", "材料采购中，申请延期"],
    "suspension": ["涉及规划调整，暂缓办理", "需纳入年度维修计划"],
    "return": ["非我单位职责范围", "权属不清，申请回退"],
}
INSPECTION_NOTES = {
    "street_cleaning": ["主干道路面有积尘", "人行道有烟头纸屑"],
    "village_cleaning": ["城中村巷道垃圾未及时清理", "墙面乱涂乱画"],
    "garbage": ["垃圾桶满溢", "转运站周边有渗滤液"],
    "toilets": ["公厕地面湿滑有异味", "洗手液缺失"],
}
# How an inspector (or a caller) puts it: where, what, how much, why it matters.
LANDMARKS = [
    "公交站旁",
    "小区东门口",
    "人行道上",
    "十字路口西北角",
    "农贸市场门口",
    "学校南门外",
    "沿河步道边",
    "停车场入口",
    "沿街商铺门前",
    "绿化带内",
    "人行天桥下",
    "巷口",
    "社区公园入口",
    "地铁站出口旁",
]
SCALES = ["面积约2平方米", "共3处", "长约5米", "约半车", "范围约10米", "零星几处", "已持续两天"]
IMPACTS = {
    "event": ["影响市容", "影响行人通行", "周边居民意见较大", "影响车辆通行", "有明显异味", "存在安全隐患"],
    "component": ["存在安全隐患", "影响正常使用", "影响行人通行", "夜间易发生意外"],
}
STATES_OF_PARTS = ["破损", "缺失", "松动移位", "锈蚀严重", "被撞歪", "倾斜"]
INSPECTOR_WORDS = [
    "{place}发现{name}，{scale}，{impact}。",
    "巡查至{place}，{name}，{scale}，{impact}，请尽快处置。",
    "{place}有{name}问题，{impact}，已拍照取证。",
    "{place}{name}，{scale}，{impact}。",
]
COMPONENT_WORDS = [
    "{place}{name}{part}，{impact}。",
    "巡查发现{place}的{name}{part}，{impact}，请尽快维修。",
    "{place}{name}{part}，已拍照，{impact}。",
]
CALLER_WORDS = [
    "市民来电反映：{place}{name}，{impact}，希望尽快处理。",
    "群众通过公众平台反映{place}存在{name}，{impact}。",
    "来电人称{place}{name}已有几天，{impact}，要求处理并回复。",
]
_PHOTO_COLOURS = [(120, 130, 120), (90, 110, 140), (150, 140, 110), (100, 120, 90)]


@dataclass
class Plan:
    """What will happen to one case."""

    path: str = "plain"
    reporter_id: int | None = None
    late: bool = False
    done: set = field(default_factory=set)


def past_months(today: dt.date, months: int) -> list[tuple[int, int]]:
    """The ``months`` whole months before ``today``'s, oldest first."""
    out, y, m = [], today.year, today.month
    for _ in range(months):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        out.append((y, m))
    return out[::-1]


def generate_history(
    months: int = 3,
    seed: int = 2026,
    reports_per_grid: int = REPORTS_PER_GRID,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Live ``months`` past months in the loaded demo city; returns counts.
    Leaves the clock released. ``progress`` hears a line every tenth of the way."""
    sim = _Simulation(random.Random(seed), reports_per_grid, random.Random(f"details-{seed}"), progress)
    try:
        return sim.run(months)
    finally:
        clock.freeze(None)


class _Simulation:
    def __init__(
        self,
        rng: random.Random,
        reports_per_grid: int,
        details: random.Random | None = None,
        progress: Callable[[str], None] | None = None,
    ):
        self.rng = rng
        self.details = details or random.Random(0)
        self.say = progress or (lambda line: None)
        self.reports_per_grid = reports_per_grid
        self.tz = ZoneInfo(current_app.config["SETTINGS"].timezone)
        self.calendar = working_calendar(current_app.config["SETTINGS"].timezone)
        self.queue: list = []
        self.seq = 0
        self.plans: dict[int, Plan] = {}
        self.recent: dict[int, list[int]] = defaultdict(list)  # work grid → recent case ids
        self.counts: dict[str, int] = defaultdict(int)
        self.photos = [_jpeg(c) for c in _PHOTO_COLOURS]
        self._load_people()

    # ------------------------------------------------------------ setup

    def _load_people(self) -> None:
        users = list(db.session.scalars(select(User).where(User.active).order_by(User.id)))
        by_role = defaultdict(list)
        for u in users:
            by_role[u.role].append(u.id)
        self.operators = by_role[Role.OPERATOR.value]
        self.leaders = by_role[Role.SHIFT_LEADER.value]
        self.dispatchers = by_role[Role.DISPATCHER.value]
        self.handler_of_unit = {
            u.unit_id: u.id for u in users if u.role == Role.UNIT_HANDLER.value and u.unit_id is not None
        }
        self.inspectors_of: dict[int, list[int]] = defaultdict(list)
        for user_id, wg_id in db.session.execute(
            select(inspector_work_grid.c.user_id, inspector_work_grid.c.work_grid_id).order_by(
                inspector_work_grid.c.work_grid_id, inspector_work_grid.c.user_id
            )
        ):
            self.inspectors_of[wg_id].append(user_id)
        self.work_grids = [wg for wg in db.session.scalars(select(WorkGrid.id).order_by(WorkGrid.id))]
        self.work_grids = [wg for wg in self.work_grids if self.inspectors_of.get(wg)]
        self.cells_of: dict[int, list] = defaultdict(list)
        for wg_id, geom in db.session.execute(
            select(UnitGrid.work_grid_id, UnitGrid.geom)
            .where(UnitGrid.work_grid_id.is_not(None))
            .order_by(UnitGrid.id)
        ):
            self.cells_of[wg_id].append(geom)
        self.street_of_grid = dict(
            db.session.execute(
                select(WorkGrid.id, Street.id)
                .join(UnitGrid, UnitGrid.work_grid_id == WorkGrid.id)
                .join(Community, Community.id == UnitGrid.community_id)
                .join(Street, Street.id == Community.street_id)
                .distinct()
            ).all()
        )
        # Categories with a district-wide responsibility rule: every case can be dispatched.
        routed = select(ResponsibilityRule.category_id).where(ResponsibilityRule.place_kind == "district")
        categories = db.session.execute(
            select(Category.code, CategoryMajor.kind, CategoryMajor.code)
            .join(CategoryMajor)
            .where(Category.id.in_(routed))
            .order_by(Category.code)
        ).all()
        by_major = defaultdict(list)
        for code, kind, major in categories:
            by_major[(kind, major)].append(code)
        self.majors = [(k, w) for k, w in MAJOR_WEIGHTS.items() if by_major.get(k)]
        self.categories_of = by_major
        self.units = sorted(db.session.scalars(select(Unit.id).where(Unit.active)))
        self.streets = sorted(set(self.street_of_grid.values()))
        self.managers = by_role[Role.MANAGER.value]
        self.street_names = dict(db.session.execute(select(Street.id, Street.name)).all())
        self.category_words = {
            code: (name, kind)
            for code, name, kind in db.session.execute(
                select(Category.code, Category.name_zh, CategoryMajor.kind).join(CategoryMajor)
            )
        }

    def user(self, user_id: int) -> User:
        return db.session.get(User, user_id)

    # ------------------------------------------------------------ timeline

    def at(self, when: dt.datetime, step, *args) -> None:
        if when > self.end:
            # Past the last month: the step still happens before it ends, some
            # way into the time left (never all at its last minute).
            now = max(clock.utcnow(), self.first)
            when = now + (self.end - now) * self.details.uniform(0.15, 0.6) if now < self.end else self.end
        self.seq += 1
        heapq.heappush(self.queue, (when, self.seq, step, args))

    def run(self, months: int) -> dict:
        today = clock.utcnow().astimezone(self.tz).date()
        span = past_months(today, months)
        first = dt.datetime(span[0][0], span[0][1], 1, tzinfo=self.tz)
        self.first = first
        self.end = dt.datetime(today.year, today.month, 1, tzinfo=self.tz) - dt.timedelta(hours=2)
        for year, month in span:
            self._plan_month(year, month)
        next_sweep = first.astimezone(dt.UTC)
        steps = 0
        told = 0
        label = f"{span[0][0]}-{span[0][1]:02d}" + (
            f" … {span[-1][0]}-{span[-1][1]:02d}" if len(span) > 1 else ""
        )
        while self.queue:
            when, _, step, args = heapq.heappop(self.queue)
            done = int(10 * (when - first) / (self.end - first))
            if done > told:
                told = done
                self.say(
                    f"[5/5] living {label} through the services: {10 * done:3d}% "
                    f"({when.astimezone(self.tz):%Y-%m-%d}, {self.counts['cases']:,} cases so far)"
                )
            while next_sweep <= when:
                # The sweeper runs every hour; most hours nothing falls due, so
                # jump to the first hour in which something does.
                due = _next_due()
                if due is None or due > when:
                    while next_sweep <= when:
                        next_sweep += SWEEP_EVERY
                    break
                while next_sweep < due:
                    next_sweep += SWEEP_EVERY
                if next_sweep > when:
                    break
                clock.freeze(next_sweep)
                sweep(next_sweep)
                next_sweep += SWEEP_EVERY
            clock.freeze(when.astimezone(dt.UTC))
            step(*args)
            steps += 1
        db.session.commit()
        clock.freeze(self.end.astimezone(dt.UTC))
        sweep(self.end.astimezone(dt.UTC))
        db.session.commit()
        return {
            "months": [f"{y}-{m:02d}" for y, m in span],
            "steps": steps,
            **dict(sorted(self.counts.items())),
        }

    def _plan_month(self, year: int, month: int) -> None:
        start = dt.date(year, month, 1)
        days = [
            start + dt.timedelta(days=n) for n in range(31) if (start + dt.timedelta(days=n)).month == month
        ]
        for wg in self.work_grids:
            for _ in range(self.reports_per_grid):
                day = self.rng.choice(days)
                self.at(self._daytime(day), self.new_report, wg, "inspector")
            for _ in range(max(1, round(self.reports_per_grid * PUBLIC_SHARE))):
                day = self.rng.choice(days)
                source = self.rng.choice(("hotline", "public"))
                when = self._local(day, self.rng.randint(7 * 60, 22 * 60))
                # A call whose on-site verify could not come in office hours
                # before the history ends is not taken (the current month has it).
                if self._office(when + dt.timedelta(hours=4)) < self.end:
                    self.at(when, self.new_report, wg, source)
        # Patrols: night, month-end and daily ones, and one per area on each holiday.
        for kind, n in PATROLS_PER_MONTH.items():
            for _ in range(n):
                wg = self.rng.choice(self.work_grids)
                if kind == "month_end":
                    day = days[-1 - self.rng.randint(0, 1)]
                    start_at = self._local(day, self.rng.randint(9 * 60, 15 * 60))
                elif kind == "night":
                    start_at = self._local(self.rng.choice(days[:-2]), self.rng.randint(20 * 60, 22 * 60))
                else:
                    start_at = self._daytime(self.rng.choice(days))
                self.at(start_at, self.start_patrol, wg, kind)
        # Managers' contest inspections (市容环卫杯检查): a few per street, with a photo.
        for street_id in self.streets:
            for _ in range(self.rng.randint(1, 3)):
                self.at(self._daytime(self.rng.choice(days)), self.inspect, street_id, f"{year}-{month:02d}")
        holidays = [d for d in days if not is_working_day(d) and d.weekday() < 5]
        for day in holidays[:3]:
            for wg in self.rng.sample(self.work_grids, min(3, len(self.work_grids))):
                self.at(self._local(day, self.rng.randint(9 * 60, 16 * 60)), self.start_patrol, wg, "holiday")

    def _local(self, day: dt.date, minute: int) -> dt.datetime:
        return dt.datetime(
            day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self.tz
        ) + dt.timedelta(seconds=self.rng.randint(0, 59))

    def _daytime(self, day: dt.date) -> dt.datetime:
        return self._local(day, self.rng.randint(8 * 60 + 30, 17 * 60 + 30))

    def _office(self, when: dt.datetime) -> dt.datetime:
        """``when`` if it falls in office hours of the working calendar, else a
        few minutes into the next office period."""
        local_day = when.astimezone(self.tz).date()
        for n in range(20):
            for start, end in self.calendar.office_intervals(local_day + dt.timedelta(days=n)):
                if start <= when < end:
                    return when
                if when < start:
                    return min(
                        start + dt.timedelta(minutes=self.details.uniform(3, 40)),
                        end - dt.timedelta(minutes=1),
                    )
        return when

    def later(self, minutes_low: float, minutes_high: float) -> dt.datetime:
        return clock.utcnow() + dt.timedelta(minutes=self.rng.uniform(minutes_low, minutes_high))

    # ------------------------------------------------------------ intake

    def _position(self, wg: int) -> tuple[float, float]:
        cell = self.rng.choice(self.cells_of[wg])
        minx, miny, maxx, maxy = cell.bounds
        for _ in range(10):
            lon, lat = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if cell.contains(shapely.Point(lon, lat)):
                return lon, lat
        point = cell.representative_point()
        return point.x, point.y

    def _category(self) -> str:
        keys, weights = zip(*self.majors)
        return self.rng.choice(self.categories_of[self.rng.choices(keys, weights)[0]])

    def new_report(
        self, wg: int, source: str, patrol_id: int | None = None, reporter_id: int | None = None
    ) -> None:
        category, (lon, lat) = self._category(), self._position(wg)
        duplicate_of = None
        if source == "inspector" and self.rng.random() < DUPLICATE_SHARE:
            duplicate_of = self._open_recent(wg)
            if duplicate_of is not None:
                category = duplicate_of.category.code
                lon, lat = duplicate_of.lon, duplicate_of.lat  # the same spot, seen again
        if source in ("hotline", "public"):
            reporter = self.user(self.rng.choice(self.operators))
        else:
            if reporter_id is None:
                team = self.inspectors_of[wg]
                if source == "inspector" and self.rng.random() < MISSED_SHARE:
                    others = [g for g in self.work_grids if g != wg]
                    team = self.inspectors_of[self.rng.choice(others)]
                reporter_id = self.rng.choice(team)
            reporter = self.user(reporter_id)
        report = cases.Report(
            category=category,
            lon=lon,
            lat=lat,
            source="patrol" if patrol_id else source,
            description=self._words(category, wg, source),
            reporter_contact=self._phone(self.rng.randint(0, 9999))
            if source in ("hotline", "public")
            else None,
            photos=self._report_photos(source),
            patrol_id=patrol_id,
        )
        case = cases.submit_report(report, reporter).case
        self.counts["cases"] += 1
        plan = Plan(reporter_id=reporter.id)
        if duplicate_of is not None:
            plan.path = "merge"
            self.plans[case.id] = plan
            self.at(self.later(10, 60), self.merge, case.id, duplicate_of.id)
            return
        roll = self.rng.random()
        for path, share in PATHS.items():
            if roll < share:
                plan.path = path
                break
            roll -= share
        self.plans[case.id] = plan
        if case.work_grid_id is not None:
            self.recent[case.work_grid_id] = (self.recent[case.work_grid_id] + [case.id])[-20:]
        self.at(self.later(5, 90), self.accept, case.id)

    def _report_photos(self, source: str) -> list[bytes]:
        """An inspector's report carries its photo (cities require one). The
        draws are those of the history before photos were required, so the
        demo city's cases stay the same: one report in five gets a random
        picture of the few, the others the first; each picture is stored
        once (by its hash), so this adds a row per report, not a file."""
        if source not in ("inspector", "patrol"):
            return []
        return [self.rng.choice(self.photos)] if self.rng.random() < 0.2 else [self.photos[0]]

    def _words(self, category: str, wg: int, source: str) -> str:
        """The report as a person writes it: the place, the problem, how much, why it matters."""
        name, kind = self.category_words[category]
        street = self.street_names.get(self.street_of_grid.get(wg), "")
        place = street + self.details.choice(LANDMARKS)
        words = {
            "place": place,
            "name": name,
            "scale": self.details.choice(SCALES),
            "impact": self.details.choice(IMPACTS[kind]),
            "part": self.details.choice(STATES_OF_PARTS),
        }
        if source in ("hotline", "public"):
            templates = CALLER_WORDS
        else:
            templates = COMPONENT_WORDS if kind == "component" else INSPECTOR_WORDS
        return self.details.choice(templates).format(**words)

    def _phone(self, last4: int) -> str:
        """A mainland mobile number: 11 digits, 13x-19x."""
        return f"1{self.details.choice('3456789')}{self.details.randint(0, 99999):05d}{last4:04d}"

    def _open_recent(self, wg: int) -> Case | None:
        for case_id in reversed(self.recent[wg]):
            case = db.session.get(Case, case_id)
            if case.state in (
                states.REPORTED,
                states.VERIFYING,
                states.ACCEPTED,
                states.FILED,
                states.DISPATCHED,
            ):
                return case
        return None

    # ------------------------------------------------------------ the loop

    def case(self, case_id: int) -> Case:
        return db.session.get(Case, case_id)

    def merge(self, case_id: int, into_id: int) -> None:
        case, into = self.case(case_id), self.case(into_id)
        operator = self.user(self.rng.choice(self.operators))
        if into.state in states.OPEN_STATES:
            cases.merge(case, operator, into, note=f"与{into.number}为同一问题")
            self.counts["merged"] += 1
            return
        # The first report was finished meanwhile: treat this one as new.
        self.plans[case_id].path = "plain"
        self.accept(case_id)

    def accept(self, case_id: int) -> None:
        case = self.case(case_id)
        cases.accept(case, self.user(self.rng.choice(self.operators)))
        if case.state == states.VERIFYING:
            self.at(self._office(self.later(20, 150)), self.verify, case_id)
            return
        plan = self.plans[case_id]
        when = self.later(5, 60)
        if plan.path == "void":
            # The shift leader voids at the desk in office hours; a report
            # coming too late for that is filed as usual.
            office = self._office(when)
            if office < self.end:
                when = office
            else:
                plan.path = "plain"
        self.at(when, self.file, case_id)

    def verify(self, case_id: int) -> None:
        case = self.case(case_id)
        task = db.session.scalar(
            select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.completed_at.is_(None))
        )
        inspector_id = task.inspector_id or self.rng.choice(self.inspectors_of[case.work_grid_id])
        passed = self.rng.random() >= NOT_REAL_SHARE
        cases.verify(case, self.user(inspector_id), passed, note="" if passed else "现场未发现该问题")
        if passed:
            self.at(self.later(5, 60), self.file, case_id)
        else:
            self.counts["voided"] += 1

    def file(self, case_id: int) -> None:
        case, plan = self.case(case_id), self.plans[case_id]
        leader = self.user(self.rng.choice(self.leaders))
        if plan.path == "void":
            cases.void(case, leader, self.rng.choice(TEXTS["void"]))
            self.counts["voided"] += 1
            return
        cases.file_case(case, leader)
        self.at(self.later(5, 45), self.dispatch, case_id, None)

    def dispatch(self, case_id: int, unit_id: int | None) -> None:
        case = self.case(case_id)
        cases.dispatch(
            case,
            self.user(self.rng.choice(self.dispatchers)),
            unit_id,
            reason="回退后改派" if unit_id else "",
        )
        self.at(self.later(10, 120), self.unit_accept, case_id)

    def handler(self, case: Case) -> User:
        return self.user(self.handler_of_unit[case.unit_id])

    def unit_accept(self, case_id: int) -> None:
        case, plan = self.case(case_id), self.plans[case_id]
        cases.unit_accept(case, self.handler(case))
        for kind in ("return", "extension", "suspension"):
            if plan.path == kind and kind not in plan.done:
                self.at(self._within_deadline(case, 0.1, 0.4), self.request, case_id, kind)
                return
        self._schedule_handle(case, plan)

    def _within_deadline(self, case: Case, low: float, high: float) -> dt.datetime:
        now = clock.utcnow()
        span = max((case.deadline_at - now).total_seconds(), 600.0)
        return now + dt.timedelta(seconds=span * self.rng.uniform(low, high))

    def _schedule_handle(self, case: Case, plan: Plan) -> None:
        if plan.path == "late" and "late" not in plan.done:
            plan.done.add("late")
            when = case.deadline_at + dt.timedelta(hours=self.rng.uniform(1, 36))
        else:
            when = self._within_deadline(case, 0.2, 0.8)
        self.at(when, self.handle, case.id)

    def request(self, case_id: int, kind: str) -> None:
        case, plan = self.case(case_id), self.plans[case_id]
        plan.done.add(kind)
        review_on = None
        if kind == "suspension":
            review_on = clock.utcnow() + dt.timedelta(days=self.rng.randint(4, 10))
        cases.request_change(
            case,
            self.handler(case),
            kind,
            self.rng.choice(TEXTS[kind]),
            extra_amount=float(self.rng.choice((4, 8, 16))) if kind == "extension" else None,
            review_on=review_on,
        )
        self.at(self.later(15, 120), self.decide, case_id, kind, review_on)

    def decide(self, case_id: int, kind: str, review_on: dt.datetime | None) -> None:
        case, plan = self.case(case_id), self.plans[case_id]
        approve = self.rng.random() < 0.85
        decider = self.user(self.rng.choice(self.leaders + self.dispatchers))
        cases.decide(case, decider, approve, note="同意" if approve else "理由不充分，请按期处置")
        if not approve:
            self.counts[f"{kind}_refused"] += 1
            self._schedule_handle(case, plan)
            return
        self.counts[kind] += 1
        if kind == "extension":
            self._schedule_handle(case, plan)
        elif kind == "suspension":
            self.at(review_on, self.resume, case_id)
        else:  # returned: the dispatcher sends it to another unit
            other = self.rng.choice(
                [u for u in self.units if u != case.unit_id and u in self.handler_of_unit]
            )
            self.at(self.later(10, 90), self.dispatch, case_id, other)

    def resume(self, case_id: int) -> None:
        case, plan = self.case(case_id), self.plans[case_id]
        cases.resume(case, self.user(self.rng.choice(self.leaders)), note="复核后恢复办理")
        self._schedule_handle(case, plan)

    def handle(self, case_id: int) -> None:
        case = self.case(case_id)
        cases.handle(
            case, self.handler(case), self.rng.choice(TEXTS["handle"]), photos=[self.rng.choice(self.photos)]
        )
        self.at(self.later(30, 200), self.check, case_id)

    def check(self, case_id: int) -> None:
        case, plan = self.case(case_id), self.plans[case_id]
        task = db.session.scalar(
            select(CaseTask).where(
                CaseTask.case_id == case_id, CaseTask.kind == "check", CaseTask.completed_at.is_(None)
            )
        )
        inspector_id = task.inspector_id or self.rng.choice(self.inspectors_of[case.work_grid_id])
        fail = plan.path == "rework" and "rework" not in plan.done
        cases.check(
            case,
            self.user(inspector_id),
            not fail,
            note=self.rng.choice(TEXTS["check_fail"]) if fail else "核查通过",
            photos=[self.rng.choice(self.photos)],
        )
        if fail:
            plan.done.add("rework")
            self.counts["rework"] += 1
            self._schedule_handle(case, plan)
        else:
            self.at(self.later(5, 90), self.close, case_id)

    def close(self, case_id: int) -> None:
        case = self.case(case_id)
        cases.close(case, self.user(self.rng.choice(self.leaders)))
        self.counts["closed"] += 1
        if case.overdue:
            self.counts["closed_overdue"] += 1

    # ------------------------------------------------------------ contest

    def inspect(self, street_id: int, month: str) -> None:
        from gridcity.scorecards.scoring.contest import add_inspection, items

        item = self.rng.choice(items())
        add_inspection(
            month,
            street_id,
            item.code,
            self.rng.choice((0.5, 1.0, 1.0, 2.0, 3.0)),
            self.rng.choice(
                INSPECTION_NOTES[item.code] if item.code in INSPECTION_NOTES else ["检查发现问题"]
            ),
            self.user(self.rng.choice(self.managers)),
            photos=[self.rng.choice(self.photos)],
        )
        self.counts["contest_inspections"] += 1

    # ------------------------------------------------------------ patrols

    def start_patrol(self, wg: int, kind: str) -> None:
        inspector = self.user(self.rng.choice(self.inspectors_of[wg]))
        if patrols.running_patrol(inspector) is not None:
            return
        patrol = patrols.start_patrol(inspector, kind, 30)
        self.counts[f"patrol_{kind}"] += 1
        minutes = self.rng.randint(60, 150)
        findings = self.rng.randint(1, 3) if kind != "daily" else self.rng.randint(0, 2)
        for _ in range(findings):
            self.at(self.later(5, minutes - 5), self.new_report, wg, "inspector", patrol.id, inspector.id)
        self.at(self.later(minutes, minutes), self.stop_patrol, wg, patrol.id, inspector.id)

    def stop_patrol(self, wg: int, patrol_id: int, inspector_id: int) -> None:
        patrol = patrols.get_patrol(patrol_id)
        start, end = patrol.started_at, clock.utcnow()
        cells = self.rng.sample(self.cells_of[wg], min(6, len(self.cells_of[wg])))
        crumbs, n = [], 0
        for cell in cells:
            point = cell.representative_point()
            for _ in range(4):
                n += 1
                crumbs.append(
                    (point.x + self.rng.uniform(-2e-4, 2e-4), point.y + self.rng.uniform(-2e-4, 2e-4))
                )
        step = (end - start) / max(len(crumbs), 1)
        points = [Breadcrumb(start + step * i, lon, lat, 8.0) for i, (lon, lat) in enumerate(crumbs)]
        patrols.stop_patrol(patrol, self.user(inspector_id), points)


def _next_due() -> dt.datetime | None:
    """The earliest warning or deadline the sweeper has not marked yet."""
    running = Case.state.in_(states.CLOCK_RUNNING)
    open_task = CaseTask.completed_at.is_(None)
    firsts = [
        select(func.min(Case.deadline_at)).where(running, Case.overdue.is_(False)),
        select(func.min(Case.warn_at)).where(running, Case.warned.is_(False)),
        select(func.min(CaseTask.due_at)).where(open_task, CaseTask.overdue.is_(False)),
        select(func.min(CaseTask.warn_at)).where(open_task, CaseTask.warned.is_(False)),
    ]
    values = db.session.execute(select(*(q.scalar_subquery() for q in firsts))).one()
    found = [_aware(v) for v in values if v is not None]
    return min(found) if found else None


def _aware(value) -> dt.datetime:
    if isinstance(value, str):  # SQLite hands back a MIN() of a datetime column as text
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def load_history(
    months: int = 3,
    seed: int = 2026,
    reports_per_grid: int = REPORTS_PER_GRID,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """The demo's past: ``months`` lived months, then their scorecards frozen
    as the month-end job would have done."""
    summary = generate_history(months, seed, reports_per_grid, progress)
    if progress:
        progress(f"[5/5] freezing the scorecards of {', '.join(summary['months'])}")
    summary["frozen"] = freeze_months(summary["months"])
    return summary


def freeze_months(months: list[str]) -> list[str]:
    """Freeze the scorecards of these months (``YYYY-MM``) with the engine."""
    from gridcity.scorecards.snapshots.services import freeze_month

    frozen = []
    for month in months:
        freeze_month(month)
        db.session.commit()
        frozen.append(month)
    return frozen
