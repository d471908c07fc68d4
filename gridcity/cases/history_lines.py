"""A case's history in words, for tracing responsibility (责任倒查): each
step says who (name and role), what (the step, with its outcome: approved or
refused and of what, a check passed or failed), to whom (the unit it went
to or came back to), why (the note or reason) and when. The case drawer and
the scorecards' case page read the same lines."""

from __future__ import annotations

from sqlalchemy import select

from gridcity.cases.models import CaseEvent
from gridcity.extensions import db
from gridcity.org.models import ROLE_NAMES, Role, Unit, User
from gridcity.web.ui_text import ui_text

# Steps whose words depend on their outcome or kind.
REQUEST_KINDS = ("extension", "suspension", "return")


def what_text(event: CaseEvent, language: str) -> str:
    """The step in words, with its outcome."""
    action, data = event.action, event.data or {}
    if action == "rework" and data.get("reopened"):  # a closed case re-verified as not fixed (复核)
        return ui_text("h_rework_reopened", language)
    if action in ("verify", "check"):
        outcome = "pass" if data.get("result") == "pass" else "fail"
        return ui_text(f"h_{action}_{outcome}", language)
    if action == "request" and data.get("kind") in REQUEST_KINDS:
        return ui_text(f"h_request_{data['kind']}", language)
    if action == "decide" and data.get("kind") in REQUEST_KINDS:
        outcome = "approved" if data.get("approved") else "refused"
        return ui_text(f"h_decide_{data['kind']}_{outcome}", language)
    if action == "initiate" and data.get("basis_kind") in ("hotspot", "recurrence"):  # 主动治理, from what
        return ui_text(f"h_initiate_{data['basis_kind']}", language).format(n=data.get("basis_cases", 0))
    if action == "follow_up" and data.get("satisfaction"):  # 回访, with the caller's satisfaction
        return ui_text(f"h_follow_up_{data['satisfaction']}", language)
    return ui_text(f"d_action_{action}", language)


def _role_text(role: str, language: str) -> str:
    try:
        zh, en = ROLE_NAMES[Role(role)]
    except ValueError:
        return ""
    return zh if language == "zh" else en


def _to_supervisors(unit: str, names: list[str], language: str) -> str:
    """``环卫处：王伟（单位主管）`` — the unit and the supervisors a 督办 went to."""
    role = _role_text(Role.UNIT_SUPERVISOR.value, language)
    if language == "zh":
        return f"{unit}：" + "、".join(f"{n}（{role}）" for n in names)
    return f"{unit}: " + ", ".join(f"{n} ({role})" for n in names)


def history_lines(events: list[CaseEvent], language: str) -> list[dict]:
    """One line per event, in order: ``who``, ``what``, ``unit`` (to whom,
    or None), ``why`` (the note), ``at``. The unit of a step is the one that
    held the case then: a dispatch names the unit it went to; a unit's own
    steps, a failed check or a rework name the unit that held the case."""
    actor_ids = {e.actor_id for e in events if e.actor_id}
    # 督办 names the supervisors it went to (see sweeper.py).
    actor_ids |= {
        uid for e in events if e.action == "escalate" for uid in (e.data or {}).get("escalated_to", ())
    }
    names = (
        dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(actor_ids))).all())
        if actor_ids
        else {}
    )
    unit_ids = {(e.data or {}).get("set", {}).get("unit_id") for e in events if e.action == "dispatch"}
    unit_ids.discard(None)
    unit_rows = (
        db.session.execute(select(Unit.id, Unit.name, Unit.contact_name).where(Unit.id.in_(unit_ids))).all()
        if unit_ids
        else []
    )
    units = {r.id: r.name for r in unit_rows}
    # 督办 goes to the unit's leadership: the head named on the unit's record.
    heads = {r.name: r.contact_name for r in unit_rows if r.contact_name}
    lines, holder = [], None
    for e in events:
        data = e.data or {}
        unit = None
        if e.action == "dispatch":
            holder = units.get(data.get("set", {}).get("unit_id"))
            unit = holder
        elif holder and e.action in (
            "unit_accept",
            "handle",
            "request",
            "decide",
            "rework",
            "resume",
            "overdue",
            "urge",
        ):
            unit = holder
        elif holder and e.action == "escalate" and data.get("escalated_to"):
            unit = _to_supervisors(holder, [names.get(uid, "") for uid in data["escalated_to"]], language)
        elif holder and e.action == "escalate":
            head = heads.get(holder)
            label = ui_text("h_unit_head", language)
            unit = (
                holder
                if not head
                else f"{holder}（{label}：{head}）"
                if language == "zh"
                else f"{holder} ({label}: {head})"
            )
        elif holder and e.action == "check" and data.get("result") != "pass":
            unit = holder
        if e.action == "decide" and data.get("kind") == "return" and data.get("approved"):
            holder = None
        if e.actor_id is None:
            who = ui_text("h_system", language)
        else:
            role = _role_text(e.actor_role, language)
            name = names.get(e.actor_id, "")
            who = f"{name}（{role}）" if language == "zh" and role else f"{name} ({role})" if role else name
        lines.append(
            {"who": who, "what": what_text(e, language), "unit": unit, "why": e.note or "", "at": e.at}
        )
    return lines
