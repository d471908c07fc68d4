"""Fuzz every operation of the served OpenAPI document (schemathesis) as three
roles on the mini city: no answer is a 5xx, and every answer matches the
document's schema for its status (issue #14)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.cases.conftest import post_report
from tests.conftest import DEMO_PASSWORD

# The field inspector, the dispatch center, and the admin (the set-up operations).
ROLES = ("insp", "disp", "admin")
# Per operation, role and mode: valid requests (positive) and invalid ones
# (negative: wrong types, missing fields, out-of-range values), which must be
# refused with a documented 4xx, never a 5xx.
EXAMPLES_PER_MODE = 6
# Operations not fuzzed, and why (nothing is left out silently): none today.
# Signing out or failed sign-ins do not disturb the run: each request carries
# the session cookie taken at the start.
NOT_FUZZED: dict[str, str] = {}


def signed_in(app, username: str) -> dict[str, dict]:
    """What a signed-in client sends with each request: its session cookie
    (and any header the app asks for, such as a CSRF token)."""
    client = app.test_client()
    response = client.post("/api/v1/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.get_json()
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return {
        "cookies": {cookie.key: cookie.value},
        "headers": {"X-CSRFToken": response.get_json()["csrf_token"]},
    }


def fuzz(operation, session: dict[str, dict], mode: GenerationMode) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(**session)
        try:
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
        except (AssertionError, BaseExceptionGroup) as error:  # schemathesis' Failure / FailureGroup
            if len(failures) < 3:
                failures.append(
                    f"{operation.label} ({mode.value}): {response.status_code} {str(error)[:600]}"
                )

    try:
        run()
    except Unsatisfiable:
        # No invalid request can be made for it (no parameters, no body).
        assert mode is GenerationMode.NEGATIVE, operation.label
    return failures


def test_every_operation_as_two_roles_answers_without_5xx_and_as_documented(app, create_mini_city):
    create_mini_city()
    reporter = app.test_client()
    reporter.post("/api/v1/login", json={"username": "insp", "password": DEMO_PASSWORD})
    first_case = post_report(reporter, {"category": "E0102", "lon": 114.2425, "lat": 22.5785})
    assert first_case.status_code == 201  # so that small ids find something
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    failures: list[str] = []
    for username in ROLES:
        session = signed_in(app, username)
        for operation in operations:
            if operation.label in NOT_FUZZED:
                continue
            for mode in GenerationMode:
                failures += fuzz(operation, session, mode)
    assert failures == [], "\n".join(failures)
