"""One-time codes (验证码) that confirm a citizen's phone, and the pluggable
sender that delivers them and the step notices.

A code is 6 digits, kept only as an HMAC under the app's secret key, lasts
``GRIDCITY_PUBLIC_CODE_MINUTES`` and may be tried
``GRIDCITY_PUBLIC_CODE_MAX_ATTEMPTS`` times. The sender is a setting:
``console`` logs the text (development) and keeps the last code per phone
where tests read it; ``gateway`` POSTs JSON ``{"phone", "text"}`` to
``GRIDCITY_PUBLIC_SMS_GATEWAY_URL`` with ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import urllib.request

from flask import current_app
from sqlalchemy import select

from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import translate
from gridcity.extensions import db
from gridcity.ops.citizen_data import checked_phone
from gridcity.public.app_models import CitizenCode
from gridcity.public.limits import check_code_limit, refuse_blocked

log = logging.getLogger(__name__)

CODE_DIGITS = 6
# The console sender's memory: phone → last code (development and tests only).
CONSOLE_KEY = "gridcity_public_console_codes"


def _settings():
    return current_app.config["SETTINGS"]


def _digest(phone: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, f"citizen-code\n{phone}\n{code}".encode(), hashlib.sha256).hexdigest()


def send_code(phone: str, language: str = "zh", address: str | None = None) -> str:
    """Send a new code to ``phone``; refuse (429) past the hourly limits (per
    phone, per address) and (403) a blocked phone. Returns the phone's key."""
    key = checked_phone(phone)
    refuse_blocked(key)
    check_code_limit(key, address)
    settings = _settings()
    now = utcnow()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    db.session.add(
        CitizenCode(
            phone=key,
            code_hash=_digest(key, code),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.public_code_minutes),
            attempts=0,
            from_address=(address or None) and address[:45],
        )
    )
    db.session.flush()
    text = translate("p_code_message", language, code=code, minutes=settings.public_code_minutes)
    deliver(key, text, code=code)
    return key


def confirm_code(phone: str, code: str) -> str:
    """The phone's key when ``code`` is its latest unused, unexpired code;
    every wrong try counts, and past the limit the code is dead."""
    key = checked_phone(phone)
    settings = _settings()
    now = utcnow()
    row = db.session.scalar(
        select(CitizenCode)
        .where(CitizenCode.phone == key, CitizenCode.used_at.is_(None))
        .order_by(CitizenCode.created_at.desc(), CitizenCode.id.desc())
        .limit(1)
    )
    if row is None or row.expires_at <= now:
        raise GridCityError("p_code_expired", 400)
    if row.attempts >= settings.public_code_max_attempts:
        raise GridCityError("p_code_attempts", 400)
    given = "".join(ch for ch in (code or "") if ch.isdigit())
    if not hmac.compare_digest(row.code_hash, _digest(key, given)):
        row.attempts += 1
        left = settings.public_code_max_attempts - row.attempts
        # The wrong try must count even though the request fails: commit it.
        db.session.commit()
        if left <= 0:
            raise GridCityError("p_code_attempts", 400)
        raise GridCityError("p_code_wrong", 400, left=left)
    row.used_at = now
    return key


def deliver(phone: str, text: str, *, code: str | None = None) -> None:
    """Send ``text`` to ``phone`` by the configured sender."""
    settings = _settings()
    if settings.public_sms_sender == "console":
        # A warning so the demo's quiet console (GRIDCITY_LOG_LEVEL=WARNING) shows it.
        log.warning("SMS to %s: %s (console sender: shown here, not sent)", phone, text)
        if code is not None:
            current_app.extensions.setdefault(CONSOLE_KEY, {})[phone] = code
        return
    body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode()
    request = urllib.request.Request(
        settings.public_sms_gateway_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.public_sms_gateway_token}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 (an http(s) URL, validated)
            if answer.status >= 300:
                raise OSError(f"gateway answered {answer.status}")
    except OSError as error:
        log.warning("SMS gateway failed: %s", error)
        raise GridCityError("p_sms_failed", 503) from None


def last_console_code(app, phone: str) -> str | None:
    """The last code the console sender sent to ``phone`` (tests, development)."""
    return app.extensions.get(CONSOLE_KEY, {}).get(checked_phone(phone))
