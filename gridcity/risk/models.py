"""The trained risk model and the cached scores of open cases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridcity.cases.models import UTCDateTime
from gridcity.extensions import db

TRAINED = "trained"
TOO_LITTLE_HISTORY = "too_little_history"


class RiskModel(db.Model):
    """One nightly training run. The newest row decides: a ``trained`` row's
    ``model`` scores the open cases; a ``too_little_history`` row means no
    risk is shown until the city has lived more."""

    __tablename__ = "risk_model"
    id: Mapped[int] = mapped_column(primary_key=True)
    trained_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(20))
    # History rows read (finished or already late dispatches) and how many were late.
    rows_used: Mapped[int] = mapped_column(Integer)
    late_rows: Mapped[int] = mapped_column(Integer)
    # Held-out check (ROC AUC on the last days, trained on the earlier ones) and timings.
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    # The coefficients as plain JSON (gridcity/risk/scoring.py reads them; no pickle).
    model: Mapped[dict | None] = mapped_column(JSON)


class CaseRisk(db.Model):
    """An open case's risk of going overdue, as last scored, with its main factors."""

    __tablename__ = "case_risk"
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("risk_model.id"), index=True)
    # The case's version when scored: a case changed since is scored again on demand.
    case_version: Mapped[int] = mapped_column(Integer)
    risk: Mapped[float] = mapped_column(Float)
    # [{"factor": "unit", "value": 3, "weight": 0.8}, …], strongest first (words at read time).
    factors: Mapped[list] = mapped_column(JSON, default=list)
    scored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
