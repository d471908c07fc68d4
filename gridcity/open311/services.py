"""Open311 business rules: API keys and their rate limit, the services'
extra attributes, and filing a request through the ordinary intake.

A request goes through :func:`gridcity.cases.services.submit_report` like any
public report (source ``open311``, no reporter account), so the operator's
accept sends a verify task (核实) to the grid's inspector as usual. Every
refusal happens before the case is written, so a refused request creates
nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import case as sql_case
from sqlalchemy import delete, func, select, update

from gridcity.cases.services import Report, submit_report
from gridcity.core.clock import utcnow
from gridcity.core.errors import Forbidden, GridCityError, NotFound
from gridcity.core.i18n import translate
from gridcity.extensions import db
from gridcity.open311.defaults import DEFAULT_ATTRIBUTES
from gridcity.open311.geocode import place_of_address, place_of_grid_code
from gridcity.open311.models import (
    DATATYPES,
    DEFAULT_RATE_PER_MINUTE,
    ApiKey,
    Open311Request,
    ServiceAttribute,
)
from gridcity.taxonomy.models import Category
from gridcity.taxonomy.services import get_category

KEY_PREFIX = "o311_"
MAX_DESCRIPTION = 4000  # GeoReport v2: "free form text limited to 4,000 characters"
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
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_ATTRIBUTE_CODE = re.compile(r"^\w{1,50}$")

# ---------------------------------------------------------------- API keys


def _digest(key: str) -> str:
    # Keys are 256-bit random tokens, so a plain SHA-256 is enough to keep
    # them unreadable at rest (no password-style stretching needed).
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue_key(client: str, rate_per_minute: int | None = None) -> tuple[ApiKey, str]:
    """A new key for ``client``; returns the row and the key itself, which is
    shown once and never stored."""
    client = (client or "").strip()
    if not client or len(client) > 100:
        raise GridCityError("bad_request", detail="the client name must be 1 to 100 characters")
    rate = DEFAULT_RATE_PER_MINUTE if rate_per_minute is None else rate_per_minute
    if rate <= 0:
        raise GridCityError("bad_request", detail="the rate limit must be a positive number per minute")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        client=client,
        key_prefix=key[:12],
        key_hash=_digest(key),
        rate_per_minute=rate,
        created_at=utcnow(),
        window_count=0,
    )
    db.session.add(row)
    db.session.flush()
    return row, key


def revoke_key(key_id: int) -> ApiKey:
    """Revoke a key; requests with it are refused (403) from now on."""
    row = db.session.get(ApiKey, key_id)
    if row is None:
        raise NotFound("not_found", what=f"Open311 API key {key_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def list_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.id)))


def authenticate(api_key: str | None) -> ApiKey:
    """The key's row, or 403: missing, unknown or revoked."""
    if not api_key:
        raise Forbidden("open311_no_api_key")
    row = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(api_key)))
    if row is None:
        raise Forbidden("open311_bad_api_key")
    if row.revoked_at is not None:
        raise Forbidden("open311_revoked_api_key", date=row.revoked_at.date().isoformat())
    return row


class RateLimited(GridCityError):
    status = 429

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__("open311_rate_limited", limit=limit, retry_after=retry_after)
        self.retry_after = retry_after


@dataclass
class Admission:
    key: ApiKey
    count: int
    limit: int
    retry_after: int

    def raise_if_over_limit(self) -> None:
        if self.count > self.limit:
            raise RateLimited(self.limit, self.retry_after)


