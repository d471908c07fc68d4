"""Admission control for the report intake (上报): shed load before latency runs away.

When the CPU is short, every report admitted makes every other one slower.
So each process counts the intake requests it is working on and how long
recent ones took; past ``intake_max_inflight`` at once (fewer while recent
answers are over ``intake_latency_budget_ms``) a new one is answered 503 with
``Retry-After`` at once, before it touches the database. The phone's outbox
keeps a refused report and sends it again later (same Idempotency-Key).
"""

from __future__ import annotations

import functools
import threading
import time
from contextlib import contextmanager

from flask import current_app, jsonify

from gridcity.cases.publisher import COUNTERS
from gridcity.core.errors import GridCityError

COUNTERS.update(intake_admitted=0, intake_shed=0)
SMOOTHING = 0.2  # weight of the newest answer in the recent latency


class Overloaded(GridCityError):
    status = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__("intake_overloaded", retry_after=retry_after)
        self.retry_after = retry_after

    def response(self):
        return jsonify(self.to_dict()), self.status, {"Retry-After": str(self.retry_after)}


class IntakeGate:
    """In-flight count and recent latency of this process's intake."""

    def __init__(self) -> None:
        self.inflight = 0
        self.recent_ms = 0.0
        self._lock = threading.Lock()

    def allowed(self, max_inflight: int, budget_ms: int) -> int:
        """How many may run at once now: fewer in proportion as recent answers ran over the budget."""
        if self.recent_ms <= budget_ms:
            return max_inflight
        return max(1, int(max_inflight * budget_ms / self.recent_ms))

    @contextmanager
    def admit(self):
        settings = current_app.config["SETTINGS"]
        with self._lock:
            if self.inflight >= self.allowed(settings.intake_max_inflight, settings.intake_latency_budget_ms):
                COUNTERS["intake_shed"] += 1
                raise Overloaded(settings.intake_retry_after_seconds)
            self.inflight += 1
            COUNTERS["intake_admitted"] += 1
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed_ms = (time.perf_counter() - start) * 1000
            with self._lock:
                self.inflight -= 1
                self.recent_ms += SMOOTHING * (elapsed_ms - self.recent_ms)


gate = IntakeGate()


def shed_when_busy(view=None, *, respond=None):
    """Wrap an intake view (outermost, before sign-in checks touch the
    database). ``respond(refusal)`` words the 503 (default: the API's JSON)."""
    if view is None:
        return functools.partial(shed_when_busy, respond=respond)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            with gate.admit():
                return view(*args, **kwargs)
        except Overloaded as refusal:
            return (respond or Overloaded.response)(refusal)

    return wrapper
