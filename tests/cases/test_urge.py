"""催办 and 督办 (issue 15, item 3): a dispatcher or shift leader urges the
unit holding a case — recorded, counted, told in words, sent live to the
unit — and refused plainly to anyone else, in any other state, or without a
message; the sweeper escalates a case overdue past the configured delay to
the unit's head, once per overdue episode."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gridcity.cases import services
from gridcity.cases.history import differences
from gridcity.cases.models import Case, CaseEvent, DeadlinePolicy
from gridcity.cases.sweeper import sweep
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.org.services import get_user
from tests.cases.conftest import EAST, MONDAY_10AM, report_photo
from tests.cases.test_closed_loop import ok
from tests.cases.test_live import emitted, received  # noqa: F401

HOUR = dt.timedelta(hours=1)


def dispatched_via_api(api) -> dict:
    case = ok(api("insp2").report("E0102", EAST), 201)
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    return ok(api("disp").act(case, "dispatch"))


def test_an_urging_is_recorded_counted_told_in_words_and_sent_to_the_unit(city, api, emitted):  # noqa: F811
    case = dispatched_via_api(api)
    unit = city["units"]["sanitation"]
    assert case["unit"]["id"] == unit.id and case["counts"]["urge"] == 0
    assert "urge" in ok(api("lead").get(f"/api/v1/dispatch/cases/{case['id']}"))["allowed_actions"]

    urged = ok(api("lead").act(case, "urge", reason="市民再次来电，请今天处理"))
    assert urged["state"] == "dispatched" and urged["version"] > case["version"]
    assert urged["counts"]["urge"] == 1 and urged["last_urged_at"] is not None
    assert urged["deadline_at"] == case["deadline_at"]  # the clock is untouched
    # Words: who (name and role), what, to which unit, why.
    line = urged["history"][-1]["line"]
    lead = get_user("lead")
    assert line == {
        "who": f"{lead.display_name}（值班长）",
        "what": "催办",
        "unit": unit.name,
        "why": "市民再次来电，请今天处理",
    }
    # A second urging, by the dispatcher, after the unit took the case on.
    taken = ok(api("hw").act(urged, "unit_accept"))
    again = ok(api("disp").act(taken, "urge", note="仍未处置，请回复进度"))
    assert again["counts"]["urge"] == 2 and again["state"] == "in_progress"
    assert again["history"][-1]["line"]["why"] == "仍未处置，请回复进度"

    # The unit's room hears both, with the message and the count.
    assert received(emitted, f"unit:{unit.id}").count("urge") == 2
    last = [p for rooms, p in emitted if p["action"] == "urge"][-1]
    assert (last["case"]["urge"], last["note"]) == (2, "仍未处置，请回复进度")
    assert received(emitted, f"unit:{city['units']['municipal'].id}") == []

    # The unit's portal counts it (map row and its queue of urged cases).
    state = ok(api("hw").get("/api/v1/dispatch/map"))
    row = dict(zip(state["fields"], next(r for r in state["cases"] if r[0] == case["id"])))
    assert row["urge"] == 2 and row["last_urged_at"] is not None and row["escalated"] is False
    queues = {q["key"]: q["count"] for q in ok(api("hw").get("/api/v1/dispatch/queues"))["queues"]}
    assert queues["unit_urged"] == 1
    staff = {q["key"]: q["count"] for q in ok(api("disp").get("/api/v1/dispatch/queues"))["queues"]}
    assert staff["urged"] == 1
    # The case row is still the replay of its history.
    assert differences(db.session.get(Case, case["id"])) == {}


def test_an_urging_is_refused_to_others_in_other_states_and_without_a_message(city, api, emitted):  # noqa: F811
    case = dispatched_via_api(api)
    for user, status in (("hw", 403), ("op", 403), ("mgr", 403), ("insp2", 403)):
        refused = api(user).act(case, "urge", reason="快点")
        assert refused.status_code == status, (user, refused.get_json())
        assert refused.get_json()["message"]
    # Another unit's handler may not even see the case.
    assert api("sz").act(case, "urge", reason="快点").status_code in (403, 404)
    empty = api("lead").act(case, "urge", reason="   ")
    assert empty.status_code == 400 and "催办事由" in empty.get_json()["message"]
    too_long = api("lead").act(case, "urge", reason="催" * 201)
    assert too_long.status_code == 400 and "200" in too_long.get_json()["message"]
    # Not with a unit (filed, waiting for dispatch): nothing to urge.
    filed = ok(api("insp2").report("E0102", EAST), 201)
    filed = ok(api("op").act(filed, "accept"))
    filed = ok(api("lead").act(filed, "file"))
    wrong_state = api("disp").act(filed, "urge", reason="快点")
    assert wrong_state.status_code == 409 and wrong_state.get_json()["message"]
    # Nothing stored, nothing sent.
    stored = ok(api("lead").get(f"/api/v1/cases/{case['id']}"))
    assert stored["counts"]["urge"] == 0 and stored["version"] == case["version"]
    assert "urge" not in [p["action"] for _, p in emitted.settled()]


def test_an_overdue_case_is_escalated_after_the_configured_delay_once_per_episode(city, emitted):  # noqa: F811
    unit = city["units"]["sanitation"]
    unit.contact_name = "王科长"
    # Configuration as data: two hours overdue, then 督办.
    db.session.add(DeadlinePolicy(step="escalate", clock="emergency_hours", amount=2.0, warning_fraction=1.0))
    case = services.submit_report(
        services.Report("E0102", *EAST, photos=[report_photo()]), get_user("insp2")
    ).case
    services.accept(case, get_user("op"))
    services.file_case(case, get_user("lead"))
    services.dispatch(case, get_user("disp"))
    db.session.commit()
    deadline = case.deadline_at
    assert deadline == MONDAY_10AM + 6 * HOUR  # 4 working hours: 10:00-12:00, 14:00-16:00

    clock.freeze(deadline)
    assert sweep()["overdue"] == 1
    clock.freeze(deadline + 2 * HOUR - dt.timedelta(seconds=1))
    assert sweep()["escalated"] == 0
    clock.freeze(deadline + 2 * HOUR)
    assert sweep()["escalated"] == 1
    assert sweep()["escalated"] == 0  # a second sweep (or a second process) finds nothing
    clock.freeze(deadline + 3 * HOUR)
    assert sweep()["escalated"] == 0  # the same overdue episode: once

    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.escalation_count == 1 and case.escalated_at == deadline + 2 * HOUR
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "escalate")
    ).all()
    assert len(events) == 1 and events[0].actor_id is None
    assert differences(case) == {}
    # Sent to the unit and the centers; the map row shows it.
    assert received(emitted, f"unit:{unit.id}").count("escalate") == 1
    assert received(emitted, "staff").count("escalate") == 1
    # In words: the system escalated it to the unit's head.
    from gridcity.cases.history_lines import history_lines

    line = history_lines(case.events, "zh")[-1]
    assert (line["who"], line["what"], line["unit"]) == (
        "系统",
        "督办：超期未处置，报单位负责人",
        "环卫处（负责人：王科长）",
    )

    # An extension moves the deadline: a new episode, escalated once more when it too runs out.
    services.request_change(case, get_user("hw"), "extension", "需要吊车", extra_amount=4.0)
    services.decide(case, get_user("lead"), approve=True)
    db.session.commit()
    assert not case.overdue and case.deadline_at > clock.utcnow()
    clock.freeze(case.deadline_at + 2 * HOUR)
    result = sweep()
    assert (result["overdue"], result["escalated"]) == (1, 1)
    assert sweep()["escalated"] == 0
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.escalation_count == 2 and differences(case) == {}


def test_every_step_a_reporter_hears_of_through_open311_has_words():
    """Urging and escalation reach the reporter's Open311 updates in words,
    like every other step (a missing text would show its catalogue key)."""
    from gridcity.cases.states import TRANSITIONS
    from gridcity.core.i18n import MESSAGES
    from gridcity.open311.queries import INTERNAL_ACTIONS

    heard = [a for a in (*TRANSITIONS, "overdue", "escalate") if a not in INTERNAL_ACTIONS]
    missing = [
        a
        for a in heard
        if not any(k == f"open311_event_{a}" or k.startswith(f"open311_event_{a}_") for k in MESSAGES)
    ]
    assert "urge" in heard and missing == []
