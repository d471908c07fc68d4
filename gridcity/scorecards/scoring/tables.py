"""The scorecards' tables as the layers above read them: a tier's rows
(:class:`ScorecardRow`, :class:`ScorecardTable`), the contest's
(:class:`ContestRow`, :class:`ContestTable`) and a frozen version's label
(:class:`VersionInfo`). Computed live by :mod:`.scores` and :mod:`.contest`,
or read back from a frozen version (:mod:`gridcity.scorecards.snapshots.freeze`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol


@dataclass
class ScorecardRow:
    """One subject's line in a scorecard table.

    - ``subject_kind``: the tier (``street``, ``inspector``…); ``subject_id``:
      the row's id in its table (street id, user id…; the center head row has
      id 0); ``subject_code`` / ``subject_name``: for display.
    - ``counts``: the raw counts behind the row (``{"closed": 12, …}``; names
      in :data:`gridcity.scorecards.counting.counts.COUNT_NAMES`), each one
      drillable with :func:`gridcity.scorecards.snapshots.services.cases_behind`. Leader rows carry no counts.
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


class TierRows(Protocol):
    """What a live table holds instead of its rows: its tier's figures as
    columns, which make the rows (a :class:`.figures.TierFigures`, which
    imports this module: hence a protocol, not an import)."""

    def rows(self) -> list[ScorecardRow]: ...


class ScorecardTable:
    """One tier's table for one month, best first.

    ``rows`` are the :class:`ScorecardRow` objects. A table computed live
    (``scores.compute_all``) holds its tier's figures as columns instead
    (``figures``, a :class:`gridcity.scorecards.scoring.figures.TierFigures`) and
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
        figures: TierRows | None = None,
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
