"""部件 — one physical component in the public space."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridcity.cases.models import UTCDateTime
from gridcity.core.geometry import GeometryType, spatial_index
from gridcity.extensions import db

STATES = ("intact", "damaged", "lost", "occupied")  # 完好 / 破损 / 丢失 / 占用
# What the audit log calls a component.
COMPONENT_KIND = "component"


class Component(db.Model):
    __tablename__ = "component"
    id: Mapped[int] = mapped_column(primary_key=True)
    # 6 admin + 2 major + 2 minor + 6 sequence.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    unit_grid_id: Mapped[int] = mapped_column(ForeignKey("unit_grid.id"), index=True)
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    maintainer_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    state: Mapped[str] = mapped_column(String(10), default="intact")
    installed_on: Mapped[dt.date | None] = mapped_column(Date)
    data_source: Mapped[str] = mapped_column(String(50), default="import")
    # For the census status (普查状态): when it entered the inventory and when
    # an admin last changed it (None: before these were kept).
    added_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    geom = mapped_column(GeometryType("POINT"), nullable=False)

    category = relationship("Category")
    unit_grid = relationship("UnitGrid")
    owner_unit = relationship("Unit", foreign_keys=[owner_unit_id])
    maintainer_unit = relationship("Unit", foreign_keys=[maintainer_unit_id])

    __table_args__ = (
        spatial_index("component"),
        db.CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in STATES) + ")", name="state_known"),
    )
