"""The production topology on this machine, as processes: N web processes
sharing a Redis message queue and one ``gridcity scheduler`` process, on one
PostgreSQL database. Used by the live tests and ``scripts/bench_live.py``
(``scripts/topology.sh`` is the interactive equivalent)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

GRIDCITY = [sys.executable, "-c", "from gridcity.cli import main; main()"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_argv(port: int, worker: str = "gevent", threads: int = 64) -> list[str]:
    """One gunicorn web process as docker-compose runs it: one worker (Socket.IO
    has no sticky sessions across workers), gevent's or ``threads`` threads."""
    concurrency = (
        ["-k", "gevent", "--worker-connections", "2000"]
        if worker == "gevent"
        else ["--threads", str(threads)]
    )
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        "1",
        *concurrency,
        "-b",
        f"127.0.0.1:{port}",
        "gridcity.wsgi:app",
    ]


def gunicorn_available() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Topology:
    database_url: str
    redis_url: str
    channel: str
    folder: Path  # instance dir (shared media) and the process logs
    web: int = 2
    scheduler: bool = True
    # "gunicorn" (as docker-compose: one worker, threads) or "serve" (gridcity serve).
    server: str = "serve"
    threads: int = 64  # gunicorn: one thread per open socket, plus the requests
    # gunicorn's worker: "threads" (gthread) or "gevent" (greenlets: a socket costs no thread)
    worker: str = "threads"
    sweep_seconds: int = 1
    secret_key: str = "topology-secret"
    extra_env: dict = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def env(self, **more: str) -> dict:
        return {
            **os.environ,
            "GRIDCITY_DATABASE_URL": self.database_url,
            "GRIDCITY_REDIS_URL": self.redis_url,
            "GRIDCITY_SOCKETIO_CHANNEL": self.channel,
            "GRIDCITY_INSTANCE_DIR": str(self.folder),
            "GRIDCITY_SECRET_KEY": self.secret_key,
            "GRIDCITY_SCHEDULER_MODE": "off",
            "GRIDCITY_SWEEP_SECONDS": str(self.sweep_seconds),
            "GRIDCITY_LOG_LEVEL": "INFO",
            "GRIDCITY_TILE_URL": "",
            **self.extra_env,
            **more,
        }

    def _spawn(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = self.folder / f"{name}.log"
        with log.open("w") as out:
            process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)
        self.logs.append(log)
        return process

    def start(self, timeout: float = 60) -> Topology:
        self.folder.mkdir(parents=True, exist_ok=True)
        started = []
        for n in range(1, self.web + 1):
            port = free_port()
            if self.server == "gunicorn":
                argv = gunicorn_argv(port, self.worker, self.threads)
            else:
                argv = [*GRIDCITY, "serve"]
            env = self.env(GRIDCITY_HOST="127.0.0.1", GRIDCITY_PORT=str(port))
            process = self._spawn(f"web{n}", argv, env)
            url = f"http://127.0.0.1:{port}"
            self.urls.append(url)
            started.append((url, process, self.logs[-1]))
        if self.scheduler:
            self._spawn("scheduler", [*GRIDCITY, "scheduler"], self.env())
        for url, process, log in started:
            wait_until_up(url + "/login", process, log, timeout)
        if self.scheduler:
            wait_for_line(self.logs[-1], "scheduler is the leader", self.processes[-1], timeout)
        return self

    def stop(self) -> None:
        stop_processes(self.processes)

    def log_text(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-4000:]}" for log in self.logs if log.exists())


def stop_processes(processes: list[subprocess.Popen]) -> None:
    """Ask them all to stop, then wait for each (killing one that hangs)."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s:\n{log.read_text()}")


def wait_for_line(log: Path, text: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text():
            return
        if process.poll() is not None:
            raise RuntimeError(f"{log.name}: exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(0.2)
    raise RuntimeError(f"{log.name}: no {text!r} within {timeout:.0f} s:\n{log.read_text()}")
