"""The case fixtures, for the photo crash-safety tests."""

from tests.cases.conftest import api, city, frozen_clock  # noqa: F401 - fixtures
