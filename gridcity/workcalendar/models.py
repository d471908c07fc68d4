"""The calendar deadlines are counted in, as rows an admin edits each year."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from gridcity.extensions import db

DAY_KINDS = ("holiday", "workday")  # 法定节假日 / 调休上班日


class OfficePeriod(db.Model):
    """One stretch of office hours on a working day, e.g. 08:30–12:00."""

    __tablename__ = "office_period"
    id: Mapped[int] = mapped_column(primary_key=True)
    starts: Mapped[dt.time] = mapped_column(Time)
    ends: Mapped[dt.time] = mapped_column(Time)

    __table_args__ = (db.CheckConstraint("ends > starts", name="period_order"),)


class CalendarDay(db.Model):
    """An exception to the weekly rhythm: a holiday on a weekday, or a make-up
    workday (调休) on a weekend."""

    __tablename__ = "calendar_day"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(50), default="")

    __table_args__ = (db.CheckConstraint("kind IN ('holiday', 'workday')", name="kind_known"),)


class WeeklyRestDay(db.Model):
    """Weekdays that are not working days unless made up (Mon=0 … Sun=6)."""

    __tablename__ = "weekly_rest_day"
    weekday: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
