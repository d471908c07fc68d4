"""Each desk's landing page (issue 15, item 5): today's numbers that matter
to the desk, each linking to its queue — equal to counts made here from the
cases this test made, across a day and a month boundary (Monday 30 November
→ Tuesday 1 December), with no internal code on the page."""

from __future__ import annotations

import datetime as dt
import html
import re

from gridcity.cases.sweeper import sweep
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.org.services import create_user
from tests.cases.conftest import EAST, jpeg_bytes
from tests.cases.test_closed_loop import ok
from tests.conftest import DEMO_PASSWORD
from tests.dispatch.test_api import api  # noqa: F401  (one signed-in client per user)

MONDAY_4PM = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
TUESDAY_945 = dt.datetime(2026, 12, 1, 1, 45, tzinfo=dt.UTC)
TUESDAY_START = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # 00:00 in Shenzhen
RUNNING = ("dispatched", "in_progress")
NUMBER = re.compile(
    r'data-number="(?P<key>\w+)">\s*(?:<a href="(?P<href>[^"]+)"|<span)[^>]*>\s*'
    r'<span class="desk-value" data-value>(?P<value>[^<]*)</span>',
    re.S,
)


def steps(api, case: dict, *actions: str) -> dict:  # noqa: F811
    who = {"accept": "op", "file": "lead", "dispatch": "disp", "unit_accept": "hw", "handle": "hw"}
    for action in actions:
        if action == "handle":
            case = ok(api("hw").act(case, "handle", photos=[jpeg_bytes()], note="已清理"))
        elif action == "check":
            case = ok(api("insp2").act(case, "check", result="pass", photos=[jpeg_bytes()]))
        elif action == "close":
            case = ok(api("lead").act(case, "close"))
        else:
            case = ok(api(who[action]).act(case, action))
    return case


def new_case(api, *actions: str) -> dict:  # noqa: F811
    return steps(api, ok(api("insp2").report("E0102", EAST), 201), *actions)


TO_DISPATCHED = ("accept", "file", "dispatch")
TO_CLOSED = ("unit_accept", "handle", "check", "close")


def desk(api, username: str) -> dict[str, tuple[str, str | None]]:  # noqa: F811
    page = api(username).get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    return {
        m["key"]: (m["value"].strip(), m["href"] and html.unescape(m["href"])) for m in NUMBER.finditer(text)
    }


