"""The public interface of the scorecards (绩效评价): what the managers' pages,
the exports and the JSON API call. Names here are stable.

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

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gridcity.scorecards.figures import TierFigures

AREA_TIERS = ("unit_grid", "work_grid", "area", "street", "district")
PERSON_TIERS = ("inspector", "operator", "shift_leader", "dispatcher")
LEADER_TIERS = ("group_leader", "area_head", "center_head")
TIERS = (*AREA_TIERS, "unit", *PERSON_TIERS, *LEADER_TIERS)


@dataclass
class ScorecardRow:
    """One subject's line in a scorecard table.

    - ``subject_kind``: the tier (``street``, ``inspector``…); ``subject_id``:
      the row's id in its table (street id, user id…; the center head row has
      id 0); ``subject_code`` / ``subject_name``: for display.
    - ``counts``: the raw counts behind the row (``{"closed": 12, …}``; names
      in :data:`gridcity.scorecards.indicators.COUNT_NAMES`), each one
      drillable with :func:`cases_behind`. Leader rows carry no counts.
    - ``indicators``: ``{code: {"value": float, "score": float, "weight":
      float, "name_zh", "name_en"}}`` — value is the formula's result (a rate
      is 0..1), score its 0..100 mapping.
    - ``score`` (0..100, 2 decimals), ``grade`` (A–E by the bands),
      ``rank`` (1 = best; equal scores share a rank),
      ``previous_score`` / ``change``: last month's score and the difference
      (None when last month has no row for this subject).
    - ``own_score`` / ``team_score``: for leader tiers, the two parts of the
      score (the tier rule weights them).
    """

    subject_kind: str
    subject_id: int
    subject_code: str
    subject_name: str
    counts: dict[str, int] = field(default_factory=dict)
    indicators: dict[str, dict] = field(default_factory=dict)
    score: float = 0.0
    grade: str = "E"
    rank: int = 0
    previous_score: float | None = None
    change: float | None = None
    own_score: float | None = None
    team_score: float | None = None
    parent_kind: str | None = None  # e.g. a work grid's area, a unit grid's work grid
    parent_id: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class ScorecardTable:
    """One tier's table for one month, best first.

    ``rows`` are the :class:`ScorecardRow` objects. A table computed live
    (``engine.compute_all``) holds its tier's figures as columns instead
    (``figures``, a :class:`gridcity.scorecards.figures.TierFigures`) and
    makes its rows the first time they are read: most live tables are
    scored, ranked and thrown away (a city has tens of thousands of unit
    grids), so the row objects are paid for only where they are used. A
    frozen table and the leader tiers are given their rows ready."""

    def __init__(
        self,
        month: str,
        tier: str,
        rows: list[ScorecardRow] | None,
        definition_version: int,  # the indicator definition set used
        version: int | None,  # the frozen version read, None when computed live
        frozen_at: str | None = None,
        reason: str | None = None,
        *,
        figures: TierFigures | None = None,
    ):
        if (rows is None) == (figures is None):
            raise ValueError("a scorecard table is made from either its rows or its figures")
        self.month = month
        self.tier = tier
        self._rows = rows
        self.definition_version = definition_version
        self.version = version
        self.frozen_at = frozen_at
        self.reason = reason
        self.figures = figures

    @property
    def rows(self) -> list[ScorecardRow]:
        if self._rows is None:
            self._rows = self.figures.rows()
        return self._rows

    def __repr__(self) -> str:
        return f"<ScorecardTable {self.month} {self.tier} v{self.version}>"

    def to_dict(self) -> dict:
        return {
            "month": self.month,
            "tier": self.tier,
            "definition_version": self.definition_version,
            "version": self.version,
            "frozen_at": self.frozen_at,
            "reason": self.reason,
            "rows": [r.to_dict() for r in self.rows],
        }


@dataclass
class ContestRow:
    """A street's line in the sanitation contest (市容环卫杯)."""

    street_id: int
    street_code: str
    street_name: str
    # {item_code: {"name_zh", "name_en", "points", "deducted", "score"}}
    items: dict[str, dict]
    patrol_deductions: float  # from night / holiday / month-end patrol findings
    inspection_deductions: float  # from managers' inspection records
    score: float
    rank: int
    card: str | None  # "yellow" | "red" | None
    card_reason: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ContestTable:
    month: str
    rows: list[ContestRow]
    full_score: float
    version: int | None = None

    def to_dict(self) -> dict:
        return {
            "month": self.month,
            "full_score": self.full_score,
            "version": self.version,
            "rows": [r.to_dict() for r in self.rows],
        }


