"""What the wall screen (大屏) shows, computed in one place: the page's first
load, its re-load after a dropped connection and the API tests read it.

- **Today** (from the city's midnight): reports received, cases filed,
  dispatches and closings — history events (``case_event``) of those actions,
  so a live ``case`` event of the same action adds exactly one (a re-dispatch
  after an approved return is a second dispatch); and the cases overdue now,
  counted as the centers' 超期 queue counts them (``dispatch.services``).
- **The month's on-time closure rate** is the scorecards' own figure: the
  district tier's counts (``closed_on_time``, ``should_close``) of the month,
  summed over the districts, under the definition set's formula for
  ``on_time_closure_rate`` (DOMAIN §7.1: no recount here). Its target is the
  setting ``screen_on_time_target`` (no table holds one yet).
- **Worst-performing units**: the last places of the units' scorecard this
  month (ties at those places included, §7.1 rule 10).
- **Contest** (市容环卫杯): the month's ranking from the scorecards.
- **Busiest unit grids**: the unit grids with the most cases reported this
  month — a plain count, not a hotspot analysis (issue 20 item 1 is not built).
- **Latest events**: the newest history events, the feed position ``seq``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from gridcity.cases.models import Case, CaseEvent
from gridcity.core.clock import utcnow
from gridcity.extensions import db
from gridcity.geo.models import Street, UnitGrid
from gridcity.org.models import User
from gridcity.scorecards.counting.engine import month_bounds, month_of
from gridcity.scorecards.scoring.indicators import DivisionByZero, Formula
from gridcity.scorecards.snapshots import services as scorecards
from gridcity.taxonomy.models import Category

# history action → the "today" figure it adds one to
TODAY_ACTIONS = {"report": "reported", "file": "filed", "dispatch": "dispatched", "close": "closed"}
TODAY_FIGURES = (*TODAY_ACTIONS.values(), "overdue")
ON_TIME_INDICATOR = "on_time_closure_rate"
WORST_UNITS = 5  # last places shown (more when tied)
CONTEST_ROWS = 10
BUSIEST_GRIDS = 5
LATEST_EVENTS = 20


def day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Midnight today and tomorrow in the city's time zone, as UTC."""
    zone = ZoneInfo(current_app.config["SETTINGS"].timezone)
    day = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    following = (day + dt.timedelta(days=1)).replace(tzinfo=None).replace(tzinfo=zone)
    return day.astimezone(dt.UTC), following.astimezone(dt.UTC)


def today_figures(user: User, start: dt.datetime, seq: int) -> dict[str, int]:
    """Today's steps (events since ``start``, up to the feed position
    ``seq``: the live events after it add the rest) and the cases overdue now."""
    from gridcity.dispatch.services import queue_counts

    figures = dict.fromkeys(TODAY_FIGURES, 0)
    rows = db.session.execute(
        select(CaseEvent.action, func.count(CaseEvent.id))
        .where(CaseEvent.at >= start, CaseEvent.id <= seq, CaseEvent.action.in_(tuple(TODAY_ACTIONS)))
        .group_by(CaseEvent.action)
    )
    for action, count in rows:
        figures[TODAY_ACTIONS[action]] = int(count)
    overdue = next((q for q in queue_counts(user) if q["key"] == "overdue"), None)
    figures["overdue"] = overdue["count"] if overdue else 0
    return figures


def on_time_rate(tables: dict, target: float) -> dict:
    """The month's on-time closure rate from the district scorecard."""
    table = tables["district"]
    totals: dict[str, float] = {}
    for row in table.rows:
        for name, value in row.counts.items():
            totals[name] = totals.get(name, 0) + value
    definition = next(
        (
            item
            for item in scorecards.definitions(table.definition_version)["tiers"]["district"]
            if item["code"] == ON_TIME_INDICATOR
        ),
        None,
    )
    rate = None
    if definition is not None:
        try:
            rate = round(Formula(definition["formula"]).evaluate(totals), 4)
        except DivisionByZero:  # nothing was due: no rate (DOMAIN §7.1 rule 9)
            rate = None
    return {
        "rate": rate,
        "target": target / 100,
        "closed_on_time": int(totals.get("closed_on_time", 0)),
        "should_close": int(totals.get("should_close", 0)),
    }


def worst_units(tables: dict) -> list[dict]:
    """The ranked units at the last ``WORST_UNITS`` places, worst last, ties included."""
    ranked = [r for r in tables["unit"].rows if r.rank is not None]
    if not ranked:
        return []
    cut = ranked[max(len(ranked) - WORST_UNITS, 0)].rank
    return [
        {"name": r.subject_name, "score": r.score, "grade": r.grade, "rank": r.rank}
        for r in ranked
        if r.rank >= cut
    ]


def contest_rows(contest) -> list[dict]:
    return [
        {"street": r.street_name, "score": r.score, "rank": r.rank, "card": r.card}
        for r in contest.rows[:CONTEST_ROWS]
    ]


def busiest_grids(start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Unit grids by the cases reported in them from ``start`` to ``end``, most first."""
    count = func.count(Case.id).label("cases")
    rows = db.session.execute(
        select(UnitGrid.code, Street.name, count)
        .join(UnitGrid, UnitGrid.id == Case.unit_grid_id)
        .join(Street, Street.id == Case.street_id)
        .where(Case.reported_at >= start, Case.reported_at < end)
        .group_by(UnitGrid.code, Street.name)
        .order_by(count.desc(), UnitGrid.code)
        .limit(BUSIEST_GRIDS)
    )
    return [{"code": code, "street": street, "cases": int(n)} for code, street, n in rows]


def latest_events(seq: int, limit: int = LATEST_EVENTS) -> list[dict]:
    """The newest history events, newest first: what happened, to which case, where."""
    rows = db.session.execute(
        select(
            CaseEvent.id,
            CaseEvent.action,
            CaseEvent.at,
            Case.number,
            Category.code,
            Case.street_id,
            Case.lon,
            Case.lat,
        )
        .join(Case, Case.id == CaseEvent.case_id)
        .outerjoin(Category, Category.id == Case.category_id)
        .where(CaseEvent.id <= seq)
        .order_by(CaseEvent.id.desc())
        .limit(limit)
    )
    return [
        {
            "seq": seq,
            "action": action,
            "at": at.timestamp(),
            "number": number,
            "category": category,
            "street_id": street_id,
            "lon": lon,
            "lat": lat,
        }
        for seq, action, at, number, category, street_id, lon, lat in rows
    ]


def screen_state(user: User, now: dt.datetime | None = None) -> dict:
    """Everything the wall screen shows, with the feed position ``seq`` its
    live updates continue from."""
    from gridcity.dispatch.services import latest_seq

    now = now or utcnow()
    # Every figure is read up to this position; the live events after it add the rest.
    seq = latest_seq()
    day_start, day_end = day_bounds(now)
    month = month_of(now)
    month_start, month_end = month_bounds(month)
    tables, contest = scorecards.month_tables_and_contest(month)
    settings = current_app.config["SETTINGS"]
    return {
        "seq": seq,
        "now": now.timestamp(),
        "day_start": day_start.timestamp(),
        "day_end": day_end.timestamp(),
        "month": month,
        "today": today_figures(user, day_start, seq),
        "on_time": on_time_rate(tables, settings.screen_on_time_target),
        "worst_units": worst_units(tables),
        "contest": contest_rows(contest),
        "busiest_grids": busiest_grids(month_start, month_end),
        "events": latest_events(seq),
    }
