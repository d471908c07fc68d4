"""The city's geography: the administrative tree, unit grids and the work grids
that group them for patrol and assessment."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridcity.core.geometry import GeometryType, spatial_index
from gridcity.extensions import db


class District(db.Model):
    """区 — top of the administrative tree, identified by its 6-digit admin code."""

    __tablename__ = "district"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    geom = mapped_column(GeometryType("MULTIPOLYGON"), nullable=False)
    streets: Mapped[list[Street]] = relationship(back_populates="district")

    __table_args__ = (spatial_index("district"),)


class Street(db.Model):
    """街道 — street office area; code is its digits inside the district."""

    __tablename__ = "street"
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    code: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(100))
    geom = mapped_column(GeometryType("MULTIPOLYGON"), nullable=False)
    district: Mapped[District] = relationship(back_populates="streets")
    communities: Mapped[list[Community]] = relationship(back_populates="street")

    __table_args__ = (db.UniqueConstraint("district_id", "code"), spatial_index("street"))

    @property
    def full_code(self) -> str:
        return self.district.code + self.code


class Community(db.Model):
    """社区 — community inside a street."""

    __tablename__ = "community"
    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id"), index=True)
    code: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(100))
    geom = mapped_column(GeometryType("MULTIPOLYGON"), nullable=False)
    street: Mapped[Street] = relationship(back_populates="communities")

    __table_args__ = (db.UniqueConstraint("street_id", "code"), spatial_index("community"))

    @property
    def full_code(self) -> str:
        return self.street.full_code + self.code


class Area(db.Model):
    """片区 — a set of work grids under one area head (one per street office in
    the reference deployment)."""

    __tablename__ = "area"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))
    head_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", use_alter=True))
    work_grids: Mapped[list[WorkGrid]] = relationship(back_populates="area")


class WorkGroup(db.Model):
    """工作小组 — work grids patrolled together under a group leader."""

    __tablename__ = "work_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    leader_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", use_alter=True))
    work_grids: Mapped[list[WorkGrid]] = relationship(back_populates="work_group")


inspector_work_grid = Table(
    "inspector_work_grid",
    db.metadata,
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("work_grid_id", ForeignKey("work_grid.id", ondelete="CASCADE"), primary_key=True),
)


class WorkGrid(db.Model):
    """工作网格 / 责任网格 — unit grids patrolled by one team of inspectors."""

    __tablename__ = "work_grid"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    work_group_id: Mapped[int | None] = mapped_column(ForeignKey("work_group.id"), index=True)
    # Union of its unit grids, kept for drawing; recomputed when membership changes.
    geom = mapped_column(GeometryType("MULTIPOLYGON"), nullable=True)
    area: Mapped[Area] = relationship(back_populates="work_grids")
    work_group: Mapped[WorkGroup | None] = relationship(back_populates="work_grids")
    inspectors = relationship("User", secondary=inspector_work_grid, back_populates="work_grids")

    __table_args__ = (spatial_index("work_grid"),)


class UnitGrid(db.Model):
    """单元网格 — the smallest cell every report is placed in (~10,000 m²)."""

    __tablename__ = "unit_grid"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    work_grid_id: Mapped[int | None] = mapped_column(ForeignKey("work_grid.id"), index=True)
    area_m2: Mapped[float] = mapped_column(Float)
    geom = mapped_column(GeometryType("POLYGON"), nullable=False)
    community: Mapped[Community] = relationship()
    work_grid: Mapped[WorkGrid | None] = relationship()

    __table_args__ = (spatial_index("unit_grid"),)


class GeoRevision(db.Model):
    """One row whose counter moves whenever unit grids change, so every process
    knows to rebuild its in-memory locator."""

    __tablename__ = "geo_revision"
    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
