"""The database fault fixture (tests/faults.py)."""

from tests.faults import outage  # noqa: F401 - a fixture
