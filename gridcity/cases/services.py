"""The closed loop: intake and every transition, each a function with the
roles allowed to call it. All changes go through ``history.record``; the
caller commits once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gridcity.cases import deadlines, live, queries, states
from gridcity.cases.history import record
from gridcity.cases.models import Case, CaseEvent, CaseRequest, CaseTask, Photo
from gridcity.cases.routing import (
    BY_RULES,
    assign_inspector,
    likely_duplicates,
    location_of,
    responsible_unit,
)
from gridcity.core.auth import role_name
from gridcity.core.clock import utcnow
from gridcity.core.errors import Conflict, Forbidden, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.geo.services import locate
from gridcity.ops import metrics
from gridcity.org.models import Role, User, is_unit_member
from gridcity.taxonomy.services import get_category
from gridcity.web.ui_text import ui_text

# ---------------------------------------------------------------- intake


@dataclass
class Report:
    """What a reporter sends (上报)."""

    category: str
    lon: float
    lat: float
    source: str = "inspector"
    client_uuid: str | None = None
    description: str = ""
    address: str | None = None
    accuracy_m: float | None = None
    fix_time: dt.datetime | None = None
    raw_lon: float | None = None
    raw_lat: float | None = None
    position_by_hand: bool = False
    urgency: str | None = None
    reporter_contact: str | None = None
    photos: list[bytes] = field(default_factory=list)
    # A finding of this patrol (巡查): the reporter's own, still running.
    patrol_id: int | None = None
    # 部件: the component it is about; the case then stands where it stands.
    component_id: int | None = None


REPORTER_SOURCES = {
    Role.INSPECTOR.value: ("inspector", "patrol"),
    Role.OPERATOR.value: ("hotline", "public"),
}


@dataclass
class IntakeResult:
    case: Case
    created: bool
    duplicates: list[Case]
    # What a new case's receipt needs and the request already holds (its photos,
    # its unit grid's code), so answering it costs no further queries.
    known: queries.KnownParts | None = None


def submit_report(report: Report, reporter: User | None, *, system_source: bool = False) -> IntakeResult:
    """上报 — make a case from a report, or return the case this client UUID
    already made (idempotent replay)."""
    if report.source not in states.SOURCES:
        raise GridCityError("bad_request", detail=f"source must be one of {', '.join(states.SOURCES)}")
    digest = request_digest(report)
    if report.client_uuid:
        existing = db.session.scalar(select(Case).where(Case.client_uuid == report.client_uuid))
        if existing is not None:
            return _replay(existing, reporter, digest)
    if not system_source:
        allowed = REPORTER_SOURCES.get(getattr(reporter, "role", None), ())
        if report.source not in allowed:
            raise Forbidden("forbidden_role", role=f"{getattr(reporter, 'role', None)} → {report.source}")
    if report.patrol_id is not None:
        from gridcity.patrols.services import require_running_patrol

        require_running_patrol(report.patrol_id, reporter)
    category = get_category(report.category)
    _require_photos(report, reporter, category)
    component = _component_of(report, category)
    location = locate(report.lon, report.lat)
    if report.urgency not in (None, "normal", "urgent"):
        raise GridCityError("bad_request", detail="urgency must be normal or urgent")
    photos = _store_photos(report.photos) if report.photos else []
    now = utcnow()
    client_uuid = report.client_uuid or str(uuid.uuid4())
    case = Case(
        client_uuid=client_uuid,
        request_digest=digest,
        state=states.REPORTED,
        geom=_point(report.lon, report.lat),
        category_id=category.id,
        source=report.source,
        lon=report.lon,
        lat=report.lat,
        urgency="normal",
        reported_at=now,
        events=[],  # a new case's history is known to be empty: no query to load it
        **place_fields(location),
    )
    db.session.add(case)
    try:
        # The case is the first write of the request, so on a clash the whole
        # transaction can go (no SAVEPOINT: pysqlite would commit at its release).
        db.session.flush()
    except IntegrityError:
        # The same report arrived twice at once: the other request made the case.
        db.session.rollback()
        existing = db.session.scalar(select(Case).where(Case.client_uuid == client_uuid))
        if existing is None:
            raise
        return _replay(existing, reporter, digest)
    case.state = None  # the report event sets everything, state included
    event = record(
        case,
        "report",
        states.REPORTED,
        reporter,
        at=now,
        lon=report.lon,
        lat=report.lat,
        set={
            "number": case_number(case.id, now),
            "source": report.source,
            "reporter_id": getattr(reporter, "id", None),
            "reporter_contact": report.reporter_contact,
            "category_id": category.id,
            "urgency": report.urgency or category.urgency,
            "description": report.description or "",
            "address": report.address,
            "lon": report.lon,
            "lat": report.lat,
            "raw_lon": report.raw_lon,
            "raw_lat": report.raw_lat,
            "position_by_hand": report.position_by_hand,
            "accuracy_m": report.accuracy_m,
            "fix_time": report.fix_time,
            "reported_at": now,
            **place_fields(location),
            "patrol_id": report.patrol_id,
            "component_id": None if component is None else component.id,
        },
    )
    attached = _attach_photos(case, event, photos, "report", reporter)
    _announce(case, event)
    known = queries.KnownParts(photos=attached, tasks=[], requests=[], unit_grid_code=location.unit_grid_code)
    metrics.REPORTS.labels(report.source).inc()
    return IntakeResult(case, True, likely_duplicates(case), known)


def place_fields(location) -> dict:
    """A case's place, from the locator's answer: unit grid, community,
    street, district, work grid and area."""
    return {
        "unit_grid_id": location.unit_grid_id,
        "community_id": location.community_id,
        "street_id": location.street_id,
        "district_id": location.district_id,
        "work_grid_id": location.work_grid_id,
        "area_id": location.area_id,
    }


def case_number(case_id: int, at: dt.datetime) -> str:
    """案卷编号 — the city's date of the case's start and its id, 6 digits."""
    return f"{at.astimezone(_tz()):%Y%m%d}{case_id:06d}"


def _require_photos(report: Report, reporter: User | None, category) -> None:
    """An inspector's own report (巡查上报) carries at least the category's
    number of photos; the hotline, the public and Open311 need none."""
    if getattr(reporter, "role", None) != Role.INSPECTOR.value:
        return
    if report.source not in REPORTER_SOURCES[Role.INSPECTOR.value]:
        return
    needed = category.inspector_min_photos or 0
    if len(report.photos) < needed:
        raise GridCityError("photos_required", status=422, min=needed, got=len(report.photos))


def _component_of(report: Report, category):
    """The component a report names, checked; the report then takes its
    position (the inventory's is surveyed, the phone's fix is not) and keeps
    the reporter's own as the raw one."""
    if report.component_id is None:
        return None
    from gridcity.inventory.services import component_for_report

    here = (
        (report.raw_lon, report.raw_lat)
        if report.raw_lon is not None and report.raw_lat is not None
        else None
    )
    lon, lat = here or (report.lon, report.lat)
    max_m = current_app.config["SETTINGS"].component_report_radius_m
    component = component_for_report(report.component_id, category, lon, lat, max_m)
    if here is None:
        report.raw_lon, report.raw_lat = report.lon, report.lat
    report.lon, report.lat = component.geom.x, component.geom.y
    return component


