"""Fixtures of the decision-support tests: the demo city and Chromium for
the browser test (the generated year is tests/analysis/history.py)."""

from tests.web.conftest import demo_city  # noqa: F401
from tests.web.test_browser import browser  # noqa: F401
