"""Reading cases the GeoReport v2 way: services, requests, tokens and the
update feed (FixMyStreet's ``servicerequestupdates``), as documents for
:mod:`gridcity.open311.formats`.

Our states map onto GeoReport's two: voided (作废), merged and closed (结案)
cases are ``closed``, everything else is ``open``; ``status_notes`` says the
detailed state in words (and the reason for a void or merge).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, func, select

from gridcity.cases import states
from gridcity.cases.models import Case, CaseEvent
from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError, NotFound
from gridcity.core.i18n import translate
from gridcity.extensions import db
from gridcity.geo.models import Community, District, Street, UnitGrid
from gridcity.open311.attributes import (
    attributes_changed_at,
    attributes_of,
    categories_with_attributes,
    text_in,
)
from gridcity.open311.formats import Items
from gridcity.open311.models import ApiKey, Open311Request, Open311Update
from gridcity.open311.statuses import feed_status
from gridcity.org.models import Unit
from gridcity.taxonomy.models import Category

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CLOSED_STATES = (states.CLOSED, states.VOIDED, states.MERGED)
MAX_RESULTS = 1000  # "first 1000 requests returned"; also the largest page_size
# service_request_id values one GET may name: 200 numbers of 14 digits keep
# the URL under 4 kB, which every proxy on the way passes.
MAX_IDS = 200
WINDOW = dt.timedelta(days=90)  # "a span of 90 days"
# Clock bookkeeping of the sweeper, and the hotline desk's talk with its
# callers (calls added, replies, follow-ups) and a citizen's "me too" (/p/):
# not news to the reporter.
INTERNAL_ACTIONS = ("warn", "task_overdue", "add_call", "reply", "follow_up", "me_too")
# When the gateway's service definitions first existed (the discovery changeset
# before any attribute is loaded).
GATEWAY_SINCE = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["SETTINGS"].timezone)


def w3c(value: dt.datetime | None) -> str | None:
    """ISO 8601 with the city's UTC offset, e.g. ``2026-11-30T10:00:00+08:00``."""
    return value.astimezone(_tz()).isoformat(timespec="seconds") if value else None


def status_of(state: str) -> str:
    return "closed" if state in CLOSED_STATES else "open"


# ---------------------------------------------------------------- discovery and services


def discovery(url: str, language: str) -> dict:
    changed = max(GATEWAY_SINCE, attributes_changed_at() or GATEWAY_SINCE)
    return {
        "changeset": w3c(changed),
        "contact": translate("open311_contact", language),
        "key_service": translate("open311_key_service", language),
        "endpoints": Items(
            "endpoint",
            [
                {
                    "specification": SPECIFICATION,
                    "url": url,
                    "changeset": w3c(changed),
                    "type": "production",
                    "formats": Items("format", ["text/xml", "application/json"]),
                }
            ],
        ),
    }


def _name(row, language: str) -> str:
    return row.name_en if language == "en" else row.name_zh


def service_list(language: str) -> Items:
    """One service per active minor category (小类); its group is the major class."""
    with_attributes = categories_with_attributes()
    categories = db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.code)
    ).all()
    return Items(
        "service",
        [
            {
                "service_code": c.code,
                "service_name": _name(c, language),
                "description": c.filing_standard or _name(c, language),
                "metadata": c.id in with_attributes,
                "type": "realtime",
                "keywords": ", ".join(c.keywords.split()),
                "group": translate(
                    "open311_group",
                    language,
                    kind=translate(f"open311_kind_{c.major.kind}", language),
                    major=_name(c.major, language),
                ),
            }
            for c in categories
        ],
    )


