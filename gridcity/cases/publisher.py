"""Publishing live events off the request path.

After a commit, a request only appends its events to a bounded in-process
queue; one background task per process (a thread, or a greenlet under gevent)
hands them to Socket.IO, and so to the Redis message queue. A hung or absent
Redis therefore holds the publisher, never a request: the publisher keeps
the events, retries with backoff and says so in the log once per outage.
When the queue is full the oldest event is dropped and counted; every socket
is then told to resync from the first lost ``seq`` (``GET /api/v1/events``
replays it from the database), so nothing is missed for good.

``COUNTERS`` are plain numbers for the metrics endpoint to read.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque

log = logging.getLogger(__name__)

COUNTERS = {
    "queued": 0,  # events handed over by committed transactions
    "published": 0,  # events the message queue (or the local sockets) took
    "dropped": 0,  # oldest events dropped from a full queue (clients resync)
    "publish_failures": 0,  # attempts the message queue refused or timed out
    "resync_notices": 0,  # "resync" broadcasts sent after drops
}
FIRST_RETRY_SECONDS = 0.25  # backoff after a failed publish, doubling…
LAST_RETRY_SECONDS = 15.0  # …up to this


class Publisher:
    """The process's queue of committed events and the task draining it."""

    def __init__(self, max_size: int = 10000) -> None:
        self.max_size = max_size
        self._events: deque[tuple[list[str], dict]] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._retry_now = threading.Event()  # cuts a backoff short (reset)
        self._delay = FIRST_RETRY_SECONDS
        self._generation = 0  # bumped by reset: an event taken before it is not put back
        self._idle = threading.Event()
        self._idle.set()
        self._pid: int | None = None
        self._lost_after: int | None = None  # resync point for clients after drops
        self._failing_since: float | None = None
        self.last_error = ""  # the latest publishing failure, for operators

    def configure(self, max_size: int) -> None:
        self.max_size = max_size

    def put(self, rooms: list[str], payload: dict) -> None:
        """Queue one event (called after commit; never blocks)."""
        with self._lock:
            while len(self._events) >= self.max_size:
                self._drop_oldest()
            self._events.append((rooms, payload))
            self._idle.clear()
            COUNTERS["queued"] += 1
        self._ensure_running()
        self._wake.set()

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event went out (tests, process exit)."""
        return self._idle.wait(timeout)

    def pending(self) -> int:
        return len(self._events)

    def reset(self) -> None:
        """Forget what waits and retry at once (a new app in the same process: tests)."""
        with self._lock:
            self._events.clear()
            self._generation += 1
            self._lost_after = None
            self._idle.set()
        self._delay = FIRST_RETRY_SECONDS
        self._retry_now.set()

    # ---- the background task

    def _drop_oldest(self) -> None:
        _, payload = self._events.popleft()
        COUNTERS["dropped"] += 1
        seq = payload.get("seq")
        if isinstance(seq, int):
            before = seq - 1
            self._lost_after = before if self._lost_after is None else min(self._lost_after, before)

    def _ensure_running(self) -> None:
        if self._pid == os.getpid():
            return
        from gridcity.extensions import socketio

        if socketio.server is None:  # no app bound in this process: nothing can deliver
            return
        self._pid = os.getpid()
        socketio.start_background_task(self._run)

    def _run(self) -> None:
        from gridcity.extensions import socketio

        while True:
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            while True:
                with self._lock:
                    if not self._events:
                        self._idle.set()
                        break
                    rooms, payload = self._events.popleft()
                    generation = self._generation
                try:
                    socketio.emit("case", payload, to=rooms)
                    self._announce_losses(socketio)
                except Exception as error:  # noqa: BLE001 - any queue failure: keep the event, retry
                    COUNTERS["publish_failures"] += 1
                    self.last_error = repr(error)
                    with self._lock:
                        if generation == self._generation:
                            self._events.appendleft((rooms, payload))
                        while len(self._events) > self.max_size:
                            self._drop_oldest()
                    if self._failing_since is None:
                        self._failing_since = time.monotonic()
                        log.warning("live events held: the message queue does not answer (%s)", error)
                    delay, self._delay = self._delay, min(self._delay * 2, LAST_RETRY_SECONDS)
                    self._retry_now.wait(delay)
                    self._retry_now.clear()
                    continue
                COUNTERS["published"] += 1
                if self._failing_since is not None:
                    log.warning(
                        "live events flowing again after %.0f s",
                        time.monotonic() - self._failing_since,
                    )
                    self._failing_since = None
                self._delay = FIRST_RETRY_SECONDS
                if COUNTERS["published"] % 50 == 0:
                    socketio.sleep(0)  # a burst must not hold the other greenlets

    def _announce_losses(self, socketio) -> None:
        with self._lock:
            after, self._lost_after = self._lost_after, None
        if after is None:
            return
        log.warning("live events dropped from a full queue; clients resync after seq %s", after)
        socketio.emit("resync", {"after": after})
        COUNTERS["resync_notices"] += 1


publisher = Publisher()


@atexit.register
def _flush_at_exit() -> None:
    # A command (sweep, demo load…) that queued events gives them a moment to go.
    if publisher.pending():
        publisher.drain(timeout=2.0)
