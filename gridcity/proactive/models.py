"""主动治理 — a proactive task is a case (source ``proactive``) with the
basis it was raised from: a hotspot or a recurrence of the analysis, and the
cases behind it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridcity.cases.models import UTCDateTime
from gridcity.extensions import db

BASIS_KINDS = ("hotspot", "recurrence")  # 热点 / 反复发生

# The cases a task was raised from (its basis), by their own ids.
proactive_task_case = Table(
    "proactive_task_case",
    db.metadata,
    Column("task_id", ForeignKey("proactive_task.id"), primary_key=True),
    Column("case_id", ForeignKey("case_file.id"), primary_key=True, index=True),
)


class ProactiveTask(db.Model):
    """The basis of one proactive case: what the analysis called it (kind and
    its own id), the title and who raised it when."""

    __tablename__ = "proactive_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    basis_kind: Mapped[str] = mapped_column(String(12))
    # The hotspot's or recurrence's id as the analysis gave it (its own key).
    basis_ref: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    case = relationship("Case")
    creator = relationship("User")
    basis_cases = relationship("Case", secondary=proactive_task_case, order_by="Case.id")