def request_digest(report: Report) -> str:
    """SHA-256 of what the report says (its fields as canonical JSON and its
    photos' digests): a replay must say the same."""
    fields = {k: v for k, v in dataclasses.asdict(report).items() if k not in ("client_uuid", "photos")}
    # A field added later counts only when set, so a report queued before it
    # existed still replays to its case.
    if not fields["position_by_hand"]:
        del fields["position_by_hand"]
    if fields.get("component_id") is None:  # as before components: replays across the upgrade match
        fields.pop("component_id", None)
    fields["photos"] = [hashlib.sha256(p).hexdigest() for p in report.photos]
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(existing: Case, reporter: User | None, digest: str) -> IntakeResult:
    """A client UUID names one report of one reporter; someone else's UUID is
    not a key to their case, and the same UUID with another report is refused
    (IETF Idempotency-Key draft: 422)."""
    if existing.reporter_id != getattr(reporter, "id", None):
        raise Conflict("idempotency_key_taken")
    if existing.request_digest is not None and existing.request_digest != digest:
        raise GridCityError("idempotency_key_reused", status=422, number=existing.number)
    return IntakeResult(existing, False, [])


# ---------------------------------------------------------------- transitions


def get_case(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("not_found", what=f"case {case_id}")
    return case


def case_by_number(number: str) -> Case:
    """The case with this number as printed (案卷编号), for forms that take one."""
    number = number.strip()
    case = db.session.scalar(select(Case).where(Case.number == number)) if number else None
    if case is None:
        raise NotFound("case_number_unknown", number=number)
    return case


def check_version(case: Case, seen_version: int) -> None:
    """The client acted on what it saw; if the case moved on since, say so."""
    if case.version != seen_version:
        raise Conflict("stale_case", version=case.version, state=case.state)


def _guard(case: Case, action: str, actor: User) -> None:
    transition = states.TRANSITIONS[action]
    if actor.role not in {r.value for r in transition.roles}:
        raise Forbidden("forbidden_role", role=role_name(actor.role))
    if case.state not in transition.from_states:
        raise Conflict(
            "illegal_transition",
            action=action,
            state=case.state,
            allowed=", ".join(states.allowed_actions(case.state, actor.role)) or "-",
        )
    if is_unit_member(actor) and case.unit_id != actor.unit_id:
        raise Forbidden("not_your_case", number=case.number)


def accept(case: Case, actor: User, note: str = "") -> Case:
    """受理 — an operator registers the report; reports not made by an
    inspector first go to an inspector of the grid to verify (核实)."""
    _guard(case, "accept", actor)
    now = utcnow()
    if case.source in ("inspector", "patrol"):
        event = record(case, "accept", states.ACCEPTED, actor, note=note, at=now, set={"accepted_at": now})
        _announce(case, event)
        return case
    task = _open_task(case, "verify", now)
    event = record(
        case,
        "accept",
        states.VERIFYING,
        actor,
        note=note,
        at=now,
        set={"accepted_at": now},
        extra={"task_id": task.id, "inspector_id": task.inspector_id},
    )
    _announce(case, event, extra_users=[task.inspector_id])
    return case


def verify(case: Case, actor: User, passed: bool, note: str = "", lon=None, lat=None, photos=()) -> Case:
    """核实 — the inspector confirms on site that the problem is real."""
    _guard(case, "verify", actor)
    task = _task_for(case, "verify", actor)
    now = utcnow()
    task.completed_at, task.result = now, "pass" if passed else "fail"
    to_state = states.ACCEPTED if passed else states.VOIDED
    changes = {"verified_at": now}
    if not passed:
        changes.update(voided_at=now, void_reason=note or "核实不属实")
    event = record(
        case,
        "verify",
        to_state,
        actor,
        note=note,
        lon=lon,
        lat=lat,
        at=now,
        set=changes,
        extra={"task_id": task.id, "result": task.result},
    )
    _attach_photos(case, event, _store_photos(list(photos)), "verify", actor)
    _announce(case, event)
    return case


def file_case(case: Case, actor: User, note: str = "") -> Case:
    """立案 — the shift leader files it against the filing standard."""
    _guard(case, "file", actor)
    now = utcnow()
    _announce(case, record(case, "file", states.FILED, actor, note=note, at=now, set={"filed_at": now}))
    return case


def void(case: Case, actor: User, reason: str) -> Case:
    """作废 — not a case (below the filing standard, not real, not ours)."""
    _guard(case, "void", actor)
    _need(reason, "reason")
    now = utcnow()
    _close_open_tasks(case, now)
    event = record(
        case, "void", states.VOIDED, actor, note=reason, at=now, set={"voided_at": now, "void_reason": reason}
    )
    _announce(case, event)
    return case


def merge(case: Case, actor: User, into: Case, note: str = "") -> Case:
    """The same problem as an open case: this report joins it (its reporter
    keeps the credit for a valid report)."""
    _guard(case, "merge", actor)
    if into.id == case.id:
        raise Conflict("merge_into_itself", number=into.number)
    if into.state not in states.OPEN_STATES:
        raise Conflict(
            "bad_merge",
            number=into.number,
            state=into.state,
            state_zh=ui_text(f"d_state_{into.state}", "zh"),
            state_en=ui_text(f"d_state_{into.state}", "en").lower(),
        )
    now = utcnow()
    _close_open_tasks(case, now)
    event = record(case, "merge", states.MERGED, actor, note=note, at=now, set={"merged_into_id": into.id})
    _announce(case, event)
    return case


def dispatch(case: Case, actor: User, unit_id: int | None = None, reason: str = "") -> Case:
    """派遣 — send to the responsible unit from the rules, or to another unit
    with a reason; the handling clock starts."""
    _guard(case, "dispatch", actor)
    from gridcity.org.models import Unit

    routed, routed_by = responsible_unit(case)
    target = routed if unit_id is None else unit_id
    unit = db.session.get(Unit, target)
    if unit is None or not unit.active:  # a deactivated unit takes no new cases
        raise GridCityError("unknown_unit", status=422, code=str(unit_id if unit is None else unit.code))
    if target != routed:
        _need(reason, "reason (the unit differs from the responsibility rules)")
    now = utcnow()
    deadline = deadlines.handling_deadline(case.category, now)
    event = record(
        case,
        "dispatch",
        states.DISPATCHED,
        actor,
        note=reason,
        at=now,
        set={
            "unit_id": target,
            "dispatched_at": now,
            "warned": False,
            "overdue": False,
            **deadlines.deadline_fields(deadline),
        },
        extra=_routed(routed, routed_by),
    )
    _announce(case, event)
    return case


def unit_accept(case: Case, actor: User, note: str = "") -> Case:
    _guard(case, "unit_accept", actor)
    now = utcnow()
    event = record(
        case, "unit_accept", states.IN_PROGRESS, actor, note=note, at=now, set={"unit_accepted_at": now}
    )
    _announce(case, event)
    return case


def handle(case: Case, actor: User, note: str, photos=(), lon=None, lat=None) -> Case:
    """处置 — the unit reports it fixed, with proof photos; a check task (核查)
    goes to an inspector of the grid."""
    _guard(case, "handle", actor)
    stored = _store_photos(list(photos))
    if not stored:
        raise GridCityError("bad_request", detail="proof photos of the handling are required")
    now = utcnow()
    # Fixed after all: a request still waiting (extension, suspension, return)
    # is moot, so it is withdrawn rather than left undecidable.
    withdrawn = _pending_request(case)
    if withdrawn is not None:
        withdrawn.state, withdrawn.decided_at = "withdrawn", now
    task = _open_task(case, "check", now)
    event = record(
        case,
        "handle",
        states.HANDLED,
        actor,
        note=note,
        lon=lon,
        lat=lat,
        at=now,
        set={"handled_at": now, "handle_used_s": deadlines.used_until(case, now), "handle_started_at": None},
        extra={
            "task_id": task.id,
            "inspector_id": task.inspector_id,
            "withdrawn_request_id": withdrawn.id if withdrawn else None,
        },
    )
    _attach_photos(case, event, stored, "handle", actor)
    _announce(case, event, extra_users=[task.inspector_id])
    return case


def check(case: Case, actor: User, passed: bool, note: str = "", photos=(), lon=None, lat=None) -> Case:
    """核查 — the inspector re-photographs on site: passed, or rework (返工),
    which needs the reason the unit is to act on."""
    _guard(case, "check", actor)
    note = (note or "").strip()
    if not passed and not note:
        raise GridCityError("check_reason_required")
    stored = _store_photos(list(photos))
    if not stored:
        raise GridCityError("bad_request", detail="a check needs a new on-site photo")
    task = _task_for(case, "check", actor)
    now = utcnow()
    task.completed_at, task.result = now, "pass" if passed else "fail"
    if passed:
        event = record(
            case,
            "check",
            states.CHECKED,
            actor,
            note=note,
            lon=lon,
            lat=lat,
            at=now,
            set={"checked_at": now},
            extra={"task_id": task.id, "result": "pass"},
        )
    else:
        # Back to the unit; its clock runs again from now.
        event = record(
            case,
            "check",
            states.IN_PROGRESS,
            actor,
            note=note,
            lon=lon,
            lat=lat,
            at=now,
            set=_restart_clock(case, now),
            inc=("rework_count",),
            extra={"task_id": task.id, "result": "fail"},
        )
    _attach_photos(case, event, stored, "check", actor)
    _announce(case, event)
    return case


def close(case: Case, actor: User, note: str = "") -> Case:
    """结案 — only after a passed check."""
    _guard(case, "close", actor)
    now = utcnow()
    _announce(case, record(case, "close", states.CLOSED, actor, note=note, at=now, set={"closed_at": now}))
    return case


def rework(case: Case, actor: User, reason: str) -> Case:
    """不予结案 — the shift leader sends a checked case back to its unit (返工)
    instead of closing it; the unit's clock runs again from now."""
    _guard(case, "rework", actor)
    _need(reason, "reason")
    now = utcnow()
    event = record(
        case,
        "rework",
        states.IN_PROGRESS,
        actor,
        note=reason,
        at=now,
        set=_restart_clock(case, now),
        inc=("rework_count",),
    )
    _announce(case, event)
    return case


URGE_MAX_CHARS = 200  # a short message (催办留言), as the drawer's field allows


def urge(case: Case, actor: User, reason: str) -> Case:
    """催办 — a dispatcher or shift leader presses the unit holding the case,
    with a short message; the case's state and clock stay as they are. The
    unit's portal shows it at once (the live event carries the message)."""
    _guard(case, "urge", actor)
    reason = (reason or "").strip()
    if not reason:
        raise GridCityError("urge_reason_required")
    if len(reason) > URGE_MAX_CHARS:
        raise GridCityError("urge_reason_too_long", max=URGE_MAX_CHARS)
    now = utcnow()
    event = record(
        case,
        "urge",
        case.state,
        actor,
        note=reason,
        at=now,
        set={"last_urged_at": now},
        inc=("urge_count",),
        extra={"unit_id": case.unit_id},
    )
    db.session.flush()
    payload = live.case_payload(case, "urge", event.id)
    payload["note"] = reason
    live.queue(db.session, live.rooms_for(case), payload)
    return case


# ---------------------------------------------------------------- requests


REQUEST_KINDS = ("extension", "suspension", "return")


def request_change(
    case: Case,
    actor: User,
    kind: str,
    reason: str,
    extra_amount: float | None = None,
    review_on: dt.datetime | None = None,
) -> CaseRequest:
    """The unit asks for an extension (延期), suspension (挂账) or return (回退)."""
    _guard(case, "request", actor)
    if kind not in REQUEST_KINDS:
        raise GridCityError("bad_request", detail=f"kind must be one of {', '.join(REQUEST_KINDS)}")
    _need(reason, "reason")
    if kind == "extension" and not (isinstance(extra_amount, (int, float)) and extra_amount > 0):
        raise GridCityError("bad_request", detail="an extension needs a positive extra_amount")
    if kind == "extension":
        _check_extension(extra_amount)
    now = utcnow()
    if kind == "suspension" and (review_on is None or review_on <= now):
        raise GridCityError("bad_request", detail="a suspension needs a review date in the future")
    if _pending_request(case) is not None:
        raise Conflict("request_pending", number=case.number)
    request = CaseRequest(
        case_id=case.id,
        kind=kind,
        requested_by=actor.id,
        requested_at=now,
        reason=reason,
        extra_amount=extra_amount,
        review_on=review_on,
    )
    db.session.add(request)
    db.session.flush()
    event = record(
        case,
        "request",
        case.state,
        actor,
        note=reason,
        at=now,
        extra={
            "request_id": request.id,
            "kind": kind,
            "extra_amount": extra_amount,
            "review_on": review_on.isoformat() if review_on else None,
        },
    )
    _announce(case, event)
    return request


def decide(case: Case, actor: User, approve: bool, note: str = "") -> Case:
    """Approve or refuse the pending request."""
    _guard(case, "decide", actor)
    request = _pending_request(case)
    if request is None:
        raise Conflict("no_pending_request", number=case.number)
    now = utcnow()
    request.state = "approved" if approve else "refused"
    request.decided_by, request.decided_at, request.decision_note = actor.id, now, note
    info = {"request_id": request.id, "kind": request.kind, "approved": approve}
    leaving: list[str] = []
    if not approve:
        event = record(case, "decide", case.state, actor, note=note, at=now, extra=info)
    elif request.kind == "extension":
        _check_extension(request.extra_amount)
        cal = deadlines.calendar()
        from gridcity.workcalendar.clock import budget_seconds

        budget = case.handle_budget_s + budget_seconds(cal, case.handle_clock, request.extra_amount)
        new = deadlines.running_deadline(
            cal,
            case.handle_clock,
            budget,
            case.handle_used_s,
            case.handle_started_at,
            deadlines.policy("handle")[2],
        )
        event = record(
            case,
            "decide",
            case.state,
            actor,
            note=note,
            at=now,
            inc=("extension_count",),
            set={
                "handle_budget_s": budget,
                "deadline_at": new.deadline_at,
                "warn_at": new.warn_at,
                "warned": new.warn_at <= now and case.warned,
                "overdue": new.deadline_at <= now and case.overdue,
            },
            extra=info,
        )
    elif request.kind == "suspension":
        event = record(
            case,
            "decide",
            states.SUSPENDED,
            actor,
            note=note,
            at=now,
            inc=("suspension_count",),
            set={
                "suspended_from": case.state,
                "review_on": request.review_on,
                "handle_used_s": deadlines.used_until(case, now),
                "handle_started_at": None,
                "deadline_at": None,
                "warn_at": None,
            },
            extra=info,
        )
    else:  # return: not this unit's case; back to the dispatcher
        # The unit it leaves hears of it too (its portal drops the case).
        leaving = [f"unit:{case.unit_id}"]
        event = record(
            case,
            "decide",
            states.FILED,
            actor,
            note=note,
            at=now,
            inc=("return_count",),
            set={
                "unit_id": None,
                "handle_clock": None,
                "handle_budget_s": None,
                "handle_used_s": 0.0,
                "handle_started_at": None,
                "deadline_at": None,
                "warn_at": None,
                "warned": False,
                "overdue": False,
            },
            extra=info,
        )
    _announce(case, event, extra_rooms=leaving)
    return case


def _check_extension(extra_amount: float) -> None:
    """An extension adds at most the configured maximum, so no approval can
    push a deadline out of reach (or out of the calendar)."""
    limit = current_app.config["SETTINGS"].max_extension_amount
    if not extra_amount <= limit:  # also NaN
        raise GridCityError("extension_too_long", status=422, amount=extra_amount, max=limit)


def resume(case: Case, actor: User, note: str = "") -> Case:
    """End a suspension: the clock runs again with what was left of it."""
    _guard(case, "resume", actor)
    now = utcnow()
    changes = _restart_clock(case, now)
    changes.update(suspended_from=None, review_on=None)
    event = record(case, "resume", case.suspended_from, actor, note=note, at=now, set=changes)
    _announce(case, event)
    return case


# ---------------------------------------------------------------- helpers


def _restart_clock(case: Case, now: dt.datetime) -> dict:
    cal = deadlines.calendar()
    d = deadlines.running_deadline(
        cal, case.handle_clock, case.handle_budget_s, case.handle_used_s, now, deadlines.policy("handle")[2]
    )
    return {
        "handle_started_at": now,
        "deadline_at": d.deadline_at,
        "warn_at": d.warn_at,
        "warned": d.warn_at <= now,
        "overdue": d.deadline_at <= now,
    }


def _pending_request(case: Case) -> CaseRequest | None:
    return db.session.scalar(
        select(CaseRequest).where(CaseRequest.case_id == case.id, CaseRequest.state == "pending")
    )


def _open_task(case: Case, kind: str, now: dt.datetime, timed_as: str | None = None) -> CaseTask:
    """Open a ``kind`` task for the grid's inspector, due by the step deadline
    of ``timed_as`` (default: ``kind`` itself)."""
    d = deadlines.task_deadline(timed_as or kind, now)
    task = CaseTask(
        case_id=case.id,
        kind=kind,
        inspector_id=assign_inspector(case),
        created_at=now,
        due_at=d.deadline_at,
        warn_at=d.warn_at,
    )
    db.session.add(task)
    db.session.flush()
    return task


def _task_for(case: Case, kind: str, actor: User) -> CaseTask:
    task = db.session.scalar(
        select(CaseTask).where(
            CaseTask.case_id == case.id, CaseTask.kind == kind, CaseTask.completed_at.is_(None)
        )
    )
    if task is None:
        raise Conflict("illegal_transition", action=kind, state=case.state, allowed="-")
    in_grid = case.work_grid_id in {w.id for w in actor.work_grids}
    if task.inspector_id != actor.id and not in_grid:
        raise Forbidden("not_your_case", number=case.number)
    return task


def _close_open_tasks(case: Case, now: dt.datetime) -> None:
    for task in db.session.scalars(
        select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.completed_at.is_(None))
    ):
        task.completed_at, task.result = now, "voided"