def service_definition(code: str, language: str) -> dict:
    category = db.session.scalar(select(Category).where(Category.code == code, Category.active.is_(True)))
    if category is None:
        raise NotFound("open311_no_service", code=code)
    attributes = []
    for a in attributes_of(category.id):
        attribute = {
            "variable": a.variable,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": text_in(a.datatype_description, language),
            "order": a.sort_order,
            "description": text_in(a.description, language),
        }
        if a.values:
            attribute["values"] = Items(
                "value", [{"key": v["key"], "name": text_in(v["name"], language)} for v in a.values]
            )
        attributes.append(attribute)
    return {"service_code": category.code, "attributes": Items("attribute", attributes)}


# ---------------------------------------------------------------- requests


def parse_time(name: str, value: str) -> dt.datetime:
    text = value.strip()
    # "+08:00" sent unencoded in a query string arrives as " 08:00".
    text = re.sub(r"(T\d\d:\d\d(:\d\d(\.\d+)?)?) (\d\d:?\d\d)$", r"\1+\4", text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise GridCityError("open311_bad_date", name=name, value=value[:40]) from None
    # The spec requires an offset; a bare date or time is read in the city's zone.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_tz())


def _window(args, limit_span: bool) -> tuple[dt.datetime, dt.datetime]:
    start = parse_time("start_date", args["start_date"]) if args.get("start_date") else None
    end = parse_time("end_date", args["end_date"]) if args.get("end_date") else None
    if start and end and start > end:
        raise GridCityError("open311_date_order")
    if limit_span and start and end and end - start > WINDOW:
        raise GridCityError("open311_span_too_long")
    if start is None:
        end = end or utcnow()
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    return start, end


def _comma(args, name: str) -> list[str]:
    return [v.strip() for v in (args.get(name) or "").split(",") if v.strip()]


def find_requests(args) -> list[Case]:
    """``GET requests``: ``service_request_id`` (comma list, at most
    :data:`MAX_IDS`) overrides the other filters; otherwise ``service_code``,
    ``status`` and the ``start_date``/``end_date`` window on the requested
    time (default: the last 90 days). Newest first, in pages of ``page_size``
    (at most and by default 1000), ``page`` from 1."""
    query: Select = select(Case)
    ids = _comma(args, "service_request_id")
    if len(ids) > MAX_IDS:
        raise GridCityError("open311_too_many_ids", limit=MAX_IDS, count=len(ids))
    if ids:
        query = query.where(Case.number.in_(ids))
    else:
        wanted = _comma(args, "status")
        unknown = set(wanted) - {"open", "closed"}
        if unknown:
            raise GridCityError("open311_bad_status", value=",".join(sorted(unknown))[:40])
        if wanted == ["open"]:
            query = query.where(Case.state.not_in(CLOSED_STATES))
        elif wanted == ["closed"]:
            query = query.where(Case.state.in_(CLOSED_STATES))
        codes = _comma(args, "service_code")
        if codes:
            query = query.where(Case.category_id.in_(select(Category.id).where(Category.code.in_(codes))))
        start, end = _window(args, limit_span=True)
        query = query.where(Case.reported_at >= start, Case.reported_at <= end)
    page, size = paging(args)
    query = query.order_by(Case.reported_at.desc(), Case.id.desc()).offset((page - 1) * size).limit(size)
    return list(db.session.scalars(query))


def paging(args) -> tuple[int, int]:
    """``page`` (from 1) and ``page_size`` (at most 1000, the default)."""
    return _whole(args, "page", 1, 1_000_000), _whole(args, "page_size", MAX_RESULTS, MAX_RESULTS)


def _whole(args, name: str, default: int, limit: int) -> int:
    value = (args.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= limit:
        raise GridCityError("open311_bad_page", name=name, limit=limit, value=value[:20])
    return int(value)


def get_request(request_id: str) -> Case:
    case = db.session.scalar(select(Case).where(Case.number == request_id))
    if case is None:
        raise NotFound("open311_no_request", id=request_id)
    return case


def token(token_value: str) -> dict:
    """``GET tokens/{token}``: every POST is answered at once, so a token
    resolves as soon as it exists."""
    number = db.session.scalar(
        select(Case.number)
        .join(Open311Request, Open311Request.case_id == Case.id)
        .where(Open311Request.token == token_value)
    )
    if number is None:
        raise NotFound("open311_no_token", token=token_value)
    return {"service_request_id": number, "token": token_value}


class _Context:
    """Everything the documents of a batch of cases refer to, read at once."""

    def __init__(self, cases: list[Case], language: str) -> None:
        ids = [c.id for c in cases]
        self.language = language
        self.categories = {c.id: c for c in db.session.scalars(select(Category))}
        self.units = dict(db.session.execute(select(Unit.id, Unit.name)).all())
        self.open311 = {
            r.case_id: r
            for r in db.session.scalars(select(Open311Request).where(Open311Request.case_id.in_(ids)))
        }
        self.updated = dict(
            db.session.execute(
                select(CaseEvent.case_id, func.max(CaseEvent.at))
                .where(CaseEvent.case_id.in_(ids), CaseEvent.action.not_in(INTERNAL_ACTIONS))
                .group_by(CaseEvent.case_id)
            ).all()
        )
        merged = {c.merged_into_id for c in cases if c.merged_into_id}
        self.numbers = dict(db.session.execute(select(Case.id, Case.number).where(Case.id.in_(merged))).all())
        grids = {c.unit_grid_id for c in cases}
        self.grid_codes = dict(
            db.session.execute(select(UnitGrid.id, UnitGrid.code).where(UnitGrid.id.in_(grids))).all()
        )
        self.communities = dict(db.session.execute(select(Community.id, Community.name)).all())
        self.streets = dict(db.session.execute(select(Street.id, Street.name)).all())
        self.districts = dict(db.session.execute(select(District.id, District.name)).all())

    def address(self, case: Case) -> str:
        if case.address:
            return case.address
        places = [
            translate("open311_grid", self.language, code=self.grid_codes.get(case.unit_grid_id, "")),
            self.communities.get(case.community_id),
            self.streets.get(case.street_id),
            self.districts.get(case.district_id),
        ]
        return ("，" if self.language == "zh" else ", ").join(p for p in places if p)

    def status_notes(self, case: Case) -> str:
        return translate(
            f"open311_state_{case.state}",
            self.language,
            unit=self.units.get(case.unit_id, "-"),
            deadline=_local(case.deadline_at),
            reason=case.void_reason or "-",
            number=self.numbers.get(case.merged_into_id, "-"),
            review_on=_local(case.review_on),
        )


def _local(value: dt.datetime | None) -> str:
    return value.astimezone(_tz()).strftime("%Y-%m-%d %H:%M") if value else "-"


def request_documents(cases: list[Case], language: str) -> Items:
    """``<service_requests><request>…`` for these cases, fields in the spec's order."""
    context = _Context(cases, language)
    items = []
    for case in cases:
        category = context.categories[case.category_id]
        o311 = context.open311.get(case.id)
        items.append(
            {
                "service_request_id": case.number,
                "status": status_of(case.state),
                "status_notes": context.status_notes(case),
                "service_name": _name(category, language),
                "service_code": category.code,
                "description": case.description or None,
                "agency_responsible": context.units.get(case.unit_id),
                "service_notice": o311.service_notice if o311 else None,
                "requested_datetime": w3c(case.reported_at),
                "updated_datetime": w3c(context.updated.get(case.id, case.reported_at)),
                "expected_datetime": w3c(case.deadline_at),
                "address": context.address(case),
                "address_id": context.grid_codes.get(case.unit_grid_id),
                "zipcode": None,
                "lat": case.lat,
                "long": case.lon,
                "media_url": o311.media_url if o311 else None,
            }
        )
    return Items("request", items)


# ---------------------------------------------------------------- the update feed


def updates(args, key: ApiKey | None, language: str) -> Items:
    """``GET servicerequestupdates``: one update per history event (update_id =
    the event's id) whose time is in the ``start_date``/``end_date`` window;
    with an ``api_key`` only that client's requests, and not the updates it
    posted itself. Oldest first from ``start_date``; without one, the newest
    of the last 90 days; in pages of ``page_size`` (at most 1000).

    ``status`` is what the case became, as clients map it (see
    :mod:`gridcity.open311.statuses`): never a bare CLOSED. A request's own
    photo is not sent back to the client that sent it (FixMyStreet would
    fetch it and add it to its report a second time); photos citizens
    posted as updates stay out of the feed (a photo is public only once an
    operator has approved it)."""
    start, end = _window(args, limit_span=False)
    page, size = paging(args)
    query = (
        select(CaseEvent, Case)
        .join(Case, CaseEvent.case_id == Case.id)
        .where(CaseEvent.at >= start, CaseEvent.at <= end, CaseEvent.action.not_in(INTERNAL_ACTIONS))
    )
    if key is not None:
        query = query.join(Open311Request, Open311Request.case_id == Case.id).where(
            Open311Request.api_key_id == key.id,
            CaseEvent.id.not_in(select(Open311Update.event_id).where(Open311Update.api_key_id == key.id)),
        )
    offset = (page - 1) * size
    if args.get("start_date"):
        order = (CaseEvent.at, CaseEvent.id)
        rows = db.session.execute(query.order_by(*order).offset(offset).limit(size)).all()
    else:
        order = (CaseEvent.at.desc(), CaseEvent.id.desc())
        rows = db.session.execute(query.order_by(*order).offset(offset).limit(size)).all()
        rows.reverse()
    context = _Context(list({case.id: case for _, case in rows}.values()), language)
    return Items(
        "request_update",
        [
            {
                "update_id": str(event.id),
                "service_request_id": case.number,
                "status": feed_status(event.to_state, _void_reason(event, case)),
                "updated_datetime": w3c(event.at),
                "description": _event_text(event, context),
                "media_url": _media_url(event, case, context, key),
                "external_status_code": event.to_state,
            }
            for event, case in rows
        ],
    )


def _void_reason(event: CaseEvent, case: Case) -> str | None:
    return (event.data or {}).get("set", {}).get("void_reason") or case.void_reason


def _media_url(event: CaseEvent, case: Case, context: _Context, key: ApiKey | None) -> str | None:
    o311 = context.open311.get(case.id)
    if event.action != "report" or o311 is None or (key is not None and o311.api_key_id == key.id):
        return None
    return o311.media_url


def _event_text(event: CaseEvent, context: _Context) -> str:
    data = event.data or {}
    changes = data.get("set", {})
    key = event.action
    if event.action == "accept" and event.to_state == states.VERIFYING:
        key = "accept_verify"
    elif event.action in ("verify", "check"):
        key = f"{event.action}_{'pass' if data.get('result') == 'pass' else 'fail'}"
    elif event.action == "decide":
        key = "decide_approved" if data.get("approved") else "decide_refused"
    deadline = changes.get("deadline_at")
    return translate(
        f"open311_event_{key}",
        context.language,
        unit=context.units.get(changes.get("unit_id"), "-"),
        deadline=_local(dt.datetime.fromisoformat(deadline)) if deadline else "-",
        reason=changes.get("void_reason") or event.note or "-",
        number=context.numbers.get(changes.get("merged_into_id"))
        or _number_of(changes.get("merged_into_id")),
        kind=translate(f"open311_request_{data.get('kind', 'extension')}", context.language),
        text=_update_text(event),
    )


def _update_text(event: CaseEvent) -> str:
    """A posted update's own words (not who sent it)."""
    return (event.data or {}).get("text") or "-"


def _number_of(case_id: int | None) -> str:
    if case_id is None:
        return "-"
    return db.session.scalar(select(Case.number).where(Case.id == case_id)) or "-"
