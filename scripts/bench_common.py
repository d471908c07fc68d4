"""What every benchmark prints beside its figures: the machine's calibration
line (seconds for ``python3 -c "sum(range(10**8))"``) and, for a run on a
busy machine, CPU burners started and stopped by the benchmark itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

CALIBRATION = "sum(range(10**8))"


def calibration_seconds() -> float:
    """Seconds for ``python3 -c "sum(range(10**8))"`` (3.6 s on the slow machine of issue #14)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CALIBRATION], check=True)
    return round(time.perf_counter() - start, 2)


def calibration_line(seconds: float) -> str:
    return f'calibration: python3 -c "{CALIBRATION}" {seconds:.2f} s'


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
