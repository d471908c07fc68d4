"""Cases (案卷), their append-only history, tasks, requests and photos."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from gridcity.core.geometry import GeometryType, spatial_index
from gridcity.extensions import db


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the database (SQLite keeps
    no time zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Case(db.Model):
    """案卷 — one problem in public space and its way through the closed loop.
    Every field here can be rebuilt from its :class:`CaseEvent` rows."""

    __tablename__ = "case_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    client_uuid: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the report first sent with client_uuid (intake's request_digest).
    request_digest: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(12))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    reporter_contact: Mapped[str | None] = mapped_column(String(100))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    urgency: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str | None] = mapped_column(String(200))
    # Where the problem is (after any correction) and the raw GPS fix.
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    raw_lon: Mapped[float | None] = mapped_column(Float)
    raw_lat: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    fix_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The inspector placed the position by hand on the map (no GPS fix, or
    # the pin was moved away from it): the raw fix, if any, stays beside it.
    position_by_hand: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # 部件: the component the report is about, chosen from the inventory.
    component_id: Mapped[int | None] = mapped_column(ForeignKey("component.id"), index=True)
    geom = mapped_column(GeometryType("POINT"), nullable=False)
    unit_grid_id: Mapped[int] = mapped_column(ForeignKey("unit_grid.id"), index=True)
    community_id: Mapped[int] = mapped_column(Integer)
    street_id: Mapped[int] = mapped_column(Integer, index=True)
    district_id: Mapped[int] = mapped_column(Integer)
    work_grid_id: Mapped[int | None] = mapped_column(Integer, index=True)
    area_id: Mapped[int | None] = mapped_column(Integer)
    # The patrol (巡查) the inspector found it on, if any.
    patrol_id: Mapped[int | None] = mapped_column(ForeignKey("patrol.id"), index=True)

    state: Mapped[str] = mapped_column(String(12), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"))
    void_reason: Mapped[str | None] = mapped_column(Text)
    suspended_from: Mapped[str | None] = mapped_column(String(12))
    review_on: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    filed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    unit_accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    suspension_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    # How many history events the case has had: every event changes the row,
    # so every event (even one that changes nothing else) bumps ``version``.
    event_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # The handling deadline (处置时限) on the category's clock. The clock runs
    # from ``handle_started_at``; ``handle_used_s`` is what earlier stretches
    # (before a suspension) used up.
    handle_clock: Mapped[str | None] = mapped_column(String(20))
    handle_budget_s: Mapped[float | None] = mapped_column(Float)
    handle_used_s: Mapped[float] = mapped_column(Float, default=0.0)
    handle_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    warn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # The case's first overdue mark (the sweeper's ``overdue`` event): a step
    # before it was on time, one after it late, even once a return or an
    # extension has cleared ``overdue`` (the scorecards' on-time rule).
    first_overdue_event_id: Mapped[int | None] = mapped_column(Integer)
    # 催办: how often a dispatcher or shift leader urged the unit, and when last.
    urge_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_urged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # 督办: the sweeper escalated the overdue case to the unit's leadership.
    # An escalation at or after the running deadline covers this overdue
    # episode; a new deadline (extension, rework, resumption) starts another.
    escalation_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    category = relationship("Category")
    unit = relationship("Unit")
    reporter = relationship("User")
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        spatial_index("case_file"),
        # Finding any case (cases/search.py, migration 0017_search) on PostgreSQL.
        Index(
            "ix_case_file_number_reversed",
            text("reverse(number) text_pattern_ops"),
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_case_file_contact_digits",
            text("regexp_replace(reporter_contact, '[^0-9]', '', 'g') gin_trgm_ops"),
            postgresql_using="gin",
            postgresql_where=text("reporter_contact IS NOT NULL"),
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_case_file_description_trgm",
            description,
            postgresql_using="gin",
            postgresql_ops={"description": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_case_file_address_trgm",
            address,
            postgresql_using="gin",
            postgresql_ops={"address": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )


class CaseEvent(db.Model):
    """One step in a case's history (责任倒查). Rows are only ever added."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    actor_role: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    # What the step decided: unit, deadlines, amounts, task, request… (JSON).
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    case: Mapped[Case] = relationship(back_populates="events")

    __table_args__ = (
        # The history notes a search reads (cases/search.py, migration 0017_search).
        Index(
            "ix_case_event_note_trgm",
            note,
            postgresql_using="gin",
            postgresql_ops={"note": "gin_trgm_ops"},
            postgresql_where=text("note <> ''"),
        ).ddl_if(dialect="postgresql"),
        # The notes written since a moment: a search looks among the newest first.
        Index("ix_case_event_noted_at", at, postgresql_where=text("note <> ''")).ddl_if(dialect="postgresql"),
    )


class CaseTask(db.Model):
    """核实 / 核查 — a verify or check task for an inspector of the case's grid."""

    __tablename__ = "case_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # verify | check
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    warn_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(String(8))  # pass | fail
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    case: Mapped[Case] = relationship()
    inspector = relationship("User")


class CaseRequest(db.Model):
    """A unit's request for an extension (延期), suspension (挂账) or return
    (回退), decided by a shift leader or dispatcher."""

    __tablename__ = "case_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # extension | suspension | return
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending | approved | refused
    requested_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    # Extension: more time on the case's own clock (hours, or days for working days).
    extra_amount: Mapped[float | None] = mapped_column(Float)
    review_on: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


class Photo(db.Model):
    """A stored photo, by content hash; ``stage`` says what it shows."""

    __tablename__ = "photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_event.id"))
    stage: Mapped[str] = mapped_column(String(10))  # report | verify | handle | check
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    relative_path: Mapped[str] = mapped_column(String(200))
    thumbnail_path: Mapped[str] = mapped_column(String(200))
    exif_lon: Mapped[float | None] = mapped_column(Float)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    # Distance from the EXIF position to the reported fix, when both exist.
    exif_distance_m: Mapped[float | None] = mapped_column(Float)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class DeadlinePolicy(db.Model):
    """Deadlines of the inspector steps and the warning point, as data. The
    handling deadline's clock and amount come from the category."""

    __tablename__ = "deadline_policy"
    # verify | check | handle | escalate (督办: ``amount`` hours overdue)
    step: Mapped[str] = mapped_column(String(10), primary_key=True)
    clock: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[float | None] = mapped_column(Float)
    warning_fraction: Mapped[float] = mapped_column(Float, default=0.75)
