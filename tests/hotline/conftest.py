"""Fixtures of the hotline tests: the mini city (tests/cases) with the
default intake channels, and the demo city's server for the browser test."""

import pytest

from gridcity.extensions import db
from tests.cases.conftest import api, city, frozen_clock  # noqa: F401
from tests.web.conftest import (  # noqa: F401
    create_client,
    create_server,
    demo_app,
    demo_city,
    live_server,
)
from tests.web.test_browser import browser, create_page  # noqa: F401


@pytest.fixture
def hotline_city(city):  # noqa: F811
    from gridcity.hotline.services import load_default_channels

    load_default_channels()
    db.session.commit()
    return city
