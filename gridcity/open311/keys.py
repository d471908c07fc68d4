"""Open311 clients' API keys: issued by an admin, kept only as a hash,
revocable, and limited to a number of requests a minute."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass

from sqlalchemy import case as sql_case
from sqlalchemy import select, update

from gridcity.core.clock import utcnow
from gridcity.core.errors import Forbidden, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.open311.models import DEFAULT_RATE_PER_MINUTE, ApiKey

KEY_PREFIX = "o311_"


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
