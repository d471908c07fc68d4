"""Updates a client posts to a request (``POST servicerequestupdates``).

FixMyStreet sends each citizen's update on a report it filed with us — a
comment, photos, or "not fixed" after we closed it — with its own
``update_id``. The update becomes one event in the case's history, in words
for the dispatch desk; the answer names our update id, which FixMyStreet
keeps to recognise the update in our feed. The same ``update_id`` from the
same client again finds the first and makes nothing. The citizen's name and
contact are not kept: the desk answers through the client.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gridcity.cases import services as case_services
from gridcity.cases import states
from gridcity.cases.history import record
from gridcity.cases.models import Case
from gridcity.core.clock import utcnow
from gridcity.core.errors import Forbidden, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.open311.models import ApiKey, Open311Request, Open311Update
from gridcity.open311.services import checked_media_urls, truncated
from gridcity.open311.statuses import CLIENT_STATUSES, REOPENING
from gridcity.public.not_fixed import open_recheck

MAX_UPDATE_ID = 100
ACTIONS = ("open311_update", "open311_not_fixed")  # the history events of posted updates


@dataclass
class PostedUpdate:
    """The form fields of ``POST servicerequestupdates`` we read (all strings);
    the contact fields FixMyStreet also sends are not read."""

    service_request_id: str | None = None
    update_id: str | None = None
    status: str | None = None
    description: str | None = None
    updated_datetime: str | None = None
    media_urls: list[str] = field(default_factory=list)


def post_update(key: ApiKey, sent: PostedUpdate, parse_time) -> Open311Update:
    """Add a client's update to its case once; a resend answers with the first."""
    number = (sent.service_request_id or "").strip()
    update_id = (sent.update_id or "").strip()
    if not number:
        raise GridCityError("open311_missing_field", name="service_request_id")
    if not update_id:
        raise GridCityError("open311_missing_field", name="update_id")
    if len(update_id) > MAX_UPDATE_ID:
        raise GridCityError("open311_field_too_long", name="update_id", limit=MAX_UPDATE_ID)
    first = _posted(key, update_id)
    if first is not None:
        return _same_request(first, number)
    case = db.session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound("open311_no_request", id=number[:40])
    if not _filed_by(key, case):
        raise Forbidden("open311_not_your_request", number=case.number)
    status = (sent.status or "").strip().upper()
    if status not in CLIENT_STATUSES:
        raise GridCityError(
            "open311_bad_update_status", value=status[:40], allowed=", ".join(CLIENT_STATUSES)
        )
    description = truncated((sent.description or "").strip())
    media_urls = checked_media_urls(sent.media_urls)
    if not description and not media_urls:
        raise GridCityError("open311_empty_update")
    client_time = parse_time("updated_datetime", sent.updated_datetime) if sent.updated_datetime else None
    # An update on a merged report belongs where the problem is followed now.
    target = db.session.get(Case, case.merged_into_id) if case.state == states.MERGED else case
    not_fixed = target.state == states.CLOSED and status in REOPENING
    action = "open311_not_fixed" if not_fixed else "open311_update"
    now = utcnow()
    event = record(
        target,
        action,
        target.state,
        None,
        note=_note(key, case, target, description, media_urls, not_fixed),
        at=now,
        extra={
            "client": key.client,
            "client_status": status,
            "client_time": client_time.isoformat() if client_time else None,
            "media_urls": media_urls,
            "request": case.number,
            "text": description,
        },
    )
    db.session.flush()
    row = Open311Update(
        api_key_id=key.id,
        client_update_id=update_id,
        case_id=target.id,
        event_id=event.id,
        status=status,
        created_at=now,
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        # The same update arrived twice at once: the other request added it.
        db.session.rollback()
        first = _posted(key, update_id)
        if first is None:
            raise
        return _same_request(first, number)
    if not_fixed:
        # One door with the citizens' app: a re-verification task (复核) for
        # the grid's inspector, who may reopen the case as rework.
        open_recheck(target, event, now, note=description)
    else:
        case_services._announce(target, event)
    return row


def _filed_by(key: ApiKey, case: Case) -> bool:
    """A client updates the requests it filed (the cases its users know of)."""
    return (
        db.session.scalar(
            select(Open311Request.id).where(
                Open311Request.case_id == case.id, Open311Request.api_key_id == key.id
            )
        )
        is not None
    )


def _posted(key: ApiKey, update_id: str) -> Open311Update | None:
    return db.session.scalar(
        select(Open311Update).where(
            Open311Update.api_key_id == key.id, Open311Update.client_update_id == update_id
        )
    )


def _same_request(first: Open311Update, number: str) -> Open311Update:
    """A resent update must name the request it was first sent for."""
    event = first.event
    if (event.data or {}).get("request") != number:
        raise GridCityError(
            "open311_update_id_taken", update_id=first.client_update_id, number=event.data.get("request")
        )
    return first


def _note(key: ApiKey, case: Case, target: Case, description: str, urls: list[str], not_fixed: bool) -> str:
    """The update in words for the dispatch desk (Chinese)."""
    head = f"市民经 {key.client} 反映问题仍未解决" if not_fixed else f"市民经 {key.client} 补充"
    if target.id != case.id:
        head += f"（原报 {case.number}，已并入本案）"
    parts = [head + ("：" + description if description else "。")]
    if urls:
        parts.append(f"附照片 {len(urls)} 张：" + " ".join(urls))
    return "\n".join(parts)[:4000]
