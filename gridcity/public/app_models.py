"""The citizens' app's own rows (issue 18 items 1, 2, 5): one-time codes,
the citizens' category list, and who asked for a message on each step."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridcity.cases.models import UTCDateTime
from gridcity.extensions import db


class CitizenCode(db.Model):
    """A one-time code sent to a phone (验证码). Only its salted hash is kept;
    it expires and may be tried a limited number of times."""

    __tablename__ = "citizen_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The address that asked for it (the per-address limit); never shown.
    from_address: Mapped[str | None] = mapped_column(String(45), index=True)


class CitizenCategory(db.Model):
    """One entry of the short list citizens choose from, in plain words,
    mapped to one of our categories (小类). Data: a city edits the rows; with
    none, the default list (default_citizen_categories.json) applies."""

    __tablename__ = "citizen_category"
    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label_zh: Mapped[str] = mapped_column(String(40))
    label_en: Mapped[str] = mapped_column(String(80))
    category_code: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CitizenNotice(db.Model):
    """A report whose citizen asked for a message on each public step, and
    the last case event they were told about."""

    __tablename__ = "citizen_notice"
    report_id: Mapped[int] = mapped_column(ForeignKey("citizen_report.id"), primary_key=True)
    last_event_id: Mapped[int | None] = mapped_column(Integer)
