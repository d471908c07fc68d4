"""Inspectors' app benchmark: the report page's first load on a slow phone link.

Run by hand (not in CI)::

    .venv/bin/python scripts/bench_mobile.py [--runs 3] [--profiles slow_3g,fast_3g]

Builds the demo city (seed 1) into a temporary SQLite file, starts the real
server (``gridcity serve``, scheduler off) on a free loopback port, signs an
inspector in, and opens ``/m/`` in headless Chromium (``/usr/bin/chromium``)
on a 360×640 phone with a mocked GPS, the browser cache empty and no service
worker (a first visit). The network is throttled through the DevTools
protocol with Chromium's own presets:

- ``slow_3g``: 2,000 ms latency per request, 50,000 B/s down and up
  (DevTools "Slow 3G": 400 ms × 5, 500 kbit/s × 0.8);
- ``fast_3g``: 562.5 ms latency, 180,000 B/s down, 84,375 B/s up
  (DevTools "Fast 3G", Lighthouse's mobile profile).

Measured per run, then the median of ``--runs``:

- ``form_ready_s``: navigation start → the report form usable (its script
  ran: categories listed, submit wired; the page marks ``gcm-report-ready``),
  the time-to-interactive of the task at hand;
- ``map_ready_s``: → the small map drawn (Leaflet loaded after the form);
- ``first_load_bytes``: every byte on the wire (bodies as sent, compressed,
  plus headers) once the page is quiet: the page, Leaflet, the GPS look-up and
  the unit grid; ``requests``: how many.

Targets (the issue): < 300 KB transferred, form usable within 3 s on Slow 3G;
the JSON gives each figure's ratio to its target.

The citizens' app ``/p/`` (issue 18) is measured the same way (``--apps``),
as a first visit without any sign-in: ``form_ready_s`` is its report form
usable (``gcp-ready``), ``map_ready_s`` its small map drawn; its figures are
under ``p_<profile>`` in the JSON and its lines start with ``/p/``.

Beside them, per load: the server's CPU seconds and the whole machine's
(every process: the browser too), and the same run's baseline — a tiny page
(``/api/v1/csrf``) navigated over the same throttled link, the floor any page
pays — with the form's ratio to it. ``--busy N`` keeps N cores spinning
meanwhile (a saturated machine). The calibration line comes first.

Human-readable lines first; the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from bench_common import (  # noqa: E402
    Burners,
    backend_cpu_seconds,
    calibration_line,
    calibration_seconds,
    machine_busy_seconds,
)

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "gridcity-demo"
PROFILES = {
    "slow_3g": {"latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000},
    "fast_3g": {"latency": 562.5, "downloadThroughput": 180_000, "uploadThroughput": 84_375},
}
TARGET_READY_S = 3.0
TARGET_BYTES = 300_000
QUIET_S = 2.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_city(folder: Path) -> tuple[str, tuple[float, float]]:
    from gridcity import create_app
    from gridcity.core.migrate import upgrade
    from gridcity.demo.city import build_demo_city
    from gridcity.extensions import db

    url = f"sqlite:///{folder / 'gc.db'}"
    app = create_app({"instance_dir": folder, "database_url": url, "secret_key": "bench"})
    with app.app_context():
        upgrade(url)
        build_demo_city(seed=1)
        db.session.commit()
        point = inspector_point(db)
        db.session.remove()
        db.engine.dispose()
    return url, point


def inspector_point(db) -> tuple[float, float]:
    from sqlalchemy import select

    from gridcity.org.models import User

    user = db.session.scalar(select(User).where(User.username == "insp001"))
    p = user.work_grids[0].geom.representative_point()
    return p.x, p.y


def start_server(folder: Path, url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "GRIDCITY_INSTANCE_DIR": str(folder),
        "GRIDCITY_DATABASE_URL": url,
        "GRIDCITY_SECRET_KEY": "bench",
        "GRIDCITY_HOST": "127.0.0.1",
        "GRIDCITY_PORT": str(port),
        "GRIDCITY_TILE_URL": "",
        "GRIDCITY_SCHEDULER_MODE": "off",
    }
    log = open(folder / "server.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-c", "from gridcity.cli import main; main()", "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=2):
                return process, base
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the server did not start:\n{(folder / 'server.log').read_text()}")


def baseline_load(browser, base: str, profile: dict) -> float:
    """Seconds to navigate to a tiny page over the same link: the floor."""
    context = browser.new_context(base_url=base, viewport={"width": 360, "height": 640}, is_mobile=True)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **profile})
        page.goto("/api/v1/csrf", wait_until="load")
        return page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd") / 1000
    finally:
        context.close()


@dataclasses.dataclass(frozen=True)
class App:
    """One phone app's first visit: where it is, who signs in first (None: nobody),
    the page's marks of "form usable" and "map drawn", and the map's ready selector."""

    path: str
    username: str | None
    ready_mark: str
    map_mark: str
    map_selector: str


INSPECTORS_APP = App("/m/", "insp001", "gcm-report-ready", "gcm-map-ready", "#minimap[data-grid]")
CITIZENS_APP = App("/p/", None, "gcp-ready", "gcp-map-ready", "#minimap[data-ready]")


def one_load(browser, base: str, point, profile: dict, server_pid: int, app: App = INSPECTORS_APP) -> dict:
    cpu_before = (backend_cpu_seconds(server_pid), machine_busy_seconds())
    context = browser.new_context(
        base_url=base,
        viewport={"width": 360, "height": 640},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation={"longitude": point[0], "latitude": point[1], "accuracy": 8},
        permissions=["geolocation"],
        service_workers="block",
    )
    try:
        if app.username:
            token = context.request.get("/api/v1/csrf").json()["csrf_token"]
            login = context.request.post(
                "/api/v1/login",
                data={"username": app.username, "password": PASSWORD},
                headers={"X-CSRFToken": token},
            )
            assert login.ok, login.text()
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **profile})
        wire: dict[str, int] = {}
        last = [time.monotonic()]

        def finished(event):
            wire[event["requestId"]] = int(event["encodedDataLength"])
            last[0] = time.monotonic()

        cdp.on("Network.loadingFinished", finished)
        cdp.on("Network.requestWillBeSent", lambda e: last.__setitem__(0, time.monotonic()))
        page.goto(app.path, wait_until="commit")
        page.wait_for_selector("html[data-ready=report]", state="attached", timeout=120_000)
        page.wait_for_selector(app.map_selector, state="attached", timeout=120_000)
        while time.monotonic() - last[0] < QUIET_S:
            page.wait_for_timeout(200)
        marks = page.evaluate(
            "names => Object.fromEntries(names.map(n => [n, (performance.getEntriesByName(n)[0] || {}).startTime]))",
            [app.ready_mark, app.map_mark],
        )
        return {
            "server_cpu_s": backend_cpu_seconds(server_pid) - cpu_before[0],
            "machine_cpu_s": machine_busy_seconds() - cpu_before[1],
            "form_ready_s": marks[app.ready_mark] / 1000,
            "map_ready_s": marks[app.map_mark] / 1000,
            "first_load_bytes": sum(wire.values()),
            "requests": len(wire),
        }
    finally:
        context.close()


def public_load(browser, base: str, point, profile: dict, server_pid: int) -> dict:
    """The citizens' app /p/ on a first visit (no cookie, no sign-in)."""
    return one_load(browser, base, point, profile, server_pid, CITIZENS_APP)


