"""The audit log in words (zh / en): what was done, to what, before → after,
with roles, units and yes / no as a reader says them, never the stored keys."""

from __future__ import annotations

from sqlalchemy import select

from gridcity.audit.models import AuditEntry
from gridcity.extensions import db
from gridcity.org.models import ROLE_NAMES, Role, User
from gridcity.web.formats import city_datetime
from gridcity.web.ui_text import UI_TEXT, ui_text

# The actions an admin may filter by, in the order the filter lists them.
ACTIONS = tuple(
    key.removeprefix("audit_action_").replace("__", ".") for key in UI_TEXT if key.startswith("audit_action_")
)


def action_name(action: str, language: str) -> str:
    key = "audit_action_" + action.replace(".", "__")
    return ui_text(key, language) if key in UI_TEXT else action


def field_name(field: str, language: str) -> str:
    key = f"audit_field_{field}"
    return ui_text(key, language) if key in UI_TEXT else field


# Fields whose stored values are the code's keys, and the ui_text prefix
# that says them in words.
VALUE_WORDS = {
    "deadline_clock": "clock_name_",
    "step_clock": "clock_name_",
    "urgency": "urgency_",
    "place_kind": "place_kind_",
    "unit_kind": "unit_kind_",
    "publication": "pub_photo_state_",
}


def value_text(field: str, value, language: str) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return ui_text("yes" if value else "no", language)
    if field in VALUE_WORDS and VALUE_WORDS[field] + str(value) in UI_TEXT:
        return ui_text(VALUE_WORDS[field] + str(value), language)
    if isinstance(value, float):
        return f"{value:g}"  # 4 hours, not 4.0
    if field == "role" and value in {r.value for r in Role}:
        zh, en = ROLE_NAMES[Role(value)]
        return zh if language == "zh" else en
    value_key = f"audit_value_{field}_{value}"
    if value_key in UI_TEXT:  # a stored code with its words, e.g. the kind of a calendar day
        return ui_text(value_key, language)
    if isinstance(value, list):
        return ("、" if language == "zh" else ", ").join(str(v) for v in value)
    return str(value)


def describe(entries: list[AuditEntry], language: str) -> list[dict]:
    """Each entry as the log page and its export show it."""
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    names = dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(actor_ids))).all()
        if actor_ids
        else []
    )
    out = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        note_key = f"audit_note_{entry.note}"
        out.append(
            {
                "id": entry.id,
                "at": city_datetime(entry.at),
                "actor": names.get(entry.actor_id)
                if entry.actor_id
                else ui_text("audit_actor_system", language),
                "address": entry.actor_address or "",
                "action": entry.action,
                "action_name": action_name(entry.action, language),
                "object": entry.object_label or "",
                "object_id": entry.object_id,
                "changes": _changes(before, after, language),
                "note": ui_text(note_key, language) if note_key in UI_TEXT else entry.note,
            }
        )
    return out


def _changes(before: dict, after: dict, language: str) -> list[dict]:
    """Each field as before → after in words; an empty field that stays empty is left out."""
    out = []
    for field in dict.fromkeys([*before, *after]):
        old = value_text(field, before.get(field), language) if field in before else "—"
        new = value_text(field, after.get(field), language) if field in after else "—"
        if old != new:
            out.append({"field": field_name(field, language), "before": old, "after": new})
    return out
