"""Open311 clients' API keys, the extra fields a service asks for, and what an
Open311 request brought with it beyond the case itself."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridcity.cases.models import UTCDateTime
from gridcity.extensions import db

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
DEFAULT_RATE_PER_MINUTE = 60


class ApiKey(db.Model):
    """An API key issued by an admin to one Open311 client. Only the key's
    SHA-256 is kept; ``key_prefix`` lets people tell keys apart in lists.

    The rate limit is a fixed one-minute window counted on this row
    (``window_start``, ``window_count``), so every web process sees the same
    count."""

    __tablename__ = "open311_api_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(100), index=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rate_per_minute: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_RATE_PER_MINUTE, server_default=str(DEFAULT_RATE_PER_MINUTE)
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    window_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    window_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (db.CheckConstraint("rate_per_minute > 0", name="rate_positive"),)


class ServiceAttribute(db.Model):
    """An extra field a service (a minor category) asks for when a request is
    filed — GeoReport's service definition attribute. Texts are
    ``{"zh": …, "en": …}``."""

    __tablename__ = "open311_attribute"
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    datatype: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    variable: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    datatype_description: Mapped[dict | None] = mapped_column(JSON)
    # [{"key": "missing", "name": {"zh": "缺失", "en": "Missing"}}, …] for the list types.
    values: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    category = relationship("Category")

    __table_args__ = (
        db.UniqueConstraint("category_id", "code"),
        db.CheckConstraint(
            "datatype IN (" + ", ".join(f"'{d}'" for d in DATATYPES) + ")", name="datatype_known"
        ),
    )


class Open311Request(db.Model):
    """What an Open311 POST brought beyond the case: the client (its key), the
    reporter's contact fields, the answers to the service's attributes, the
    media URL and the notice we answered with."""

    __tablename__ = "open311_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), unique=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("open311_api_key.id"), index=True)
    # Resolves through GET tokens/{token}; also the case's client UUID, unless the
    # request named the client's own report (services.CLIENT_REFERENCES).
    token: Mapped[str] = mapped_column(String(64), unique=True)
    service_notice: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(254))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    device_id: Mapped[str | None] = mapped_column(String(100))
    account_id: Mapped[str | None] = mapped_column(String(100))
    media_url: Mapped[str | None] = mapped_column(String(2000))
    # Every media_url sent (FixMyStreet sends one per photo); media_url is the first.
    media_urls: Mapped[list | None] = mapped_column(JSON)
    address_string: Mapped[str | None] = mapped_column(String(200))
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    case = relationship("Case")
    api_key: Mapped[ApiKey] = relationship()


class Open311Update(db.Model):
    """An update a client posted to a request (``POST servicerequestupdates``):
    a citizen's comment or "not fixed" sent on by FixMyStreet. The client's
    own ``update_id`` is unique per key, so a resent update finds this row and
    makes no second one. The words and photos are in the case event; the
    citizen's contact is not kept (the desk answers through the client)."""

    __tablename__ = "open311_update"
    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("open311_api_key.id"))
    client_update_id: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("case_event.id"), unique=True)
    status: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    api_key: Mapped[ApiKey] = relationship()
    event = relationship("CaseEvent")

    __table_args__ = (db.UniqueConstraint("api_key_id", "client_update_id"),)
