"""Patrols (巡查), their GPS breadcrumbs and the unit grids they covered."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridcity.cases.models import UTCDateTime
from gridcity.core.geometry import GeometryType, spatial_index
from gridcity.extensions import db

# 日常巡查, 夜间巡查, 节假日巡查, 月末集中巡查
PATROL_KINDS = ("daily", "night", "holiday", "month_end")

patrol_unit_grid = Table(
    "patrol_unit_grid",
    db.metadata,
    Column("patrol_id", ForeignKey("patrol.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_grid_id", ForeignKey("unit_grid.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Patrol(db.Model):
    """巡查 — one inspector's round. Running while ``ended_at`` is empty; the
    track and the unit grids it covered are computed from the breadcrumbs when
    it stops."""

    __tablename__ = "patrol"
    id: Mapped[int] = mapped_column(primary_key=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    # How often the app records a breadcrumb while the patrol runs.
    interval_s: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    track = mapped_column(GeometryType("LINESTRING"), nullable=True)
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    point_count: Mapped[int] = mapped_column(Integer, default=0)

    inspector = relationship("User")
    points: Mapped[list[PatrolPoint]] = relationship(
        back_populates="patrol", order_by="PatrolPoint.at", cascade="all, delete-orphan"
    )
    unit_grids = relationship("UnitGrid", secondary=patrol_unit_grid, order_by="UnitGrid.code")

    __table_args__ = (
        db.CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in PATROL_KINDS) + ")", name="kind_known"),
        spatial_index("patrol", "track"),
    )

    @property
    def running(self) -> bool:
        return self.ended_at is None


class PatrolPoint(db.Model):
    """A GPS breadcrumb. ``at`` is when the phone recorded it; the same point
    sent twice (a retry from the phone's queue) is stored once."""

    __tablename__ = "patrol_point"
    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    patrol: Mapped[Patrol] = relationship(back_populates="points")

    __table_args__ = (db.UniqueConstraint("patrol_id", "at"),)
