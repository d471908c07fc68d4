"""One row per audited administrative act."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridcity.cases.models import UTCDateTime
from gridcity.extensions import db


class AuditEntry(db.Model):
    """An audited act. ``before`` / ``after`` hold what changed (never personal
    data itself: callers put masks or hashes there); ``actor_id`` is empty for
    the scheduler's own jobs."""

    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    # The client's address for acts made over HTTP.
    actor_address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(50), index=True)
    object_kind: Mapped[str | None] = mapped_column(String(50))
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_label: Mapped[str | None] = mapped_column(String(200))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")

    # An object's history (a person's page) is read by kind and id.
    __table_args__ = (Index("ix_audit_entry_object", "object_kind", "object_id"),)
