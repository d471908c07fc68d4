"""Fixtures of the overdue-risk tests: the demo city, the real server and
Chromium for the browser test (the model tests build their own city)."""

from tests.web.conftest import (  # noqa: F401
    create_server,
    demo_app,
    demo_city,
    live_server,
)
from tests.web.test_browser import browser, create_page  # noqa: F401
