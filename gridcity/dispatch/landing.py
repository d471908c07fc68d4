"""Each desk's landing page (首页): today's numbers that matter to it — what
waits for the desk (to accept, to file, to dispatch…), what is overdue, about
to be due (预警) or urged (催办 / 督办), what was closed today and the month's
on-time closure rate so far — each linking to the queue behind it.

The waiting numbers are the desk's queues, counted by ``queue_counts`` (one
pass over the open cases), so a number and the queue it opens always agree.
The closed figures are one more filtered count over the cases the user may
see; a unit's members see their unit's.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from sqlalchemy import and_, func

from gridcity.cases.models import Case
from gridcity.cases.queries import visible_cases
from gridcity.core.clock import utcnow
from gridcity.dispatch.services import queue_counts
from gridcity.extensions import db
from gridcity.org.models import Role, User, is_unit_member
from gridcity.web.ui_text import ui_text

CLOSED_TODAY = "closed_today"
ON_TIME_RATE = "on_time_rate"
CENTER_OVERVIEW = (
    "to_accept",
    "to_file",
    "to_dispatch",
    "overdue",
    "warned",
    "urged",
    CLOSED_TODAY,
    ON_TIME_RATE,
)
UNIT_DESK = (
    "unit_new",
    "unit_in_progress",
    "unit_overdue",
    "unit_warned",
    "unit_urged",
    CLOSED_TODAY,
    ON_TIME_RATE,
)
# Which numbers each desk sees, in order: queue keys (see dispatch.services)
# and the two closed figures.
DESK_NUMBERS: dict[str, tuple[str, ...]] = {
    Role.OPERATOR.value: ("to_accept", "to_verify", "awaiting_check", "overdue", CLOSED_TODAY, ON_TIME_RATE),
    Role.SHIFT_LEADER.value: (
        "to_file",
        "requests",
        "to_close",
        "overdue",
        "warned",
        "urged",
        CLOSED_TODAY,
        ON_TIME_RATE,
    ),
    Role.DISPATCHER.value: (
        "to_dispatch",
        "requests",
        "overdue",
        "warned",
        "urged",
        CLOSED_TODAY,
        ON_TIME_RATE,
    ),
    Role.MANAGER.value: CENTER_OVERVIEW,
    Role.ADMIN.value: CENTER_OVERVIEW,
    Role.UNIT_HANDLER.value: UNIT_DESK,
    # The supervisor first sees what was escalated to them (督办).
    Role.UNIT_SUPERVISOR.value: ("unit_escalated", *UNIT_DESK),
}


def day_and_month_start(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Midnight today and the first of this month in the city's time zone, as UTC."""
    local = now.astimezone(ZoneInfo(current_app.config["SETTINGS"].timezone))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day.astimezone(dt.UTC), day.replace(day=1).astimezone(dt.UTC)


def closed_figures(user: User, now: dt.datetime | None = None) -> dict[str, int]:
    """Cases closed today, closed this month, and of those closed on time:
    the unit's last handling came by the deadline then running (a fact of
    time, DOMAIN §7.1 rule 1; extensions approved in time move that deadline)."""
    day, month = day_and_month_start(now or utcnow())
    this_month = Case.closed_at >= month
    row = db.session.execute(
        visible_cases(user).with_only_columns(
            func.count(Case.id).filter(Case.closed_at >= day),
            func.count(Case.id).filter(this_month),
            func.count(Case.id).filter(and_(this_month, Case.handled_at <= Case.deadline_at)),
        )
    ).one()
    return {"closed_today": int(row[0]), "closed_month": int(row[1]), "on_time_month": int(row[2])}


def desk_numbers(user: User, language: str, now: dt.datetime | None = None) -> list[dict]:
    """The numbers of the user's desk: ``key``, ``label``, ``value`` (a
    count, or the rate as text, "—" with no closed case), ``detail`` and
    ``href`` (the queue behind it, or None)."""
    keys = DESK_NUMBERS.get(user.role)
    if not keys:
        return []
    queues = {q["key"]: q for q in queue_counts(user)}
    closed = closed_figures(user, now)
    portal = "dispatch.unit_page" if is_unit_member(user) else "dispatch.dispatch_page"
    scorecards = (
        url_for("scorecards_pages.index") if user.role in (Role.MANAGER.value, Role.ADMIN.value) else None
    )
    numbers = []
    for key in keys:
        if key == CLOSED_TODAY:
            numbers.append(_number(key, ui_text("home_closed_today", language), closed["closed_today"]))
        elif key == ON_TIME_RATE:
            total, on_time = closed["closed_month"], closed["on_time_month"]
            # No data is not 100 % (DOMAIN §7.1 rule 9).
            value = f"{100 * on_time / total:.1f}%" if total else "—"
            detail = (
                ui_text("home_on_time_detail", language).format(closed=total, on_time=on_time)
                if total
                else ui_text("home_no_rate", language)
            )
            numbers.append(
                _number(key, ui_text("home_on_time_rate", language), value, detail=detail, href=scorecards)
            )
        else:
            queue = queues[key]
            numbers.append(
                _number(
                    key,
                    ui_text(f"d_queue_{key}", language),
                    queue["count"],
                    href=url_for(portal, queue=key),
                    mine=queue["mine"],
                )
            )
    return numbers


def _number(
    key: str, label: str, value, *, detail: str = "", href: str | None = None, mine: bool = True
) -> dict:
    return {"key": key, "label": label, "value": value, "detail": detail, "href": href, "mine": mine}
