"""The unit supervisor (单位主管, issue 15 item 3): a member of their unit like a
handler — their unit's cases only, everywhere a unit's member reads them —
and the one an overdue case is escalated (督办) to: the sweeper's live event
goes to the unit's supervisors, or to the whole unit when it has none, and
the history says to whom, in words."""

from __future__ import annotations

from gridcity.cases import services
from gridcity.cases.history import differences
from gridcity.cases.history_lines import history_lines
from gridcity.cases.models import Case, DeadlinePolicy
from gridcity.cases.sweeper import sweep
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.org.services import create_user, deactivate_user, get_user
from tests.cases.conftest import EAST, report_photo
from tests.cases.test_closed_loop import ok
from tests.cases.test_live import emitted, received  # noqa: F401
from tests.cases.test_urge import HOUR, dispatched_via_api
from tests.conftest import DEMO_PASSWORD


def supervisors(*, active=True):
    """王科长 supervises the sanitation unit (HW), 李所长 the municipal one (SZ)."""
    hw = create_user("hwsup", DEMO_PASSWORD, "unit_supervisor", display_name="王科长", unit_code="HW")
    sz = create_user("szsup", DEMO_PASSWORD, "unit_supervisor", display_name="李所长", unit_code="SZ")
    db.session.commit()
    if not active:
        deactivate_user("hwsup")
        db.session.commit()
    return hw, sz


def test_a_supervisor_needs_a_unit_from_the_api_and_the_command_line(city, client, runner):
    assert (
        client.post("/api/v1/login", json={"username": "admin", "password": DEMO_PASSWORD}).status_code == 200
    )
    new = {"username": "boss", "password": "long-enough-1", "role": "unit_supervisor"}
    refused = client.post("/api/v1/users", json=new)
    assert (
        refused.status_code == 400
        and refused.get_json()["message"] == "该角色（单位主管）需要选择所属责任单位。"
    )
    created = ok(client.post("/api/v1/users", json={**new, "unit_code": "HW"}), 201)
    assert created["role"] == "unit_supervisor" and created["unit"]["code"] == "HW"
    assert created["role_name"] == {"zh": "单位主管", "en": "Unit supervisor"}

    args = [
        "org",
        "create-user",
        "--username",
        "boss2",
        "--role",
        "unit_supervisor",
        "--password",
        "long-enough-2",
    ]
    result = runner.invoke(args=[*args, "--unit", "SZ"])
    assert result.exit_code == 0, result.output
    assert get_user("boss2").unit.code == "SZ"
    without_unit = runner.invoke(args=[*args[:3], "boss3", *args[4:]])
    assert without_unit.exit_code == 1 and "needs a unit" in without_unit.output


def test_a_supervisor_sees_and_works_their_units_cases_only(city, api):
    supervisors()
    case = dispatched_via_api(api)  # E0102 in the east: the sanitation unit (HW)
    assert case["unit"]["code"] == "HW"
    hw = api("hwsup")
    assert ok(hw.get(f"/api/v1/cases/{case['id']}"))["number"] == case["number"]
    assert "unit_accept" in ok(hw.get(f"/api/v1/dispatch/cases/{case['id']}"))["allowed_actions"]
    state = ok(hw.get("/api/v1/dispatch/map"))
    assert [r[0] for r in state["cases"]] == [case["id"]]
    assert ok(hw.get(f"/api/v1/cases/search?q={case['number']}"))["items"][0]["id"] == case["id"]
    assert [u["code"] for u in ok(hw.get("/api/v1/units"))] == ["HW"]
    assert hw.get("/unit/").status_code == 200
    queues = [q["key"] for q in ok(hw.get("/api/v1/dispatch/queues"))["queues"]]
    assert queues[0] == "unit_escalated" and "unit_new" in queues and "to_dispatch" not in queues
    # A member of the unit may do its work.
    taken = ok(hw.act(case, "unit_accept"))
    assert taken["state"] == "in_progress"

    # Another unit's supervisor: not this case, in no list.
    sz = api("szsup")
    assert sz.get(f"/api/v1/cases/{case['id']}").status_code in (403, 404)
    assert sz.get(f"/api/v1/dispatch/cases/{case['id']}").status_code in (403, 404)
    assert sz.act(taken, "handle", note="不是我们的").status_code in (403, 404)
    assert ok(sz.get("/api/v1/dispatch/map"))["cases"] == []
    assert ok(sz.get(f"/api/v1/cases/search?q={case['number']}"))["items"] == []
    assert [u["code"] for u in ok(sz.get("/api/v1/units"))] == ["SZ"]
    # Nor the centers' desks.
    assert sz.get("/dispatch/").status_code in (302, 403)
    assert sz.act(taken, "urge", reason="快点").status_code in (403, 404)


