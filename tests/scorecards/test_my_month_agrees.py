"""The inspectors' "my month" (/m/) shows the numbers their scorecard row
counts: the same month, the same reports, the same tasks."""

from __future__ import annotations

from sqlalchemy import select

from gridcity.extensions import db
from gridcity.mobile.services import inspector_month
from gridcity.org.models import Role, User
from gridcity.scorecards.snapshots import services as scorecards
from tests.scorecards.test_scorecard_pages import MONTH, history  # noqa: F401

PAIRS = {  # my month's field → the scorecard count
    "reports": "reported",
    "valid_reports": "valid",
    "verify_done": "verified",
    "verify_on_time": "verified_on_time",
    "check_done": "checked",
    "check_on_time": "checked_on_time",
}


def test_my_month_equals_the_inspectors_scorecard_counts(app, history):  # noqa: F811
    table = scorecards.month_scorecard(MONTH, "inspector")
    rows = {row.subject_id: row for row in table.rows}
    year, month = (int(part) for part in MONTH.split("-"))
    inspectors = db.session.scalars(
        select(User).where(User.role == Role.INSPECTOR.value).order_by(User.id)
    ).all()
    compared = 0
    for inspector in inspectors:
        mine = inspector_month(inspector.id, year, month, app.config["SETTINGS"].timezone)
        row = rows.get(inspector.id)
        for field, count in PAIRS.items():
            expected = row.counts.get(count, 0) if row else 0
            assert getattr(mine, field) == expected, (
                inspector.username,
                field,
                getattr(mine, field),
                expected,
            )
        compared += any(getattr(mine, field) for field in PAIRS)
    assert compared >= 2  # inspectors who did something that month were compared
