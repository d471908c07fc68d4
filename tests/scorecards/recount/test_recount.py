"""Issue 13, build point 2: the engine's counts against an independent recount
(``counter.py``, written from DOMAIN §7.1 alone) over random adversarial
histories (``generator.py``), on every configured database.

For each seed: September frozen early in October (its figures and every
drill-down compared with the recount of the log as it stood then), September
recomputed live at the end (figures), and October live (figures and a sample
of drill-downs: a live drill-down recomputes the month, so each seed checks a
different few). Every rate lies in 0..1; equal scores share a rank. All
disagreements of all seeds are reported together, each with its seed, month,
tier, subject, count, both values and the cases behind them.

``GRIDCITY_RECOUNT_SEEDS`` (e.g. ``0-199``) runs other seeds.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from gridcity.cases.models import CaseEvent
from gridcity.extensions import db
from gridcity.models import metadata
from gridcity.org.models import User
from gridcity.scorecards.counting.counts import TIER_COUNTS
from gridcity.scorecards.snapshots import services
from tests.scorecards.recount.counter import TIMEZONE, recount
from tests.scorecards.recount.generator import add_people, build

SEPTEMBER, OCTOBER = "2026-09", "2026-10"
LIVE_DRILLS_PER_SEED = 4
ZERO_DRILLS = 0.25  # the share of a frozen month's zero figures drilled
# Rows of these tables are one history; the city, people and rules stay.
HISTORY_TABLES = {
    "citizen_rating",
    "not_fixed_claim",
    "photo_publication",
    "citizen_report",
    "scorecard_appeal_photo",
    "scorecard_appeal_event",
    "scorecard_appeal",
    "scorecard_facts",
    "scorecard_row",
    "contest_result",
    "scorecard_version",
    "photo",
    "case_request",
    "case_task",
    "case_event",
    "open311_request",
    "case_file",
    "patrol_unit_grid",
    "patrol_point",
    "patrol",
    "audit_entry",
}


def seeds() -> list[int]:
    spec = os.environ.get("GRIDCITY_RECOUNT_SEEDS", "0-19")
    first, _, last = spec.partition("-")
    return list(range(int(first), int(last or first) + 1))


@dataclass
class Problem:
    seed: int
    month: str
    what: str  # "frozen v1", "live"
    tier: str
    subject: str
    count: str
    engine: object
    recount: object
    cases: str = ""
    log: str = ""

    def __str__(self) -> str:
        return (
            f"seed {self.seed} {self.month} ({self.what}) {self.tier} {self.subject} {self.count}: "
            f"engine {self.engine}, recount {self.recount}{self.cases}"
        )


def forget_history() -> None:
    for table in reversed(metadata.sorted_tables):
        if table.name in HISTORY_TABLES:
            db.session.execute(delete(table))
    db.session.commit()


class Checker:
    def __init__(self, seed: int):
        self.seed = seed
        self.problems: list[Problem] = []
        self.rng = random.Random(seed)
        self.names = dict(db.session.execute(select(User.id, User.username)).all())

    def subject(self, tier: str, subject_id: int, row) -> str:
        label = (
            row.subject_code
            if row is not None
            else self.names.get(subject_id, "")
            if tier in TIER_COUNTS
            else ""
        )
        return f"#{subject_id} ({label})"

    def figures(self, month: str, what: str, tables, mine, drill=None, sample=None) -> None:
        """Every count of every subject (engine rows ∪ recount subjects); the
        drill-downs of ``sample`` cells (all cells when ``sample`` is None)."""
        for tier, names in TIER_COUNTS.items():
            rows = {r.subject_id: r for r in tables[tier].rows}
            subjects = set(rows) | {s for t, s in mine if t == tier}
            for subject_id in sorted(subjects):
                row = rows.get(subject_id)
                for count in names:
                    engine = row.counts.get(count, 0) if row is not None else 0
                    listed = sorted(mine.get((tier, subject_id), {}).get(count, []))
                    here = (self.seed, month, what, tier, self.subject(tier, subject_id, row), count)
                    drilled = None
                    if drill is not None and self.drills(sample, (tier, subject_id, count), engine, listed):
                        drilled = sorted(drill(tier, subject_id, count))
                        if len(drilled) != engine:
                            self.problems.append(
                                Problem(*here[:5], f"{count} drill-down length", engine, len(drilled))
                            )
                    if drill is not None and drilled is None and engine != len(listed):
                        drilled = sorted(drill(tier, subject_id, count))  # to show which cases differ
                    if engine != len(listed) or (drilled is not None and drilled != listed):
                        cases = f"; recount's cases {listed}"
                        if drilled is not None:
                            cases += f", engine's drill-down {drilled}"
                        self.problems.append(Problem(*here, engine, len(listed), cases))

    def drills(self, sample, cell, engine: int, listed: list) -> bool:
        """Whether to drill a cell: those of ``sample``; else every figure
        either side counts something in, and a quarter of the zeros (a
        drill-down is a query each: all of them cost more than the rest)."""
        if sample is not None:
            return cell in sample
        return bool(engine or listed) or self.rng.random() < ZERO_DRILLS

    def rates_and_ranks(self, month: str, what: str, tables) -> None:
        """No rate above 100 % or below 0 (rule 4); equal scores share a rank
        (rule 10)."""
        definitions = services.definitions()["tiers"]
        for tier in TIER_COUNTS:
            formulas = {i["code"]: i["formula"] for i in definitions[tier]}
            rows = tables[tier].rows
            for row in rows:
                for code, ind in row.indicators.items():
                    value = ind.get("value")
                    if value is not None and "avg_" not in formulas.get(code, "avg_"):
                        if not -1e-9 <= value <= 1 + 1e-9:
                            self.problems.append(
                                Problem(
                                    self.seed, month, what, tier, f"#{row.subject_id}", code, value, "0..1"
                                )
                            )
            scores = [round(r.score, 2) for r in rows if r.score is not None]
            if len(scores) > 1 and scores.count(min(scores)) > 1:
                TIES[what] = TIES.get(what, 0) + 1
            for row in rows:
                expected = None if row.score is None else 1 + sum(s > round(row.score, 2) for s in scores)
                if row.rank != expected:
                    self.problems.append(
                        Problem(
                            self.seed, month, what, tier, f"#{row.subject_id}", "rank", row.rank, expected
                        )
                    )


def live_sample(seed: int, tables, mine) -> set:
    """A few cells to drill live: mostly non-zero figures, some zeros."""
    rng = random.Random(seed)
    cells = []
    for tier, names in TIER_COUNTS.items():
        subjects = {r.subject_id for r in tables[tier].rows} | {s for t, s in mine if t == tier}
        cells += [(tier, s, c) for s in sorted(subjects) for c in names]
    counted = [c for c in cells if mine.get(c[:2], {}).get(c[2])]
    empty = [c for c in cells if c not in set(counted)]
    k = LIVE_DRILLS_PER_SEED
    return set(rng.sample(counted, min(len(counted), k * 3 // 4))) | set(
        rng.sample(empty, min(len(empty), k // 4))
    )


def describe(case_ids, limit: int = 4) -> str:
    """The event log of a few cases, in local time, for a failure message."""
    tz = ZoneInfo(TIMEZONE)
    out = []
    for case_id in list(dict.fromkeys(case_ids))[:limit]:
        out.append(f"  case {case_id}:")
        for e in db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ):
            data = {k: v for k, v in (e.data or {}).items() if k != "set"}
            deadline = (e.data or {}).get("set", {}).get("deadline_at")
            if deadline:
                data["deadline"] = dt.datetime.fromisoformat(deadline).astimezone(tz).strftime("%m-%d %H:%M")
            out.append(
                f"    {e.at.astimezone(tz):%m-%d %H:%M} {e.action} → {e.to_state} by {e.actor_role}#{e.actor_id} {data}"
            )
    return "\n".join(out)


# Where the time goes (printed with -s): seconds of wall clock, and of CPU.
PHASES = dict.fromkeys(("history", "history_wall", "frozen_wall", "rest_wall"), 0.0)
TIES: dict[str, int] = {}  # tables whose last place is shared, by kind of month


def check_seed(driver, seed: int) -> tuple[list[Problem], str]:
    forget_history()
    PHASES["history"] -= time.process_time()
    frozen_at = {}

    def freeze_september():
        services.freeze_month(SEPTEMBER)
        db.session.commit()
        frozen_at["at"] = driver.now

    hw = time.perf_counter()
    history = build(driver, seed, freeze_september)
    PHASES["history_wall"] += time.perf_counter() - hw
    PHASES["history"] += time.process_time()
    driver.at(history.end_at)
    check = Checker(seed)

    wall = time.perf_counter()
    frozen = services.month_scorecards(SEPTEMBER, 1)
    check.figures(
        SEPTEMBER,
        "frozen v1",
        frozen,
        recount(SEPTEMBER, frozen_at["at"]),
        drill=lambda tier, s, c: services.cases_behind(SEPTEMBER, tier, s, c, 1),
    )
    check.rates_and_ranks(SEPTEMBER, "frozen v1", frozen)
    PHASES["frozen_wall"] += time.perf_counter() - wall
    wall = time.perf_counter()

    september = services.compute_scorecards(SEPTEMBER)
    check.figures(SEPTEMBER, "live, recomputed", september, recount(SEPTEMBER, history.end_at))
    check.rates_and_ranks(SEPTEMBER, "live, recomputed", september)

    october = services.compute_scorecards(OCTOBER)
    mine = recount(OCTOBER, history.end_at)
    check.figures(
        OCTOBER,
        "live",
        october,
        mine,
        drill=lambda tier, s, c: services.cases_behind(OCTOBER, tier, s, c),
        sample=live_sample(seed, october, mine),
    )
    check.rates_and_ranks(OCTOBER, "live", october)
    PHASES["rest_wall"] += time.perf_counter() - wall
    db.session.rollback()
    for p in check.problems:
        p.log = describe(differing_cases(p), limit=3)
    cases = db.session.scalar(
        select(db.func.count()).select_from(CaseEvent).where(CaseEvent.action == "report")
    )
    events = db.session.scalar(select(db.func.count()).select_from(CaseEvent))
    return check.problems, f"seed {seed}: {cases} cases, {events} events"


def test_the_engine_agrees_with_an_independent_recount(driver, backend):
    add_people()
    PHASES.update(history=0.0, history_wall=0.0, frozen_wall=0.0, rest_wall=0.0)
    TIES.clear()
    problems: list[Problem] = []
    sizes = []
    started, cpu = time.perf_counter(), time.process_time()
    for seed in seeds():
        found, size = check_seed(driver, seed)
        problems += found
        sizes.append(size)
    print(
        f"\nrecount on {backend}: {len(sizes)} seeds in {time.perf_counter() - started:.1f} s; "
        + "; ".join(sizes)
    )
    print(
        f"cpu {time.process_time() - cpu:.1f} s; building histories {PHASES['history_wall']:.1f} s "
        f"(cpu {PHASES['history']:.1f} s), frozen month {PHASES['frozen_wall']:.1f} s, "
        f"live months {PHASES['rest_wall']:.1f} s; tables with a tie for last place: {TIES}"
    )
    if os.environ.get("GRIDCITY_RECOUNT_REPORT"):
        with open(os.environ["GRIDCITY_RECOUNT_REPORT"], "w", encoding="utf-8") as out:
            out.write("\n".join(f"{p}\n{p.log}" for p in problems) + "\n")
    if problems:
        raise AssertionError(report(problems, backend))


def differing_cases(p: Problem) -> list[int]:
    """The cases on one side of a disagreement only (else all of the recount's)."""
    lists = [[int(x) for x in part.split("]")[0].split(",") if x.strip()] for part in p.cases.split("[")[1:]]
    if len(lists) == 2 and set(lists[0]) ^ set(lists[1]):
        return sorted(set(lists[0]) ^ set(lists[1]))
    return lists[0] if lists else []


def report(problems: list[Problem], backend: str) -> str:
    """All disagreements, then the event log of the cases behind the first
    one of each count."""
    shown, logs = set(), []
    for p in problems:
        if p.count not in shown and p.log:
            shown.add(p.count)
            logs.append(f"seed {p.seed} {p.month} {p.tier} {p.count}:\n{p.log}")
    return (
        f"{len(problems)} disagreements with the recount on {backend}:\n"
        + "\n".join(str(p) for p in problems[:80])
        + ("\n…" if len(problems) > 80 else "")
        + "\nthe cases behind the first disagreement of each count:\n"
        + "\n".join(logs[:12])
    )
