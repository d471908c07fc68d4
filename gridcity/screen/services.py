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
- **Hotspots**: decision support's own hotspots (``gridcity.analysis``:
  DBSCAN over place and time per category, its settings) of the last
  ``screen_hotspot_days`` local days of the whole city, the largest first.
  Every screen reloads its boards each minute and a city's month of cases
  takes seconds to cluster, so a process keeps its answer for
  ``screen_hotspot_seconds``.
- **Latest events**: the newest history events, the feed position ``seq``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from gridcity.analysis.hotspots import find_hotspots
from gridcity.analysis.scope import build_scope
from gridcity.cases.models import Case, CaseEvent
from gridcity.core.clock import utcnow
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.org.models import User
from gridcity.scorecards.counting.engine import month_of
from gridcity.scorecards.scoring.indicators import DivisionByZero, Formula
from gridcity.scorecards.snapshots import services as scorecards
from gridcity.taxonomy.models import Category

# history action → the "today" figure it adds one to
TODAY_ACTIONS = {"report": "reported", "file": "filed", "dispatch": "dispatched", "close": "closed"}
TODAY_FIGURES = (*TODAY_ACTIONS.values(), "overdue")
ON_TIME_INDICATOR = "on_time_closure_rate"
WORST_UNITS = 5  # last places shown (more when tied)
CONTEST_ROWS = 10
HOTSPOTS = 5
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


_hotspots_lock = threading.Lock()


def recent_hotspots(now: dt.datetime, language: str) -> list[dict]:
    """The city's largest hotspots of the last ``screen_hotspot_days`` local
    days (today included), as the board shows them; kept per process for
    ``screen_hotspot_seconds`` (on the app: one city's answer)."""
    settings = current_app.config["SETTINGS"]
    zone = ZoneInfo(settings.timezone)
    today = now.astimezone(zone).date()
    key = (today, language)
    kept_boards = current_app.extensions.setdefault("screen_hotspots", {})
    with _hotspots_lock:
        kept = kept_boards.get(key)
        if kept is not None and time.monotonic() - kept[0] < settings.screen_hotspot_seconds:
            return kept[1]
    scope = build_scope(first_day=today - dt.timedelta(days=settings.screen_hotspot_days - 1), last_day=today)
    board = [
        {
            "id": h.id,
            "category": h.category_name,
            "street": h.streets[0]["name"] if h.streets else "",
            "cases": h.size,
            "direction": h.direction,
            "lon": h.lon,
            "lat": h.lat,
            "radius_m": h.radius_m,
        }
        for h in find_hotspots(scope, language)[:HOTSPOTS]
    ]
    with _hotspots_lock:
        if key[0] not in {k[0] for k in kept_boards}:
            kept_boards.clear()  # only today's answers are worth keeping
        kept_boards[key] = (time.monotonic(), board)
    return board


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
        "hotspots": recent_hotspots(now, current_language()),
        "hotspot_days": settings.screen_hotspot_days,
        "events": latest_events(seq),
    }