def escalated_case() -> Case:
    """A case of the sanitation unit (HW) swept overdue, then escalated two
    hours later (as configured)."""
    db.session.add(DeadlinePolicy(step="escalate", clock="emergency_hours", amount=2.0, warning_fraction=1.0))
    case = services.submit_report(
        services.Report("E0102", *EAST, photos=[report_photo()]), get_user("insp2")
    ).case
    services.accept(case, get_user("op"))
    services.file_case(case, get_user("lead"))
    services.dispatch(case, get_user("disp"))
    db.session.commit()
    clock.freeze(case.deadline_at)
    assert sweep()["overdue"] == 1
    clock.freeze(case.deadline_at + 2 * HOUR)
    assert sweep()["escalated"] == 1
    db.session.expire_all()
    return db.session.get(Case, case.id)


def test_escalation_goes_to_the_units_supervisor_and_the_history_names_them(city, api, emitted):  # noqa: F811
    unit = city["units"]["sanitation"]
    hw_sup, sz_sup = supervisors()
    case = escalated_case()
    assert case.unit_id == unit.id and case.escalation_count == 1 and differences(case) == {}

    # The supervisor hears 督办 in their own room; the unit's handlers' room
    # does not (they heard the overdue mark), nor another unit's supervisor.
    assert received(emitted, f"user:{hw_sup.id}") == ["escalate"]
    assert "escalate" not in received(emitted, f"unit:{unit.id}")
    assert "overdue" in received(emitted, f"unit:{unit.id}")
    assert received(emitted, f"user:{sz_sup.id}") == []
    assert received(emitted, "staff").count("escalate") == 1
    payload = next(p for _, p in emitted.settled() if p["action"] == "escalate")
    assert payload["case"]["escalated"] is True and payload["case"]["unit_id"] == unit.id

    # To whom, in words: the supervisor's name and role.
    zh = history_lines(case.events, "zh")[-1]
    assert (zh["who"], zh["what"], zh["unit"]) == (
        "系统",
        "督办：超期未处置，报单位负责人",
        "环卫处：王科长（单位主管）",
    )
    assert history_lines(case.events, "en")[-1]["unit"] == "环卫处: 王科长 (Unit supervisor)"

    # The supervisor's 督办 queue holds it; a handler still sees it escalated.
    sup_queues = {q["key"]: q["count"] for q in ok(api("hwsup").get("/api/v1/dispatch/queues"))["queues"]}
    assert sup_queues["unit_escalated"] == 1 and sup_queues["unit_urged"] == 1
    handler = api("hw")
    handler_queues = {q["key"]: q["count"] for q in ok(handler.get("/api/v1/dispatch/queues"))["queues"]}
    assert "unit_escalated" not in handler_queues and handler_queues["unit_urged"] == 1
    assert ok(handler.get(f"/api/v1/cases/{case.id}"))["escalated"] is True
    line = ok(handler.get(f"/api/v1/cases/{case.id}"))["history"][-1]["line"]
    assert line["unit"] == "环卫处：王科长（单位主管）"


def test_without_an_active_supervisor_escalation_goes_to_the_unit_as_before(city, emitted):  # noqa: F811
    unit = city["units"]["sanitation"]
    unit.contact_name = "值班室"
    hw_sup, sz_sup = supervisors(active=False)  # HW's supervisor has left; SZ's is someone else's
    case = escalated_case()

    assert received(emitted, f"unit:{unit.id}").count("escalate") == 1
    assert received(emitted, f"user:{hw_sup.id}") == [] and received(emitted, f"user:{sz_sup.id}") == []
    assert received(emitted, "staff").count("escalate") == 1
    line = history_lines(case.events, "zh")[-1]
    assert line["unit"] == "环卫处（负责人：值班室）"  # the unit's head on its record, as before
    assert differences(case) == {}


def test_a_supervisor_joins_their_units_room_and_their_own(city):
    from gridcity.cases.events import rooms_of

    hw_sup, _ = supervisors()
    assert rooms_of(hw_sup) == [f"unit:{hw_sup.unit_id}", f"user:{hw_sup.id}"]
