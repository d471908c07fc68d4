"""The hotline intake through its API, on SQLite and PostGIS: a call makes a
case with its verify task and the caller on it; the caller's phone is masked
in lists and whole only for the roles that call back; the nearby duplicate is
listed before saving and "add to that case" makes no case; the geocoder finds
our places and codes; the reply and the follow-up are in the history in words;
bad input is refused with a message; the caller is erased with the reporters."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.geo.models import UnitGrid
from gridcity.hotline.models import HotlineCall
from tests.cases.conftest import EAST, WEST

PHONE = "13812345678"


def call_body(**fields) -> dict:
    return {
        "channel": "12345",
        "category": "E0102",
        "lon": EAST[0],
        "lat": EAST[1],
        "description": "小区门口垃圾堆了三天没人清",
        "caller_name": "王先生",
        "caller_phone": PHONE,
        "callback_wanted": True,
        "ticket_number": "GD20261130001",
        **fields,
    }


def take(client, **fields):
    return client.post("/api/v1/hotline/calls", json=call_body(**fields))


def lines_of(client, case_id: int) -> list[str]:
    detail = client.get(f"/api/v1/cases/{case_id}").get_json()
    return [f"{h['line']['who']} · {h['line']['what']} — {h['line']['why']}" for h in detail["history"]]


def test_a_call_files_a_case_with_its_verify_task_and_the_caller(hotline_city, api, client):
    api("op")
    response = take(client)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    case = answer["case"]
    assert answer["created"] is True
    assert case["state"] == "verifying" and case["source"] == "hotline"
    assert [t["kind"] for t in case["tasks"]] == ["verify"]
    assert case["tasks"][0]["inspector_id"] is not None  # the grid's inspector has it
    # The operator, who calls back, gets the caller whole.
    assert answer["call"]["caller_phone"] == PHONE and answer["call"]["caller_name"] == "王先生"
    assert answer["call"]["ticket_number"] == "GD20261130001" and answer["call"]["callback_wanted"] is True
    row = db.session.scalar(select(Case).where(Case.id == case["id"]))
    assert row.reporter_contact == f"王先生 {PHONE}"  # where the retention and erasure rules look
    # The history says who took it on which line, in words.
    lines = lines_of(client, case["id"])
    assert lines[1].endswith("受理 — 12345 政务服务热线 工单号 GD20261130001")
    assert "（受理员）" in lines[0]
    # A walk-in (来访) is a public report.
    walk_in = take(client, channel="visit", callback_wanted=False, caller_phone=None, ticket_number=None)
    assert walk_in.status_code == 201 and walk_in.get_json()["case"]["source"] == "public"


def test_the_phone_is_masked_in_lists_and_whole_only_for_the_roles_that_call_back(hotline_city, api, client):
    api("op")
    case = take(client).get_json()["case"]
    listed = client.get("/api/v1/hotline/calls").get_json()
    assert listed[0]["caller_phone"] == "138****5678" and listed[0]["caller_name"] == "王**"
    assert PHONE not in client.get("/api/v1/hotline/calls").get_data(as_text=True)
    assert (
        client.get(f"/api/v1/hotline/cases/{case['id']}/calls").get_json()["calls"][0]["caller_phone"]
        == PHONE
    )
    api("lead")  # the shift leader calls back too
    assert (
        client.get(f"/api/v1/hotline/cases/{case['id']}/calls").get_json()["calls"][0]["caller_phone"]
        == PHONE
    )
    api("disp")
    seen = client.get(f"/api/v1/hotline/cases/{case['id']}/calls").get_json()
    assert seen["calls"][0]["caller_phone"] == "138****5678" and seen["can_reply"] is False
    # Nor does the case itself carry it to anyone.
    assert PHONE not in client.get(f"/api/v1/cases/{case['id']}").get_data(as_text=True)
    for username in ("hw", "insp"):
        api(username)
        assert client.get(f"/api/v1/hotline/cases/{case['id']}/calls").status_code == 403
        assert client.get("/api/v1/hotline/calls").status_code == 403


def test_the_nearby_duplicate_is_listed_and_the_call_joins_it_without_a_new_case(hotline_city, api, client):
    api("insp2")
    first = api("insp2").report(category="E0102", position=EAST, description="垃圾").get_json()
    api("op")
    near = (EAST[0] + 0.0002, EAST[1])  # about 20 m east
    found = client.get(
        "/api/v1/hotline/duplicates", query_string={"category": "E0102", "lon": near[0], "lat": near[1]}
    ).get_json()
    assert [d["number"] for d in found] == [first["number"]]
    assert 15 < found[0]["distance_m"] < 25
    other_kind = client.get(
        "/api/v1/hotline/duplicates", query_string={"category": "E0101", "lon": near[0], "lat": near[1]}
    ).get_json()
    far = client.get(
        "/api/v1/hotline/duplicates", query_string={"category": "E0102", "lon": WEST[0], "lat": WEST[1]}
    ).get_json()
    assert other_kind == [] and far == []
    cases_before = db.session.scalar(select(func.count(Case.id)))
    joined = take(
        client, lon=near[0], lat=near[1], join_case=first["id"], description="又有人打电话说这堆垃圾"
    )
    assert joined.status_code == 200, joined.get_json()
    assert joined.get_json()["created"] is False and joined.get_json()["case"]["id"] == first["id"]
    assert db.session.scalar(select(func.count(Case.id))) == cases_before
    assert db.session.scalar(select(HotlineCall.joined).where(HotlineCall.case_id == first["id"])) is True
    assert lines_of(client, first["id"])[-1].endswith(
        "来电并案 — 12345 政务服务热线 工单号 GD20261130001：又有人打电话说这堆垃圾"
    )
    # A new call right there lists it too, and once it is closed or voided it no longer can be joined.
    api("lead")
    detail = client.get(f"/api/v1/cases/{first['id']}").get_json()
    assert api("lead").act(detail, "void", reason="重复").status_code == 200
    api("op")
    refused = take(client, join_case=first["id"])
    assert refused.status_code == 409 and "已办结或已作废" in refused.get_json()["message"]


def test_the_geocoder_finds_streets_unit_grids_and_components(hotline_city, api, client):
    from gridcity.inventory.services import add_components

    add_components([{"category": "C0101", "lon": EAST[0], "lat": EAST[1]}])
    db.session.commit()
    component = db.session.scalar(select(func.max(Case.id)))  # nothing else: no cases yet
    assert component is None
    from gridcity.inventory.models import Component

    component_code = db.session.scalar(select(Component.code))
    grid_code = db.session.scalar(select(UnitGrid.code).order_by(UnitGrid.id))
    api("op")

    def find(q):
        return client.get("/api/v1/hotline/geocode", query_string={"q": q})

    street = find("东街道门口").get_json()
    assert street[0]["kind"] == "street" and street[0]["label"] == "东街道"
    assert 114.246 <= street[0]["lon"] <= 114.252
    grid = find(grid_code).get_json()
    assert grid[0] == {**grid[0], "kind": "unit_grid", "code": grid_code}
    part = find(component_code).get_json()
    assert part[0]["kind"] == "component" and abs(part[0]["lon"] - EAST[0]) < 1e-6
    assert find("WG02").get_json()[0]["kind"] == "work_grid"
    # An earlier case's address is found by part of it.
    take(client, address="海景路12号")
    assert find("海景路").get_json()[0] == {
        **find("海景路").get_json()[0],
        "kind": "address",
        "label": "海景路12号",
    }
    unknown = find("火星基地")
    assert unknown.status_code == 404 and "火星基地" in unknown.get_json()["message"]
    assert find("a").status_code == 400


def test_reply_and_follow_up_are_in_the_history_in_words(hotline_city, api, client):
    api("op")
    case = take(client).get_json()["case"]
    quiet = take(client, callback_wanted=False, caller_phone=None).get_json()["case"]
    replied = client.post(f"/api/v1/hotline/cases/{case['id']}/reply", json={"text": "已派监督员核实"})
    assert replied.status_code == 200 and replied.get_json()["can_follow_up"] is False
    early = client.post(f"/api/v1/hotline/cases/{case['id']}/follow-up", json={"satisfaction": "satisfied"})
    assert early.status_code == 409 and "办结后才能回访" in early.get_json()["message"]
    for c in (case, quiet):  # finished: voided with its reason
        detail = client.get(f"/api/v1/cases/{c['id']}").get_json()
        assert api("op").act(detail, "void", reason="核实为私人区域").status_code == 200
    done = client.post(
        f"/api/v1/hotline/cases/{case['id']}/follow-up",
        json={"satisfaction": "basically_satisfied", "note": "市民表示理解"},
    )
    assert done.status_code == 200, done.get_json()
    lines = lines_of(client, case["id"])
    assert "（受理员） · 答复来电人 — 已派监督员核实" in lines[2]
    assert lines[-1].endswith("（受理员） · 回访：基本满意 — 市民表示理解")
    assert not re.search(r"\b(?:follow_up|reply|basically_satisfied|operator)\b", " ".join(lines))
    no_callback = client.post(
        f"/api/v1/hotline/cases/{quiet['id']}/follow-up", json={"satisfaction": "satisfied"}
    )
    assert no_callback.status_code == 409
    bad = client.post(f"/api/v1/hotline/cases/{case['id']}/follow-up", json={"satisfaction": "great"})
    assert bad.status_code == 400
    api("insp2")
    inspector_case = api("insp2").report(category="E0102", position=EAST).get_json()
    api("op")
    assert (
        client.post(f"/api/v1/hotline/cases/{inspector_case['id']}/reply", json={"text": "x"}).status_code
        == 409
    )
    api("disp")
    assert client.post(f"/api/v1/hotline/cases/{case['id']}/reply", json={"text": "x"}).status_code == 403


def test_bad_calls_are_refused_with_a_message_and_store_nothing(hotline_city, api, client):
    api("op")
    refusals = {
        "channel": take(client, channel="weibo"),
        "phone needed": take(client, caller_phone=None),
        "not a phone": take(client, caller_phone="call me"),
        "no description": take(client, description="  "),
        "category": take(client, category="X9999"),
        "outside": take(client, lon=113.0, lat=22.0),
        "no such case": take(client, join_case=999999),
        "position": client.post("/api/v1/hotline/calls", json={**call_body(), "lon": "east"}),
    }
    for what, response in refusals.items():
        assert 400 <= response.status_code < 500, (what, response.status_code)
        assert response.get_json()["message"], what
    assert refusals["channel"].status_code == 400 and "12345" in refusals["channel"].get_json()["message"]
    assert "联系电话" in refusals["phone needed"].get_json()["message"]
    assert db.session.scalar(select(func.count(Case.id))) == 0
    assert db.session.scalar(select(func.count(HotlineCall.id))) == 0
    api("insp")
    assert take(client).status_code == 403
    api("lead")  # shift leaders read and answer; operators take the calls
    assert take(client).status_code == 403


def test_a_callers_phone_is_erased_with_the_reporters(hotline_city, api, client):
    from gridcity.ops.citizen_data import erase_citizen_data, export_citizen_data

    first = api("insp2").report(category="E0102", position=EAST).get_json()
    api("op")
    take(client, join_case=first["id"], caller_phone="139 0000 1111", caller_name="李女士")
    exported = export_citizen_data("13900001111")
    assert [c["number"] for c in exported["cases"]] == [first["number"]]
    assert exported["calls"][0]["caller_name"] == "李女士"
    erase_citizen_data("13900001111", None, "市民申请删除")
    db.session.commit()
    call = db.session.scalar(select(HotlineCall))
    assert (call.caller_name, call.caller_phone, call.ticket_number) == (None, None, "GD20261130001")


def test_the_page_is_the_operators_and_shift_leaders(hotline_city, api, client):
    api("op")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/hotline/"' in home
    page = client.get("/hotline/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "12345 政务服务热线" in html and "并入此案卷" in html and "登记为新案卷" in html
    assert "来访" in html and "来信" in html
    assert 'id="hl-photos-button">选择照片</label>' in html  # a picker in the page's words
    client.set_cookie("lang", "en")
    assert "File as a new case" in client.get("/hotline/").get_data(as_text=True)
    client.delete_cookie("lang")
    api("lead")
    leader = client.get("/hotline/").get_data(as_text=True)
    assert 'data-testid="leader-note"' in leader and 'id="hl-save" disabled' in leader
    for username in ("disp", "hw", "insp"):
        api(username)
        assert client.get("/hotline/").status_code == 403
        assert 'href="/hotline/"' not in client.get("/").get_data(as_text=True)
