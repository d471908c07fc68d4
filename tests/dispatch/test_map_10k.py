"""10,000 open cases on the dispatch map: the state comes back fast, the map
clusters them (a few hundred DOM markers at most), stays usable (filters,
zoom) and the screenshot shows the clusters.

The cases go into a copy of the demo city with one bulk insert, served by a
server of its own, so the other browser tests keep their small city.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import insert, select

from gridcity import create_app
from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.org.models import Unit
from gridcity.taxonomy.models import Category
from tests.conftest import case_row, unit_grid_places
from tests.dispatch.test_dispatch_browser import open_page, session_for
from tests.web.conftest import SECRET_KEY, _stop, copy_demo_city, run_server
from tests.web.test_browser import ARTIFACTS

pytestmark = pytest.mark.browser

N = 10_000
# Open states, weighted roughly as a busy day leaves them.
STATES = ["reported"] * 10 + ["accepted"] * 8 + ["filed"] * 8 + ["dispatched"] * 30 + ["in_progress"] * 30
STATES += ["handled"] * 8 + ["checked"] * 4 + ["suspended"] * 2


def seed_cases(url: str, instance_dir, count: int) -> None:
    """``count`` open cases in the city at ``url``."""
    app = create_app({"instance_dir": instance_dir, "database_url": url, "secret_key": SECRET_KEY})
    with app.app_context():
        insert_open_cases(count)
        db.session.remove()
        db.engine.dispose()


def insert_open_cases(count: int, seed: int = 10_000) -> None:
    """``count`` open cases spread over the city's unit grids, in one insert
    (no history: what the map reads is the case rows)."""
    rng = random.Random(seed)
    grids = unit_grid_places()
    categories = db.session.scalars(select(Category.id)).all()
    units = db.session.scalars(select(Unit.id)).all()
    now = dt.datetime.now(dt.UTC)
    rows = []
    for i in range(count):
        grid = rng.choice(grids)
        minx, miny, maxx, maxy = grid.geom.bounds
        point = grid.geom.representative_point()
        lon = point.x + rng.uniform(-0.2, 0.2) * (maxx - minx)
        lat = point.y + rng.uniform(-0.2, 0.2) * (maxy - miny)
        state = rng.choice(STATES)
        with_unit = state in ("dispatched", "in_progress", "handled", "checked", "suspended")
        late = rng.random()
        deadline = (
            now + dt.timedelta(hours=rng.uniform(-8, 30)) if state in ("dispatched", "in_progress") else None
        )
        rows.append(
            case_row(
                grid,
                lon,
                lat,
                number=f"BULK{seed}{i:07d}",
                client_uuid=str(uuid.uuid4()),
                source=rng.choice(["inspector"] * 6 + ["hotline", "public", "patrol"]),
                category_id=rng.choice(categories),
                urgency="urgent" if rng.random() < 0.05 else "normal",
                state=state,
                unit_id=rng.choice(units) if with_unit else None,
                reported_at=now - dt.timedelta(hours=rng.uniform(0, 48)),
                deadline_at=deadline,
                warned=deadline is not None and (deadline < now or late < 0.2),
                overdue=deadline is not None and deadline < now,
            )
        )
    db.session.execute(insert(Case.__table__), rows)
    db.session.commit()


@pytest.fixture(scope="module")
def big_server(demo_city, tmp_path_factory):
    """A server over a copy of the demo city holding 10,000 more open cases."""
    folder = tmp_path_factory.mktemp("city-10k")
    url = copy_demo_city(demo_city, folder)
    started = time.monotonic()
    seed_cases(url, folder, N)
    print(f"seeded {N} cases in {time.monotonic() - started:.1f} s")
    process, base_url = run_server(folder, url)
    try:
        yield base_url
    finally:
        _stop(process)


def assert_clusters_sit_on_their_positions(page) -> None:
    """Every cluster icon on screen is centred on its position (issue 15: a
    CSS rule once made the icons flow down the page, many into the sea)."""
    offsets = page.evaluate(
        """() => {
        const d = window.GridCityDispatch, box = d.map.getContainer().getBoundingClientRect(), out = [];
        d.clusters._featureGroup.eachLayer(layer => {
          if (!layer.getChildCount || !layer._icon) return;
          const icon = layer._icon.getBoundingClientRect(), at = d.map.latLngToContainerPoint(layer.getLatLng());
          if (at.x < 0 || at.y < 0 || at.x > box.width || at.y > box.height) return;
          out.push([icon.left + icon.width / 2 - box.left - at.x, icon.top + icon.height / 2 - box.top - at.y]);
        });
        return out;
      }"""
    )
    assert len(offsets) >= 40, len(offsets)
    off = [(round(dx, 1), round(dy, 1)) for dx, dy in offsets if abs(dx) > 3 or abs(dy) > 3]
    assert off == [], f"{len(off)} of {len(offsets)} cluster icons away from their position: {off[:10]}"


def test_ten_thousand_open_cases_stay_usable_on_the_map(create_page, big_server):
    http = session_for(big_server, "dispatcher1")
    http.get(f"{big_server}/api/v1/dispatch/map")  # warm up (imports, caches)
    started = time.monotonic()
    response = http.get(f"{big_server}/api/v1/dispatch/map")
    fetched_s = time.monotonic() - started
    body = response.json()
    total = len(body["cases"])
    print(
        f"map state: {total} cases, {len(response.content)} bytes of JSON (sent gzipped), {fetched_s * 1000:.0f} ms"
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert total >= N and fetched_s < 1.0

    started = time.monotonic()
    page, problems = open_page(
        create_page, "/dispatch/", "dispatcher1", server=big_server, width=1600, height=1000
    )
    page.wait_for_function(
        "n => Number(document.querySelector('#map').dataset.cases) === n", arg=total, timeout=20000
    )
    page.wait_for_function("document.querySelector('#map[data-streets][data-work-grids]')")
    page.wait_for_timeout(500)  # chunked clustering and the fit settle
    print(f"page usable after {time.monotonic() - started:.1f} s")
    markers = page.locator(".leaflet-marker-icon").count()
    cluster_count = page.locator(".gc-cluster").count()
    assert markers < 500 and cluster_count > 5, (markers, cluster_count)
    assert page.locator(".gc-cluster-overdue").count() > 0
    counted = page.evaluate(
        "[...document.querySelectorAll('.gc-cluster-n')].reduce((n, c) => n + Number(c.textContent), 0)"
    )
    singles = page.locator(".leaflet-marker-icon.gc-case").count()
    assert counted + singles == total  # every case is in exactly one cluster or marker
    assert_clusters_sit_on_their_positions(page)
    cases = [dict(zip(body["fields"], row)) for row in body["cases"]]
    overdue = [c for c in cases if c["overdue"] and c["state"] in ("dispatched", "in_progress")]
    assert int(page.get_attribute("[data-testid=queue-overdue]", "data-count")) == len(overdue) > 0
    shot = ARTIFACTS / "dispatch-10k.png"
    page.screenshot(path=shot)

    # The picture is a map with clusters on it, not a blank page: many colours,
    # and the red of an overdue badge where the page says one is.
    image = Image.open(shot).convert("RGB")
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 500
    box = page.locator(".gc-cluster-od").first.bounding_box()
    crop = image.crop(
        (int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"]))
    )
    pixels = np.asarray(crop).reshape(-1, 3).astype(int)
    red = int(((pixels[:, 0] > 140) & (pixels[:, 1] < 90) & (pixels[:, 2] < 90)).sum())
    assert red > box["width"] * box["height"] * 0.3, (red, box)

    # The heat layer of the open cases draws on a canvas over the map.
    page.locator(".leaflet-control-layers label", has_text="热力图").locator("input").check()
    page.wait_for_selector("canvas.leaflet-heatmap-layer", state="attached")
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / "dispatch-10k-heat.png")
    page.locator(".leaflet-control-layers label", has_text="热力图").locator("input").uncheck()
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 0

    # Still usable: a filter redraws quickly, a cluster click zooms in.
    started = time.monotonic()
    page.check("#filter-overdue")
    page.wait_for_function(
        "n => Number(document.querySelector('#map').dataset.cases) < n", arg=total, timeout=5000
    )
    print(f"overdue filter applied in {(time.monotonic() - started) * 1000:.0f} ms")
    assert page.locator(".leaflet-marker-icon").count() < 500
    page.uncheck("#filter-overdue")
    page.wait_for_function("n => Number(document.querySelector('#map').dataset.cases) === n", arg=total)
    zoom = page.evaluate("window.GridCityDispatch.map.getZoom()")
    page.locator(".gc-cluster").first.click()
    page.wait_for_function("z => window.GridCityDispatch.map.getZoom() > z", arg=zoom, timeout=5000)
    # While the zoom animates, the icons of both zoom levels are on the page;
    # once it settles, fewer than 500.
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-marker-icon').length < 500", timeout=5000
    )
    page.wait_for_timeout(400)
    page.screenshot(path=ARTIFACTS / "dispatch-10k-zoomed.png")
    assert problems == []
