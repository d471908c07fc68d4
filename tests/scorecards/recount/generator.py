"""Random adversarial histories, built through the real case services with the
application clock moved (``Driver.at``), for the independent recount.

A history spans September and part of October 2026 (the Mid-Autumn and
National Day holidays fall in it). Each case follows a *scenario*: a Python
generator that yields its next step (with the time it happens) and receives
the step's result, so a step can be timed from what the services decided — a
handling five minutes after the deadline the dispatch recorded, a check just
after its task fell due. Steps of all cases (and the sweeper, and the freeze
of September) run in time order, so the clock only moves forward.

The scenarios deliberately make the hard cases of DOMAIN §7.1: steps done
just after a deadline and before a sweep (and exactly at it), returns after
overdue and re-dispatch to another unit, extensions asked for before and
after the deadline (approved in time and late), suspensions across holidays,
hotline duplicates merged into an inspector's own case (and the other way
round, and across the month's end), several checks on one case and the shift
leader's 不予结案, voids (also of last month's reports), verifies that fail,
desk steps at their limits (30 / 60 minutes ± 1), twin cases in both streets
(ties), and subjects with nothing in a month.
"""

from __future__ import annotations

import datetime as dt
import heapq
import io
import itertools
import random
from dataclasses import dataclass, field

from PIL import Image

from gridcity.cases import services
from gridcity.cases.models import Case, CaseTask
from gridcity.extensions import db
from gridcity.org.models import Unit
from gridcity.org.services import create_user
from gridcity.patrols import services as patrols
from gridcity.public import not_fixed, satisfaction
from gridcity.public.models import CitizenReport
from tests.cases.conftest import report_photo
from tests.conftest import DEMO_PASSWORD
from tests.scorecards.conftest import local

MINUTE = dt.timedelta(minutes=1)


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


PHOTO = _photo()


def citizen_link(case: Case) -> str:
    """A follow link of the case (a citizen's report of it), made once."""
    token = f"recount-{case.id}"
    if db.session.get(CitizenReport, case.id) is None:
        db.session.add(
            CitizenReport(
                id=case.id, case_id=case.id, kind="report", follow_token=token, created_at=case.reported_at
            )
        )
        db.session.flush()
    return token


def add_people() -> None:
    """More people than the mini city has: a second inspector in WG02, one in
    both work grids, second desk staff, and a dispatcher who never works."""
    create_user("insp3", DEMO_PASSWORD, "inspector", work_grid_codes=["WG02"])
    create_user("insp4", DEMO_PASSWORD, "inspector", work_grid_codes=["WG01", "WG02"])
    create_user("op2", DEMO_PASSWORD, "operator")
    create_user("lead2", DEMO_PASSWORD, "shift_leader")
    create_user("disp2", DEMO_PASSWORD, "dispatcher")
    create_user("disp3", DEMO_PASSWORD, "dispatcher")
    db.session.commit()


@dataclass(frozen=True)
class Side:
    """A street of the mini city: where its problems are, who patrols it, and
    who handles its exposed garbage (E0102)."""

    name: str
    positions: tuple[tuple[float, float], ...]
    inspectors: tuple[str, ...]
    garbage_unit: str


WEST = Side(
    "west",
    ((114.2425, 22.5785), (114.2415, 22.5765), (114.2445, 22.5745)),
    ("insp", "insp4"),
    "jd",
)
EAST = Side(
    "east",
    ((114.2495, 22.5785), (114.2482, 22.5772), (114.2505, 22.5792)),
    ("insp2", "insp3", "insp4"),
    "hw",
)
HANDLER_UNIT = {"hw": "HW", "sz": "SZ", "jd": "JD01"}


@dataclass
class Step:
    at: dt.datetime
    kind: str
    args: dict = field(default_factory=dict)


@dataclass
class History:
    """What was built: the cases per scenario, and the moments that matter."""

    seed: int
    freeze_at: dt.datetime
    end_at: dt.datetime
    scenarios: dict[int, str] = field(default_factory=dict)
    steps: int = 0


