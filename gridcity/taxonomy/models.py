"""Case categories and responsibility rules, all as editable rows."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridcity.extensions import db

KINDS = ("component", "event")  # 部件 / 事件
KIND_PREFIX = {"component": "C", "event": "E"}
CLOCKS = ("emergency_hours", "working_hours", "working_days")
URGENCIES = ("normal", "urgent")
# Most specific first: a unit-grid rule beats a work-grid rule, and so on.
PLACE_KINDS = ("unit_grid", "work_grid", "street", "district")


class CategoryMajor(db.Model):
    """大类 — major class, two digits within its kind."""

    __tablename__ = "category_major"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(2))
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100))
    minors: Mapped[list[Category]] = relationship(back_populates="major", order_by="Category.code")

    __table_args__ = (db.UniqueConstraint("kind", "code"),)


class Category(db.Model):
    """小类 — the category a report is filed under. ``code`` is the kind letter,
    major and minor digits, e.g. ``C0101`` (component 01 / 01) or ``E0401``."""

    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("category_major.id"), index=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    minor_code: Mapped[str] = mapped_column(String(3))
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100))
    keywords: Mapped[str] = mapped_column(String(200), default="")
    filing_standard: Mapped[str] = mapped_column(Text, default="")  # 立案标准
    closing_standard: Mapped[str] = mapped_column(Text, default="")  # 结案标准
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    deadline_clock: Mapped[str] = mapped_column(String(20))
    deadline_amount: Mapped[float] = mapped_column(Float)
    # Kind of unit that handles it by default; used to seed responsibility rules.
    default_unit_kind: Mapped[str | None] = mapped_column(String(20))
    # Open cases of this category this close to a new report are likely duplicates.
    duplicate_radius_m: Mapped[float] = mapped_column(Float, default=50.0, server_default="50")
    # Photos an inspector's report of this category must carry (cities require
    # at least one); hotline and citizen reports need none.
    inspector_min_photos: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    major: Mapped[CategoryMajor] = relationship(back_populates="minors")

    @property
    def kind(self) -> str:
        return self.major.kind

    __table_args__ = (
        db.CheckConstraint(
            "deadline_clock IN (" + ", ".join(f"'{c}'" for c in CLOCKS) + ")", name="clock_known"
        ),
        db.CheckConstraint("deadline_amount > 0", name="deadline_positive"),
    )


class ResponsibilityRule(db.Model):
    """Category × place → responsible unit. The most specific place wins."""

    __tablename__ = "responsibility_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"))
    place_kind: Mapped[str] = mapped_column(String(12))
    place_id: Mapped[int] = mapped_column()
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    category: Mapped[Category] = relationship()
    unit = relationship("Unit")

    __table_args__ = (
        db.UniqueConstraint("category_id", "place_kind", "place_id"),
        db.CheckConstraint(
            "place_kind IN (" + ", ".join(f"'{p}'" for p in PLACE_KINDS) + ")", name="place_known"
        ),
    )
