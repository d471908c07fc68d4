"""The order in which pytest-xdist hands test modules to the workers: the
longest first.

With ``--dist loadscope`` a module runs on one worker from its first test to
its last, and xdist hands modules out by their number of tests, most first. A
long module with few tests (the README's run command, the API fuzz, the
recount) then starts near the end and keeps one core busy while the other
waits. Here modules go out by their measured seconds (``module_seconds.json``,
setup, call and teardown of every test on both databases), longest first, so
the last to start are the short ones. A module not measured yet counts as
many seconds per test as the measured modules of this run take on average
(the measurements may come from a busier or a quieter machine).

Refresh the measurements after a run of the whole suite with
``--durations=0``::

    python -m tests.scheduling < the-run.log > tests/module_seconds.json
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

MEASURED = Path(__file__).with_name("module_seconds.json")


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


class LongestFirstScheduling(LoadScopeScheduling):
    """``loadscope`` with its queue ordered by expected seconds, longest first."""

    def __init__(self, config, log=None) -> None:
        super().__init__(config, log)
        self.seconds = json.loads(MEASURED.read_text(encoding="utf-8")) if MEASURED.exists() else {}
        self.ordered = False

    def _assign_work_unit(self, node) -> None:
        # The first assignment comes right after xdist has filled its queue.
        if not self.ordered:
            self.workqueue = type(self.workqueue)(longest_first(self.workqueue, self.seconds))
            self.ordered = True
        super()._assign_work_unit(node)


def longest_first(workqueue: dict[str, dict], measured: dict[str, float]) -> list[tuple[str, dict]]:
    """The queue's (scope, tests) pairs by expected seconds, longest first."""
    known = [
        (measured[module_of(scope)], len(tests))
        for scope, tests in workqueue.items()
        if module_of(scope) in measured
    ]
    per_test = sum(s for s, _ in known) / max(1, sum(n for _, n in known)) if known else 1.0

    def expected(unit: tuple[str, dict]) -> float:
        scope, tests = unit
        return measured.get(module_of(scope), per_test * len(tests))

    return sorted(workqueue.items(), key=expected, reverse=True)


DURATION = re.compile(r"^([\d.]+)s (?:setup|call|teardown) +(.+)$")


def seconds_per_module(lines) -> dict[str, float]:
    """Sum the ``--durations=0`` lines of a run per module."""
    seconds: dict[str, float] = defaultdict(float)
    for line in lines:
        match = DURATION.match(line.strip())
        if match:
            seconds[module_of(match.group(2))] += float(match.group(1))
    return {module: round(total, 1) for module, total in sorted(seconds.items(), key=lambda kv: -kv[1])}


if __name__ == "__main__":
    json.dump(seconds_per_module(sys.stdin), sys.stdout, indent=1)
    sys.stdout.write("\n")
