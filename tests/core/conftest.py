"""The database fault fixture (tests/faults.py); the case tests' mini city and
API helpers, for the CSRF tests."""

from tests.cases.conftest import api, city, frozen_clock  # noqa: F401 - fixtures reused
from tests.faults import outage  # noqa: F401 - a fixture
