"""What every benchmark prints beside its figures: the machine's calibration
line (seconds for ``python3 -c "sum(range(10**8))"``) and, for a run on a
busy machine, CPU burners started and stopped by the benchmark itself."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

CALIBRATION = "sum(range(10**8))"
SCRIPTS = Path(__file__).resolve().parent


def say(line: str) -> None:
    print(line, flush=True)


def script_module(name: str):
    """Another benchmark beside this one (``scripts/<name>.py``), loaded as a module."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_app(postgres_url: str, instance_dir: Path):
    """The app on a scratch database; no statement timeout (bulk generation
    and city-scale runs are longer than a request may take)."""
    from gridcity import create_app

    return create_app(
        {"database_url": postgres_url, "instance_dir": Path(instance_dir), "db_statement_timeout_seconds": 0}
    )


def calibration_seconds() -> float:
    """Seconds for ``python3 -c "sum(range(10**8))"`` (3.6 s on the slow machine of issue #14)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CALIBRATION], check=True)
    return round(time.perf_counter() - start, 2)


def calibration_line(seconds: float) -> str:
    return f'calibration: python3 -c "{CALIBRATION}" {seconds:.2f} s'


def after_the_run(out: dict, calibration: float, note: str) -> None:
    """The figures every benchmark ends with: the calibration before and after
    the run (the machine's speed may drift), the load average and the note."""
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    out["calibration_seconds"] = calibration
    out["calibration_after_seconds"] = calibration_seconds()
    say(calibration_line(out["calibration_after_seconds"]) + " (after the run)")
    say(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    out["note"] = note


def backend_cpu_seconds(pid: int) -> float:
    """CPU seconds the database backend ``pid`` has used (same machine; its
    parallel workers, if any, are other processes and not counted)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (every process, every core)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class Burners:
    """``n`` processes spinning on a core each while the benchmark runs (the busy machine)."""

    def __init__(self, n: int) -> None:
        self.processes = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=10)


def year_arguments(parser: argparse.ArgumentParser, database: str) -> None:
    """The options of a benchmark over bench_scorecard's generated year: its
    scratch database (``database`` on the local server by default), the
    year's size, the month timed, runs, reuse, a note and the busy cores."""
    parser.add_argument(
        "--postgres-url",
        default=f"postgresql://postgres@127.0.0.1/{database}",
        help="scratch database; it is dropped and recreated unless --reuse",
    )
    parser.add_argument("--cases", type=int, default=1_100_000, help="cases over the year")
    parser.add_argument("--month", default="2025-06", help="the month timed (YYYY-MM)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after the first (median)")
    parser.add_argument("--reuse", action="store_true", help="time an existing database (no generation)")
    parser.add_argument("--note", default="", help="free text kept in the JSON (e.g. the machine's load)")
    parser.add_argument("--busy", type=int, default=0, help="cores kept busy by CPU burners while timing")