class Runner:
    """Runs the steps of every scenario in time order through the services."""

    def __init__(self, driver, history: History, on_freeze):
        self.d = driver
        self.history = history
        self.on_freeze = on_freeze
        self.unit_ids = dict(db.session.execute(db.select(Unit.code, Unit.id)).all())

    def run(self, scripts: list) -> None:
        heap: list = []
        order = itertools.count()
        self.d.now = None  # a new history: the clock starts with its first step
        for gen in scripts:
            self._push(heap, order, gen, lambda g: next(g))
        while heap:
            at, _, gen, step = heapq.heappop(heap)
            if at > self.history.end_at:
                continue
            self.d.at(max(at, self.d.now or at))
            try:
                result = self.execute(step)
            except Exception as error:
                raise AssertionError(f"seed {self.history.seed}: {step} failed: {error!r}") from error
            self.history.steps += 1
            self._push(heap, order, gen, lambda g, r=result: g.send(r))
        db.session.commit()

    @staticmethod
    def _push(heap, order, gen, advance) -> None:
        try:
            step = advance(gen)
        except StopIteration:
            return
        heapq.heappush(heap, (step.at, next(order), gen, step))

    def execute(self, step: Step):
        k, a, d = step.kind, step.args, self.d
        if k == "sweep":
            d.sweep(d.now)
            return True
        if k == "freeze":
            db.session.commit()
            self.on_freeze()
            return True
        if k == "report":
            return self.report(**a)
        case = db.session.get(Case, a["case"])
        if k in ("not_fixed", "rate"):  # a citizen, by the case's follow link
            token = citizen_link(case)
            if k == "not_fixed":
                not_fixed.claim_not_fixed(token, [PHOTO], "又坏了")
            else:
                satisfaction.rate(token, a["rating"])
            db.session.flush()
            return True
        actor = d.user(a["who"])
        if k == "merge":
            services.merge(case, actor, db.session.get(Case, a["into"]))
        elif k == "rework":
            services.rework(case, actor, "不符合结案标准")
        elif k == "accept":
            services.accept(case, actor)
        elif k == "verify":
            services.verify(case, actor, a["passed"], "" if a["passed"] else "核实不属实")
        elif k == "file":
            services.file_case(case, actor)
        elif k == "void":
            services.void(case, actor, "不属于立案标准")
        elif k == "dispatch":
            unit = a.get("unit")
            services.dispatch(case, actor, self.unit_ids[unit] if unit else None, "改派" if unit else "")
        elif k == "unit_accept":
            services.unit_accept(case, actor)
        elif k == "handle":
            services.handle(case, actor, "已处理", photos=[PHOTO])
        elif k == "check":
            services.check(case, actor, a["passed"], "" if a["passed"] else "未整改到位", photos=[PHOTO])
        elif k == "close":
            services.close(case, actor)
        elif k == "request":
            services.request_change(
                case, actor, a["kind"], "原因", extra_amount=a.get("extra"), review_on=a.get("review_on")
            )
        elif k == "decide":
            services.decide(case, actor, a.get("approve", True))
        elif k == "resume":
            services.resume(case, actor)
        elif k == "recheck":
            not_fixed.recheck(
                case, actor, a["not_fixed"], "仍未修复" if a["not_fixed"] else "", photos=[PHOTO]
            )
        else:
            raise AssertionError(k)
        db.session.flush()
        return True

    def report(self, who, position, category, patrol=None) -> int:
        reporter = self.d.user(who)
        patrol_id = None
        if patrol:
            patrol_id = patrols.start_patrol(reporter, patrol).id
        source = "patrol" if patrol else "inspector" if reporter.role == "inspector" else "hotline"
        result = services.submit_report(
            services.Report(
                category=category,
                lon=position[0],
                lat=position[1],
                source=source,
                patrol_id=patrol_id,
                # An inspector's report carries its photo, as the app sends it.
                photos=[report_photo()] if reporter.role == "inspector" else [],
            ),
            reporter,
        )
        if patrol_id:
            patrols.stop_patrol(patrols.get_patrol(patrol_id), reporter)
        db.session.flush()
        return result.case.id