def admit(api_key: str | None, now: dt.datetime | None = None) -> Admission:
    """Authenticate and count one request in the key's current minute.

    The count lives on the key's row and is bumped by one atomic UPDATE, so
    all web processes share it (an in-process counter would allow the limit
    once per process and forget it on restart). The caller commits the count
    before doing the work, so refused and failing requests count too."""
    key = authenticate(api_key)
    now = now or utcnow()
    window = now.replace(second=0, microsecond=0)
    count = db.session.execute(
        update(ApiKey)
        .where(ApiKey.id == key.id)
        .values(
            window_count=sql_case((ApiKey.window_start == window, ApiKey.window_count + 1), else_=1),
            window_start=window,
            last_used_at=now,
        )
        .returning(ApiKey.window_count)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    retry_after = max(1, math.ceil((window + dt.timedelta(minutes=1) - now).total_seconds()))
    return Admission(key, count, key.rate_per_minute, retry_after)


# ---------------------------------------------------------------- service attributes


def text_in(texts: dict | str | None, language: str) -> str | None:
    """A ``{"zh": …, "en": …}`` text in ``language``, falling back to the other."""
    if texts is None or isinstance(texts, str):
        return texts
    return texts.get(language) or texts.get("zh") or texts.get("en")


def attributes_of(category_id: int) -> list[ServiceAttribute]:
    return list(
        db.session.scalars(
            select(ServiceAttribute)
            .where(ServiceAttribute.category_id == category_id)
            .order_by(ServiceAttribute.sort_order)
        )
    )


def categories_with_attributes() -> set[int]:
    return set(db.session.scalars(select(ServiceAttribute.category_id).distinct()))


def attributes_changed_at() -> dt.datetime | None:
    return db.session.scalar(select(func.max(ServiceAttribute.updated_at)))


def load_attributes(document: dict | None = None) -> int:
    """Replace the attributes of every service named in the document
    (``{"services": {"C0101": [attribute, …]}}``; default: the built-in
    ones). Validates it all first; returns the number of attributes written."""
    document = DEFAULT_ATTRIBUTES if document is None else document
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict):
        raise _bad_definition("expected an object with a 'services' object")
    checked = {get_category(code).id: _checked(code, attrs) for code, attrs in document["services"].items()}
    now = utcnow()
    count = 0
    for category_id, attributes in checked.items():
        db.session.execute(delete(ServiceAttribute).where(ServiceAttribute.category_id == category_id))
        for order, a in enumerate(attributes, start=1):
            db.session.add(
                ServiceAttribute(
                    category_id=category_id,
                    code=a["code"],
                    datatype=a["datatype"],
                    required=bool(a.get("required", False)),
                    variable=bool(a.get("variable", True)),
                    sort_order=order,
                    description=_texts(a["description"]),
                    datatype_description=_texts(a["datatype_description"])
                    if a.get("datatype_description")
                    else None,
                    values=[{"key": str(v["key"]), "name": _texts(v["name"])} for v in a.get("values", [])],
                    updated_at=now,
                )
            )
            count += 1
    db.session.flush()
    return count


def _bad_definition(detail: str) -> GridCityError:
    return GridCityError("open311_bad_attribute_definition", detail=detail)


def _texts(value) -> dict:
    return {"zh": value, "en": value} if isinstance(value, str) else dict(value)


def _checked(service_code: str, attributes) -> list[dict]:
    if not isinstance(attributes, list):
        raise _bad_definition(f"{service_code}: expected a list of attributes")
    seen: set[str] = set()
    for a in attributes:
        where = f"{service_code}/{a.get('code') if isinstance(a, dict) else a!r}"
        if not isinstance(a, dict) or not _ATTRIBUTE_CODE.match(str(a.get("code", ""))):
            raise _bad_definition(f"{where}: code must be 1-50 letters, digits or _")
        if a["code"] in seen:
            raise _bad_definition(f"{where}: code appears twice")
        seen.add(a["code"])
        if a.get("datatype") not in DATATYPES:
            raise _bad_definition(f"{where}: datatype must be one of {', '.join(DATATYPES)}")
        if not isinstance(a.get("description"), (str, dict)) or not a["description"]:
            raise _bad_definition(f"{where}: a description is required")
        values = a.get("values", [])
        if a["datatype"].endswith("valuelist"):
            keys = [str(v.get("key")) for v in values if isinstance(v, dict) and v.get("name")]
            if not values or len(keys) != len(values) or len(set(keys)) != len(keys):
                raise _bad_definition(f"{where}: a list needs values with distinct keys and names")
        elif values:
            raise _bad_definition(f"{where}: only list datatypes have values")
    return attributes


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
    """The active category behind a service code, or 400."""
    if not code:
        raise GridCityError("open311_no_service_code")
    category = db.session.scalar(select(Category).where(Category.code == code, Category.active.is_(True)))
    if category is None:
        raise GridCityError("open311_unknown_service", code=code)
    return category


