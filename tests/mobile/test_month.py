"""My month (本月): reports, valid reports, on-time verify and check — counted
in a service the scorecards reuse."""

from __future__ import annotations

import datetime as dt

from gridcity.core import clock
from gridcity.mobile.services import inspector_month, month_bounds
from tests.cases.conftest import EAST, MONDAY_10AM, WEST, jpeg_bytes


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_month_bounds_follow_the_city_time_zone():
    start, end = month_bounds(2026, 12, "Asia/Shanghai")
    assert start == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)


def test_my_month_counts_what_the_scorecards_count(city, api):
    insp = api("insp")
    me = ok(insp.get("/api/v1/me"))
    # Last month (Shenzhen time): 31 October, 23:00 — not this month.
    clock.freeze(dt.datetime(2026, 10, 31, 15, 0, tzinfo=dt.UTC))
    ok(api("insp").report("E0102", WEST), 201)
    clock.freeze(MONDAY_10AM)

    kept = ok(api("insp").report("E0102", WEST, description="保留"), 201)
    voided = ok(api("insp").report("C0101", WEST, description="不属实"), 201)
    merged = ok(api("insp").report("E0102", WEST, description="重复"), 201)
    ok(api("op").act(voided, "void", reason="不符合立案标准"))
    ok(api("op").act(merged, "merge", into=kept["id"]))

    # A public report verified on time by me (核实, due in 2 working hours).
    public = ok(api("op").report("E0102", WEST, source="hotline"), 201)
    public = ok(api("op").act(public, "accept"))
    ok(api("insp").act(public, "verify", result="pass", lon=WEST[0], lat=WEST[1]))

    # A check (核查) done late: 5 working hours after the handling, 4 allowed.
    case = ok(api("op").act(kept, "accept"))
    case = ok(api("lead").act(case, "file"))
    case = ok(api("disp").act(case, "dispatch"))
    case = ok(api("jd").act(case, "unit_accept"))
    case = ok(api("jd").act(case, "handle", photos=[jpeg_bytes()]))
    clock.freeze(MONDAY_10AM + dt.timedelta(hours=7))  # 17:00: past 10:00 + 4 working hours (16:00)
    ok(api("insp").act(case, "check", result="pass", photos=[jpeg_bytes()]))
    # Another inspector's check the same month does not count for me.
    east = ok(api("insp2").report("E0102", EAST), 201)
    assert east["reported_at"]

    month = ok(api("insp").get("/api/v1/me/month"))
    assert month == {
        "inspector_id": me["id"],
        "month": "2026-11",
        "reports": 3,
        "valid_reports": 2,  # the voided one is not valid; the merged one keeps its credit
        "verify_done": 1,
        "verify_on_time": 1,
        "check_done": 1,
        "check_on_time": 0,
        "patrols": 0,
        "patrol_distance_m": 0.0,
    }
    assert ok(api("insp").get("/api/v1/me/month?month=2026-10"))["reports"] == 1
    assert api("insp").get("/api/v1/me/month?month=November").status_code == 400
    assert api("op").get("/api/v1/me/month").status_code == 403
    # The same numbers straight from the service (what the scorecards will call).
    direct = inspector_month(me["id"], 2026, 11, "Asia/Shanghai")
    assert direct.to_dict() == month
