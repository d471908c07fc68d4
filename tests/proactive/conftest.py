"""Fixtures of the proactive-task tests: the mini city with its API helpers
for the API tests; the demo city, the real server and Chromium for the
browser test."""

from tests.cases.conftest import api, city, frozen_clock  # noqa: F401
from tests.web.conftest import (  # noqa: F401
    create_server,
    demo_app,
    demo_city,
    live_server,
)
from tests.web.test_browser import browser, create_page  # noqa: F401