def file_request(key: ApiKey, sub: Submission, language: str) -> Open311Request:
    """上报 through Open311: check everything, then make the case with the
    ordinary intake and keep what the request brought beside it."""
    category = service_for(sub.service_code)
    lon, lat = _position(sub)
    answers = _answers(category, sub.attributes)
    fields = {name: _field(sub, name) for name in FIELD_LIMITS if name != "media_url"}
    if fields["email"] and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", fields["email"]):
        raise GridCityError("open311_bad_email", value=fields["email"][:80])
    description = (sub.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise GridCityError("open311_description_too_long", length=len(description))
    media_url = _media_url(sub.media_urls)
    token = str(uuid.uuid4())
    result = submit_report(
        Report(
            category=category.code,
            lon=lon,
            lat=lat,
            source="open311",
            client_uuid=token,
            description=description + _answers_text(category, answers),
            address=fields["address_string"],
            reporter_contact=_contact(key, fields),
        ),
        None,
        system_source=True,
    )
    row = Open311Request(
        case_id=result.case.id,
        api_key_id=key.id,
        token=token,
        service_notice=service_notice(category, language),
        media_url=media_url,
        attributes=answers,
        created_at=result.case.reported_at,
        **{name: value for name, value in fields.items()},
    )
    db.session.add(row)
    db.session.flush()
    return row


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
    if not _DECIMAL.match(value) or not math.isfinite(float(value)):
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


def _media_url(urls: list[str]) -> str | None:
    urls = [u.strip() for u in urls if u and u.strip()]
    if not urls:
        return None
    if len(urls) > 1:
        raise GridCityError("open311_one_media_url")
    url = urls[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise GridCityError("open311_bad_media_url", url=url[:100])
    if len(url) > FIELD_LIMITS["media_url"]:
        raise GridCityError("open311_field_too_long", name="media_url", limit=FIELD_LIMITS["media_url"])
    return url


def _answers(category: Category, sent: dict[str, list[str]]) -> dict:
    """The attribute answers, checked against the service definition.
    Attributes the definition does not name are kept as sent."""
    answers: dict = {}
    definitions = {a.code: a for a in attributes_of(category.id)}
    for code, values in sent.items():
        values = [v.strip() for v in values if v is not None and v.strip()]
        if code not in definitions:
            if values:
                answers[code] = values if len(values) > 1 else values[0]
            continue
        if values:
            answers[code] = _checked_answer(definitions[code], values)
    for code, a in definitions.items():
        if a.required and a.variable and code not in answers:
            raise GridCityError(
                "open311_missing_attribute", code=code, description=text_in(a.description, "en")
            )
    return answers


def _checked_answer(a: ServiceAttribute, values: list[str]):
    def bad(value: str, detail: str):
        return GridCityError("open311_bad_attribute", code=a.code, value=value[:80], detail=detail)

    keys = [v["key"] for v in a.values]
    if a.datatype == "multivaluelist":
        for v in values:
            if v not in keys:
                raise bad(v, "one of " + ", ".join(keys))
        return values
    if len(values) > 1:
        raise bad(", ".join(values), "one value only")
    value = values[0]
    if a.datatype == "singlevaluelist" and value not in keys:
        raise bad(value, "one of " + ", ".join(keys))
    if a.datatype == "number" and not (_DECIMAL.match(value) and math.isfinite(float(value))):
        raise bad(value, "a number")
    if a.datatype == "datetime":
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            raise bad(value, "an ISO 8601 date-time") from None
    if a.datatype == "string" and "\n" in value:
        raise bad(value, "one line")
    if a.datatype in ("string", "text") and len(value) > MAX_DESCRIPTION:
        raise bad(value, f"at most {MAX_DESCRIPTION} characters")
    return value


def _answers_text(category: Category, answers: dict) -> str:
    """The answers in words for the staff (Chinese), appended to the description."""
    if not answers:
        return ""
    definitions = {a.code: a for a in attributes_of(category.id)}
    parts = []
    for code, value in answers.items():
        a = definitions.get(code)
        if a is None:
            parts.append(f"{code}：{value}")
            continue
        names = {v["key"]: text_in(v["name"], "zh") for v in a.values}
        shown = [names.get(v, v) for v in (value if isinstance(value, list) else [value])]
        parts.append(f"{text_in(a.description, 'zh')}：{'、'.join(shown)}")
    return f"\n\n{translate('open311_answers', 'zh')}" + "；".join(parts)


def _contact(key: ApiKey, fields: dict) -> str:
    """The reporter's contact as staff see it on the case (100 characters)."""
    name = " ".join(p for p in (fields["first_name"], fields["last_name"]) if p)
    parts = [p for p in (name, fields["phone"], fields["email"]) if p]
    return f"Open311 {key.client}: {' / '.join(parts) or '-'}"[:100]
