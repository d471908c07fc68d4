"""The case fixtures (mini city, frozen clock, API as a named user) for reports on components."""

from tests.cases.conftest import api, city, frozen_clock  # noqa: F401
