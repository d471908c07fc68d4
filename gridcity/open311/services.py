"""Filing an Open311 request through the ordinary intake.

A request goes through :func:`gridcity.cases.services.submit_report` like any
public report (source ``open311``, no reporter account), so the operator's
accept sends a verify task (核实) to the grid's inspector as usual. Every
refusal happens before the case is written, so a refused request creates
nothing. API keys are in :mod:`gridcity.open311.keys`, the services' extra
fields in :mod:`gridcity.open311.attributes`.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select

from gridcity.cases.models import Case
from gridcity.cases.services import Report, submit_report
from gridcity.core.errors import GridCityError, NotFound
from gridcity.core.i18n import translate
from gridcity.extensions import db
from gridcity.open311.attributes import DECIMAL, answers_text, checked_answers
from gridcity.open311.geocode import place_of_address, place_of_grid_code
from gridcity.open311.models import ApiKey, Open311Request
from gridcity.taxonomy.models import Category

MAX_DESCRIPTION = 4000  # GeoReport v2: "free form text limited to 4,000 characters"
MAX_MEDIA_URLS = 20  # FixMyStreet sends one media_url per photo of the report
# Attributes by which a client names its own report (FixMyStreet sends its
# report id as attribute[fixmystreet_id]): a request resent with the same one
# is the first request, never a second case.
CLIENT_REFERENCES = ("fixmystreet_id",)
FIELD_LIMITS = {
    "email": 254,
    "first_name": 100,
    "last_name": 100,
    "phone": 40,
    "device_id": 100,
    "account_id": 100,
    "address_string": 200,
    "media_url": 2000,
}

# ---------------------------------------------------------------- filing a request


@dataclass
class Submission:
    """The form fields of ``POST requests``, as sent (all strings)."""

    service_code: str | None = None
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = None
    media_urls: list[str] = field(default_factory=list)


def service_for(code: str | None) -> Category:
    """The active category behind a service code: 400 without one, 404 for
    one we do not have."""
    if not code:
        raise GridCityError("open311_no_service_code")
    category = db.session.scalar(select(Category).where(Category.code == code, Category.active.is_(True)))
    if category is None:
        raise NotFound("open311_unknown_service", code=code)  # the spec's error table: 404
    return category


def file_request(key: ApiKey, sub: Submission, language: str) -> Open311Request:
    """上报 through Open311: check everything, then make the case with the
    ordinary intake and keep what the request brought beside it. A request
    this client already sent (same :data:`CLIENT_REFERENCES` attribute)
    answers with the first one."""
    reference = _client_uuid(key, sub.attributes)
    if reference is not None:
        first = _request_by_client_uuid(reference)
        if first is not None:
            return first
    category = service_for(sub.service_code)
    lon, lat = _position(sub)
    answers = checked_answers(category, sub.attributes)
    fields = {name: _field(sub, name) for name in FIELD_LIMITS if name != "media_url"}
    if fields["email"] and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", fields["email"]):
        raise GridCityError("open311_bad_email", value=fields["email"][:80])
    description = truncated((sub.description or "").strip())
    media_urls = checked_media_urls(sub.media_urls)
    token = str(uuid.uuid4())
    result = submit_report(
        Report(
            category=category.code,
            lon=lon,
            lat=lat,
            source="open311",
            client_uuid=reference or token,
            description=description + answers_text(category, answers),
            address=fields["address_string"],
            reporter_contact=_contact(key, fields),
        ),
        None,
        system_source=True,
    )
    if not result.created:  # the same reference arrived twice at once: the other made it
        first = _request_by_client_uuid(result.case.client_uuid)
        if first is not None:
            return first
    row = Open311Request(
        case_id=result.case.id,
        api_key_id=key.id,
        token=token,
        service_notice=service_notice(category, language),
        media_url=media_urls[0] if media_urls else None,
        media_urls=media_urls or None,
        attributes=answers,
        created_at=result.case.reported_at,
        **{name: value for name, value in fields.items()},
    )
    db.session.add(row)
    db.session.flush()
    return row


def _client_uuid(key: ApiKey, attributes: dict[str, list[str]]) -> str | None:
    """The case's client UUID for a request that names the client's own report."""
    for name in CLIENT_REFERENCES:
        values = [v.strip() for v in attributes.get(name, []) if v and v.strip()]
        if values:
            digest = hashlib.sha256(f"{key.id}\n{name}\n{values[0]}".encode()).hexdigest()
            return f"open311-{digest[:56]}"
    return None


def _request_by_client_uuid(client_uuid: str) -> Open311Request | None:
    return db.session.scalar(
        select(Open311Request)
        .join(Case, Case.id == Open311Request.case_id)
        .where(Case.client_uuid == client_uuid)
    )


def truncated(text: str, language: str = "zh") -> str:
    """Text over GeoReport's 4,000 characters, cut with a note saying so
    (clients send title, detail and a link; refusing would lose the report)."""
    if len(text) <= MAX_DESCRIPTION:
        return text
    note = translate("open311_truncated", language, length=len(text))
    return text[: MAX_DESCRIPTION - len(note)].rstrip() + note


def service_notice(category: Category, language: str) -> str:
    """What happens next and how long the fix may take (the category's clock)."""
    clock = translate(f"open311_clock_{category.deadline_clock}", language)
    return translate("open311_notice", language, amount=category.deadline_amount, clock=clock)


def _field(sub: Submission, name: str) -> str | None:
    value = (getattr(sub, name) or "").strip()
    if len(value) > FIELD_LIMITS[name]:
        raise GridCityError("open311_field_too_long", name=name, limit=FIELD_LIMITS[name])
    return value or None


def _degrees(name: str, text: str) -> float:
    value = text.strip()
    if not DECIMAL.match(value) or not math.isfinite(float(value)):
        raise GridCityError("open311_bad_number", name=name, value=text[:40])
    return float(value)


def _position(sub: Submission) -> tuple[float, float]:
    """(lon, lat): from lat/long, else address_id, else address_string."""
    lat, long = (sub.lat or "").strip(), (sub.long or "").strip()
    if lat or long:
        if not (lat and long):
            raise GridCityError("open311_half_position")
        lon_value, lat_value = _degrees("long", long), _degrees("lat", lat)
        if not (-90 <= lat_value <= 90 and -180 <= lon_value <= 180):
            raise GridCityError("open311_out_of_range", lat=lat[:40], long=long[:40])
        return lon_value, lat_value
    if (sub.address_id or "").strip():
        place = place_of_grid_code(sub.address_id.strip())
        return place.lon, place.lat
    if (sub.address_string or "").strip():
        place = place_of_address(sub.address_string.strip())
        return place.lon, place.lat
    raise GridCityError("open311_no_location")


def checked_media_urls(urls: list[str]) -> list[str]:
    """The media_url values sent (several allowed), each an http(s) URL."""
    urls = [u.strip() for u in urls if u and u.strip()]
    if len(urls) > MAX_MEDIA_URLS:
        raise GridCityError("open311_too_many_media_urls", limit=MAX_MEDIA_URLS, count=len(urls))
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
            raise GridCityError("open311_bad_media_url", url=url[:100])
        if len(url) > FIELD_LIMITS["media_url"]:
            raise GridCityError("open311_field_too_long", name="media_url", limit=FIELD_LIMITS["media_url"])
    return urls


def _contact(key: ApiKey, fields: dict) -> str:
    """The reporter's contact as staff see it on the case (100 characters)."""
    name = " ".join(p for p in (fields["first_name"], fields["last_name"]) if p)
    parts = [p for p in (name, fields["phone"], fields["email"]) if p]
    return f"Open311 {key.client}: {' / '.join(parts) or '-'}"[:100]