APPS = {"m": ("/m/", one_load, ""), "p": ("/p/", public_load, "p_")}


def run(args: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    out: dict = {"benchmark": "mobile_report_first_load", "runs": args.runs, "busy_cores": args.busy}
    out["calibration_s"] = calibration_seconds()
    print(calibration_line(out["calibration_s"]))
    with tempfile.TemporaryDirectory(prefix="gc-bench-mobile-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        url, point = build_city(folder)
        print(f"demo city built in {time.perf_counter() - t0:.1f} s")
        process, base = start_server(folder, url)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                for app in args.apps.split(","):  # a warm-up load of each, unthrottled
                    APPS[app][1](
                        browser,
                        base,
                        point,
                        {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
                        process.pid,
                    )
                burners = Burners(args.busy) if args.busy else None
                try:
                    loads_by_profile = {
                        (app, name): (
                            [
                                APPS[app][1](browser, base, point, PROFILES[name], process.pid)
                                for _ in range(args.runs)
                            ],
                            statistics.median(
                                baseline_load(browser, base, PROFILES[name]) for _ in range(args.runs)
                            ),
                        )
                        for app in args.apps.split(",")
                        for name in args.profiles.split(",")
                    }
                finally:
                    if burners:
                        burners.stop()
                for (app, name), (loads, baseline) in loads_by_profile.items():
                    path, _, prefix = APPS[app]
                    result = {k: statistics.median(load[k] for load in loads) for k in loads[0]}
                    result["requests"] = int(result["requests"])
                    result["first_load_bytes"] = int(result["first_load_bytes"])
                    result["ratio_ready_to_target"] = round(result["form_ready_s"] / TARGET_READY_S, 3)
                    result["ratio_bytes_to_target"] = round(result["first_load_bytes"] / TARGET_BYTES, 3)
                    result["form_ready_s"] = round(result["form_ready_s"], 3)
                    result["map_ready_s"] = round(result["map_ready_s"], 3)
                    result["baseline_tiny_page_s"] = round(baseline, 3)
                    result["ratio_ready_to_baseline"] = round(result["form_ready_s"] / baseline, 2)
                    result["server_cpu_s"] = round(result["server_cpu_s"], 3)
                    result["machine_cpu_s"] = round(result["machine_cpu_s"], 3)
                    out[prefix + name] = result
                    print(
                        f"{path} {name}: form usable {result['form_ready_s']:.2f} s (target {TARGET_READY_S} s, "
                        f"ratio {result['ratio_ready_to_target']:.2f}), map {result['map_ready_s']:.2f} s, "
                        f"{result['first_load_bytes'] / 1000:.1f} kB in {result['requests']} requests "
                        f"(target {TARGET_BYTES / 1000:.0f} kB, ratio {result['ratio_bytes_to_target']:.2f})"
                    )
                    print(
                        f"{path} {name}: baseline (a tiny page over the same link) {baseline:.2f} s, form/baseline "
                        f"{result['ratio_ready_to_baseline']:.2f}; CPU per load: server {result['server_cpu_s']:.3f} s, "
                        f"machine {result['machine_cpu_s']:.2f} s"
                    )
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
    out["target_ready_s"] = TARGET_READY_S
    out["target_bytes"] = TARGET_BYTES
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="loads per profile (the median is reported)")
    parser.add_argument(
        "--profiles", default="slow_3g,fast_3g", help=f"comma-separated: {', '.join(PROFILES)}"
    )
    parser.add_argument("--busy", type=int, default=0, help="cores kept spinning during the loads")
    parser.add_argument(
        "--apps", default="m,p", help="comma-separated: m (inspectors' /m/), p (citizens' /p/)"
    )
    args = parser.parse_args(argv)
    out = run(args)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
