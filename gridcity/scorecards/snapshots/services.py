"""The public interface of the scorecards (绩效评价): what the managers' pages,
the exports, the JSON API, the CLI and the tests call. Names here are stable
(the tier names and the table classes are re-exported from the layers below).
It sits at the top of the snapshots layer: nothing in counting, scoring or
snapshots imports it.

A month is ``"YYYY-MM"`` in the city's time zone. Tables ("tiers") are named
by :data:`TIERS`:

- areas: ``unit_grid`` → ``work_grid`` → ``area`` (片区) / ``street`` → ``district``;
- units: ``unit`` (责任单位);
- positions: ``inspector``, ``operator``, ``shift_leader``, ``dispatcher``;
- the chain of command (逐级考核): ``inspector`` (member) → ``group_leader``
  → ``area_head`` → ``center_head``.

Every figure is computed from the case history (``case_event``); the list of
cases behind any count comes from :func:`cases_behind` with the same rule.
A frozen month is read from its snapshot (:func:`freeze_month`); an unfrozen
month is computed live.
"""

from __future__ import annotations

from gridcity.scorecards.counting import engine
from gridcity.scorecards.counting.counts import AREA_TIERS, LEADER_TIERS, PERSON_TIERS, TIERS  # noqa: F401
from gridcity.scorecards.scoring import contest, indicators, scores
from gridcity.scorecards.scoring.tables import (  # noqa: F401
    ContestRow,
    ContestTable,
    ScorecardRow,
    ScorecardTable,
    VersionInfo,
)
from gridcity.scorecards.snapshots import freeze

# ---------------------------------------------------------------- reading


def compute_scorecards(month: str) -> dict[str, ScorecardTable]:
    """Compute every tier's table of ``month`` live from the case history
    (nothing stored), with the current indicator definitions."""
    return scores.compute_all(month).tables


def month_scorecard(month: str, tier: str, version: int | None = None) -> ScorecardTable:
    """One tier's table of ``month``: the given frozen version, else the latest
    frozen version, else computed live (``version`` None in the result)."""
    return freeze.read_table(month, tier, version)


def month_scorecards(month: str, version: int | None = None) -> dict[str, ScorecardTable]:
    """Every tier's table of ``month`` (frozen if frozen, else live)."""
    return freeze.read_tables(month, version)


def subject_trend(tier: str, subject_id: int, months: list[str]) -> list[dict]:
    """``[{"month", "score", "grade", "rank"}]`` of one subject over the given
    months (frozen figures where frozen, else live; None where no row)."""
    out = []
    for m in months:
        table = month_scorecard(m, tier)
        row = next((r for r in table.rows if r.subject_id == subject_id), None)
        out.append(
            {
                "month": m,
                "score": None if row is None else row.score,
                "grade": None if row is None else row.grade,
                "rank": None if row is None else row.rank,
            }
        )
    return out


def cases_behind(
    month: str, subject_kind: str, subject_id: int, indicator: str, version: int | None = None
) -> list[int]:
    """The drill-down of one count (``indicator`` is a count name, e.g.
    ``overdue``) of one subject in ``month``: one case id per row the count
    counted — a count of events lists a case once per event — so the list is
    exactly as long as the figure (DOMAIN §7.1 rule 8). Like the figures: the
    given frozen version, else the latest, as frozen with it (never recomputed);
    a month never frozen is read live."""
    frozen = freeze.frozen_cases_behind(month, subject_kind, subject_id, indicator, version)
    if frozen is not None:
        return frozen
    limits = indicators.set_for_month(month).document["limits_minutes"]
    return engine.cases_behind(month, subject_kind, subject_id, indicator, limits)


def contest_ranking(month: str, version: int | None = None) -> ContestTable:
    """The sanitation contest of ``month``: streets ranked by score, with the
    deductions per item and the card each street got."""
    return freeze.read_contest(month, version)


def month_tables_and_contest(month: str) -> tuple[dict[str, ScorecardTable], ContestTable]:
    """Every tier's table and the contest of ``month`` at once (one live
    computation for a month not frozen): the wall screen reads both."""
    return freeze.read_tables_and_contest(month)


def cards(month: str | None = None, language: str = "zh") -> list[dict]:
    """Red / yellow cards (红黄牌) issued: ``[{"month", "street_id",
    "street_name", "color", "reason", "reason_text"}]`` (the rules met, and
    in ``language``'s words), newest month first; one month or all."""
    return contest.card_history(month, language)


# ---------------------------------------------------------------- freezing


def freeze_month(month: str, reason: str | None = None, user=None) -> VersionInfo:
    """Compute and freeze every table and the contest of ``month`` as a new
    immutable version (1 for the first, n+1 for a recomputation). Without a
    reason the version records the month-end code (``freeze.MONTH_END``)."""
    return freeze.freeze_month(month, reason, user)


def recompute(month: str, reason: str, user=None) -> VersionInfo:
    """A new version after late corrections; ``reason`` is required. Earlier
    versions stay readable."""
    return freeze.recompute(month, reason, user)


def versions(month: str) -> list[VersionInfo]:
    """The frozen versions of ``month``, oldest first."""
    return freeze.versions(month)


# ---------------------------------------------------------------- definitions


def definitions(version: int | None = None) -> dict:
    """The indicator definition set (current, or a given version) as data:
    ``{"version", "tiers": {tier: [{"code", "name_zh", "name_en", "formula",
    "weight", "scale", "when_empty", "if_empty"}]}, "grades", "tier_rules",
    "limits_minutes"}`` (``when_empty``: see :mod:`gridcity.scorecards.scoring.indicators`)."""
    return indicators.definition_document(version)


def update_definitions(document: dict, user=None, note: str = "") -> int:
    """Store edited indicator definitions as a new settings version (the
    contest rules unchanged), in force from the first month not frozen;
    returns it. Checked and audited as every settings version
    (:func:`gridcity.scorecards.snapshots.settings.save_version`)."""
    from gridcity.scorecards.snapshots import settings
    from gridcity.web.ui_text import ui_text

    draft = {**settings.draft(), **{k: document[k] for k in settings.DOCUMENT_KEYS if k in document}}
    return settings.save_version(draft, user, note or ui_text("as_note_api_definitions", "zh"), None).version


def update_contest_rules(rules: dict, user=None, note: str = "") -> dict:
    """Store edited contest items and card rules as a new settings version
    (the indicator definitions unchanged), in force from the first month not
    frozen; returns the rules stored."""
    from gridcity.scorecards.snapshots import settings
    from gridcity.web.ui_text import ui_text

    row = settings.save_version(
        {**settings.draft(), "contest": rules}, user, note or ui_text("as_note_api_contest", "zh"), None
    )
    return contest.rules_of(row)


def months_available(limit: int = 12) -> list[str]:
    """The last ``limit`` months up to this one, and any older frozen month,
    newest first."""
    return freeze.months_available(limit)
