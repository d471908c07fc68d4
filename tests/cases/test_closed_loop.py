"""The whole loop through the HTTP API as the real roles."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gridcity.cases.history import differences
from gridcity.cases.models import Case
from gridcity.extensions import db
from tests.cases.conftest import EAST, MONDAY_10AM, WEST, jpeg_bytes


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_inspector_report_goes_round_the_loop_to_closed(city, api):
    case = ok(api("insp2").report("E0102", EAST, photos=[jpeg_bytes()], description="路边暴露垃圾"), 201)
    assert case["state"] == "reported" and case["number"].startswith("20261130")
    assert case["unit_grid_code"].startswith("440308002")
    assert [p["stage"] for p in case["photos"]] == ["report"]

    case = ok(api("op").act(case, "accept"))
    assert case["state"] == "accepted"  # an inspector's report needs no verify task
    case = ok(api("lead").act(case, "file", note="符合立案标准"))
    case = ok(api("disp").act(case, "dispatch"))
    assert case["state"] == "dispatched"
    assert case["unit"]["code"] == "HW"  # E0102 in the east street: district default, sanitation
    # E0102 is 4 working hours from 10:00 Monday: 10:00–12:00 + 14:00–16:00 → 16:00 (08:00 UTC).
    assert case["deadline_at"] == "2026-11-30T08:00:00+00:00"

    handler = api("hw")
    case = ok(handler.act(case, "unit_accept"))
    case = ok(handler.act(case, "handle", photos=[jpeg_bytes()], note="已清理"))
    assert case["state"] == "handled"
    check_task = [t for t in case["tasks"] if t["kind"] == "check"][0]
    inspector2 = ok(api("insp2").get("/api/v1/me"))
    assert check_task["inspector_id"] == inspector2["id"]

    # A failed check needs the reason the unit is to rework by: without one
    # (or only blanks) it is refused, in words, and nothing changes.
    for blank in ("", "   "):
        refused = api("insp2").act(case, "check", result="fail", photos=[jpeg_bytes()], note=blank)
        assert refused.status_code == 400, refused.get_json()
        assert refused.get_json()["message"] == "核查不通过须填写原因，处置单位将据此返工。"
    same = ok(api("insp2").get(f"/api/v1/cases/{case['id']}"))
    assert (same["state"], same["version"], len(same["history"])) == ("handled", case["version"], 6)
    case = ok(api("insp2").act(case, "check", result="fail", photos=[jpeg_bytes()], note="仍有垃圾"))
    assert case["state"] == "in_progress" and case["counts"]["rework"] == 1
    failed = case["history"][-1]
    assert (failed["action"], failed["note"], failed["data"]["result"]) == ("check", "仍有垃圾", "fail")
    assert [p["stage"] for p in case["photos"] if p["event_id"] == failed["seq"]] == ["check"]
    case = ok(api("hw").act(case, "handle", photos=[jpeg_bytes()], note="再次清理"))
    case = ok(api("insp2").act(case, "check", result="pass", photos=[jpeg_bytes()]))
    assert case["state"] == "checked"
    case = ok(api("lead").act(case, "close"))
    assert case["state"] == "closed"
    actions = [e["action"] for e in case["history"]]
    assert actions == [
        "report",
        "accept",
        "file",
        "dispatch",
        "unit_accept",
        "handle",
        "check",
        "handle",
        "check",
        "close",
    ]
    assert {p["stage"] for p in case["photos"]} == {"report", "handle", "check"}
    stored = db.session.get(Case, case["id"])
    assert differences(stored) == {}


def test_the_shift_leader_sends_a_checked_case_back_instead_of_closing_it(city, api, frozen_clock):
    case = ok(api("insp2").report("E0102", EAST), 201)
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    case = ok(api("disp").act(case, "dispatch"))
    case = ok(api("hw").act(case, "unit_accept"))
    case = ok(api("hw").act(case, "handle", photos=[jpeg_bytes()], note="已清理"))
    case = ok(api("insp2").act(case, "check", result="pass", photos=[jpeg_bytes()]))
    assert "rework" in ok(api("lead").get(f"/api/v1/cases/{case['id']}"))["allowed_actions"]
    assert "rework" not in ok(api("disp").get(f"/api/v1/cases/{case['id']}"))["allowed_actions"]

    # Without a reason, or by someone else, nothing changes.
    no_reason = api("lead").act(case, "rework")
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["message"]
    assert api("disp").act(case, "rework", reason="照片不清").status_code == 403
    assert ok(api("lead").get(f"/api/v1/cases/{case['id']}"))["version"] == case["version"]

    frozen_clock.freeze(MONDAY_10AM + dt.timedelta(minutes=30))
    sent_back = ok(api("lead").act(case, "rework", reason="核查照片仍见垃圾"))
    assert sent_back["state"] == "in_progress" and sent_back["counts"]["rework"] == 1
    assert sent_back["history"][-1]["action"] == "rework"
    assert sent_back["history"][-1]["note"] == "核查照片仍见垃圾"
    # The unit's clock runs again from now: the deadline moved on by the time it stood still.
    assert sent_back["deadline_at"] > case["deadline_at"]
    assert "handle" in ok(api("hw").get(f"/api/v1/cases/{case['id']}"))["allowed_actions"]
    assert api("lead").act(sent_back, "close").status_code == 409
    assert differences(db.session.get(Case, case["id"])) == {}


def test_public_report_is_verified_by_the_grid_inspector_first(city, api):
    case = ok(api("op").report("E0102", WEST, source="hotline", reporter_contact="138****0000"), 201)
    case = ok(api("op").act(case, "accept"))
    assert case["state"] == "verifying"
    (task,) = case["tasks"]
    tasks = ok(api("insp").get(f"/api/v1/tasks?lon={WEST[0]}&lat={WEST[1]}"))
    assert [t["id"] for t in tasks] == [task["id"]] and tasks[0]["distance_m"] < 1
    # Another grid's inspector may not verify it.
    refused = api("insp2").act(case, "verify", result="pass")
    assert refused.status_code == 403
    case = ok(api("insp").act(case, "verify", result="pass", photos=[jpeg_bytes()], lon=WEST[0], lat=WEST[1]))
    assert case["state"] == "accepted"
    case = ok(api("lead").act(case, "file"))
    case = ok(api("disp").act(case, "dispatch"))
    assert case["unit"]["code"] == "JD01"  # street rule beats the district default


def test_failed_verification_voids_the_report(city, api):
    case = ok(api("op").report("E0102", WEST, source="public"), 201)
    case = ok(api("op").act(case, "accept"))
    case = ok(api("insp").act(case, "verify", result="fail", note="现场无此问题"))
    assert case["state"] == "voided"
    assert db.session.get(Case, case["id"]).void_reason == "现场无此问题"


def test_illegal_and_stale_actions_answer_409_and_change_nothing(city, api):
    case = ok(api("insp2").report("E0102", EAST), 201)
    closing = api("lead").act(case, "close")
    assert closing.status_code == 409
    body = closing.get_json()
    assert body["details"]["state"] == "reported" and "void" in body["details"]["allowed"]
    accepted = ok(api("op").act(case, "accept"))
    stale = api("op").act(case, "void", reason="重复")  # the version before accept
    assert stale.status_code == 409 and stale.get_json()["error"] == "stale_case"
    current = ok(api("op").get(f"/api/v1/cases/{case['id']}"))
    assert current["state"] == "accepted" and current["version"] == accepted["version"]
    wrong_role = api("insp2").act(accepted, "file")
    assert wrong_role.status_code == 403


def test_a_decision_on_a_request_the_decider_never_saw_answers_409(city, api):
    case = ok(api("insp2").report("E0102", EAST), 201)
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    seen_by_dispatcher = ok(api("disp").act(case, "dispatch"))
    asked = ok(api("hw").act(seen_by_dispatcher, "request", kind="return", reason="不属于本单位"))
    assert asked["state"] == "dispatched" and asked["version"] > seen_by_dispatcher["version"]
    stale = api("disp").act(seen_by_dispatcher, "decide", approve=True)
    assert stale.status_code == 409 and stale.get_json()["error"] == "stale_case"
    # Refusing changes no field either, yet it is news: the handler's copy is stale after it.
    refused = ok(api("disp").act(asked, "decide", approve=False, note="属于本单位"))
    assert refused["version"] > asked["version"]
    again = api("hw").act(asked, "request", kind="return", reason="仍不属于本单位")
    assert again.status_code == 409 and again.get_json()["error"] == "stale_case"
    assert differences(db.session.get(Case, case["id"])) == {}


def test_unit_handlers_see_and_act_on_their_own_cases_only(city, api):
    case = ok(api("insp2").report("E0102", EAST), 201)
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    case = ok(api("disp").act(case, "dispatch"))
    assert api("sz").get(f"/api/v1/cases/{case['id']}").status_code == 403
    assert api("sz").act(case, "unit_accept").status_code == 403
    assert ok(api("sz").get("/api/v1/cases"))["total"] == 0
    assert ok(api("hw").get("/api/v1/cases"))["total"] == 1


def test_dispatch_to_another_unit_needs_a_reason(city, api):
    case = ok(api("insp2").report("E0102", EAST), 201)
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    sz = db.session.scalar(select(Case).where(Case.id == case["id"]))
    other = city["units"]["municipal"].id
    assert api("disp").act(case, "dispatch", unit_id=other).status_code == 400
    case = ok(api("disp").act(case, "dispatch", unit_id=other, reason="市政设施范围"))
    assert case["unit"]["code"] == "SZ" and sz is not None


def test_bad_reports_get_clear_errors_and_make_nothing(city, api):
    inspector = api("insp2")
    cases = [
        ({"category": "X9999"}, 422, "unknown_category"),
        ({"lon": 114.30}, 422, "outside_city"),
        ({"lon": "east"}, 400, "bad_request"),
        ({"source": "open311"}, 403, "forbidden_role"),
    ]
    for change, status, error in cases:
        fields = {"category": "E0102", "lon": EAST[0], "lat": EAST[1], **change}
        category, lon, lat = fields.pop("category"), fields.pop("lon"), fields.pop("lat")
        response = inspector.report(category, (lon, lat), **fields)
        assert response.status_code == status, (change, response.get_json())
        assert response.get_json()["error"] == error
    not_image = inspector.report("E0102", EAST, photos=[b"GIF89a not really"])
    assert not_image.status_code == 415
    assert db.session.scalar(select(Case.id)) is None
