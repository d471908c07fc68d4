"""A working day of the district, played against a running server through
its public HTTP API, one signed-in session per demo user.

Inspectors report problems inside their own work grids at a rate that follows
the office day (a morning and an afternoon peak) with the usual category mix
— mostly exposed garbage, small ads, street vending —; the hotline adds a few
reports that need an inspector's on-site verification. A watcher polls the
open cases (``GET /api/v1/cases``) every few simulated minutes and gives each
case's next step to the role that takes it, after a human reaction time:
operators accept (or void a duplicate), shift leaders file and close,
dispatchers dispatch and decide the units' requests, unit handlers accept and
handle with a proof photo (some late; some ask for an extension, a few for a
suspension or a return — a returned case goes to another unit), inspectors
verify and check — and fail some checks, which sends the case back for rework;
now and then a shift leader sends a checked case back too, and resumes the
suspended ones.

Simulated time runs ``speed`` times faster than the wall clock. The server
keeps its own (real) clock, so deadlines are the server's: a unit that is
"late" here takes hours of simulated time, which is only late on the server
when the simulation runs at, or near, real speed.

Deterministic for a seed: the reports (when, who, where, what) come from one
random stream, and each case's next step from a stream named by the seed, the
case and its version.
"""

from __future__ import annotations

import datetime as dt
import heapq
import io
import itertools
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from gridcity.simulate.client import DEMO_PASSWORD, ApiError, ApiSession, field_photo

# What inspectors find, weighted as in a typical month of a Chinese district:
# city-appearance and street-order events dominate, components are rarer.
CATEGORY_MIX: tuple[tuple[str, int], ...] = (
    ("E0102", 18),  # exposed garbage 暴露垃圾
    ("E0201", 14),  # illegal small-ad posting 非法小广告
    ("E0401", 11),  # unlicensed street vendor 无照经营游商
    ("E0402", 9),  # business outside the shop 店外经营
    ("E0404", 7),  # illegal parking 乱停放
    ("E0104", 6),  # dirty road 道路不洁
    ("E0103", 5),  # accumulated garbage and muck 积存垃圾渣土
    ("E0405", 4),  # disorderly bicycle parking 非机动车乱停放
    ("E0205", 3),  # unauthorised banner 违规横幅
    ("E0406", 3),  # illegal piling of materials 乱堆物料
    ("E0304", 2),  # spillage on road 道路遗撒
    ("C0304", 4),  # litter bin 果皮箱
    ("C0305", 2),  # waste container 垃圾间（楼）
    ("C0112", 3),  # street light 路灯
    ("C0102", 2),  # sewage manhole cover 污水井盖
    ("C0402", 2),  # street tree 行道树
    ("E0503", 1),  # missing manhole cover 井盖缺失
    ("E0502", 1),  # road waterlogging 道路积水
)
# Reports per inspector per hour at the day's peak, and the day's profile
# (local hour → share of the peak): patrols start at 8, lunch, a second peak.
REPORTS_PER_INSPECTOR_HOUR = 1.0
DAY_PROFILE = {7: 0.3, 8: 0.8, 9: 1.0, 10: 1.0, 11: 0.9, 12: 0.3, 13: 0.4, 14: 0.9, 15: 1.0, 16: 0.9, 17: 0.6}
NIGHT = 0.05
HOTLINE_SHARE = 0.08  # of all reports: citizens' calls, verified on site
OPEN = ("reported", "verifying", "accepted", "filed", "dispatched", "in_progress", "handled", "checked")
ALL_STATES = (*OPEN, "suspended", "voided", "merged", "closed")
# What a unit asks for on a dispatched case (share of cases), and how often the centre agrees.
REQUESTS = (
    ("extension", 0.06, 0.8, {"extra_amount": 2, "reason": "需协调其他部门配合"}),
    ("return", 0.02, 0.7, {"reason": "不属于本单位职责范围"}),
    ("suspension", 0.01, 0.7, {"reason": "需待管线改造后处理"}),
)
DECISION_NOTES = {
    "extension": ("同意延期", "不予延期"),
    "return": ("同意回退，另行派遣", "属于本单位职责，不予回退"),
    "suspension": ("同意挂账", "不予挂账，请按期处置"),
}
MINUTE = 60.0


@dataclass
class Plan:
    """A case's next step: who takes which action, after how long."""

    delay_s: float
    username: str
    action: str
    data: dict = field(default_factory=dict)
    photo: bool = False
    outcome: str = ""  # counted apart in the summary: "fail", "late"


