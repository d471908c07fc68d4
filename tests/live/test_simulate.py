"""`gridcity simulate` against the real topology: cases move through the
closed loop, as the API tells; the same seed plays the same reports."""

from __future__ import annotations

import json
import subprocess

from gridcity.simulate.day import ALL_STATES, Config, Simulation
from gridcity.simulate.topology import GRIDCITY

LOOP = ("accepted", "filed", "dispatched", "in_progress", "handled", "checked", "closed", "voided")


def test_a_simulated_morning_moves_cases_through_the_loop(topology, sessions):
    watcher = sessions("dispatcher2", web=1)

    def counts():
        return {s: watcher.get("/api/v1/cases", state=s, limit=1)["total"] for s in ALL_STATES}

    before = counts()
    run = subprocess.run(
        [*GRIDCITY, "simulate", "--url", topology.urls[0], "--speed", "3000"]
        + ["--duration", "5h", "--rate", "0.15", "--seed", "7"],
        env=topology.env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    # What the server says, state by state, through the API:
    after = counts()
    assert after == summary["states"]
    states = {s: after[s] - before[s] for s in ALL_STATES}  # the demo city may come with a history
    reached = [s for s in LOOP if states[s] > 0]
    assert len(reached) >= 5, states
    assert states["in_progress"] + states["handled"] + states["checked"] + states["closed"] > 0, states
    for action in ("report", "accept", "file", "dispatch", "unit_accept", "handle", "check"):
        assert summary["actions"].get(action, 0) > 0, summary
    assert sum(states.values()) == summary["actions"]["report"]
    # Inspectors reported inside their own work grids:
    cases = watcher.get("/api/v1/cases", source="inspector", limit=50, sort="-id")["items"]
    assert cases
    users = {u["id"]: u for u in sessions("admin").get("/api/v1/users")}
    for case in cases[:5]:
        detail = watcher.get(f"/api/v1/cases/{case['id']}")
        reporter = next(e for e in detail["history"] if e["action"] == "report")
        inspector = users[reporter["actor_id"]]
        assert inspector["role"] == "inspector"
        assert case["work_grid_id"] in {w["id"] for w in inspector["scope"]["work_grids"]}, case


class FakeSession:
    def __init__(self, username, log):
        self.username, self.log = username, log

    def post(self, path, body, headers=None):
        self.log.append((self.username, path, body, headers))
        return {}

    def report(self, body, photos=(), headers=None):
        # An inspector's report carries a photo; the hotline's none.
        assert len(photos) == (0 if body.get("source") == "hotline" else 1)
        return self.post("/api/v1/reports", body, headers)

    def get(self, path, **params):
        return {"items": [], "total": 0}


class FakeServer(Simulation):
    """The city without a server: two inspectors, one grid each; what would
    be posted is written down."""

    def load_city(self):
        import shapely

        self.operators, self.leaders, self.dispatchers = ["op"], ["lead"], ["disp"]
        self.handlers = {1: ["hw"]}
        self.inspectors = [
            {"username": "a", "scope": {"work_grids": [{"id": 1}]}},
            {"username": "b", "scope": {"work_grids": [{"id": 2}]}},
        ]
        self.grid_inspectors = {1: ["a"], 2: ["b"]}
        self.grids = {
            1: shapely.box(114.20, 22.55, 114.21, 22.56),
            2: shapely.box(114.22, 22.55, 114.23, 22.56),
        }
        self.posted = []

    def session(self, username):
        return FakeSession(username, self.posted)

    def states(self):
        return {}


def played(seed: int) -> list:
    sim = FakeServer(
        Config(url="http://fake", speed=1e9, duration_s=10 * 3600, rate=3, seed=seed), echo=lambda _: None
    )
    sim.run()
    return sim.posted


def test_the_same_seed_plays_the_same_reports():
    first = played(3)
    assert len(first) > 10
    assert first == played(3)
    assert first != played(4)
    for username, path, body, _ in first:
        assert path == "/api/v1/reports"
        if username in ("a", "b"):  # an inspector, in their own grid
            grid = {"a": (114.20, 114.21), "b": (114.22, 114.23)}[username]
            assert grid[0] <= body["lon"] <= grid[1]
    assert {b["source"] for u, _, b, _ in first if u == "op"} <= {"hotline"}
