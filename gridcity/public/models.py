"""Citizens and their links to cases.

A citizen is known by a phone number confirmed with a one-time code; an
anonymous report (where the city allows it) has no citizen. Every report or
"me too" (我也遇到) a citizen makes is a :class:`CitizenReport`: the link
between them and the case, with the private follow token that the receipt's
link carries. Whoever holds that link may follow the case, say "not fixed"
after it is closed and rate the handling.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridcity.cases.models import UTCDateTime
from gridcity.extensions import db

REPORT_KINDS = ("report", "me_too")  # a new case / joined an open case nearby


class Citizen(db.Model):
    """A member of the public, by confirmed phone number (never shown on a
    public page). ``blocked_at`` set: reports from this phone are refused."""

    __tablename__ = "citizen"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    blocked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    blocked_reason: Mapped[str | None] = mapped_column(Text)


class CitizenReport(db.Model):
    """One citizen's report of a case, or their "me too" on it.

    ``follow_token`` is the secret of the receipt's private link (URL-safe,
    unique). ``citizen_id`` is None for an anonymous report."""

    __tablename__ = "citizen_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizen.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # REPORT_KINDS
    follow_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # The address the report came from (abuse limits); never shown publicly.
    from_address: Mapped[str | None] = mapped_column(String(45))

    case = relationship("Case")
    citizen = relationship("Citizen")
