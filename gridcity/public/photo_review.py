"""Photos for the public (照片公开审核): an operator or dispatcher approves or
rejects each photo of a case before the public map or a follow page shows
it — faces and number plates stay private until a person has looked.
Each decision is audited (who, when, before → after); a decision may be
changed later (a photo approved by mistake is withdrawn by rejecting it).
"""

from __future__ import annotations

from sqlalchemy import select

from gridcity.audit import services as audit
from gridcity.cases.models import Case, Photo
from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError, NotFound
from gridcity.extensions import db
from gridcity.org.models import Role, User
from gridcity.public.feedback_models import PUBLICATION_STATES, PhotoPublication
from gridcity.public.public_map import PUBLIC_STATUS

REVIEW_ROLES = (Role.OPERATOR, Role.DISPATCHER, Role.SHIFT_LEADER)
AUDIT_ACTION = "public_photo.decide"
QUEUE_LIMIT = 100


def pending_photos(limit: int = QUEUE_LIMIT) -> list[tuple[Photo, Case]]:
    """Photos of cases the public map shows, not yet decided, oldest first."""
    return list(
        db.session.execute(
            select(Photo, Case)
            .join(Case, Case.id == Photo.case_id)
            .outerjoin(PhotoPublication, PhotoPublication.photo_id == Photo.id)
            .where(PhotoPublication.photo_id.is_(None), Case.state.in_(tuple(PUBLIC_STATUS)))
            .order_by(Photo.id)
            .limit(limit)
        ).all()
    )


def recent_decisions(limit: int = 50) -> list[tuple[PhotoPublication, Photo, Case]]:
    return list(
        db.session.execute(
            select(PhotoPublication, Photo, Case)
            .join(Photo, Photo.id == PhotoPublication.photo_id)
            .join(Case, Case.id == Photo.case_id)
            .order_by(PhotoPublication.decided_at.desc(), PhotoPublication.photo_id.desc())
            .limit(limit)
        ).all()
    )


def decide_photo(photo_id: int, state: str, actor: User) -> PhotoPublication:
    """Approve (``approved``) or reject (``rejected``) one photo for the public."""
    if state not in PUBLICATION_STATES:
        raise GridCityError("public_photo_bad_decision")
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        raise NotFound("not_found", what=f"photo {photo_id}")
    row = db.session.get(PhotoPublication, photo_id)
    before = row.state if row is not None else None
    now = utcnow()
    if row is None:
        row = PhotoPublication(photo_id=photo_id, state=state, decided_by=actor.id, decided_at=now)
        db.session.add(row)
    else:
        row.state, row.decided_by, row.decided_at = state, actor.id, now
    case = db.session.get(Case, photo.case_id)
    audit.record(
        AUDIT_ACTION,
        actor,
        object_kind="photo",
        object_id=photo_id,
        object_label=f"{case.number} · {photo_id}",
        before={"publication": before},
        after={"publication": state},
    )
    db.session.flush()
    return row
