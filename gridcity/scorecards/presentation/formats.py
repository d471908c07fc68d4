"""How a scorecard table is shown, for the pages and the exports alike (so a
download has the page's columns and times): its columns in order, and times
on the city's wall clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app

from gridcity.scorecards.counting.counts import TIER_COUNTS
from gridcity.scorecards.scoring.tables import ScorecardTable


def count_columns(table: ScorecardTable) -> list[str]:
    """The counts shown as columns: the engine's order for the tier."""
    names = list(TIER_COUNTS.get(table.tier, ()))
    seen = set(names)
    for row in table.rows:
        for name in row.counts:
            if name not in seen:
                seen.add(name)
                names.append(name)
    return names


def indicator_columns(table: ScorecardTable) -> list[tuple[str, dict]]:
    out: dict[str, dict] = {}
    for row in table.rows:
        for code, ind in row.indicators.items():
            out.setdefault(code, ind)
    return list(out.items())


def local_time(iso: str | None) -> str:
    """An ISO timestamp as the city's wall-clock time (``YYYY-MM-DD HH:MM``)."""
    if not iso:
        return ""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    city = ZoneInfo(current_app.config["SETTINGS"].timezone)
    return f"{moment.astimezone(city):%Y-%m-%d %H:%M}"
