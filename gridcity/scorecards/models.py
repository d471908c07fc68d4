"""Scorecard data: the versioned assessment settings (indicator definitions,
the contest's check items and card rules), frozen snapshots, and the
sanitation contest's inspection records and cards."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridcity.cases.models import Case, CaseEvent, CaseTask, UTCDateTime
from gridcity.extensions import db

# Indexes on the case tables for the scorecards: each case's overdue marks (a
# partial index: overdue events only; the sweeper finds the mark it just wrote
# through it), and the tasks completed in a month (the engine's month pass).
db.Index(
    "ix_case_event_overdue",
    CaseEvent.case_id,
    CaseEvent.id,
    postgresql_where=CaseEvent.action == "overdue",
    sqlite_where=CaseEvent.action == "overdue",
)
db.Index("ix_case_task_completed_at", CaseTask.completed_at)
# The events that set, stop or use a case's running handling deadline: the
# engine walks them for the month's cases with a history (counting/log.py
# ``timelines``), through this index (about half of all events).
TIMELINE_ACTIONS = ("dispatch", "decide", "resume", "rework", "check", "handle", "close")
db.Index(
    "ix_case_event_timeline",
    CaseEvent.case_id,
    postgresql_where=CaseEvent.action.in_(TIMELINE_ACTIONS),
    sqlite_where=CaseEvent.action.in_(TIMELINE_ACTIONS),
)
# Patrol findings of a month (the contest): only cases found on a patrol.
db.Index(
    "ix_case_file_patrol_reported_at",
    Case.reported_at,
    postgresql_where=Case.patrol_id.is_not(None),
    sqlite_where=Case.patrol_id.is_not(None),
)


class IndicatorSet(db.Model):
    """One version of the assessment settings (考核设置): the indicator
    definitions (formulas, weights, score mapping, grade bands, tier rules,
    time limits) as a JSON document, and the sanitation contest's check items
    and card rules (``contest_rules``: ``{"items": […], "card_rules": […]}``;
    None: the defaults). Month M is assessed with the newest version whose
    ``effective_from`` is no later than M (``scoring.indicators.set_for_month``);
    a frozen scorecard names the version it used (``definition_version``).
    Editing adds a version; versions are never changed."""

    __tablename__ = "indicator_set"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    document: Mapped[dict] = mapped_column(JSON)
    contest_rules: Mapped[dict | None] = mapped_column(JSON)
    # "YYYY-MM", or "0000-01": in force from the beginning.
    effective_from: Mapped[str] = mapped_column(String(7), default="0000-01", server_default="0000-01")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_by = relationship("User")


class ScorecardVersion(db.Model):
    """A frozen version of one month's scorecards (1 = month end, n+1 = a
    recomputation with a reason). Its rows are never updated."""

    __tablename__ = "scorecard_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    version: Mapped[int] = mapped_column(Integer)
    definition_version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    frozen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    frozen_by = relationship("User")

    __table_args__ = (db.UniqueConstraint("month", "version"),)


class ScorecardRowRecord(db.Model):
    """One frozen scorecard row (see ``services.ScorecardRow``)."""

    __tablename__ = "scorecard_row"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_version.id", ondelete="CASCADE"))
    tier: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    subject_code: Mapped[str] = mapped_column(String(40))
    subject_name: Mapped[str] = mapped_column(String(100))
    parent_kind: Mapped[str | None] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(Integer)
    counts: Mapped[dict] = mapped_column(JSON)
    indicators: Mapped[dict] = mapped_column(JSON)
    # None: no data in the month, hence no score, grade or rank (§7.1 rule 9).
    score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(2))
    rank: Mapped[int | None] = mapped_column(Integer)
    previous_score: Mapped[float | None] = mapped_column(Float)
    change: Mapped[float | None] = mapped_column(Float)
    own_score: Mapped[float | None] = mapped_column(Float)
    team_score: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (db.Index("ix_scorecard_row_version_tier", "version_id", "tier"),)


class ScorecardFacts(db.Model):
    """A frozen version's drill-down of one count for one subject group (rule
    8 of DOMAIN §7.1): the rows the count counted, as a compressed int64
    matrix (``engine.month_facts``). Written with the version's rows, never
    recomputed."""

    __tablename__ = "scorecard_facts"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_version.id", ondelete="CASCADE"))
    subject_group: Mapped[str] = mapped_column(String(20))  # area | unit | a person tier
    count: Mapped[str] = mapped_column(String(40))
    rows: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (db.UniqueConstraint("version_id", "subject_group", "count"),)


class ContestInspection(db.Model):
    """A manager's inspection record (检查记录): a deduction on one item of one
    street, with photos."""

    __tablename__ = "contest_inspection"
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(30))
    deduction: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    inspected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    photos: Mapped[list[ContestPhoto]] = relationship(
        back_populates="inspection", order_by="ContestPhoto.id", cascade="all, delete-orphan"
    )


class ContestPhoto(db.Model):
    __tablename__ = "contest_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("contest_inspection.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    relative_path: Mapped[str] = mapped_column(String(200))
    thumbnail_path: Mapped[str] = mapped_column(String(200))
    inspection: Mapped[ContestInspection] = relationship(back_populates="photos")


class ContestResult(db.Model):
    """A street's frozen contest line (see ``services.ContestRow``); a card
    issued in a frozen version is part of the card history."""

    __tablename__ = "contest_result"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("scorecard_version.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[str] = mapped_column(String(7), index=True)
    street_id: Mapped[int] = mapped_column(Integer)
    street_code: Mapped[str] = mapped_column(String(20))
    street_name: Mapped[str] = mapped_column(String(100))
    items: Mapped[dict] = mapped_column(JSON)
    patrol_deductions: Mapped[float] = mapped_column(Float)
    inspection_deductions: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    card: Mapped[str | None] = mapped_column(String(10))
    card_reason: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------- appeals (考核申诉)


class Appeal(db.Model):
    """考核申诉 — a unit or a person contests one case counted in one figure
    of a frozen month (DOMAIN.md §7.1 rule 11). ``state``: ``pending`` →
    ``accepted`` | ``rejected``; an accepted appeal is applied by the month's
    next version (``applied_version``) and by every version after it."""

    __tablename__ = "scorecard_appeal"
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    tier: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    subject_name: Mapped[str] = mapped_column(String(100))
    count: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    # The version of the month that first applied it (accepted appeals only).
    applied_version: Mapped[int | None] = mapped_column(Integer)

    case = relationship("Case")
    filed_by = relationship("User", foreign_keys=[filed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    photos: Mapped[list[AppealPhoto]] = relationship(
        back_populates="appeal", order_by="AppealPhoto.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[AppealEvent]] = relationship(
        back_populates="appeal", order_by="AppealEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # One appeal per case per figure: a second one is a duplicate (409).
        db.UniqueConstraint("month", "tier", "subject_id", "count", "case_id"),
        db.CheckConstraint("state IN ('pending', 'accepted', 'rejected')", name="state_known"),
    )


class AppealPhoto(db.Model):
    """Evidence attached to an appeal (stored like every photo: gridcity/media)."""

    __tablename__ = "scorecard_appeal_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("scorecard_appeal.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    relative_path: Mapped[str] = mapped_column(String(200))
    thumbnail_path: Mapped[str] = mapped_column(String(200))
    appeal: Mapped[Appeal] = relationship(back_populates="photos")


class AppealEvent(db.Model):
    """One step in an appeal's history (who did what when): ``filed``,
    ``accepted``, ``rejected``, ``applied`` (a version of the month applied
    it). Rows are only ever added."""

    __tablename__ = "scorecard_appeal_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("scorecard_appeal.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int | None] = mapped_column(Integer)
    actor = relationship("User")
    appeal: Mapped[Appeal] = relationship(back_populates="events")
