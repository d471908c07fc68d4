"""Open311 clients' API keys: issued by an admin, kept only as a hash,
revocable, and limited to a number of requests a minute.

One door for the admin console (/admin/open311-keys), its API
(/api/v1/open311-keys) and the ``gridcity open311`` commands: every issue,
change and revocation is written to the audit log with before → after (the
key itself never; its prefix names it)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass

from sqlalchemy import case as sql_case
from sqlalchemy import func, select, update

from gridcity.audit import services as audit
from gridcity.core.clock import utcnow
from gridcity.core.errors import Forbidden, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.open311.models import DEFAULT_RATE_PER_MINUTE, ApiKey, Open311Request
from gridcity.org.trail import changed

KEY_PREFIX = "o311_"
KEY_KIND = "open311_key"  # the audit log's name for these objects
MAX_CLIENT_LENGTH = 100
MAX_RATE_PER_MINUTE = 100_000


def _digest(key: str) -> str:
    # Keys are 256-bit random tokens, so a plain SHA-256 is enough to keep
    # them unreadable at rest (no password-style stretching needed).
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _client_name(client) -> str:
    client = (client or "").strip()
    if not client or len(client) > MAX_CLIENT_LENGTH:
        raise GridCityError("open311_key_client", maximum=MAX_CLIENT_LENGTH)
    return client


def _rate(rate) -> int:
    if isinstance(rate, bool) or not isinstance(rate, int) or not 0 < rate <= MAX_RATE_PER_MINUTE:
        raise GridCityError("open311_key_rate", maximum=MAX_RATE_PER_MINUTE)
    return rate


def key_snapshot(row: ApiKey) -> dict:
    """What the audit log keeps of a key: never the key, nor its hash."""
    return {
        "client": row.client,
        "key_prefix": row.key_prefix,
        "rate_per_minute": row.rate_per_minute,
        "revoked": row.revoked_at is not None,
    }


def _record(action: str, actor, row: ApiKey, before: dict | None, after: dict | None) -> None:
    if before is not None and after is not None:
        before, after = changed(before, after)
    audit.record(
        action,
        actor,
        object_kind=KEY_KIND,
        object_id=row.id,
        object_label=f"{row.client} ({row.key_prefix}…)",
        before=before,
        after=after,
    )


def issue_key(client: str, rate_per_minute: int | None = None, actor=None) -> tuple[ApiKey, str]:
    """A new key for ``client``; returns the row and the key itself, which is
    shown once and never stored. ``actor`` is the admin (None: the command line)."""
    client = _client_name(client)
    rate = _rate(DEFAULT_RATE_PER_MINUTE if rate_per_minute is None else rate_per_minute)
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
    _record("open311_key.issue", actor, row, None, key_snapshot(row))
    return row, key


def key_by_id(key_id: int) -> ApiKey:
    row = db.session.get(ApiKey, key_id)
    if row is None:
        raise NotFound("open311_key_not_found", key_id=key_id)
    return row


def update_key(
    key_id: int, actor=None, *, client: str | None = None, rate_per_minute: int | None = None
) -> ApiKey:
    """Rename a key's client or change its rate limit (from the next minute's
    window on); a revoked key can still be renamed, not given a new limit."""
    row = key_by_id(key_id)
    before = key_snapshot(row)
    if client is not None:
        row.client = _client_name(client)
    if rate_per_minute is not None:
        rate = _rate(rate_per_minute)
        if row.revoked_at is not None and rate != row.rate_per_minute:
            raise GridCityError("open311_key_revoked", status=409)
        row.rate_per_minute = rate
    after = key_snapshot(row)
    if after != before:
        _record("open311_key.update", actor, row, before, after)
    return row


def revoke_key(key_id: int, actor=None) -> ApiKey:
    """Revoke a key; requests with it are refused (403) from now on. Revoking
    a revoked key changes nothing (and writes nothing to the log)."""
    row = key_by_id(key_id)
    if row.revoked_at is None:
        before = key_snapshot(row)
        row.revoked_at = utcnow()
        _record("open311_key.revoke", actor, row, before, key_snapshot(row))
    return row


def requests_filed(key_ids) -> dict[int, int]:
    """How many requests each key filed (for the console's list)."""
    if not key_ids:
        return {}
    rows = db.session.execute(
        select(Open311Request.api_key_id, func.count(Open311Request.id))
        .where(Open311Request.api_key_id.in_(list(key_ids)))
        .group_by(Open311Request.api_key_id)
    )
    return {key_id: int(n) for key_id, n in rows}


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
