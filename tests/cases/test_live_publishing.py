"""Issue #14 item 9: live events leave a process off the request path. A hung
message queue never holds a request; with it gone, events wait and go out
when it returns, and what a full queue had to drop comes back through a
"resync" notice and the event feed."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from gridcity.cases.publisher import COUNTERS, publisher
from tests.cases.conftest import EAST
from tests.cases.test_closed_loop import ok
from tests.conftest import fresh_app


class FakeRedis:
    """A TCP port that refuses (bound, not listening), hangs (listens, never
    answers) or answers like Redis, recording what is published."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.published: list[dict] = []
        self.connections: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def hang(self) -> None:
        self.server.listen(64)  # the kernel completes handshakes; nobody ever reads

    def answer(self) -> None:
        self.server.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        stream = conn.makefile("rb")
        try:
            while line := stream.readline():
                parts = []
                for _ in range(int(line[1:])):
                    size = int(stream.readline()[1:])
                    parts.append(stream.read(size + 2)[:-2])
                if parts[0].upper() == b"HELLO":  # redis-py speaks RESP3 first
                    conn.sendall(b"%1\r\n$5\r\nproto\r\n:3\r\n")
                elif parts[0].upper() == b"PUBLISH":
                    self.published.append(json.loads(parts[2]))
                    conn.sendall(b":1\r\n")
                else:
                    conn.sendall(b"+OK\r\n")
        except (OSError, ValueError):
            return

    def events(self, name: str) -> list[dict]:
        return [
            m["data"][0] for m in list(self.published) if m.get("method") == "emit" and m["event"] == name
        ]

    def close(self) -> None:
        self.server.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def redis_port():
    fake = FakeRedis()
    yield fake
    fake.close()


@pytest.fixture
def app(database_url, tmp_path, redis_port, monkeypatch):
    """The app on the fake Redis (a queue of two events: overflow is easy to cause)."""
    monkeypatch.setenv("GRIDCITY_REDIS_URL", redis_port.url)
    monkeypatch.setenv("GRIDCITY_LIVE_QUEUE_SIZE", "2")
    with fresh_app(database_url, tmp_path) as app:
        publisher.reset()  # nothing left from another test's queue, no backoff running
        yield app
    publisher.reset()


def timed_report(api, who="insp2"):
    """Report in a thread: (seconds it took, response), or (None, None) if it never answered."""
    result = {}

    def send():
        start = time.monotonic()
        result["response"] = api(who).report("E0102", EAST)
        result["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    thread.join(timeout=5)
    return result.get("seconds"), result.get("response")


def wait_for(condition, seconds=8.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_hung_message_queue_does_not_hold_a_report(city, api, redis_port):
    usual, response = timed_report(api, "insp")  # what a report takes on this machine now
    ok(response, 201)
    redis_port.hang()
    seconds, response = timed_report(api)
    assert seconds is not None, "the report never answered: the request waits for Redis"
    assert seconds < max(1.0, 3 * usual)  # a shared, busy test machine can make any request slow
    assert ok(response, 201)["number"]


def test_events_held_while_the_queue_is_gone_go_out_when_it_returns(city, api, redis_port):
    seconds, response = timed_report(api)  # nothing listens on the port yet: refused
    case = ok(response, 201)
    # Meanwhile a client that resyncs finds it in the feed.
    feed = ok(api("disp").get(f"/api/v1/events?after={case['history'][-1]['seq'] - 1}"))
    assert [e["case_id"] for e in feed] == [case["id"]]
    failures = COUNTERS["publish_failures"]
    assert wait_for(lambda: COUNTERS["publish_failures"] > failures or publisher.pending() == 1)
    redis_port.answer()
    assert wait_for(lambda: any(e["case"]["id"] == case["id"] for e in redis_port.events("case")))
    assert redis_port.events("resync") == []  # nothing was dropped


def test_what_a_full_queue_dropped_comes_back_through_a_resync(city, api, redis_port):
    cases = [ok(api("insp2").report("E0102", EAST), 201) for _ in range(4)]
    assert publisher.pending() <= 2  # the two oldest were dropped
    redis_port.answer()
    assert wait_for(lambda: len(redis_port.events("case")) == 2 and redis_port.events("resync"))
    heard = [e["case"]["id"] for e in redis_port.events("case")]
    assert heard == [c["id"] for c in cases[2:]]
    after = redis_port.events("resync")[0]["after"]
    feed = ok(api("disp").get(f"/api/v1/events?after={after}"))
    assert {c["id"] for c in cases} <= {e["case_id"] for e in feed}  # nothing missed for good
