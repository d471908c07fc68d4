"""The inspectors' outbox while the server cannot reach its database (issue
#14 item 7): a report answered 503 stays in the outbox with the server's words
and is sent again after the Retry-After, by itself, exactly once."""

from __future__ import annotations

import json
import time

import pytest

from gridcity.core.errors import GridCityError
from tests.mobile.phone import (
    cases_by_description,
    fill_report,
    grid_point,
    sign_in,
    wait_map,
)

pytestmark = pytest.mark.browser


def test_a_report_answered_503_stays_and_is_sent_after_retry_after(phone, demo_app, create_client):
    position = grid_point(demo_app, "insp005", create_client)
    context, page, problems = phone(position)
    sign_in(page, "insp005")
    wait_map(page)
    with demo_app.test_request_context("/api/v1/reports"):
        refusal = GridCityError("database_unavailable", 503, retry_after=3).to_dict("zh")
    calls: list[float] = []

    def database_away_once(route):
        calls.append(time.monotonic())
        if len(calls) == 1:  # what the server answers while its database is away
            route.fulfill(
                status=503,
                headers={"Retry-After": "3", "Content-Type": "application/json"},
                body=json.dumps(refusal, ensure_ascii=False),
            )
        else:
            route.continue_()

    page.route("**/api/v1/reports", database_away_once)
    fill_report(page, "E0102", "E0102", "数据库暂时不可用时的上报")
    page.click("#report-submit")
    page.wait_for_function("document.body.dataset.outbox === '1'")
    page.click("#nav-outbox")
    item = page.locator("#outbox-list li[data-kind=report]")
    item.locator(".err").wait_for()
    assert item.get_attribute("data-state") == "queued"
    assert "系统暂时无法访问数据库" in item.inner_text()
    # Sent again by itself after the Retry-After (long before the 30 s round).
    page.wait_for_function("document.body.dataset.outbox === '0'", timeout=12000)
    assert len(calls) == 2 and calls[1] - calls[0] >= 2.5, calls
    assert len(cases_by_description(create_client("insp005"), "数据库暂时不可用时")) == 1
    assert [p for p in problems if "status of 503" not in p] == []
