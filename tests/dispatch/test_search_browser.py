"""Find any case in headless Chromium (issue 15, build item 1, acceptance): a
dispatcher finds a closed case by the last four digits of its number from the
header's search box, opens it in the drawer, then finds it by the caller's
phone — acting only through the UI. The page shows states in words, the phone
masked, and no internal code.

Screenshots go to ``test-artifacts/search-*.png``.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.cases.conftest import jpeg_bytes
from tests.dispatch.test_dispatch_browser import place, session_for  # noqa: F401 - fixture
from tests.web.test_browser import ARTIFACTS

pytestmark = pytest.mark.browser

PASSWORD = "gridcity-demo"
PHONE = "13712345678"


def closed_hotline_case(base_url: str, place: dict) -> dict:  # noqa: F811 - the fixture's value
    """A hotline call (the caller's phone written with dashes) taken round the
    whole loop to closed, through the API."""
    operator = session_for(base_url, "operator1")
    response = operator.post(
        f"{base_url}/api/v1/reports",
        json={
            "category": "E0102",
            "lon": place["lon"],
            "lat": place["lat"],
            "source": "hotline",
            "description": "市民来电：路口垃圾堆积",
            "reporter_contact": f"李先生 {PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]}",
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text
    case = response.json()
    steps = (
        ("operator1", "accept", {}),
        ("insp001", "verify", {"result": "pass"}),
        ("leader1", "file", {}),
        ("dispatcher1", "dispatch", {}),
        (place["handler"], "unit_accept", {}),
        (place["handler"], "handle", {"note": "已清运"}),
        ("insp001", "check", {"result": "pass"}),
        ("leader1", "close", {}),
    )
    for user, action, fields in steps:
        http = session_for(base_url, user)
        url = f"{base_url}/api/v1/cases/{case['id']}/{action}"
        data = {"version": case["version"], **fields}
        if action in ("verify", "handle", "check"):
            import json

            response = http.post(
                url, data={"data": json.dumps(data)}, files={"photos": ("p.jpg", jpeg_bytes())}
            )
        else:
            response = http.post(url, json=data)
        assert response.status_code == 200, (action, response.text)
        case = response.json()
    assert case["state"] == "closed"
    return case


def test_a_dispatcher_finds_a_closed_case_by_its_last_digits_and_by_the_phone(
    create_page,
    live_server,
    place,  # noqa: F811 - the fixture
):
    case = closed_hotline_case(live_server, place)
    page, problems = create_page()
    page.goto("/")
    page.wait_for_url("**/login?next=/")
    page.fill("#username", "dispatcher1")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{live_server}/")

    # The header's search box, on the home page as on every staff page.
    box = page.get_by_test_id("header-search").get_by_role("searchbox")
    box.fill(case["number"][-4:])
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    page.wait_for_selector("body[data-searched]")
    hit = page.locator(f"[data-testid=search-result][data-case-id='{case['id']}']")
    assert hit.count() == 1
    assert "已结案" in hit.inner_text() and case["number"] in hit.inner_text()
    assert "137****5678" in hit.inner_text()
    every = page.get_by_test_id("search-result").all_inner_texts()
    assert all(re.search(r"\d{4}$", case["number"]) and case["number"][-4:] in t for t in every)
    assert page.evaluate("id => window.GridCitySearch.markers.has(id)", case["id"])  # on the map
    # Every match is listed: nothing more to load.
    assert page.locator("#search-more").is_hidden() == (len(every) < 50)
    hit.click()
    page.wait_for_selector(f"#drawer[data-case-id='{case['id']}']")
    drawer = page.get_by_test_id("drawer")
    page.wait_for_function(
        "n => document.querySelector('#drawer-title').textContent.includes(n)", arg=case["number"]
    )
    assert "已结案" in drawer.inner_text()
    page.screenshot(path=ARTIFACTS / "search-last-digits.png")
    drawer.get_by_role("button", name="关闭").first.click()

    # The caller's phone, typed with spaces: the same case, its phone masked.
    search_box = page.get_by_test_id("search-form").get_by_role("searchbox")
    search_box.fill(f"{PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}")
    search_box.press("Enter")
    page.wait_for_function(
        "id => document.body.dataset.searched && document.querySelector(`[data-case-id='${id}']`) !== null",
        arg=case["id"],
    )
    hit = page.locator(f"[data-testid=search-result][data-case-id='{case['id']}']")
    hit.click()
    page.wait_for_function(
        "n => document.querySelector('#drawer-title').textContent.includes(n)", arg=case["number"]
    )
    text = page.locator("body").inner_text()
    assert PHONE not in text and PHONE[3:7] not in text.replace(case["number"], "")
    # No internal code: states in words, no role or state names.
    codes = re.findall(r"\b(?:closed|voided|dispatcher|unit_handler|in_progress|hotline)\b", text)
    assert codes == []
    page.screenshot(path=ARTIFACTS / "search-phone.png")
    assert problems == []
