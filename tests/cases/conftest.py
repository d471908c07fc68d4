"""Case fixtures: the mini city with a handler per unit and an inspector per
work grid, a frozen clock, and helpers that act through the HTTP API."""

from __future__ import annotations

import datetime as dt
import functools
import io
import itertools
import json

import pytest
from PIL import Image

from gridcity.core import clock
from gridcity.extensions import db
from gridcity.org.services import create_user
from tests.conftest import DEMO_PASSWORD, build_mini_city, build_once

# Monday 30 November 2026, 10:00 in Shenzhen: inside office hours.
MONDAY_10AM = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
WEST = (114.2425, 22.5785)  # street 001, work grid WG01
EAST = (114.2495, 22.5785)  # street 002, work grid WG02
_colours = itertools.count()


def jpeg_bytes(size=(64, 48)) -> bytes:
    """A distinct small JPEG each call (distinct content, distinct hash)."""
    n = next(_colours)
    buffer = io.BytesIO()
    Image.new("RGB", size, ((n * 37) % 256, (n * 91) % 256, (n * 13) % 256)).save(buffer, "JPEG")
    return buffer.getvalue()


@functools.cache
def report_photo() -> bytes:
    """The small JPEG the helpers attach to a report, as the app does (an
    inspector's report must carry a photo): the same bytes every time, so a
    replay of a report is the same report."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 130, 140)).save(buffer, "JPEG")
    return buffer.getvalue()


def report_form(body: dict, photos=None) -> dict:
    """A report as the app posts it: multipart, its JSON in ``data`` beside
    ``photos`` (one small JPEG unless given; ``()`` sends none)."""
    photos = [report_photo()] if photos is None else photos
    return {"data": json.dumps(body), "photos": [(io.BytesIO(p), f"p{i}.jpg") for i, p in enumerate(photos)]}


def post_report(client, body: dict, photos=None, **kwargs):
    """POST /api/v1/reports from a Flask test client with a photo."""
    return client.post(
        "/api/v1/reports", data=report_form(body, photos), content_type="multipart/form-data", **kwargs
    )


@pytest.fixture
def frozen_clock():
    clock.freeze(MONDAY_10AM)
    yield clock
    clock.freeze(None)


@pytest.fixture
def city(app, frozen_clock, tmp_path_factory):
    """The mini city with a handler for SZ and JD01 and an inspector for WG02
    (built once per database, then restored: ``build_once``)."""
    return build_once(app, "city", _build_city, tmp_path_factory)


def _build_city() -> dict:
    city = build_mini_city()
    create_user("sz", DEMO_PASSWORD, "unit_handler", unit_code="SZ")
    create_user("jd", DEMO_PASSWORD, "unit_handler", unit_code="JD01")
    create_user("insp2", DEMO_PASSWORD, "inspector", work_grid_codes=["WG02"])
    db.session.commit()
    return city


@pytest.fixture
def api(client):
    """Call the API as a named user: ``api("disp").act(case, "file")``."""

    class As:
        def __init__(self, username: str):
            response = client.post("/api/v1/login", json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.get_json()

        def report(self, category="E0102", position=EAST, photos=None, **fields):
            """A report with one small photo, as the app sends it (an
            inspector's must carry one); ``photos=()`` sends none."""
            data = {"category": category, "lon": position[0], "lat": position[1], **fields}
            if photos is not None and not photos:
                return client.post("/api/v1/reports", json=data)
            return post_report(client, data, photos)

        def act(self, case: dict, action: str, photos=(), **fields):
            data = {"version": case["version"], **fields}
            if photos:
                files = [(io.BytesIO(p), f"p{i}.jpg") for i, p in enumerate(photos)]
                return client.post(
                    f"/api/v1/cases/{case['id']}/{action}",
                    data={"data": json.dumps(data), "photos": files},
                    content_type="multipart/form-data",
                )
            return client.post(f"/api/v1/cases/{case['id']}/{action}", json=data)

        def get(self, url: str):
            return client.get(url)

    return As
