"""A signed-in API session and a live (Socket.IO) client, as a browser uses them.

``ApiSession`` signs in with ``POST /api/v1/login`` and keeps the session
cookie and the session's CSRF token (sent as ``X-CSRFToken`` with every
request, as our pages do). ``LiveClient`` connects a Socket.IO client with that cookie (the server
authenticates at connect), applies ``case`` events in ``seq`` order, ignores a
``seq`` it has already applied, and after a reconnect fetches what it missed
from ``GET /api/v1/events?after=<last seq>`` — the dispatch page's resync.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DEMO_PASSWORD = "gridcity-demo"
CSRF_HEADER = "X-CSRFToken"
EVENTS_PAGE = 1000  # what GET /api/v1/events answers at most per call
# History ids are taken at flush time, so a transaction may commit (and emit)
# an id lower than one already heard: a resync looks back this many ids (as
# the browser's live store does); what was already applied is skipped by seq.
LOOK_BACK = 100


class ApiError(Exception):
    def __init__(self, method: str, path: str, status: int, body):
        super().__init__(f"{method} {path} answered {status}: {body}")
        self.status = status
        self.body = body


class ApiSession:
    """One user's HTTP session (cookie-based, like the browser)."""

    def __init__(self, base_url: str, username: str, password: str = DEMO_PASSWORD, timeout: float = 30):
        import requests

        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.timeout = timeout
        self.http = requests.Session()
        self.me: dict = {}

    def login(self) -> ApiSession:
        self.http.headers[CSRF_HEADER] = self.get("/api/v1/csrf")["csrf_token"]  # signing in needs one too
        self.me = self.post("/api/v1/login", {"username": self.username, "password": self.password})
        self.http.headers[CSRF_HEADER] = self.me["csrf_token"]  # the new session's
        return self

    def request(self, method: str, path: str, expect=(200, 201), **kwargs):
        response = self.http.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if expect and response.status_code not in expect:
            raise ApiError(method, path, response.status_code, body)
        return body

    def get(self, path: str, **params):
        return self.request("GET", path, params=params)

    def post(self, path: str, data: dict, headers: dict | None = None, expect=(200, 201)):
        return self.request("POST", path, json=data, headers=headers, expect=expect)

    def report(self, body: dict, photos: list[bytes] = (), headers: dict | None = None, expect=(200, 201)):
        """``POST /api/v1/reports``; with ``photos``, multipart like the app
        (an inspector's report must carry its category's photos)."""
        if not photos:
            return self.post("/api/v1/reports", body, headers=headers, expect=expect)
        return self.request(
            "POST", "/api/v1/reports", expect=expect, headers=headers, **report_multipart(body, photos)
        )

    def act(self, case: dict, action: str, expect=(200,), photos: list[bytes] = (), **data):
        """One step of the closed loop on ``case`` (the version it was seen at);
        with ``photos``, sent as multipart like the apps do."""
        path = f"/api/v1/cases/{case['id']}/{action}"
        body = {"version": case["version"], **data}
        if not photos:
            return self.post(path, body, expect=expect)
        files = [("photos", (f"photo{n}.jpg", data, "image/jpeg")) for n, data in enumerate(photos)]
        return self.request("POST", path, expect=expect, data={"data": json.dumps(body)}, files=files)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)


def report_multipart(body: dict, photos: list[bytes]) -> dict:
    """The ``data`` and ``files`` arguments of a ``requests`` call that sends a
    report (or a step) as the apps do: its JSON in ``data``, the photos beside it."""
    files = [("photos", (f"photo{n}.jpg", photo, "image/jpeg")) for n, photo in enumerate(photos)]
    return {"data": {"data": json.dumps(body)}, "files": files}


