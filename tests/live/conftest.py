"""The production topology for real: two web processes sharing
one Redis message queue, a `gridcity scheduler` process, PostGIS with the
demo city. One set of processes per test module.

These tests need PostgreSQL (several processes on one database) and Redis.
CI always has both (GRIDCITY_TEST_POSTGRES_URL set, redis-server started);
elsewhere they are skipped, saying what is missing.
"""

from __future__ import annotations

import os
import uuid

import pytest
import shapely

from gridcity.simulate.client import ApiSession, LiveClient, disconnect_all, field_photo
from gridcity.simulate.topology import Topology
from tests.conftest import POSTGRES_URL, _empty_all_tables

REDIS_URL = os.environ.get("GRIDCITY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI must run the multi-process tests)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_requirements():
    if not POSTGRES_URL:
        _missing(
            "the multi-process tests need PostgreSQL: set GRIDCITY_TEST_POSTGRES_URL to a PostGIS database"
        )
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        _missing(f"the multi-process tests need Redis at {REDIS_URL} ({error}); set GRIDCITY_TEST_REDIS_URL")


def load_demo_city(url: str, folder) -> None:
    from gridcity import create_app
    from gridcity.demo.city import build_demo_city
    from gridcity.extensions import db

    _empty_all_tables(url)
    app = create_app({"database_url": url, "instance_dir": folder, "secret_key": "live-test"})
    with app.app_context():
        build_demo_city(seed=1)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module", params=["serve", "gevent"])
def topology(live_requirements, request, tmp_path_factory):
    """Two web processes + the scheduler on PostGIS with the demo city, one
    Redis channel of their own. Each module runs twice: on the embedded
    server's threads (``gridcity serve``) and on gunicorn's gevent worker, as
    docker-compose runs it."""
    url = request.getfixturevalue("postgis_url")
    folder = tmp_path_factory.mktemp("topology")
    load_demo_city(url, folder)
    topo = Topology(
        database_url=url,
        redis_url=REDIS_URL,
        channel=f"gridcity-test-{uuid.uuid4().hex[:12]}",
        folder=folder,
        web=2,
        scheduler=True,
        server="serve" if request.param == "serve" else "gunicorn",
        worker=request.param if request.param == "gevent" else "threads",
        sweep_seconds=1,
        secret_key="live-test",
    )
    try:
        topo.start()
        if request.param == "gevent":
            assert all("async_mode=gevent" in log.read_text() for log in topo.logs[:2]), topo.log_text()
    except Exception:
        topo.stop()
        raise
    yield topo
    topo.stop()


@pytest.fixture
def sessions(topology):
    """``sessions(username, web=0)``: a signed-in API session on web process ``web``."""

    def open_session(username: str, web: int = 0) -> ApiSession:
        return ApiSession(topology.urls[web], username).login()

    return open_session


@pytest.fixture
def live_clients():
    """``live_clients(api)``: a connected LiveClient, disconnected after the test."""
    clients: list[LiveClient] = []

    def connect(api: ApiSession) -> LiveClient:
        client = LiveClient(api)
        clients.append(client)
        return client.connect()

    yield connect
    disconnect_all(clients)


def point_in_my_grid(inspector: ApiSession, n: int = 0) -> tuple[float, float]:
    """A point inside the inspector's first work grid (from the public API),
    a little different for each ``n``."""
    mine = {w["id"] for w in inspector.me["scope"]["work_grids"]}
    features = inspector.get("/api/v1/geo/work-grids")["features"]
    geom = next(shapely.geometry.shape(f["geometry"]) for f in features if f["properties"]["id"] in mine)
    inner = geom.buffer(-0.0005) if not geom.buffer(-0.0005).is_empty else geom
    west, south, east, north = inner.bounds
    for k in range(200):
        x = west + (east - west) * (((n * 37 + k * 13) % 97) / 97)
        y = south + (north - south) * (((n * 53 + k * 29) % 89) / 89)
        if inner.contains(shapely.Point(x, y)):
            return round(x, 6), round(y, 6)
    point = inner.representative_point()
    return point.x, point.y


def report(inspector: ApiSession, category: str = "E0102", n: int = 0) -> dict:
    lon, lat = point_in_my_grid(inspector, n)
    return inspector.report(
        {"category": category, "lon": lon, "lat": lat, "description": f"live test {n}"},
        [field_photo()],
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
