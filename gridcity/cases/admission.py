"""Admission control for the report intake (上报): shed load before latency runs away.

When the CPU is short, every report admitted makes every other one slower.
So each process counts the intake requests it is working on and how long
recent ones took; past its limit at once (at most ``intake_max_inflight``,
fewer while recent answers take over a third of ``intake_latency_budget_ms``:
see :class:`IntakeGate`) a new one waits for a place for at most a fifth of
the budget, then is answered 503 with ``Retry-After``. The phone's outbox
keeps a refused report and sends it again later (same Idempotency-Key).

The decision is taken by :class:`IntakeAdmission`, a small WSGI middleware in
front of Flask, for the views marked :func:`shed_when_busy`: a refused request
costs no session lookup, no CSRF check, no database work and no access line
(it is counted in the metrics instead), so under overload the refusals do
not eat the CPU the admitted reports need. An admitted request holds its
place for the whole of Flask's work on it (sign-in, CSRF, the view, the
commit), and that whole time is what the gate steers.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RoutingException, Rule
from werkzeug.wrappers import Request, Response

from gridcity.cases.publisher import COUNTERS
from gridcity.core.errors import GridCityError
from gridcity.core.headers import security_headers
from gridcity.core.i18n import language_of
from gridcity.core.request_id import REQUEST_ID_HEADER, request_id_of
from gridcity.ops import metrics

log = logging.getLogger(__name__)

COUNTERS.update(intake_admitted=0, intake_shed=0)
SMOOTHING = 0.2  # weight of the newest answer in the recent latency
SHED_NOTE_SECONDS = 60.0  # at most one log line this often about the refusals
# The attribute shed_when_busy() leaves on a view: how its refusal is worded.
REFUSAL_ATTRIBUTE = "gridcity_intake_refusal"
EXTENSION = "gridcity_intake_gate"

# (refusal, the refused request) -> the 503 answer; runs without Flask's contexts.
Refusal = Callable[["Overloaded", Request], Response]


class Overloaded(GridCityError):
    status = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__("intake_overloaded", retry_after=retry_after)
        self.retry_after = retry_after


def api_refusal(refusal: Overloaded, request: Request) -> Response:
    """The API's JSON error document, in the caller's language."""
    body = {**refusal.to_dict(language_of(request)), "request_id": request_id_of(request.environ)}
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=refusal.status,
        mimetype="application/json",
        headers={"Retry-After": str(refusal.retry_after)},
    )


class IntakeGate:
    """This process's intake: how many run now, how long recent ones took,
    how many may run at once, and the requests waiting for a place.

    The limit moves as TCP's window does (additive increase, multiplicative
    decrease), steering the recent (smoothed) time from admission to answer
    to a third of the latency budget (the slow tail is about twice the mean,
    and the wait for a place and the trip to the process come on top, so the
    accepted answers' p99 stays within the budget): while it is over, each answer takes a tenth
    off the limit (down to ``MIN_LIMIT``, so that reports still compute while
    others wait for the database); while it is under, the limit grows by
    one per limit's worth of answers, up to ``intake_max_inflight``. When the
    CPU is short, fewer at once means each finishes sooner, for the same
    reports per second.

    A request that finds no place waits for one, in turn, for at most a
    fifth of the budget, and is refused after that. Waiting costs no CPU,
    and a client that retries at once (ignoring Retry-After) can then not
    turn the refusals into a busy loop that starves the admitted reports."""

    DECREASE = 0.9  # the limit after an answer while the recent time is over the target
    SERVICE_SHARE = 1 / 3  # the target of the recent time: this share of the budget
    WAIT_SHARE = 0.2  # the longest wait for a place: this share of the budget
    MIN_LIMIT = 3

    def __init__(self) -> None:
        self.inflight = 0
        self.waiting = 0
        self.recent_ms = 0.0
        self.limit: float | None = None  # None: intake_max_inflight (nothing measured yet)
        self._turn = threading.Condition()

    def allowed(self, max_inflight: int) -> int:
        """How many may run at once now."""
        limit = max_inflight if self.limit is None else min(self.limit, max_inflight)
        return max(1, int(limit))

    def enter(self, max_inflight: int, budget_ms: int) -> bool:
        """Take a place, waiting for one at most a fifth of the budget;
        False: refused (else :meth:`leave` must follow)."""
        with self._turn:
            if self.inflight >= self.allowed(max_inflight):
                deadline = time.monotonic() + budget_ms * self.WAIT_SHARE / 1000
                self.waiting += 1
                try:
                    while self.inflight >= self.allowed(max_inflight):
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            COUNTERS["intake_shed"] += 1
                            return False
                        self._turn.wait(remaining)
                finally:
                    self.waiting -= 1
            self.inflight += 1
            COUNTERS["intake_admitted"] += 1
            return True

    def leave(self, elapsed_ms: float, max_inflight: int, budget_ms: int) -> None:
        """An admitted request is done after ``elapsed_ms`` (from its admission)."""
        with self._turn:
            self.inflight -= 1
            self.recent_ms += SMOOTHING * (elapsed_ms - self.recent_ms)
            limit = float(max_inflight) if self.limit is None else min(self.limit, max_inflight)
            if self.recent_ms > budget_ms * self.SERVICE_SHARE:
                limit = max(float(min(self.MIN_LIMIT, max_inflight)), limit * self.DECREASE)
            else:
                limit = min(float(max_inflight), limit + 1 / limit)
            self.limit = limit
            free = self.allowed(max_inflight) - self.inflight
            if free > 0 and self.waiting:
                self._turn.notify(free)


def shed_when_busy(view=None, *, respond: Refusal | None = None):
    """Mark an intake view: :class:`IntakeAdmission` admits or refuses its
    requests before Flask runs. ``respond(refusal, request)`` words the 503
    (default: the API's JSON); it runs without an app or request context, so
    it must not touch the database, the session or ``flask.request``."""
    if view is None:
        return lambda view: shed_when_busy(view, respond=respond)
    setattr(view, REFUSAL_ATTRIBUTE, respond or api_refusal)
    return view


class IntakeAdmission:
    """WSGI middleware: the gate, for the intake routes only."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        self.gate = IntakeGate()
        self.refusals: dict[str, Refusal] = {}
        rules = []
        for rule in app.url_map.iter_rules():
            respond = getattr(app.view_functions.get(rule.endpoint), REFUSAL_ATTRIBUTE, None)
            if respond is not None:
                self.refusals[rule.endpoint] = respond
                methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
                rules.append(Rule(rule.rule, endpoint=rule.endpoint, methods=methods))
        # Only the intake routes, with the application's converters: a cheap match.
        self.routes = Map(rules, converters=app.url_map.converters)
        self.methods = frozenset(m for rule in rules for m in rule.methods or ())
        self._shed_since_note = 0
        self._noted_at = time.monotonic()

    def _intake_endpoint(self, environ: dict) -> str | None:
        if environ.get("REQUEST_METHOD") not in self.methods:
            return None
        try:
            endpoint, _ = self.routes.bind_to_environ(environ).match()
        except (HTTPException, RoutingException):
            return None  # not an intake route (Flask answers it as usual)
        return endpoint

    def __call__(self, environ: dict, start_response):
        endpoint = self._intake_endpoint(environ)
        if endpoint is None:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        settings = self.app.config["SETTINGS"]
        if not self.gate.enter(settings.intake_max_inflight, settings.intake_latency_budget_ms):
            return self._refuse(endpoint, environ, start_response, settings, started)
        started = time.perf_counter()  # the gate steers the time from admission
        try:
            # Flask has built the whole (JSON) answer when this returns.
            return self.wsgi_app(environ, start_response)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            self.gate.leave(elapsed_ms, settings.intake_max_inflight, settings.intake_latency_budget_ms)

    def _refuse(self, endpoint, environ, start_response, settings, started):
        request = Request(environ)
        response = self.refusals[endpoint](Overloaded(settings.intake_retry_after_seconds), request)
        response.headers[REQUEST_ID_HEADER] = request_id_of(environ)
        for name, value in security_headers(settings.tile_url).items():
            response.headers.setdefault(name, value)
        metrics.count_request(endpoint, request.method, response.status_code, time.perf_counter() - started)
        self._note_shed()
        return response(environ, start_response)

    def _note_shed(self) -> None:
        """One log line a minute at most, instead of an access line per refusal."""
        self._shed_since_note += 1
        now = time.monotonic()
        if now - self._noted_at >= SHED_NOTE_SECONDS:
            log.warning(
                "intake busy: %d report(s) refused with 503 in the last %.0f s",
                self._shed_since_note,
                now - self._noted_at,
            )
            self._shed_since_note, self._noted_at = 0, now


def install(app: Flask) -> None:
    """In front of everything else (after the blueprints are registered)."""
    admission = IntakeAdmission(app, app.wsgi_app)
    app.extensions[EXTENSION] = admission.gate
    app.wsgi_app = admission


def gate_of(app: Flask) -> IntakeGate:
    """The application's intake gate (one per application, so per process)."""
    return app.extensions[EXTENSION]