@functools.cache
def field_photo() -> bytes:
    """A small JPEG standing in for an inspector's photo of what they found.
    The same bytes every time: the server stores it once (by its hash), so a
    simulated day adds a row per report, not a file."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (48, 36), (128, 120, 96)).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def signed_in_http(base_url: str, username: str, password: str = DEMO_PASSWORD, timeout: float = 30):
    """A ``requests.Session`` signed in as ``username`` that sends the session's
    CSRF token with every request (for scripts that speak HTTP themselves)."""
    return ApiSession(base_url, username, password, timeout).login().http


@dataclass
class LiveEvent:
    seq: int
    case_id: int
    action: str
    state: str | None
    received_at: float  # time.monotonic() on arrival (one clock for all processes)
    via: str  # "socket" or "resync"


class LiveClient:
    """A Socket.IO client keeping the cases it was told about, by ``seq``."""

    def __init__(
        self,
        api: ApiSession,
        transports: tuple[str, ...] = ("websocket",),
        on_event: Callable[[LiveEvent], None] | None = None,
    ):
        import socketio

        self.api = api
        self.transports = list(transports)
        self.on_event = on_event
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("case", self._on_case)
        self._handle_messages_in_order()
        self.last_seq = 0
        self.events: list[LiveEvent] = []
        self.cases: dict[int, str | None] = {}  # case id → last known state
        self.duplicates = 0  # events received again (socket and resync overlap)
        self._seen: set[int] = set()
        self._changed = threading.Condition()

    def _handle_messages_in_order(self) -> None:
        """The Engine.IO client hands each incoming message to a new thread:
        events may then be applied out of order, and a busy client spends
        its time starting threads (thousands a second under the live
        benchmark, until it cannot start any more). Handle them on the read
        loop instead, one after the other, as a browser does."""
        eio = self.sio.eio
        trigger = getattr(eio, "_trigger_event", None)
        if trigger is None:  # a python-engineio without it: keep its default
            return

        def in_order(event, *args, **kwargs):
            if event == "message":
                kwargs["run_async"] = False
            return trigger(event, *args, **kwargs)

        eio._trigger_event = in_order

    # -------------------------------------------------------------- connection

    def connect(self, timeout: float = 15) -> LiveClient:
        """Connect with the session cookie; raises ``socketio.exceptions.ConnectionError``
        when the server refuses the socket."""
        self.sio.connect(
            self.api.base_url,
            headers={"Cookie": self.api.cookie_header()},
            transports=self.transports,
            wait_timeout=timeout,
        )
        return self

    def disconnect(self) -> None:
        """Close the connection (the WebSocket close handshake may take a
        few seconds: see ``disconnect_all``)."""
        if self.sio.connected:
            self.sio.disconnect()

    @property
    def connected(self) -> bool:
        return self.sio.connected

    def reconnect(self) -> int:
        """Connect again, then fetch what was missed; returns how many events
        the resync added. Connecting first means nothing falls in between;
        the resync starts from the last seq seen *before* connecting (less
        ``LOOK_BACK``), since live events may arrive (with higher seqs) while
        it runs."""
        since = max(self.last_seq - LOOK_BACK, 0)
        self.connect()
        return self.resync(since)

    def resync(self, after: int | None = None) -> int:
        """Apply every event after ``after`` (default: the last seq seen) that
        the server has for this user; returns how many were new."""
        cursor = self.last_seq if after is None else after
        added = 0
        while True:
            rows = self.api.get("/api/v1/events", after=cursor)
            for row in rows:
                added += self._apply(row["seq"], row["case_id"], row["action"], row["to_state"], "resync")
            if len(rows) < EVENTS_PAGE:
                return added
            cursor = rows[-1]["seq"]

    # -------------------------------------------------------------- events

    def _on_case(self, payload: dict) -> None:
        case = payload["case"]
        self._apply(payload["seq"], case["id"], payload["action"], case["state"], "socket")

    def _apply(self, seq: int, case_id: int, action: str, state: str | None, via: str) -> int:
        event = LiveEvent(seq, case_id, action, state, time.monotonic(), via)
        with self._changed:
            if seq in self._seen:
                self.duplicates += 1
                return 0
            self._seen.add(seq)
            self.events.append(event)
            self.last_seq = max(self.last_seq, seq)
            if state is not None or case_id not in self.cases:
                self.cases[case_id] = state if state is not None else self.cases.get(case_id)
            self._changed.notify_all()
        if self.on_event:
            self.on_event(event)
        return 1

    def wait_for(self, predicate: Callable[[LiveClient], bool], timeout: float = 10) -> bool:
        """Wait until ``predicate(self)`` holds (checked on every event)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def actions_on(self, case_id: int) -> list[str]:
        with self._changed:
            return [e.action for e in self.events if e.case_id == case_id]


def disconnect_all(clients) -> None:
    """Disconnect many clients at once, in parallel."""
    threads = [threading.Thread(target=c.disconnect, daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
