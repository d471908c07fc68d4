"""The README's run command, as a new user runs it: a fresh instance folder,
`scripts/run.sh` builds the database and the demo city, prints the URL and the
demo logins, and serves the map page."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.web.conftest import _free_port, _stop
from tests.web.test_browser import ARTIFACTS, browser, sign_in, street_paths, wait_for_map  # noqa: F401

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


def test_run_command_serves_the_demo_city_map(browser, tmp_path):  # noqa: F811
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDCITY_")}
    env.update(GRIDCITY_INSTANCE_DIR=str(tmp_path / "instance"), GRIDCITY_PORT=str(port))
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "run.sh")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        # The first run builds the city and lives three months of history (a few
        # minutes on a busy two-core machine).
        deadline = time.monotonic() + 480
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(url + "login", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(1)
        output = log.read_text()
        assert process.poll() is None, output
        assert url in output
        assert "gridcity-demo" in output
        # Progress while the city loads, then every login grouped by role with
        # what to try: the inspectors by their work grid, the units by what they handle.
        assert re.search(r"\[1/5\].*8,960 unit grids", output) and "[4/5]" in output, output
        assert re.search(r"^Dispatcher 派遣员 — /dispatch/: dispatch", output, re.M)
        assert re.search(r"^    dispatcher1 \(\w+\), dispatcher2 \(\w+\)$", output, re.M)
        grids = re.findall(r"^    WG\d\d .+\): insp\d{3} \(", output, re.M)
        assert len(grids) == 17, output
        assert re.search(r"^    unit-yt-hw \(\w+\) — 盐田区环境卫生管理处: district-wide: \d+ categories", output, re.M)
        assert re.search(r"^Unit supervisor 单位主管 — /unit/: the 督办 banner", output, re.M)
        assert re.search(r"^    sup-yt-hw \(\w+\) — 盐田区环境卫生管理处: district-wide: \d+ categories", output, re.M)
        inspectors = set(re.findall(r"\binsp\d{3}\b", output))
        assert len(inspectors) >= 34  # 2-4 per work grid, every one listed
        # No development-server warning and no raw JSON on the console.
        assert "development server" not in output and "production deployment" not in output
        assert not re.search(r"^\s*[{\[]\"", output, re.M)
        assert "GridCity is serving on " + url in output

        context = browser.new_context(viewport={"width": 1280, "height": 800})
        # Out of the box the map asks OpenStreetMap for tiles; the tests stay
        # off the internet, so here they cannot be reached.
        tiles = []
        context.route(
            "https://tile.openstreetmap.org/**", lambda route: (tiles.append(1), route.abort("namenotresolved"))
        )
        page = context.new_page()
        errors = []
        page.on(
            "console",
            lambda m: errors.append(m.text)
            if m.type == "error" and "tile.openstreetmap.org" not in (m.location or {}).get("url", "")
            else None,
        )
        page.goto(url + "login")
        sign_in(page, "dispatcher1")
        page.wait_for_url(url)
        wait_for_map(page)
        assert street_paths(page) >= 4
        # ... and says so plainly, with OpenStreetMap's credit still shown.
        page.get_by_test_id("basemap-note").wait_for()
        assert tiles and page.get_attribute("#map", "data-basemap") == "failed"
        assert "© OpenStreetMap contributors" in page.locator(".leaflet-control-attribution").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "run-command-home.png"))
        context.close()
        assert errors == []
    finally:
        _stop(process)