@dataclass
class Config:
    url: str
    speed: float = 60.0
    duration_s: float = 10 * 3600.0
    seed: int = 1
    rate: float = 1.0  # multiplies the report rate
    start: dt.time = dt.time(8, 0)
    poll_s: float = 5 * MINUTE  # simulated time between two looks at the open cases
    password: str = DEMO_PASSWORD
    timezone: str = "Asia/Shanghai"


class Simulation:
    def __init__(self, config: Config, echo: Callable[[str], None] = print):
        self.config = config
        self.echo = echo
        self.rng = random.Random(config.seed)
        self.sessions: dict[str, ApiSession] = {}
        self.done: Counter = Counter()  # action → how many succeeded
        self.refused: Counter = Counter()  # "action status" → how many the server refused
        self.planned: set[tuple[int, int]] = set()  # (case id, version) given a next step
        self.requested: set[int] = set()  # cases whose unit asked for something
        self.queue: list = []
        self.order = itertools.count()
        self.photos = itertools.count(1)
        self.day = dt.datetime.combine(dt.date.today(), config.start, ZoneInfo(config.timezone))

    # ------------------------------------------------------------ set-up

    def session(self, username: str) -> ApiSession:
        if username not in self.sessions:
            self.sessions[username] = ApiSession(self.config.url, username, self.config.password).login()
        return self.sessions[username]

    def load_city(self) -> None:
        import shapely

        admin = self.session("admin")
        users = admin.get("/api/v1/users")
        by_role: dict[str, list[dict]] = {}
        for user in users:
            by_role.setdefault(user["role"], []).append(user)
        self.operators = [u["username"] for u in by_role.get("operator", [])]
        self.leaders = [u["username"] for u in by_role.get("shift_leader", [])]
        self.dispatchers = [u["username"] for u in by_role.get("dispatcher", [])]
        self.handlers: dict[int, list[str]] = {}
        for u in by_role.get("unit_handler", []):
            if u["unit"]:
                self.handlers.setdefault(u["unit"]["id"], []).append(u["username"])
        self.inspectors = [u for u in by_role.get("inspector", []) if u["scope"]["work_grids"]]
        self.grid_inspectors: dict[int, list[str]] = {}
        for u in self.inspectors:
            for w in u["scope"]["work_grids"]:
                self.grid_inspectors.setdefault(w["id"], []).append(u["username"])
        features = admin.get("/api/v1/geo/work-grids")["features"]
        self.grids = {f["properties"]["id"]: shapely.geometry.shape(f["geometry"]) for f in features}
        missing = [
            name
            for name, found in (
                ("operator", self.operators),
                ("shift leader", self.leaders),
                ("dispatcher", self.dispatchers),
                ("inspector with a work grid", self.inspectors),
                ("unit handler", self.handlers),
            )
            if not found
        ]
        if missing:
            raise RuntimeError(f"the server has no {', '.join(missing)}: load the demo city first")

    # ------------------------------------------------------------ the clock

    def local(self, t: float) -> dt.datetime:
        return self.day + dt.timedelta(seconds=t)

    def profile(self, t: float) -> float:
        return DAY_PROFILE.get(self.local(t).hour, NIGHT)

    def push(self, t: float, kind: str, payload=None) -> None:
        heapq.heappush(self.queue, (t, next(self.order), kind, payload))

    # ------------------------------------------------------------ reports

    def next_report(self, t: float) -> float:
        """Arrivals of a Poisson process following the day's profile (thinning)."""
        peak = REPORTS_PER_INSPECTOR_HOUR * len(self.inspectors) * self.config.rate / (1 - HOTLINE_SHARE)
        while True:
            t += self.rng.expovariate(peak / 3600.0)
            if self.rng.random() < self.profile(t) or t > self.config.duration_s:
                return t

    def point_in(self, grid_id: int) -> tuple[float, float]:
        import shapely

        geom = self.grids[grid_id]
        west, south, east, north = geom.bounds
        for _ in range(100):
            x, y = self.rng.uniform(west, east), self.rng.uniform(south, north)
            if geom.contains(shapely.Point(x, y)):
                return round(x, 6), round(y, 6)
        point = geom.representative_point()
        return round(point.x, 6), round(point.y, 6)

    def report(self, t: float) -> None:
        codes, weights = zip(*CATEGORY_MIX)
        category = self.rng.choices(codes, weights)[0]
        if self.rng.random() < HOTLINE_SHARE:
            username = self.rng.choice(self.operators)
            grid = self.rng.choice(sorted(self.grid_inspectors))
            body = {"source": "hotline", "description": "市民热线反映", "reporter_contact": "138****0000"}
            photos = []
        else:
            inspector = self.rng.choice(self.inspectors)
            username = inspector["username"]
            grid = self.rng.choice(inspector["scope"]["work_grids"])["id"]
            body = {"description": "巡查发现"}
            # An inspector's report carries its photo; one shared picture,
            # stored once, keeps a simulated month's media small.
            photos = [field_photo()]
        lon, lat = self.point_in(grid)
        key = str(uuid.UUID(int=self.rng.getrandbits(128)))
        self.call(
            "report",
            lambda: self.session(username).report(
                {"category": category, "lon": lon, "lat": lat, "accuracy_m": 8.0, **body},
                photos,
                headers={"Idempotency-Key": key},
            ),
        )

    # ------------------------------------------------------------ the loop

    def plan(self, case: dict) -> Plan | None:
        rng = random.Random(f"{self.config.seed}/{case['id']}/{case['version']}")
        state = case["state"]

        def minutes(low: float, high: float) -> float:
            return rng.uniform(low, high) * MINUTE

        def grid_inspector() -> str | None:
            names = self.grid_inspectors.get(case["work_grid_id"])
            return rng.choice(names) if names else None

        if state == "reported":
            if case["source"] != "hotline" and rng.random() < 0.04:
                return Plan(minutes(2, 12), rng.choice(self.operators), "void", {"reason": "重复上报"})
            return Plan(minutes(2, 12), rng.choice(self.operators), "accept")
        if state == "verifying":
            who = grid_inspector()
            passed = rng.random() < 0.88
            note = "现场核实属实" if passed else "现场核实不属实"
            return who and Plan(
                minutes(15, 60), who, "verify", {"result": "pass" if passed else "fail", "note": note}
            )
        if state == "accepted":
            if rng.random() < 0.03:
                return Plan(minutes(5, 20), rng.choice(self.leaders), "void", {"reason": "不属于受理范围"})
            return Plan(minutes(5, 20), rng.choice(self.leaders), "file")
        if state == "filed":
            if case["counts"]["return"]:  # its unit gave it back: another unit takes it
                other = rng.choice(sorted(self.handlers))
                data = {"unit_id": other, "reason": "原单位回退，改派"}
                return Plan(minutes(3, 15), rng.choice(self.dispatchers), "dispatch", data)
            return Plan(minutes(3, 15), rng.choice(self.dispatchers), "dispatch")
        unit = (case.get("unit") or {}).get("id")
        if state == "dispatched" and unit in self.handlers:
            who = rng.choice(self.handlers[unit])
            draw = rng.random()
            if case["id"] not in self.requested:
                for kind, share, _, data in REQUESTS:
                    if draw < share:
                        self.requested.add(case["id"])
                        if kind == "suspension":  # reviewed on the server's calendar
                            review = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
                            data = {**data, "review_on": review.isoformat()}
                        return Plan(minutes(10, 40), who, "request", {"kind": kind, **data})
                    draw -= share
            return Plan(minutes(10, 45), who, "unit_accept")
        if state == "in_progress" and unit in self.handlers:
            late = rng.random() < 0.12
            delay = minutes(300, 540) if late else minutes(30, 150)
            return Plan(
                delay,
                rng.choice(self.handlers[unit]),
                "handle",
                {"note": "已处置"},
                photo=True,
                outcome="late" * late,
            )
        if state == "handled":
            who = grid_inspector()
            passed = rng.random() < 0.85
            note = "核查通过" if passed else "未处置到位，返工"
            return who and Plan(
                minutes(15, 60),
                who,
                "check",
                {"result": "pass" if passed else "fail", "note": note},
                photo=True,
            )
        if state == "checked":
            if rng.random() < 0.03:
                reason = "核查照片显示仍未处置到位"
                return Plan(minutes(5, 30), rng.choice(self.leaders), "rework", {"reason": reason})
            return Plan(minutes(5, 30), rng.choice(self.leaders), "close", {"note": "结案"})
        if state == "suspended":
            return Plan(minutes(60, 240), rng.choice(self.leaders), "resume", {"note": "条件具备，恢复处置"})
        return None

    def open_cases(self) -> list[dict]:
        watcher = self.session(self.dispatchers[0])
        items, offset = [], 0
        while True:
            page = watcher.get(
                "/api/v1/cases", state=",".join((*OPEN, "suspended")), limit=500, offset=offset, sort="id"
            )
            items += page["items"]
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return items

    def poll(self, t: float) -> None:
        cases = self.call("poll", self.open_cases) or []
        for case in cases:
            key = (case["id"], case["version"])
            if key in self.planned:
                continue
            self.planned.add(key)
            plan = self.plan(case)
            if plan:
                self.push(t + plan.delay_s, "step", (case, plan))

    def step(self, t: float, case: dict, plan: Plan) -> None:
        photos = [self.photo()] if plan.photo else []
        result = self.call(
            plan.action,
            lambda: self.session(plan.username).act(case, plan.action, photos=photos, **plan.data),
        )
        outcome = plan.outcome or ("fail" if plan.data.get("result") == "fail" else "")
        if result and outcome:
            self.done[f"{plan.action} ({outcome})"] += 1
        if result and plan.action == "request":
            # the centre answers the request a little later
            kind = plan.data["kind"]
            rng = random.Random(f"{self.config.seed}/{case['id']}/decide")
            approve = rng.random() < next(agree for k, _, agree, _ in REQUESTS if k == kind)
            self.done[f"request ({kind})"] += 1
            decision = {"approve": approve, "note": DECISION_NOTES[kind][0 if approve else 1]}
            self.push(t + rng.uniform(10, 30) * MINUTE, "decide", (case["id"], decision))

    def decide(self, case_id: int, decision: dict) -> None:
        dispatcher = self.session(self.dispatchers[0])
        case = self.call("decide", lambda: dispatcher.get(f"/api/v1/cases/{case_id}"))
        if case and "decide" in case["allowed_actions"]:
            self.call("decide", lambda: dispatcher.act(case, "decide", **decision))

    def photo(self) -> bytes:
        from PIL import Image

        n = next(self.photos)
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), ((n * 37) % 256, (n * 91) % 256, (n * 13 + n // 256) % 256)).save(
            buffer, "JPEG"
        )
        return buffer.getvalue()

    def call(self, action: str, fn):
        try:
            result = fn()
        except ApiError as error:
            self.refused[f"{action} {error.status}"] += 1
            return None
        if action != "poll":
            self.done[action] += 1
        return result

    def run(self) -> dict:
        config = self.config
        self.load_city()
        self.push(self.next_report(0.0), "report")
        self.push(0.0, "poll")
        self.push(3600.0, "progress")
        started = time.monotonic()
        lag = 0.0
        while self.queue:
            t, _, kind, payload = heapq.heappop(self.queue)
            if t > config.duration_s:
                break
            wait = started + t / config.speed - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            else:
                lag = max(lag, -wait)
            if kind == "report":
                self.report(t)
                self.push(self.next_report(t), "report")
            elif kind == "poll":
                self.poll(t)
                self.push(t + config.poll_s, "poll")
            elif kind == "step":
                self.step(t, *payload)
            elif kind == "decide":
                self.decide(*payload)
            elif kind == "progress":
                self.echo(f"{self.local(t):%H:%M} {self.line()}")
                self.push(t + 3600.0, "progress")
        states = self.states()
        summary = {
            "seed": config.seed,
            "speed": config.speed,
            "simulated_hours": round(config.duration_s / 3600, 2),
            "wall_seconds": round(time.monotonic() - started, 1),
            "max_lag_seconds": round(lag, 2),
            "actions": dict(sorted(self.done.items())),
            "refused": dict(sorted(self.refused.items())),
            "states": states,
        }
        if config.duration_s % 3600:
            self.echo(f"{self.local(config.duration_s):%H:%M} {self.line()}")
        self.echo("cases by state: " + ", ".join(f"{s} {n}" for s, n in states.items() if n))
        return summary

    def line(self) -> str:
        return " · ".join(f"{a} {n}" for a, n in sorted(self.done.items())) or "nothing yet"

    def states(self) -> dict[str, int]:
        watcher = self.session(self.dispatchers[0])
        return {s: watcher.get("/api/v1/cases", state=s, limit=1)["total"] for s in ALL_STATES}


def parse_span(text: str) -> float:
    """``90m``, ``10h``, ``600s`` or plain minutes → seconds."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if text and text[-1] in units:
            value = float(text[:-1]) * units[text[-1]]
        else:
            value = float(text) * 60
    except ValueError:
        raise ValueError(f"{text!r}: use e.g. 90m, 10h or 600s") from None
    if value <= 0:
        raise ValueError(f"{text!r}: must be positive")
    return value
