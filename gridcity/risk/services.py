"""Overdue risk (超期风险): training, the nightly job, and the risk of open cases.

One door for each rule: ``retrain`` is what the nightly job
(``retrain_due``), ``gridcity risk train`` and ``POST /api/v1/risk/train``
run; ``refresh_scores`` what the scheduler runs every
GRIDCITY_RISK_SCORE_SECONDS; ``case_risk`` what the drawer reads.

Training (see gridcity/risk/features.py for the rows, model.py for the
model): every dispatch before now whose outcome is known. With fewer than
GRIDCITY_RISK_MIN_HISTORY such rows, or fewer than GRIDCITY_RISK_MIN_LATE
late (or on-time) ones, the run is stored as ``too_little_history`` and no
case shows a risk until a later run trains. The last
GRIDCITY_RISK_HOLDOUT_DAYS days are first held out: a model of the earlier
rows is scored on them (ROC AUC, kept in the run's metrics), then the stored
model is fitted on every row.

Scored cases: those filed (立案, not yet dispatched: as if dispatched now to
the unit the responsibility rules pick), dispatched, in progress or
suspended, whose deadline has not passed (an overdue case is overdue, not at
risk). Scores are cached in ``case_risk`` by the scoring job (the queue's
sort reads them); the drawer scores a case again when it changed since.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import numpy as np
from flask import current_app
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import selectinload

from gridcity.cases import states
from gridcity.cases.models import Case
from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.risk import model as risk_model
from gridcity.risk.features import FACTORS, Dispatches, dispatches_of, read_history
from gridcity.risk.models import TOO_LITTLE_HISTORY, TRAINED, CaseRisk, RiskModel

SCORED_STATES = (states.FILED, states.DISPATCHED, states.IN_PROGRESS, states.SUSPENDED)
# How many factors the drawer names at most.
FACTORS_SHOWN = 3


def _settings():
    return current_app.config["SETTINGS"]


def roc_auc(late: np.ndarray, risk: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(late)) < 2:
        return None
    return float(roc_auc_score(late, risk))


def retrain(as_of: dt.datetime | None = None) -> RiskModel:
    """Train on the history before ``as_of`` (now) and store the run; the
    open cases are scored again with it."""
    settings = _settings()
    as_of = as_of or utcnow()
    started = time.perf_counter()
    history = read_history(as_of, settings.timezone)
    read_seconds = time.perf_counter() - started
    known = history.subset(history.late >= 0)
    late = int((known.late == 1).sum())
    metrics: dict = {"read_seconds": round(read_seconds, 3), "dispatches_read": len(history)}
    run = RiskModel(trained_at=utcnow(), rows_used=len(known), late_rows=late, metrics=metrics, model=None)
    enough = (
        len(known) >= settings.risk_min_history and min(late, len(known) - late) >= settings.risk_min_late
    )
    if not enough:
        run.status = TOO_LITTLE_HISTORY
        metrics.update(needed_rows=settings.risk_min_history, needed_late=settings.risk_min_late)
    else:
        run.status = TRAINED
        started = time.perf_counter()
        metrics.update(_holdout_check(known, as_of))
        run.model = risk_model.fit(known)
        metrics["fit_seconds"] = round(time.perf_counter() - started, 3)
    db.session.add(run)
    db.session.flush()
    refresh_scores()
    return run


def _holdout_check(known: Dispatches, as_of: dt.datetime) -> dict:
    """ROC AUC on the last days of a model of the days before them."""
    settings = _settings()
    cut = as_of.timestamp() - settings.risk_holdout_days * 86400
    earlier, last = known.subset(known.dispatched < cut), known.subset(known.dispatched >= cut)
    out = {"holdout_days": settings.risk_holdout_days, "holdout_rows": len(last), "holdout_auc": None}
    earlier_late = int((earlier.late == 1).sum())
    if len(earlier) < settings.risk_min_history or min(earlier_late, len(earlier) - earlier_late) < 1:
        return out
    risk, _ = risk_model.contributions(risk_model.fit(earlier), last)
    out["holdout_auc"] = roc_auc(last.late, risk)
    return out


def latest_run() -> RiskModel | None:
    return db.session.scalar(select(RiskModel).order_by(RiskModel.trained_at.desc(), RiskModel.id.desc()))


def active_model() -> RiskModel | None:
    """The model that scores cases now: the newest run, if it trained."""
    run = latest_run()
    return run if run is not None and run.status == TRAINED else None


def retrain_due(now: dt.datetime | None = None) -> str | None:
    """The nightly job (hourly, idempotent): retrain once a day, after
    GRIDCITY_RISK_TRAIN_HOUR city time."""
    settings = _settings()
    now = now or utcnow()
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    if local.hour < settings.risk_train_hour:
        return None
    last = latest_run()
    if last is not None and last.trained_at.astimezone(zone).date() == local.date():
        return None
    run = retrain(now)
    db.session.commit()
    return f"risk model {run.status}: {run.rows_used} rows"


def score_job() -> int:
    """The scoring job: every open case's risk, again."""
    count = refresh_scores()
    db.session.commit()
    return count