@dataclass
class VersionInfo:
    """One frozen version of a month's scorecards."""

    month: str
    version: int
    definition_version: int
    reason: str
    frozen_at: str
    frozen_by: str | None

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- reading


def compute_scorecards(month: str) -> dict[str, ScorecardTable]:
    """Compute every tier's table of ``month`` live from the case history
    (nothing stored), with the current indicator definitions."""
    from gridcity.scorecards import engine

    return engine.compute_all(month).tables


def month_scorecard(month: str, tier: str, version: int | None = None) -> ScorecardTable:
    """One tier's table of ``month``: the given frozen version, else the latest
    frozen version, else computed live (``version`` None in the result)."""
    from gridcity.scorecards import freeze

    return freeze.read_table(month, tier, version)


def month_scorecards(month: str, version: int | None = None) -> dict[str, ScorecardTable]:
    """Every tier's table of ``month`` (frozen if frozen, else live)."""
    from gridcity.scorecards import freeze

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
    from gridcity.scorecards import engine, freeze

    frozen = freeze.frozen_cases_behind(month, subject_kind, subject_id, indicator, version)
    if frozen is not None:
        return frozen
    return engine.cases_behind(month, subject_kind, subject_id, indicator)


def contest_ranking(month: str, version: int | None = None) -> ContestTable:
    """The sanitation contest of ``month``: streets ranked by score, with the
    deductions per item and the card each street got."""
    from gridcity.scorecards import freeze

    return freeze.read_contest(month, version)


def cards(month: str | None = None, language: str = "zh") -> list[dict]:
    """Red / yellow cards (红黄牌) issued: ``[{"month", "street_id",
    "street_name", "color", "reason", "reason_text"}]`` (the rules met, and
    in ``language``'s words), newest month first; one month or all."""
    from gridcity.scorecards import contest

    return contest.card_history(month, language)


# ---------------------------------------------------------------- freezing


def freeze_month(month: str, reason: str | None = None, user=None) -> VersionInfo:
    """Compute and freeze every table and the contest of ``month`` as a new
    immutable version (1 for the first, n+1 for a recomputation). Without a
    reason the version records the month-end code (``freeze.MONTH_END``)."""
    from gridcity.scorecards import freeze

    return freeze.freeze_month(month, reason, user)


def recompute(month: str, reason: str, user=None) -> VersionInfo:
    """A new version after late corrections; ``reason`` is required. Earlier
    versions stay readable."""
    from gridcity.scorecards import freeze

    return freeze.recompute(month, reason, user)


def versions(month: str) -> list[VersionInfo]:
    """The frozen versions of ``month``, oldest first."""
    from gridcity.scorecards import freeze

    return freeze.versions(month)


# ---------------------------------------------------------------- definitions


def definitions(version: int | None = None) -> dict:
    """The indicator definition set (current, or a given version) as data:
    ``{"version", "tiers": {tier: [{"code", "name_zh", "name_en", "formula",
    "weight", "kind", "if_empty"}]}, "grades", "tier_rules", "limits_minutes"}``."""
    from gridcity.scorecards import indicators

    return indicators.definition_document(version)


def update_definitions(document: dict, user=None, note: str = "") -> int:
    """Validate and store an edited definition set as a new version; returns it."""
    from gridcity.scorecards import indicators

    return indicators.save_definitions(document, user, note)


def months_available(limit: int = 12) -> list[str]:
    """The last ``limit`` months up to this one, and any older frozen month,
    newest first."""
    from gridcity.scorecards import freeze

    return freeze.months_available(limit)