def visible_text(page_html: str) -> str:
    body = re.sub(r"<script.*?</script>", " ", page_html, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_each_desk_sees_its_numbers_of_today_linking_to_its_queues(city, api):  # noqa: F811
    create_user("hwsup", DEMO_PASSWORD, "unit_supervisor", unit_code="HW")  # 单位主管 of the sanitation unit
    db.session.commit()
    made = []
    # Monday 10:00.
    made.append(new_case(api))  # waiting to be accepted
    made.append(ok(api("op").act(ok(api("op").report("E0102", EAST, source="hotline"), 201), "accept")))
    made.append(new_case(api, "accept"))  # to file
    made.append(new_case(api, "accept", "file"))  # to dispatch
    urged = new_case(api, *TO_DISPATCHED)
    made.append(ok(api("lead").act(urged, "urge", reason="请尽快处置")))
    made.append(new_case(api, *TO_DISPATCHED))
    made.append(new_case(api, *TO_DISPATCHED, *TO_CLOSED))  # closed on Monday, last month
    late = new_case(api, *TO_DISPATCHED, "unit_accept")
    # Monday 16:00: the Monday cases still with the unit are overdue.
    clock.freeze(MONDAY_4PM)
    sweep()
    made.append(new_case(api, *TO_DISPATCHED))  # due Tuesday 10:30, warned from 09:30
    # Tuesday 09:45.
    clock.freeze(TUESDAY_945)
    sweep()
    made.append(steps(api, ok(api("hw").get(f"/api/v1/cases/{late['id']}")), "handle", "check", "close"))
    made.append(new_case(api, *TO_DISPATCHED, *TO_CLOSED))  # closed on time today
    made.append(new_case(api, *TO_DISPATCHED, "unit_accept", "handle"))  # awaiting the check

    # Count them here, from the cases as they are now.
    cases = [ok(api("mgr").get(f"/api/v1/cases/{c['id']}")) for c in made]

    def count(test) -> str:
        return str(sum(1 for c in cases if test(c)))

    def running(c) -> bool:
        return c["state"] in RUNNING

    def moment(value):
        return value and dt.datetime.fromisoformat(value)

    closed_this_month = [
        c for c in cases if c["steps"]["closed"] and moment(c["steps"]["closed"]) >= TUESDAY_START
    ]
    on_time = [c for c in closed_this_month if moment(c["steps"]["handled"]) <= moment(c["deadline_at"])]
    expected = {
        "to_accept": count(lambda c: c["state"] == "reported"),
        "to_verify": count(lambda c: c["state"] == "verifying"),
        "to_file": count(lambda c: c["state"] == "accepted"),
        "to_dispatch": count(lambda c: c["state"] == "filed"),
        "requests": "0",
        "awaiting_check": count(lambda c: c["state"] == "handled"),
        "to_close": count(lambda c: c["state"] == "checked"),
        "overdue": count(lambda c: running(c) and c["overdue"]),
        "warned": count(lambda c: running(c) and c["warned"] and not c["overdue"]),
        "urged": count(lambda c: running(c) and (c["counts"]["urge"] or c["escalated"])),
        "closed_today": count(
            lambda c: c["steps"]["closed"] and moment(c["steps"]["closed"]) >= TUESDAY_START
        ),
        "on_time_rate": f"{100 * len(on_time) / len(closed_this_month):.1f}%",
    }
    # What this history makes of them (so the test cannot pass on zeros).
    assert [expected[k] for k in ("to_accept", "to_verify", "overdue", "warned", "urged", "closed_today")] == [
        "1", "1", "2", "1", "1", "2",
    ]  # fmt: skip
    assert expected["on_time_rate"] == "50.0%"
    for k, v in list(expected.items()):
        if k in ("overdue", "warned", "urged"):
            expected[f"unit_{k}"] = v  # every dispatched case went to the sanitation unit
    expected["unit_new"] = count(lambda c: c["state"] == "dispatched")
    expected["unit_in_progress"] = count(lambda c: c["state"] == "in_progress")
    expected["unit_escalated"] = count(lambda c: running(c) and c["escalated"])

    desks = {
        "op": ["to_accept", "to_verify", "awaiting_check", "overdue", "closed_today", "on_time_rate"],
        "lead": ["to_file", "requests", "to_close", "overdue", "warned", "urged", "closed_today", "on_time_rate"],
        "disp": ["to_dispatch", "requests", "overdue", "warned", "urged", "closed_today", "on_time_rate"],
        "mgr": ["to_accept", "to_file", "to_dispatch", "overdue", "warned", "urged", "closed_today", "on_time_rate"],
        "hw": ["unit_new", "unit_in_progress", "unit_overdue", "unit_warned", "unit_urged", "closed_today",
               "on_time_rate"],
        # The unit's supervisor: what was escalated to them (督办) first, then the unit's numbers.
        "hwsup": ["unit_escalated", "unit_new", "unit_in_progress", "unit_overdue", "unit_warned", "unit_urged",
                  "closed_today", "on_time_rate"],
    }  # fmt: skip
    for username, keys in desks.items():
        numbers = desk(api, username)
        assert list(numbers) == keys, username
        assert {k: v for k, (v, _) in numbers.items()} == {k: expected[k] for k in keys}, username
        portal = "/unit/" if username in ("hw", "hwsup") else "/dispatch/"
        for key, (_, href) in numbers.items():
            if key not in ("closed_today", "on_time_rate"):
                assert href == f"{portal}?queue={key}", (username, key)
        # The link opens a queue that counts the same.
        queues = {q["key"]: q["count"] for q in ok(api(username).get("/api/v1/dispatch/queues"))["queues"]}
        assert all(str(queues[k]) == v for k, (v, _) in numbers.items() if k in queues)

    # Another unit's handler: their unit has nothing, and no rate without a closed case.
    other = desk(api, "jd")
    assert {k: v for k, (v, _) in other.items()} == {
        "unit_new": "0", "unit_in_progress": "0", "unit_overdue": "0", "unit_warned": "0", "unit_urged": "0",
        "closed_today": "0", "on_time_rate": "—",
    }  # fmt: skip
    # In words only: no queue key, state or role name on the page.
    for username in ("hw", "hwsup", "lead"):
        text = visible_text(api(username).get("/").get_data(as_text=True))
        assert "今日工作" in text
        codes = [*desks["hwsup"], *desks["lead"], *RUNNING, "shift_leader", "unit_handler", "unit_supervisor"]
        leaked = [k for k in codes if k in text]
        assert leaked == [], username
