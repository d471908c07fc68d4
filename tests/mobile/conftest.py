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


# The demo city and the real server, as the page tests have them — a separate
# copy of the city for this folder, since these tests write to it.
# The browser and a phone-sized page in it, for every browser test of the app.
from tests.mobile.phone import browser, phone  # noqa: E402, F401
from tests.web.conftest import (  # noqa: E402, F401
    create_client,
    create_server,
    demo_app,
    demo_city,
    live_server,
)
