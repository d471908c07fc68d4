"""Request ids, one access-log line per request, and redaction of personal
data and secrets from every log line.

The request id comes from the proxy's ``X-Request-ID`` when it is well formed
(else it is made here); it goes back in the ``X-Request-ID`` response header,
into JSON error bodies and on the error page, and into every JSON log line
written while the request runs, so a person's complaint leads to the lines.

Redaction works on each log record as it is made (a wrapped record factory),
so it covers every logger and every handler, ours or a library's: mainland
mobile numbers, ``password=…``, session cookies and bearer tokens, and API keys
never reach a log file. The access line itself holds no query string values
and the user's id, not their name.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time

from flask import Flask, has_request_context, request

from gridcity.core.request_id import REQUEST_ID_HEADER, request_id

ACCESS_LOG = logging.getLogger("gridcity.access")
STARTED_KEY = "gridcity.request_started"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# ---------------------------------------------------------------- redaction

# Not inside a longer run of letters and digits (a request id, a hash).
PHONE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?![0-9A-Za-z])")
SECRET_FIELD = re.compile(
    r"(?i)(\w*(?:password|passwd|api_?key|secret|token)[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,;)}\]]+"
)
SESSION_COOKIE = re.compile(r"(?i)(\bsession=)[^;\s\"',]+")
# Flask's signed session cookie (itsdangerous): payload.timestamp.signature,
# the payload zlib-compressed (".eJ…") or plain JSON ("eyJ…").
SIGNED_TOKEN = re.compile(r"\.?e[yJ][A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{10,}")
BEARER = re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+")
API_KEY = re.compile(r"\bo311_[A-Za-z0-9_-]{16,}")  # gridcity.open311.keys.KEY_PREFIX + token


def redact(text: str) -> str:
    """``text`` without phone numbers, passwords, session cookies, bearer tokens or API keys."""
    text = SECRET_FIELD.sub(r"\1[redacted]", text)
    text = SESSION_COOKIE.sub(r"\1[redacted]", text)
    text = BEARER.sub(r"\1[redacted]", text)
    text = API_KEY.sub("[api key]", text)
    text = SIGNED_TOKEN.sub("[session]", text)
    return PHONE.sub("[phone]", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and traceback) with :func:`redact`.
    Installed process-wide by :func:`install_redaction`; usable on any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> None:
    if getattr(record, "_gridcity_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: logging reports it when the line is written
        return
    record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        # Database errors quote the statement's parameters in their message.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._gridcity_redacted = True


def install_redaction() -> None:
    """Redact every log record of every logger as it is made (once per process)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_gridcity_redacting", False):
        return

    def redacting_factory(*args, **kwargs):
        record = factory(*args, **kwargs)
        redact_record(record)
        return record

    redacting_factory._gridcity_redacting = True
    logging.setLogRecordFactory(redacting_factory)


# ---------------------------------------------------------------- formats


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id
    of the request being answered, the access fields, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            line["request_id"] = request_id()
        line.update(getattr(record, "access", None) or {})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return redact(json.dumps(line, ensure_ascii=False, default=str))


def configure_logging(settings) -> None:
    """The processes' logging: level, text or JSON lines, redaction. Leaves a
    root logger that is already set up (e.g. by a test runner) as it is."""
    install_redaction()
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
        # Werkzeug's own access line (the embedded server) would repeat ours as plain text.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=settings.log_level, handlers=[handler])


# ---------------------------------------------------------------- per request


def _started(wsgi_app):
    """Notes when a request arrived, before any of the application's hooks run."""

    def app(environ, start_response):
        environ[STARTED_KEY] = time.perf_counter()
        return wsgi_app(environ, start_response)

    return app


def seconds_since_arrival() -> float:
    return time.perf_counter() - request.environ.get(STARTED_KEY, time.perf_counter())


def _signed_in_user_id():
    # Only what the request already knows: no query, and no session access
    # (which would add "Vary: Cookie" to every answer, static files included).
    from gridcity.core.auth import known_user_id

    return known_user_id()


def init_app(app: Flask) -> None:
    install_redaction()
    app.wsgi_app = _started(app.wsgi_app)

    @app.after_request
    def access_line(response):
        from gridcity.ops import metrics

        seconds = seconds_since_arrival()
        rid = request_id()
        response.headers[REQUEST_ID_HEADER] = rid
        metrics.count_request(request.endpoint, request.method, response.status_code, seconds)
        fields = {
            "request_id": rid,
            "method": request.method,
            "endpoint": request.endpoint,
            "path": request.path,
            # Names only: values may be a phone number, an address or an API key.
            "query": sorted(request.args.keys()),
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "user_id": _signed_in_user_id(),
            "remote_addr": request.remote_addr,
        }
        ACCESS_LOG.info(
            "%s %s %s %.1fms request_id=%s user_id=%s remote_addr=%s",
            request.method,
            request.path,
            response.status_code,
            fields["duration_ms"],
            rid,
            fields["user_id"],
            request.remote_addr,
            extra={"access": fields},
        )
        return response

    @app.context_processor
    def request_id_on_pages():
        return {"request_id": request_id()} if has_request_context() else {}
