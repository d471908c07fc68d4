"""Intake channels (受理渠道) and the contacts from the public taken on them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridcity.cases.models import UTCDateTime
from gridcity.extensions import db

# The channels a new deployment starts with (migration 0015_hotline writes
# the same rows); each city edits its rows.
DEFAULT_CHANNELS = (
    # code, name_zh, name_en, the case's source, has a ticket number, order
    ("12345", "12345 政务服务热线", "12345 service hotline", "hotline", True, 1),
    ("12319", "12319 城建热线", "12319 urban-construction hotline", "hotline", True, 2),
    ("visit", "来访", "Walk-in visit", "public", False, 3),
    ("letter", "来信", "Letter", "public", False, 4),
)


class IntakeChannel(db.Model):
    """受理渠道 — where a report from the public comes in (12345, 12319,
    来访, 来信). ``source`` is what the case records as its source."""

    __tablename__ = "intake_channel"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(12))
    # Calls from a hotline platform carry its ticket number (工单号).
    has_ticket: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class HotlineCall(db.Model):
    """来电 / 来访 / 来信 — one contact from the public, on the case it made or
    joined ("add to that case"). The caller's name and phone are personal
    data: masked in lists, whole only for the roles that call back
    (``GRIDCITY_CALLER_PHONE_ROLES``), and erased with the case's reporter
    by the retention and erasure rules (``ops.retention``)."""

    __tablename__ = "hotline_call"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("intake_channel.id"))
    # The history event that brought it to the case (the report, or 来电并案).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_event.id"))
    client_uuid: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_number: Mapped[str | None] = mapped_column(String(40), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(50))
    caller_phone: Mapped[str | None] = mapped_column(String(30))
    callback_wanted: Mapped[bool] = mapped_column(Boolean, default=False)
    # True: the call joined a case already open (it made no case).
    joined: Mapped[bool] = mapped_column(Boolean, default=False)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    channel: Mapped[IntakeChannel] = relationship()
    operator = relationship("User")
