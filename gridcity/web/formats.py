"""One way to write a moment on every page: ``2026-09-30 14:05``, on the
city's wall clock. Templates use the ``datetime`` filter (registered for the
whole app by the web blueprint); the browser scripts write the same format
(``GridCityLive.formatTime``, the phone app's ``fmtTime``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app

DATETIME_FORMAT = "%Y-%m-%d %H:%M"
MONTH_NAMES_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def city_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SETTINGS"].timezone)


def city_datetime(moment: dt.datetime | str | None, zone: dt.tzinfo | None = None) -> str:
    """A moment (a datetime, or an ISO text; naive ones are UTC) as
    ``YYYY-MM-DD HH:MM`` in the city's time zone; ``—`` for none."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment)
        except ValueError:
            return moment
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone or city_zone()).strftime(DATETIME_FORMAT)


def month_label(month: str) -> str:
    """``2026-11`` named in the page's language: ``2026年11月`` / ``November 2026``
    (a month picker of our own speaks the page's language, where the browser's
    ``<input type=month>`` speaks the computer's)."""
    from gridcity.core.i18n import current_language

    try:
        year, number = int(month[:4]), int(month[5:7])
        name = MONTH_NAMES_EN[number - 1]
    except (ValueError, IndexError, TypeError):
        return month
    return f"{year}年{number}月" if current_language() == "zh" else f"{name} {year}"