# ---------------------------------------------------------------- reading what the services decided


def deadline_of(case_id: int) -> dt.datetime | None:
    return db.session.get(Case, case_id).deadline_at


def open_task_due(case_id: int) -> dt.datetime:
    return db.session.scalar(
        db.select(CaseTask.due_at).where(CaseTask.case_id == case_id, CaseTask.completed_at.is_(None))
    )


def around(rng: random.Random, deadline: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """A moment near a deadline: well before, a little before, exactly at,
    just after (before any sweep, mostly), or long after."""
    if deadline is None:
        return now + rng.randint(5, 90) * MINUTE
    mode = rng.choices(["early", "before", "at", "just_after", "late"], [35, 10, 6, 30, 19])[0]
    if mode == "early":
        room = max(int((deadline - now) / MINUTE), 2)
        moment = now + rng.randint(1, max(1, room * 3 // 4)) * MINUTE
    elif mode == "before":
        moment = deadline - rng.randint(1, 5) * MINUTE
    elif mode == "at":
        moment = deadline
    elif mode == "just_after":
        moment = deadline + rng.randint(1, 15) * MINUTE
    else:
        moment = deadline + rng.randint(60, 3000) * MINUTE
    return max(moment, now + MINUTE)


DESK_GAPS = (5, 20, 29, 30, 31, 45, 59, 60, 61, 90, 600)


class Scenarios:
    """The scenarios; each method is a generator of :class:`Step`."""

    def __init__(self, rng: random.Random, twin: bool = False):
        self.rng = rng
        # A twin draws the same numbers on either side, so every choice must
        # be among as many options on both.
        self.twin = twin

    def inspectors(self, side: Side) -> tuple[str, ...]:
        return side.inspectors[:1] if self.twin else side.inspectors

    # ------------------------------------------------------------ pieces

    def gap(self, now: dt.datetime, choices=DESK_GAPS) -> dt.datetime:
        return now + self.rng.choice(choices) * MINUTE

    def report(self, at, side: Side, who=None, category=None, patrol=None, position=None):
        r = self.rng
        other = "insp" if side is EAST else "insp2"
        who = who or r.choice([*self.inspectors(side), side.inspectors[0], "op", "op2", other])
        category = category or r.choice(["C0101", "E0102", "E0102"])
        position = position or r.choice(side.positions)
        case = yield Step(
            at, "report", {"who": who, "position": position, "category": category, "patrol": patrol}
        )
        return case, who

    def desk(self, case: int, at: dt.datetime, side: Side, who: str, void_chance=0.08):
        """Accept (→ verify for public reports) → file → dispatch; None if the
        case stops here (voided, or a failed verify)."""
        r = self.rng
        at = self.gap(at, (5, 20, 29, 30, 31, 45, 600))
        yield Step(at, "accept", {"case": case, "who": r.choice(["op", "op2"])})
        if who.startswith("op"):
            due = open_task_due(case)
            at = around(r, due, at)
            passed = r.random() > 0.15
            yield Step(at, "verify", {"case": case, "who": r.choice(self.inspectors(side)), "passed": passed})
            if not passed:
                return None
        if r.random() < void_chance:
            yield Step(self.gap(at), "void", {"case": case, "who": r.choice(["lead", "op", "lead2"])})
            return None
        at = self.gap(at, (10, 30, 59, 60, 61, 90))
        yield Step(at, "file", {"case": case, "who": r.choice(["lead", "lead2"])})
        at = self.gap(at, (10, 30, 59, 60, 61, 120))
        yield Step(at, "dispatch", {"case": case, "who": r.choice(["disp", "disp", "disp2"])})
        return at

    def handling(self, case: int, at: dt.datetime, handler: str, side: Side, checks_left=3):
        """The unit's part and the checks, with reworks, until closed."""
        r = self.rng
        at = self.gap(at, (3, 10, 30))
        yield Step(at, "unit_accept", {"case": case, "who": handler})
        while True:
            at = around(r, deadline_of(case), at)
            yield Step(at, "handle", {"case": case, "who": handler})
            at = around(r, open_task_due(case), at)
            passed = checks_left <= 1 or r.random() > 0.35
            checks_left -= 1
            yield Step(at, "check", {"case": case, "who": r.choice(self.inspectors(side)), "passed": passed})
            if not passed:
                continue
            at = self.gap(at, (10, 30, 59, 60, 61, 200))
            if checks_left > 0 and r.random() < 0.12:
                yield Step(at, "rework", {"case": case, "who": r.choice(["lead", "lead2"])})
                checks_left -= 1
                continue
            yield Step(at, "close", {"case": case, "who": r.choice(["lead", "lead2"])})
            # Closed is not fixed (issue 18): a citizen says so within the
            # window; the inspector's re-verification reopens it as rework
            # (a failed fix for the unit) or finds it fixed. Citizens rate.
            if r.random() < 0.12:
                at = self.gap(at, (30, 600, 3000))
                yield Step(at, "not_fixed", {"case": case})
                at = self.gap(at, (20, 90, 600))
                reopened = r.random() < 0.6
                yield Step(
                    at,
                    "recheck",
                    {"case": case, "who": r.choice(self.inspectors(side)), "not_fixed": reopened},
                )
                if reopened:
                    continue
            if r.random() < 0.25:
                at = self.gap(at, (15, 240, 2000))
                yield Step(
                    at, "rate", {"case": case, "rating": r.choice(["satisfied", "basic", "unsatisfied"])}
                )
            return

    def handler_for(self, case_category: str, side: Side) -> str:
        return "sz" if case_category == "C0101" else side.garbage_unit

    # ------------------------------------------------------------ scenarios

    def plain(self, at, side, **report):
        case, who = yield from self.report(at, side, **report)
        category = db.session.get(Case, case).category.code
        at = yield from self.desk(case, at, side, who)
        if at is None:
            return
        yield from self.handling(case, at, self.handler_for(category, side), side)

    def returned(self, at, side):
        """Dispatched to SZ, often let go overdue, returned and re-dispatched
        to another unit, which is judged on its own clock."""
        r = self.rng
        case, who = yield from self.report(at, side, category="C0101")
        at = yield from self.desk(case, at, side, who, void_chance=0)
        if at is None:
            return
        if r.random() < 0.5:
            at = self.gap(at, (5, 20))
            yield Step(at, "unit_accept", {"case": case, "who": "sz"})
        at = around(r, deadline_of(case), at)
        yield Step(at, "request", {"case": case, "who": "sz", "kind": "return"})
        at = self.gap(at, (5, 30, 200))
        yield Step(at, "decide", {"case": case, "who": r.choice(["disp", "lead"])})
        at = self.gap(at, (10, 59, 60, 61, 180))
        target = side.garbage_unit
        yield Step(
            at, "dispatch", {"case": case, "who": r.choice(["disp", "disp2"]), "unit": HANDLER_UNIT[target]}
        )
        yield from self.handling(case, at, target, side)

    def extended(self, at, side):
        """An extension asked for before or after the deadline, approved at
        once or after the deadline passed."""
        r = self.rng
        case, who = yield from self.report(at, side, category=r.choice(["C0101", "E0102"]))
        category = db.session.get(Case, case).category.code
        handler = self.handler_for(category, side)
        at = yield from self.desk(case, at, side, who, void_chance=0)
        if at is None:
            return
        at = self.gap(at, (3, 10))
        yield Step(at, "unit_accept", {"case": case, "who": handler})
        deadline = deadline_of(case)
        if r.random() < 0.6:
            at = max(at + MINUTE, deadline - r.randint(1, 40) * MINUTE)
        else:
            at = deadline + r.randint(1, 60) * MINUTE
        yield Step(
            at, "request", {"case": case, "who": handler, "kind": "extension", "extra": r.choice([1, 2, 3])}
        )
        if r.random() < 0.5:
            at = at + r.randint(1, 15) * MINUTE
        else:
            at = max(at, deadline) + r.randint(1, 30) * MINUTE
        yield Step(
            at, "decide", {"case": case, "who": r.choice(["lead", "disp"]), "approve": r.random() > 0.1}
        )
        yield from self.handling_after_accept(case, at, handler, side)

    def handling_after_accept(self, case, at, handler, side):
        r = self.rng
        checks_left = 3
        while True:
            at = around(r, deadline_of(case), at)
            yield Step(at, "handle", {"case": case, "who": handler})
            at = around(r, open_task_due(case), at)
            passed = checks_left <= 1 or r.random() > 0.4
            checks_left -= 1
            yield Step(at, "check", {"case": case, "who": r.choice(self.inspectors(side)), "passed": passed})
            if passed:
                yield Step(self.gap(at), "close", {"case": case, "who": r.choice(["lead", "lead2"])})
                return

    def suspended(self, at, side):
        """A suspension (挂账) across a holiday, resumed after it (or never)."""
        r = self.rng
        case, who = yield from self.report(at, side, category="E0102", who=side.inspectors[0])
        handler = side.garbage_unit
        at = yield from self.desk(case, at, side, who, void_chance=0)
        if at is None:
            return
        at = self.gap(at, (3, 10))
        yield Step(at, "unit_accept", {"case": case, "who": handler})
        at = around(r, deadline_of(case), at) if r.random() < 0.3 else self.gap(at, (10, 30, 60))
        review = at + dt.timedelta(days=r.randint(3, 12))
        yield Step(at, "request", {"case": case, "who": handler, "kind": "suspension", "review_on": review})
        at = self.gap(at, (10, 30, 90))
        yield Step(at, "decide", {"case": case, "who": r.choice(["lead", "disp"])})
        if r.random() < 0.2:
            return  # still suspended
        at = review + r.randint(-600, 600) * MINUTE
        yield Step(at, "resume", {"case": case, "who": r.choice(["lead", "disp"])})
        yield from self.handling_after_accept(case, at, handler, side)

    def duplicate(self, at, side):
        """Two reports of one problem merged: a hotline duplicate into the
        inspector's own earlier case (no miss), or the hotline's first report
        into the inspector's later one (a miss), or another grid's
        inspector's; the merge may fall in the next month."""
        r = self.rng
        position = r.choice(side.positions)
        own = side.inspectors[0]
        other = "insp" if side is EAST else "insp2"
        first_who, second_who = r.choice([(own, "op"), ("op2", own), (own, other), (other, own)])
        category = r.choice(["C0101", "E0102"])
        first, _ = yield from self.report(at, side, who=first_who, category=category, position=position)
        at = self.gap(at, (10, 30, 50))
        second, _ = yield from self.report(at, side, who=second_who, category=category, position=position)
        dup, kept, kept_who = (second, first, first_who) if r.random() < 0.5 else (first, second, second_who)
        at = at + r.choice([5, 15, 60 * 26]) * MINUTE
        yield Step(at, "merge", {"case": dup, "who": "op", "into": kept})
        at = yield from self.desk(case=kept, at=at, side=side, who=kept_who, void_chance=0.1)
        if at is None:
            return
        yield from self.handling(kept, at, self.handler_for(category, side), side)

    def voided_later(self, at, side):
        """A report voided (or dropped by a failed verify) the next day — in
        the next month when reported at the month's end."""
        r = self.rng
        case, who = yield from self.report(at, side)
        at = at + r.choice([30, 60 * 20]) * MINUTE
        if r.random() < 0.5:
            yield Step(at, "void", {"case": case, "who": r.choice(["op", "op2"])})
            return
        yield Step(at, "accept", {"case": case, "who": "op"})
        at = at + r.choice([20, 60 * 24]) * MINUTE
        if who.startswith("op"):
            yield Step(at, "verify", {"case": case, "who": self.inspectors(side)[-1], "passed": False})
        else:
            yield Step(at, "void", {"case": case, "who": r.choice(["lead", "op"])})

    def patrol(self, at, side):
        r = self.rng
        kind = r.choice(["night", "holiday", "month_end", "daily"])
        yield from self.plain(at, side, who=r.choice(self.inspectors(side)), patrol=kind)


def build(driver, seed: int, on_freeze) -> History:
    """Build seed's history; ``on_freeze`` runs at the moment September is
    frozen (early in October, with October already under way)."""
    rng = random.Random(seed)
    freeze_at = local(1, 0, 10, month=10) + rng.randint(0, 34 * 60) * MINUTE
    end_at = local(12, 9, month=10) + rng.randint(0, 8 * 24 * 60) * MINUTE
    history = History(seed, freeze_at, end_at)
    sc = Scenarios(rng)
    scripts: list = []

    def start_in(first_day: int, last_day: int, month: int = 9) -> dt.datetime:
        day = rng.randint(first_day, last_day)
        return local(day, rng.randint(7, 22), rng.randint(0, 59), month=month)

    def anywhere() -> dt.datetime:
        return start_in(1, 30) if rng.random() < 0.6 else start_in(1, 18, month=10)

    # One seed in five is all twins: every story happens in both streets.
    mirror = seed % 5 == 0
    kinds = [
        (sc.plain, anywhere, 4),
        (sc.returned, anywhere, 2),
        (sc.extended, anywhere, 3),
        (sc.duplicate, anywhere, 2),
        (sc.voided_later, anywhere, 2),
        (sc.patrol, anywhere, 1),
    ]
    for make, when, n in kinds:
        for _ in range(rng.randint(n // 2 if mirror else max(1, n - 1), (n + 1) // 2 if mirror else n + 1)):
            if mirror:
                twin_seed, start = rng.random(), when()
                for side in (WEST, EAST):
                    twin = Scenarios(random.Random(twin_seed), twin=True)
                    scripts.append(getattr(twin, make.__name__)(start, side))
            else:
                scripts.append(make(when(), rng.choice([WEST, EAST])))
    # Across the holidays: suspended before Mid-Autumn / National Day.
    scripts.append(sc.suspended(start_in(22, 24), rng.choice([WEST, EAST])))
    scripts.append(sc.suspended(start_in(28, 30), rng.choice([WEST, EAST])))
    # At the month's end: a manhole cover dispatched late on 30 September.
    scripts.append(sc.plain(local(30, 21, rng.randint(0, 59)), rng.choice([WEST, EAST]), category="C0101"))
    scripts.append(sc.voided_later(local(30, 23, rng.randint(0, 50)), rng.choice([WEST, EAST])))
    scripts.append(sc.duplicate(local(30, 22, rng.randint(0, 50)), rng.choice([WEST, EAST])))
    # Twins: the same story in both streets at the same moments (ties).
    for _ in range(rng.randint(1, 2)):
        twin_seed, start = rng.random(), anywhere()
        for side in (WEST, EAST):
            twin = Scenarios(random.Random(twin_seed), twin=True)
            scripts.append(twin.plain(start, side, who=side.inspectors[0], category="E0102"))

    def sweeper():
        moment = local(1, 0)
        while True:
            moment += rng.randint(12 * 60, 72 * 60) * MINUTE
            yield Step(moment, "sweep")

    def freezer():
        yield Step(freeze_at, "freeze")

    scripts += [sweeper(), freezer()]
    Runner(driver, history, on_freeze).run(scripts)
    return history