# ---------------------------------------------------------------- scoring


def _dispatch_of(case: Case, now: dt.datetime) -> tuple | None:
    """(case id, category, unit, street, clock, moment) as the model sees the
    case's dispatch; None when it has no risk to show."""
    from gridcity.cases.routing import responsible_unit

    if case.state not in SCORED_STATES or case.overdue:
        return None
    if case.deadline_at is not None and case.deadline_at <= now and case.state != states.FILED:
        return None
    if case.state == states.FILED:
        try:
            unit, _ = responsible_unit(case)
        except GridCityError:  # no rule for it here: the dispatcher picks, no risk yet
            return None
        return (
            case.id,
            case.category_id,
            unit,
            case.street_id,
            case.category.deadline_clock,
            now.timestamp(),
        )
    clock = case.handle_clock or case.category.deadline_clock
    return (case.id, case.category_id, case.unit_id, case.street_id, clock, case.dispatched_at.timestamp())


def score_cases(run: RiskModel, cases: list[Case], now: dt.datetime | None = None) -> list[dict]:
    """Risk and main factors of each scorable case (others are left out)."""
    now = now or utcnow()
    entries = [e for e in (_dispatch_of(c, now) for c in cases) if e is not None]
    if not entries:
        return []
    d = dispatches_of(entries, _settings().timezone)
    risk, parts = risk_model.contributions(run.model, d)
    minimum = _settings().risk_factor_min_weight
    out = []
    for i, case_id in enumerate(d.case_id):
        order = np.argsort(-parts[i], kind="stable")[:FACTORS_SHOWN]
        factors = [
            {
                "factor": FACTORS[k],
                "value": _factor_value(d, FACTORS[k], i),
                "weight": round(float(parts[i, k]), 3),
            }
            for k in order
            if parts[i, k] >= minimum
        ]
        for factor in factors:
            if factor["factor"] == "load":  # which way the load differs from the average case's
                factor["more"] = risk_model.load_above_average(run.model, factor["value"])
        out.append({"case_id": int(case_id), "risk": float(risk[i]), "factors": factors})
    return out


def _factor_value(d: Dispatches, factor: str, i: int):
    value = d.values(factor)[i]
    return int(value) if factor == "load" else (value.item() if hasattr(value, "item") else value)


def refresh_scores(now: dt.datetime | None = None) -> int:
    """Score every scorable open case with the active model into ``case_risk``
    (rows of other cases and older models go)."""
    now = now or utcnow()
    db.session.execute(delete(CaseRisk))
    run = active_model()
    if run is None:
        return 0
    cases = db.session.scalars(
        select(Case).where(Case.state.in_(SCORED_STATES)).options(selectinload(Case.category))
    ).all()
    versions = {c.id: c.version for c in cases}
    scores = score_cases(run, list(cases), now)
    if scores:
        db.session.execute(
            insert(CaseRisk),
            [
                {**s, "model_id": run.id, "case_version": versions[s["case_id"]], "scored_at": now}
                for s in scores
            ],
        )
    return len(scores)


def case_risk(case: Case) -> dict | None:
    """The case's risk and factors as last scored, or scored now when the case
    changed since (nothing is written); None when it has none."""
    run = active_model()
    if run is None:
        return None
    cached = db.session.get(CaseRisk, case.id)
    if cached is not None and cached.model_id == run.id and cached.case_version == case.version:
        return {"risk": cached.risk, "factors": cached.factors}
    scores = score_cases(run, [case])
    return scores[0] if scores else None


def ranked_cases(limit: int = 500) -> list[tuple[Case, CaseRisk]]:
    """The open cases as the active model last scored them, riskiest first
    (the scoring job's cache: at most GRIDCITY_RISK_SCORE_SECONDS old)."""
    run = active_model()
    if run is None:
        return []
    return [
        (case, scored)
        for case, scored in db.session.execute(
            select(Case, CaseRisk)
            .join(CaseRisk, CaseRisk.case_id == Case.id)
            .where(CaseRisk.model_id == run.id, Case.state.in_(SCORED_STATES))
            .order_by(CaseRisk.risk.desc(), Case.id)
            .limit(limit)
        )
    ]


def run_summary(run: RiskModel, language: str | None = None) -> dict:
    """A training run as the API and the command line report it."""
    from gridcity.core.i18n import translate

    metrics = run.metrics or {}
    auc = metrics.get("holdout_auc")
    # Each message takes the figures it names.
    figures = {
        "rows": run.rows_used,
        "late": run.late_rows,
        "days": metrics.get("holdout_days"),
        "auc": "—" if auc is None else f"{auc:.3f}",
        "needed": metrics.get("needed_rows"),
        "needed_late": metrics.get("needed_late"),
    }
    key = "risk_trained" if run.status == TRAINED else "risk_too_little_history"
    message = translate(key, language, **figures)
    return {
        "id": run.id,
        "status": run.status,
        "trained_at": run.trained_at.isoformat(),
        "rows_used": run.rows_used,
        "late_rows": run.late_rows,
        "holdout_auc": metrics.get("holdout_auc"),
        "message": message,
    }
