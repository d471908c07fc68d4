"""What citizens say about a closed case, and which photos the public sees.

- :class:`NotFixedClaim` — "closed is not fixed" (未修复): a follow-link
  holder's claim with a photo, the re-verification task (复核) it opened for
  the grid's inspector, and the inspector's finding.
- :class:`CitizenRating` — the holder's rating of the handling (满意 /
  基本满意 / 不满意), once per follow link.
- :class:`PhotoPublication` — an operator's decision on one photo for the
  public map and pages; a photo without a row is not public.
- :class:`PublicPolicy` — the city's numbers for this, as rows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridcity.cases.models import UTCDateTime
from gridcity.extensions import db

RATINGS = ("satisfied", "basic", "unsatisfied")  # 满意 / 基本满意 / 不满意
CLAIM_OUTCOMES = ("confirmed", "fixed")  # not fixed (→ rework) / fixed after all
PUBLICATION_STATES = ("approved", "rejected")


class PublicPolicy(db.Model):
    """One number of the public side (e.g. ``not_fixed_days``)."""

    __tablename__ = "public_policy"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class NotFixedClaim(db.Model):
    """A follow-link holder says the closed case is not fixed."""

    __tablename__ = "not_fixed_claim"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    # None: the claim came through an Open311 client (its update's event).
    citizen_report_id: Mapped[int | None] = mapped_column(ForeignKey("citizen_report.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("case_task.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_event.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(10))  # CLAIM_OUTCOMES
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_event_id: Mapped[int | None] = mapped_column(ForeignKey("case_event.id"))

    citizen_report = relationship("CitizenReport")


class CitizenRating(db.Model):
    """满意度 — one rating per follow link; a second is refused."""

    __tablename__ = "citizen_rating"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    citizen_report_id: Mapped[int] = mapped_column(ForeignKey("citizen_report.id"), unique=True)
    rating: Mapped[str] = mapped_column(String(12))  # RATINGS
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_event.id"))


class PhotoPublication(db.Model):
    """An operator's decision on one photo for the public (per photo)."""

    __tablename__ = "photo_publication"
    photo_id: Mapped[int] = mapped_column(ForeignKey("photo.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(10))  # PUBLICATION_STATES
    decided_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
