"""Frozen scorecards: month-end snapshots and recomputations as numbered
versions. A version's rows are written once and never updated; reading a
month gives its latest version unless another is asked for, and a month
that was never frozen is computed live."""

from __future__ import annotations

import datetime as dt
import io
import zlib

import numpy as np
from sqlalchemy import func, insert, select

from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError, NotFound
from gridcity.extensions import db
from gridcity.scorecards.counting import engine
from gridcity.scorecards.counting.counts import TIERS
from gridcity.scorecards.models import ContestResult, ScorecardFacts, ScorecardRowRecord, ScorecardVersion
from gridcity.scorecards.scoring import scores
from gridcity.scorecards.scoring.tables import (
    ContestRow,
    ContestTable,
    ScorecardRow,
    ScorecardTable,
    VersionInfo,
)
from gridcity.scorecards.snapshots import appeal_exclusions
from gridcity.web.ui_text import ui_text

# The reason a month-end freeze records when none is given: a code, worded in
# the reader's language (freeze_reason_text). Versions frozen before the code
# existed stored the Chinese words themselves.
MONTH_END = "month_end"
_MONTH_END_WORDS = "月末冻结"

ROW_FIELDS = (
    "subject_id",
    "subject_code",
    "subject_name",
    "parent_kind",
    "parent_id",
    "counts",
    "indicators",
    "score",
    "grade",
    "rank",
    "previous_score",
    "change",
    "own_score",
    "team_score",
)


def _info(v: ScorecardVersion) -> VersionInfo:
    return VersionInfo(
        v.month,
        v.version,
        v.definition_version,
        v.reason,
        v.frozen_at.isoformat(),
        v.frozen_by.username if v.frozen_by else None,
    )


def _version(month: str, version: int | None) -> ScorecardVersion | None:
    engine.parse_month(month)
    query = select(ScorecardVersion).where(ScorecardVersion.month == month)
    if version is not None:
        row = db.session.scalar(query.where(ScorecardVersion.version == version))
        if row is None:
            raise NotFound("not_found", what=f"scorecards {month} version {version}")
        return row
    return db.session.scalar(query.order_by(ScorecardVersion.version.desc()).limit(1))


def versions(month: str) -> list[VersionInfo]:
    engine.parse_month(month)
    return [
        _info(v)
        for v in db.session.scalars(
            select(ScorecardVersion).where(ScorecardVersion.month == month).order_by(ScorecardVersion.version)
        )
    ]


def _store(month: str, reason: str, user) -> VersionInfo:
    # Every version after an appeal's acceptance applies it (appeal_exclusions).
    result = scores.compute_all(month, appeal_exclusions.step(month))
    latest = db.session.scalar(
        select(func.max(ScorecardVersion.version)).where(ScorecardVersion.month == month)
    )
    version = ScorecardVersion(
        month=month,
        version=(latest or 0) + 1,
        definition_version=result.definition_version,
        reason=reason,
        frozen_at=utcnow(),
        frozen_by_id=getattr(user, "id", None),
    )
    db.session.add(version)
    db.session.flush()
    rows = [
        {"version_id": version.id, "tier": tier, **{f: getattr(r, f) for f in ROW_FIELDS}}
        for tier, table in result.tables.items()
        for r in table.rows
    ]
    for n in range(0, len(rows), 5000):
        db.session.execute(insert(ScorecardRowRecord), rows[n : n + 5000])
    contest_rows = [
        {
            "version_id": version.id,
            "month": month,
            "street_id": r.street_id,
            "street_code": r.street_code,
            "street_name": r.street_name,
            "items": r.items,
            "patrol_deductions": r.patrol_deductions,
            "inspection_deductions": r.inspection_deductions,
            "score": r.score,
            "rank": r.rank,
            "card": r.card,
            "card_reason": r.card_reason,
        }
        for r in result.contest.rows
    ]
    if contest_rows:
        db.session.execute(insert(ContestResult), contest_rows)
    # The drill-downs, frozen with the figures (rule 8).
    facts = result.counts.facts
    db.session.execute(
        insert(ScorecardFacts),
        [
            {
                "version_id": version.id,
                "subject_group": group,
                "count": count,
                "rows": len(matrix),
                "data": _pack(matrix),
            }
            for (group, count), matrix in facts.items()
        ],
    )
    db.session.flush()
    return _info(version)


def _pack(matrix: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(matrix, dtype=np.int64), allow_pickle=False)
    return zlib.compress(buffer.getvalue(), 6)


def _unpack(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(zlib.decompress(data)), allow_pickle=False)


def frozen_cases_behind(
    month: str, subject_kind: str, subject_id: int, count: str, version: int | None = None
) -> list[int] | None:
    """The drill-down of a count as frozen with the month's given (else
    latest) version; None if the month was never frozen, or frozen before
    drill-downs were kept with the figures."""
    engine.check_count(subject_kind, count)
    frozen = _version(month, version)
    if frozen is None:
        return None
    data = db.session.scalar(
        select(ScorecardFacts.data).where(
            ScorecardFacts.version_id == frozen.id,
            ScorecardFacts.subject_group == engine.fact_group(subject_kind),
            ScorecardFacts.count == count,
        )
    )
    if data is None:
        return None
    return engine.facts_of(_unpack(data), subject_kind, subject_id)


