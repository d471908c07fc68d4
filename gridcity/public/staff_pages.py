"""The staff page of the citizens' app (``/citizens/``): each citizen's
reports and valid reports (有奖举报, managers and admins; CSV export) and
the blocklist (operators and admins block and unblock, audited, with the
history of those changes beside it). Thin: each form posts to a view that
calls ``gridcity.public.limits`` (the service the API and ``gridcity public``
call), commits once, and shows a refusal beside the form."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from gridcity.audit import services as audit
from gridcity.audit import words
from gridcity.core.auth import current_user, roles_required
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.org.models import Role
from gridcity.public import limits
from gridcity.web import views as web_views
from gridcity.web.admin_people import _page

bp = Blueprint("public_staff", __name__, url_prefix="/citizens")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)

BLOCKERS = (Role.ADMIN, Role.OPERATOR)
COUNT_READERS = (Role.MANAGER, Role.ADMIN)
DONE = ("blocked", "unblocked")


def _citizens_page(status: int = 200, error: str | None = None, form=None):
    role = current_user().role
    may_block = role in {r.value for r in BLOCKERS}
    history = (
        words.describe(audit.search(object_kind="citizen", limit=100), current_language())
        if may_block
        else []
    )
    done = request.args.get("done")
    return _page(
        "p/staff.html",
        status=status,
        counts=limits.citizen_counts() if role in {r.value for r in COUNT_READERS} else None,
        blocked=limits.blocked_citizens() if may_block else None,
        masked=limits.masked,
        history=history,
        error=error,
        done=done if done in DONE else None,
        form=form or {},
    )


@bp.get("/")
@roles_required(*BLOCKERS, *COUNT_READERS)
def citizens_page():
    return _citizens_page()


@bp.post("/block")
@roles_required(*BLOCKERS)
def block():
    form = request.form
    try:
        limits.block_phone(form.get("phone", ""), current_user(), form.get("reason", ""))
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _citizens_page(error.status, error.message(), form=form)
    return redirect(url_for(".citizens_page", done="blocked"))


@bp.post("/unblock/<int:citizen_id>")
@roles_required(*BLOCKERS)
def unblock(citizen_id: int):
    from gridcity.public.models import Citizen

    citizen = db.session.get(Citizen, citizen_id)
    if citizen is None:
        raise GridCityError("p_not_blocked", 404, phone="—")
    limits.unblock_phone(citizen.phone, current_user(), request.form.get("note", ""))
    db.session.commit()
    return redirect(url_for(".citizens_page", done="unblocked"))
