"""A scored tier's figures as columns (one array or list per figure, best
first) and the row objects made from them.

The engine scores a tier with numpy over all its subjects at once; a city has
tens of thousands of unit grids, and making a :class:`ScorecardRow` with two
dicts per subject costs more than the scoring itself. So ``compute_all``
keeps every figure as columns, and a table makes its rows the first time they
are read (pages, exports, the freeze job), a column at a time with C-level
loops.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from gridcity.scorecards.scoring.tables import ScorecardRow


@contextmanager
def bulk_objects():
    """Many small objects are made at once (a row per unit grid): the cyclic
    garbage collector would re-scan them again and again meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class IndicatorFigures:
    """One indicator of a tier: its definition's labels and weight, and per
    subject its value (4 decimals) and its 0..100 score (2 decimals)."""

    code: str
    name_zh: str
    name_en: str
    weight: float
    values: np.ndarray
    scores: np.ndarray

    def per_subject(self) -> list[dict]:
        """A fresh ``{"value", "score", "weight", "name_zh", "name_en"}`` per
        subject (a dict display: much quicker than ``dict(zip(…))``)."""
        weight, name_zh, name_en = self.weight, self.name_zh, self.name_en
        return [
            {"value": v, "score": s, "weight": weight, "name_zh": name_zh, "name_en": name_en}
            for v, s in zip(self.values.tolist(), self.scores.tolist(), strict=True)
        ]


@dataclass
class TierFigures:
    """Every figure of one scored tier, one entry per subject, best first
    (ties by code). ``counts`` has a row per subject and a column per name of
    ``count_names``; ``previous_scores`` / ``changes`` are None where last
    month has no score for the subject."""

    tier: str
    subject_ids: np.ndarray
    codes: tuple[str, ...]
    names: tuple[str, ...]
    parent_kinds: tuple[str | None, ...]
    parent_ids: tuple[int | None, ...]
    count_names: tuple[str, ...]
    counts: np.ndarray
    indicators: list[IndicatorFigures]
    scores: np.ndarray
    grades: list[str]
    ranks: np.ndarray
    previous_scores: list[float | None]
    changes: list[float | None]

    @classmethod
    def empty(cls, tier: str, count_names: tuple[str, ...]) -> TierFigures:
        return cls(
            tier,
            np.zeros(0, dtype=np.int64),
            (),
            (),
            (),
            (),
            tuple(count_names),
            np.zeros((0, len(count_names)), dtype=np.int64),
            [],
            np.zeros(0),
            [],
            np.zeros(0, dtype=np.int64),
            [],
            [],
        )

    def __len__(self) -> int:
        return len(self.subject_ids)

    def score_of(self) -> dict[int, float]:
        """``{subject_id: score}``."""
        return dict(zip(self.subject_ids.tolist(), self.scores.tolist(), strict=True))

    def rows(self) -> list[ScorecardRow]:
        """The tier's rows, best first: a fresh row object, counts dict and
        indicator dicts per subject."""
        if not len(self):
            return []
        with bulk_objects():
            return self._rows()

    def _rows(self) -> list[ScorecardRow]:
        counts = map(dict, map(zip, repeat(self.count_names), self.counts.tolist()))
        per_indicator = [i.per_subject() for i in self.indicators]
        codes = [i.code for i in self.indicators]
        indicators = map(dict, map(zip, repeat(codes), zip(*per_indicator)))
        return list(
            map(
                ScorecardRow,
                repeat(self.tier),
                self.subject_ids.tolist(),
                self.codes,
                self.names,
                counts,
                indicators,
                self.scores.tolist(),
                self.grades,
                self.ranks.tolist(),
                self.previous_scores,
                self.changes,
                repeat(None),  # own_score, team_score: leader tiers only
                repeat(None),
                self.parent_kinds,
                self.parent_ids,
            )
        )