def _need(value: str, what: str) -> None:
    if not value or not str(value).strip():
        raise GridCityError("bad_request", detail=f"a {what} is required")


def _routed(unit_id: int, routed_by: str) -> dict:
    """What a dispatch records of the default unit; a default that is not the
    rules' (a component's owner) also says why."""
    return (
        {"routed_unit_id": unit_id}
        if routed_by == BY_RULES
        else {"routed_unit_id": unit_id, "routed_by": routed_by}
    )


def _location_of(case: Case):
    return location_of(case)


def _point(lon: float, lat: float):
    import shapely

    return shapely.Point(lon, lat)


def _tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(current_app.config["SETTINGS"].timezone)


def _store_photos(photos: list[bytes]):
    from gridcity.media.storage import store_photo

    settings = current_app.config["SETTINGS"]
    return [
        store_photo(data, settings.resolved_media_dir, settings.max_upload_mb * 1024 * 1024)
        for data in photos
    ]


def _attach_photos(case: Case, event: CaseEvent, stored, stage: str, actor) -> list[Photo]:
    from gridcity.media.storage import distance_m

    if not stored:
        return []
    db.session.flush()
    attached = []
    for p in stored:
        distance = None
        if p.exif_lon is not None and p.exif_lat is not None:
            distance = distance_m(p.exif_lon, p.exif_lat, event.lon or case.lon, event.lat or case.lat)
        attached.append(
            Photo(
                case_id=case.id,
                event_id=event.id,
                stage=stage,
                sha256=p.sha256,
                content_type=p.content_type,
                width=p.width,
                height=p.height,
                size_bytes=p.size_bytes,
                relative_path=p.relative_path,
                thumbnail_path=p.thumbnail_path,
                exif_lon=p.exif_lon,
                exif_lat=p.exif_lat,
                exif_distance_m=distance,
                uploaded_by=getattr(actor, "id", None),
                uploaded_at=event.at,
            )
        )
    db.session.add_all(attached)
    return attached


def announce(case: Case, event: CaseEvent, extra_users=(), extra_rooms=()) -> None:
    """Queue the live event of ``event`` to the rooms that see ``case``
    (sent after the commit)."""
    _announce(case, event, extra_users, extra_rooms)


def _announce(case: Case, event: CaseEvent, extra_users=(), extra_rooms=()) -> None:
    db.session.flush()
    rooms = live.rooms_for(case, extra_users)
    rooms += [room for room in extra_rooms if room not in rooms]
    live.queue(db.session, rooms, live.case_payload(case, event.action, event.id))
