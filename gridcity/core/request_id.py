"""The request id: the proxy's ``X-Request-ID`` when it is well formed, else
one made here. Quoted in error bodies (``core/errors.py``) and in the log
lines (``ops/request_log.py``), so it sits below both."""

from __future__ import annotations

import re
import uuid

from flask import request

REQUEST_ID_HEADER = "X-Request-ID"
# nginx's $request_id is 32 hex digits; a UUID or similar token is fine too.
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")
REQUEST_ID_KEY = "gridcity.request_id"


def request_id() -> str:
    """The current request's id (the proxy's, if well formed; else a new one)."""
    # Kept on the request (its WSGI environ), not on ``g``: an app context may
    # outlive one request (the tests hold one around many).
    rid = request.environ.get(REQUEST_ID_KEY)
    if rid is None:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        rid = request.environ[REQUEST_ID_KEY] = offered if REQUEST_ID_RE.match(offered) else uuid.uuid4().hex
    return rid
