"""满意度 — a follow-link holder rates the handling of a closed case, once.

Each rating is also a step in the case's history (``rating_<rating>``), so
the scorecards count it like any other event: for the case's place and for
the unit that held the case (DOMAIN §7.1 rule 3), frozen with the month.
The indicator 群众满意度 is (满意 + 基本满意) / ratings; no ratings: "—".

A second rating from the same link is refused (409): a rating counted in a
month's figures must not change behind them.
"""

from __future__ import annotations

from sqlalchemy import select

from gridcity.cases import services as case_services
from gridcity.cases import states
from gridcity.cases.history import record
from gridcity.core.clock import utcnow
from gridcity.core.errors import Conflict, GridCityError
from gridcity.extensions import db
from gridcity.public.feedback_models import RATINGS, CitizenRating
from gridcity.public.not_fixed import CITIZEN, followed_case, holder

COMMENT_MAX = 500
# The history events of ratings; the scorecards' counting reads these names.
RATING_ACTIONS = {rating: f"rating_{rating}" for rating in RATINGS}
SATISFIED = ("satisfied", "basic")  # what the indicator counts as satisfied


def rating_of(report_id: int) -> CitizenRating | None:
    return db.session.scalar(select(CitizenRating).where(CitizenRating.citizen_report_id == report_id))


def rate(token: str, rating: str, comment: str = "") -> CitizenRating:
    """Rate the handling of the closed case this follow link follows."""
    report = holder(token)
    rating = (rating or "").strip()
    if rating not in RATINGS:
        raise GridCityError("rating_unknown")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise GridCityError("public_note_too_long", limit=COMMENT_MAX)
    case = followed_case(report)
    if case.state != states.CLOSED:
        raise Conflict("rating_not_closed")
    if rating_of(report.id) is not None:
        raise Conflict("rating_given")
    now = utcnow()
    event = record(
        case,
        RATING_ACTIONS[rating],
        case.state,
        CITIZEN,
        note=comment,
        at=now,
        extra={"channel": "public", "citizen_report_id": report.id},
    )
    row = CitizenRating(
        case_id=case.id, citizen_report_id=report.id, rating=rating, comment=comment, created_at=now
    )
    db.session.add(row)
    db.session.flush()
    row.event_id = event.id
    case_services.announce(case, event)
    return row