def freeze_month(month: str, reason: str | None = None, user=None) -> VersionInfo:
    """Freeze ``month`` as its next version (the caller commits); without a
    reason it records :data:`MONTH_END`."""
    engine.parse_month(month)
    start, end = engine.month_bounds(month)
    if end > utcnow():
        raise GridCityError(
            "bad_request", detail=f"{month} has not ended yet; it can be frozen once it has ended"
        )
    return _store(month, (reason or "").strip() or MONTH_END, user)


def recompute(month: str, reason: str, user=None) -> VersionInfo:
    """A new version after late corrections; needs a reason and an earlier version."""
    if not reason or not str(reason).strip():
        raise GridCityError("bad_request", detail="a recomputation needs a reason")
    if _version(month, None) is None:
        raise GridCityError("bad_request", detail=f"{month} has no frozen version yet; freeze it first")
    return _store(month, str(reason).strip(), user)


def freeze_due(now: dt.datetime | None = None) -> str | None:
    """The month-end job: freeze last month if it has no version yet."""
    now = now or utcnow()
    month = engine.shift_month(engine.month_of(now), -1)
    if _version(month, None) is not None:
        return None
    info = _store(month, MONTH_END, None)
    db.session.commit()
    return f"{month} v{info.version}"


def freeze_reason_text(reason: str | None, language: str) -> str:
    """A version's reason for people: the month-end code in ``language``'s
    words; accepted appeals by case number, subject and figure; a reason
    someone typed (a recomputation's) as they typed it."""
    if reason in (MONTH_END, _MONTH_END_WORDS):
        return ui_text("sc_reason_month_end", language)
    return appeal_exclusions.reason_text(reason, language) or reason or ""


# ---------------------------------------------------------------- reading


def _table_from(version: ScorecardVersion, tier: str) -> ScorecardTable:
    rows = [
        ScorecardRow(subject_kind=tier, **{f: getattr(r, f) for f in ROW_FIELDS})
        for r in db.session.scalars(
            select(ScorecardRowRecord)
            .where(ScorecardRowRecord.version_id == version.id, ScorecardRowRecord.tier == tier)
            # Unranked rows (no data) after the ranked ones, on either database.
            .order_by(
                ScorecardRowRecord.rank.is_(None), ScorecardRowRecord.rank, ScorecardRowRecord.subject_code
            )
        )
    ]
    return ScorecardTable(
        version.month,
        tier,
        rows,
        version.definition_version,
        version.version,
        version.frozen_at.isoformat(),
        version.reason,
    )


def _check_tier(tier: str) -> None:
    if tier not in TIERS:
        raise GridCityError("bad_request", detail=f"tier must be one of {', '.join(TIERS)}")


def read_table(month: str, tier: str, version: int | None = None) -> ScorecardTable:
    _check_tier(tier)
    frozen = _version(month, version)
    if frozen is not None:
        return _table_from(frozen, tier)
    return scores.compute_all(month).tables[tier]


def read_tables(month: str, version: int | None = None) -> dict[str, ScorecardTable]:
    frozen = _version(month, version)
    if frozen is not None:
        return {tier: _table_from(frozen, tier) for tier in TIERS}
    return scores.compute_all(month).tables


def read_tables_and_contest(month: str) -> tuple[dict[str, ScorecardTable], ContestTable]:
    """Every table and the contest of ``month`` (latest frozen version, else
    one live computation for both)."""
    if _version(month, None) is not None:
        return read_tables(month), read_contest(month)
    result = scores.compute_all(month)
    return result.tables, result.contest


def read_contest(month: str, version: int | None = None) -> ContestTable:
    frozen = _version(month, version)
    if frozen is None:
        return scores.compute_all(month).contest
    rows = [
        ContestRow(
            street_id=r.street_id,
            street_code=r.street_code,
            street_name=r.street_name,
            items=r.items,
            patrol_deductions=r.patrol_deductions,
            inspection_deductions=r.inspection_deductions,
            score=r.score,
            rank=r.rank,
            card=r.card,
            card_reason=r.card_reason,
        )
        for r in db.session.scalars(
            select(ContestResult)
            .where(ContestResult.version_id == frozen.id)
            .order_by(ContestResult.rank, ContestResult.street_code)
        )
    ]
    full = sum(v["points"] for v in rows[0].items.values()) if rows else 0.0
    return ContestTable(month, rows, full, frozen.version)


def months_available(limit: int = 12) -> list[str]:
    """The last ``limit`` months up to the current one, plus any frozen month
    older than that, newest first."""
    current = engine.month_of(utcnow())
    months = {engine.shift_month(current, -k) for k in range(limit)}
    months.update(db.session.scalars(select(ScorecardVersion.month).distinct()))
    return sorted(months, reverse=True)
