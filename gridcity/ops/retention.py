"""Data retention (数据留存): reporters' names, phones and e-mail addresses are
anonymised once their case has been finished for the configured period
(``GRIDCITY_REPORTER_RETENTION_DAYS``). The case, its history and every figure
computed from them stay; only who reported it goes.

A reporter's contact lives on the case (``reporter_contact``), in the report
event that set it (the case row is the replay of its history, so both change
together), in the Open311 request's contact fields, and wherever staff copied
it into free text (the description, event notes and payloads, a unit's
request reasons), and on the hotline calls (来电) taken on the case (the
caller's name and phone; a call added to an open case is only there). ``scrub_cases`` clears the fields and replaces every copy of
the contact's parts in those texts with :data:`MARKER`.

Changes go in as plain UPDATEs: the case's ``version`` (what clients act on)
and its history's length stay as they were, so nothing a client holds goes
stale and no scorecard counts an extra event.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update

from gridcity.audit import services as audit
from gridcity.cases import states
from gridcity.cases.models import Case, CaseEvent, CaseRequest
from gridcity.core.clock import utcnow
from gridcity.extensions import db
from gridcity.hotline.models import HotlineCall
from gridcity.open311.models import Open311Request

# What replaces a copy of a reporter's contact inside a text.
MARKER = "***"
# The Open311 request fields that identify the reporter.
OPEN311_CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")
FINISHED_STATES = (states.CLOSED, states.VOIDED, states.MERGED)
PHONE_PATTERN = re.compile(r"\+?\d[\d\- ]{5,}\d")
_EMAIL = re.compile(r"[^@\s/,;]+@[^@\s/,;]+")
# A mainland number written with its country code is the same number.
_COUNTRY_PREFIX = re.compile(r"^(?:0086|86)(?=1\d{10}$)")
_SEPARATORS = re.compile(r"[\s/,;:：，；、()（）]+")
_CHUNK = 500


@dataclass
class Anonymised:
    """What a run changed (or, in a dry run, would change)."""

    cases: int = 0
    events: int = 0
    open311_requests: int = 0
    requests: int = 0
    calls: int = 0

    @property
    def changed(self) -> bool:
        return any(asdict(self).values())

    def add(self, other: Anonymised) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


# ---------------------------------------------------------------- the retention rule


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    days = current_app.config["SETTINGS"].reporter_retention_days
    return (now or utcnow()) - dt.timedelta(days=days)


def _carries_contact():
    open311 = select(Open311Request.case_id).where(
        or_(*(getattr(Open311Request, f).is_not(None) for f in OPEN311_CONTACT_FIELDS))
    )
    calls = select(HotlineCall.case_id).where(
        or_(HotlineCall.caller_name.is_not(None), HotlineCall.caller_phone.is_not(None))
    )
    return or_(Case.reporter_contact.is_not(None), Case.id.in_(open311), Case.id.in_(calls))


def due_case_ids(older_than: dt.datetime) -> list[int]:
    """Cases finished (closed, voided or merged) before ``older_than`` that
    still carry a reporter's contact. A case's last history event is the step
    that finished it."""
    finished_at = (
        select(func.max(CaseEvent.at)).where(CaseEvent.case_id == Case.id).correlate(Case).scalar_subquery()
    )
    return list(
        db.session.scalars(
            select(Case.id)
            .where(Case.state.in_(FINISHED_STATES), _carries_contact(), finished_at < older_than)
            .order_by(Case.id)
        )
    )


def anonymise_reporters(older_than: dt.datetime | None = None, *, dry_run: bool = False) -> Anonymised:
    """Anonymise the reporters of every case finished before ``older_than``
    (default: the retention period ago). Idempotent: a second run finds
    nothing. Writes one audit entry when something changed; the caller commits."""
    cutoff = older_than or retention_cutoff()
    ids = due_case_ids(cutoff)
    counts = scrub_cases(ids, dry_run=dry_run)
    if counts.changed and not dry_run:
        audit.record(
            "privacy.anonymise_reporters",
            None,
            object_kind="case",
            before={"finished_before": cutoff.isoformat()},
            after=asdict(counts),
            note=f"retention: {counts.cases} case(s)",
        )
    return counts


def retention_job() -> dict:
    """The daily scheduler job."""
    counts = anonymise_reporters()
    db.session.commit()
    return asdict(counts)


# ---------------------------------------------------------------- scrubbing


def phone_key(text: str | None) -> str:
    """The digits that identify a phone number, however it was written."""
    return _COUNTRY_PREFIX.sub("", re.sub(r"\D", "", text or ""))


@dataclass
class Contact:
    """What to erase for one reporter: literal words (the contact whole, its
    e-mail addresses, the words of a name) and phone numbers by their digits,
    so a number is found however it was written (138-1234-5678)."""

    words: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)


def contact_of(*values: str | None) -> Contact:
    contact = Contact()
    for value in values:
        text = (value or "").strip()
        if not text:
            continue
        contact.words.add(text)
        contact.phones.update(k for k in map(phone_key, PHONE_PATTERN.findall(text)) if k)
        contact.words.update(_EMAIL.findall(text))
        rest = _EMAIL.sub(" ", PHONE_PATTERN.sub(" ", text))
        contact.words.update(w for w in _SEPARATORS.split(rest) if len(w) >= 2)
    contact.words = {w for w in contact.words if len(w) >= 2}
    return contact


def _open311_contact(row: Open311Request | None) -> list[str | None]:
    if row is None:
        return []
    name = " ".join(p for p in (row.first_name, row.last_name) if p)
    return [name or None, *(getattr(row, f) for f in OPEN311_CONTACT_FIELDS)]


def _case_contact(case: Case, row: Open311Request | None) -> Contact:
    if row is None:
        return contact_of(case.reporter_contact)
    # An Open311 case's contact line also names the client app: only the
    # request's own fields are the reporter's (and the line as a whole).
    contact = contact_of(*_open311_contact(row))
    if case.reporter_contact:
        contact.words.add(case.reporter_contact)
    return contact


def scrub_text(text: str | None, contact: Contact) -> str | None:
    if not text:
        return text
    for word in sorted(contact.words, key=len, reverse=True):  # the whole before its pieces
        if word in text:
            text = text.replace(word, MARKER)
    if contact.phones:
        text = PHONE_PATTERN.sub(
            lambda m: MARKER if phone_key(m.group()) in contact.phones else m.group(), text
        )
    return text


def _scrub_json(value: Any, parts: Contact) -> Any:
    if isinstance(value, dict):
        return {k: (None if k == "reporter_contact" else _scrub_json(v, parts)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v, parts) for v in value]
    if isinstance(value, str):
        return scrub_text(value, parts)
    return value


def scrub_cases(case_ids: Iterable[int], *, dry_run: bool = False) -> Anonymised:
    """Remove the reporter's contact from each case and every copy of it.
    Only the contact goes: a case's other texts keep their words. The caller
    commits."""
    total = Anonymised()
    ids = list(case_ids)
    for start in range(0, len(ids), _CHUNK):
        total.add(_scrub_chunk(ids[start : start + _CHUNK], dry_run))
    return total


def _update_case(where, values: dict) -> None:
    # A plain UPDATE: the case's version stays (see the module's note).
    db.session.execute(
        update(Case).where(where).values(**values), execution_options={"synchronize_session": "fetch"}
    )


def _scrub_chunk(ids: list[int], dry_run: bool) -> Anonymised:
    counts = Anonymised()
    cases = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(ids)))}
    open311 = {
        r.case_id: r
        for r in db.session.scalars(select(Open311Request).where(Open311Request.case_id.in_(ids)))
    }
    parts = {cid: _case_contact(case, open311.get(cid)) for cid, case in cases.items()}
    calls = list(db.session.scalars(select(HotlineCall).where(HotlineCall.case_id.in_(ids))))
    for call in calls:  # every caller of the case, also those whose call joined it
        caller = contact_of(call.caller_name, call.caller_phone)
        parts[call.case_id].words |= caller.words
        parts[call.case_id].phones |= caller.phones
    contact_only = []  # cases whose texts hold no copy: one UPDATE for them all
    for cid, case in cases.items():
        values = {
            "reporter_contact": None,
            "description": scrub_text(case.description, parts[cid]),
            "void_reason": scrub_text(case.void_reason, parts[cid]),
        }
        if all(getattr(case, k) == v for k, v in values.items()):
            continue
        counts.cases += 1
        if dry_run:
            continue
        if (values["description"], values["void_reason"]) == (case.description, case.void_reason):
            contact_only.append(cid)
        else:
            _update_case(Case.id == cid, values)
    if contact_only:
        _update_case(Case.id.in_(contact_only), {"reporter_contact": None})
    for event in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(ids))):
        data = _scrub_json(event.data or {}, parts[event.case_id])
        note = scrub_text(event.note, parts[event.case_id])
        if data == (event.data or {}) and note == event.note:
            continue
        counts.events += 1
        if not dry_run:
            event.data, event.note = data, note
    for request in db.session.scalars(select(CaseRequest).where(CaseRequest.case_id.in_(ids))):
        reason = scrub_text(request.reason, parts[request.case_id])
        decision = scrub_text(request.decision_note, parts[request.case_id])
        if (reason, decision) == (request.reason, request.decision_note):
            continue
        counts.requests += 1
        if not dry_run:
            request.reason, request.decision_note = reason, decision
    for cid, row in open311.items():
        attributes = _scrub_json(row.attributes or {}, parts[cid])
        if all(getattr(row, f) is None for f in OPEN311_CONTACT_FIELDS) and attributes == (
            row.attributes or {}
        ):
            continue
        counts.open311_requests += 1
        if not dry_run:
            for f in OPEN311_CONTACT_FIELDS:
                setattr(row, f, None)
            row.attributes = attributes
    for call in calls:
        if call.caller_name is None and call.caller_phone is None:
            continue
        counts.calls += 1
        if not dry_run:
            call.caller_name = call.caller_phone = None
    if not dry_run:
        db.session.flush()
    return counts
