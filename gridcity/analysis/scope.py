"""What an analysis looks at: a period (a month, or local days from / to) and
a place and category filter, with the cluster and recurrence parameters
(settings, overridable per request). The API, the page and the scorecards'
drill-down build one :class:`Scope` the same way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from gridcity.cases import states
from gridcity.cases.models import Case
from gridcity.core.api import EARLIEST, LATEST
from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError
from gridcity.org.models import Role
from gridcity.taxonomy.models import Category

# Who plans the city's work from its history: the managers, and the command
# center's shift leaders and dispatchers (read-only for all of them).
ANALYSIS_ROLES = (Role.MANAGER, Role.SHIFT_LEADER, Role.DISPATCHER)
# Longer periods are refused: a request must stay a request (the year's
# recurrences are one year).
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Scope:
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive
    label: str  # the period in the reader's terms: "2026-09" or "2026-09-01 – 2026-09-30"
    street_id: int | None = None
    district_id: int | None = None
    unit_id: int | None = None
    category: str | None = None  # a category code (小类)
    category_class: str | None = None  # a major class's code prefix (大类), e.g. E01
    eps_m: float = 100.0
    eps_days: float = 7.0
    min_cases: int = 5
    window_days: int = 30

    def case_filters(self) -> list:
        """The WHERE terms for cases of this place and category (not the period)."""
        terms = [Case.merged_into_id.is_(None), Case.state != states.VOIDED]
        if self.street_id is not None:
            terms.append(Case.street_id == self.street_id)
        if self.district_id is not None:
            terms.append(Case.district_id == self.district_id)
        if self.category or self.category_class:
            wanted = select(Category.id)
            if self.category:
                wanted = wanted.where(Category.code == self.category)
            if self.category_class:
                wanted = wanted.where(Category.code.startswith(self.category_class, autoescape=True))
            terms.append(Case.category_id.in_(wanted))
        return terms

    def query_args(self) -> dict[str, str]:
        """The filters as query parameters (links between the page, exports and API)."""
        args: dict[str, str] = {}
        if "–" in self.label:
            first, last = self.label.split(" – ")
            args["from"], args["to"] = first, last
        else:
            args["month"] = self.label
        for name in ("street_id", "district_id", "unit_id", "category", "category_class"):
            value = getattr(self, name)
            if value is not None and value != "":
                args[name] = str(value)
        return args


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SETTINGS"].timezone)


def month_scope_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    from gridcity.scorecards.counting.engine import month_bounds

    return month_bounds(month)


def current_month() -> str:
    local = utcnow().astimezone(_zone())
    return f"{local.year:04d}-{local.month:02d}"


def build_scope(
    *,
    month: str | None = None,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
    **filters,
) -> Scope:
    """A scope from a month (default: this month) or from local days
    ``first_day`` … ``last_day`` (both included); the parameters default to
    the settings. Refuses mixed or reversed periods with a 400."""
    settings = current_app.config["SETTINGS"]
    for day in (first_day, last_day):
        if day is not None and not EARLIEST.year <= day.year < LATEST.year:
            raise GridCityError("bad_request", detail=f"dates must lie between {EARLIEST:%Y} and {LATEST:%Y}")
    if month and not EARLIEST.year <= int(month[:4]) < LATEST.year:
        raise GridCityError("bad_request", detail=f"month must lie between {EARLIEST:%Y} and {LATEST:%Y}")
    if month and (first_day or last_day):
        raise GridCityError("bad_request", detail="give either month or from/to, not both")
    if (first_day is None) != (last_day is None):
        raise GridCityError("bad_request", detail="from and to go together")
    if first_day is not None and last_day is not None:
        if last_day < first_day:
            raise GridCityError("bad_request", detail="to must not be before from")
        if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
            raise GridCityError("bad_request", detail=f"a period of at most {MAX_PERIOD_DAYS} days")
        zone = _zone()
        start = dt.datetime.combine(first_day, dt.time(), zone).astimezone(dt.UTC)
        end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
        label = f"{first_day.isoformat()} – {last_day.isoformat()}"
    else:
        month = month or current_month()
        start, end = month_scope_bounds(month)
        label = month
    defaults = {
        "eps_m": settings.analysis_eps_m,
        "eps_days": settings.analysis_eps_days,
        "min_cases": settings.analysis_min_cases,
        "window_days": settings.analysis_recurrence_days,
    }
    given = {k: v for k, v in filters.items() if v is not None}
    return Scope(start=start, end=end, label=label, **{**defaults, **given})


def local_date(moment: dt.datetime) -> str:
    return moment.astimezone(_zone()).date().isoformat()


def local_minute(moment: dt.datetime) -> str:
    return moment.astimezone(_zone()).strftime("%Y-%m-%d %H:%M")
