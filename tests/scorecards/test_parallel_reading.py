"""On PostgreSQL a whole month is read on two connections of its own that see
one snapshot (the events on one, the cases and their timelines on the other:
scorecards/counting/log.py ``parallel_readers``), and the scoring layer reads
who is scored and last month's scores on a third meanwhile (``read_aside``).
The month must count and score exactly as when it is read through the
session, and a session that has written (and not committed) must still count
what it wrote."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from sqlalchemy import select, update

from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.geo.models import Street
from gridcity.scorecards.counting import engine, log
from gridcity.scorecards.counting.engine import AREA_FACT_COLUMNS, month_bounds
from gridcity.scorecards.scoring import indicators, scores
from gridcity.scorecards.snapshots import services
from tests.scorecards.conftest import build_september, local

MONTH = "2026-09"


def _month(limits):
    start, end = month_bounds(MONTH)
    return engine.month_facts(start, end, limits)


@contextmanager
def _watching(monkeypatch):
    """Which way each month was read: True on two connections."""
    taken: list[bool] = []
    real = log.parallel_readers

    @contextmanager
    def watched():
        with real() as readers:
            taken.append(readers is not None)
            yield readers

    monkeypatch.setattr(log, "parallel_readers", watched)
    yield taken


def test_a_month_read_on_two_connections_counts_as_through_the_session(driver, backend, monkeypatch):
    build_september(driver)
    limits = indicators.set_for_month(MONTH).document["limits_minutes"]
    db.session.commit()
    with _watching(monkeypatch) as taken:
        apart = _month(limits)
        monkeypatch.setattr(log, "_SPARE_CONNECTIONS", 10**6)  # none to spare: through the session
        through_session = _month(limits)
    assert taken == [backend == "postgresql", False]
    assert apart.keys() == through_session.keys()
    for key, rows in apart.items():
        assert np.array_equal(rows, through_session[key]), key
    assert len(apart[("area", "reported")]) >= 10  # the month of build_september


def test_a_month_counted_after_an_uncommitted_change_counts_the_change(driver, monkeypatch):
    ids = build_september(driver)
    limits = indicators.set_for_month(MONTH).document["limits_minutes"]
    db.session.commit()
    case_id = ids["A"]
    streets = db.session.scalars(select(Street.id).order_by(Street.id)).all()
    moved_from = db.session.get(Case, case_id).street_id
    moved_to = next(s for s in streets if s != moved_from)
    # Not committed: other connections do not see it, so the month is read
    # through the session.
    db.session.execute(update(Case).where(Case.id == case_id).values(street_id=moved_to))
    with _watching(monkeypatch) as taken:
        facts = _month(limits)
    assert taken == [False]
    reported = facts[("area", "reported")]
    street = AREA_FACT_COLUMNS.index("street")
    assert reported[reported[:, 0] == case_id, street].tolist() == [moved_to]
    db.session.rollback()


def test_last_months_scores_read_aside_are_its_frozen_scores(driver, backend, monkeypatch):
    build_september(driver)
    driver.at(local(1, 0, 30, month=10))
    services.freeze_month(MONTH)
    db.session.commit()
    september = services.month_scorecards(MONTH)
    taken: list[bool] = []
    real = log.read_aside

    @contextmanager
    def watched(reads):
        with real(reads) as result:
            taken.append(result is not reads)  # not the reads themselves: in another thread
            yield result

    monkeypatch.setattr(log, "read_aside", watched)
    aside = scores.compute_all("2026-10").tables
    monkeypatch.setattr(log, "_SPARE_CONNECTIONS", 10**6)  # none to spare: through the session
    through_session = scores.compute_all("2026-10").tables
    assert taken == [backend == "postgresql", False]

    def shown(rows):
        return [(r.subject_id, r.subject_name, r.score, r.rank, r.previous_score, r.change) for r in rows]

    compared = 0
    for tier, table in aside.items():
        assert shown(table.rows) == shown(through_session[tier].rows), tier
        last = {r.subject_id: r.score for r in september[tier].rows}
        for row in table.rows:
            # October's "last month" is September's frozen score, to the last bit.
            assert row.previous_score == last.get(row.subject_id), (tier, row.subject_id)
            compared += row.previous_score is not None
    assert compared >= 10
