"""The case fixtures (mini city, frozen clock, API as a named user) for the inspectors' app."""

import pytest

from tests.cases.conftest import api, city, frozen_clock  # noqa: F401
from tests.conftest import DEMO_PASSWORD


@pytest.fixture
def signed_in(client):
    """``signed_in("insp")``: the test client, signed in as that user."""

    def sign_in(username: str):
        response = client.post("/api/v1/login", json={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 200, response.get_json()
        return client

    return sign_in
