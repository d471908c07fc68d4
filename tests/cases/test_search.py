"""Find any case (issue 15, build item 1): each kind of search finds its
cases and no others, closed and voided included; a unit handler finds only
their unit's; phones are masked; bad input is refused in words."""

from __future__ import annotations

import pytest

from tests.cases.conftest import EAST, WEST, jpeg_bytes, post_report
from tests.cases.test_closed_loop import ok
from tests.conftest import DEMO_PASSWORD

PHONE = "13923456789"


@pytest.fixture
def users(app, city):
    """``users(name)``: a client signed in as that user (signing in once each)."""
    clients: dict[str, object] = {}

    def signed_in(username: str):
        if username not in clients:
            client = app.test_client()
            response = client.post("/api/v1/login", json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.get_json()
            clients[username] = client
        return clients[username]

    return signed_in


def act(users, username, case, action, photos=(), **fields):
    import io
    import json

    data = {"version": case["version"], **fields}
    url = f"/api/v1/cases/{case['id']}/{action}"
    if photos:
        files = [(io.BytesIO(p), f"p{i}.jpg") for i, p in enumerate(photos)]
        return ok(
            users(username).post(
                url, data={"data": json.dumps(data), "photos": files}, content_type="multipart/form-data"
            )
        )
    return ok(users(username).post(url, json=data))


def report(users, username, position, **fields):
    body = {"category": "E0102", "lon": position[0], "lat": position[1], **fields}
    return ok(post_report(users(username), body), 201)


@pytest.fixture
def cases(users):
    """A closed hotline case (phone, address, a handling note), a voided
    report, an open one in the west and one dispatched to the west office."""
    made = {}
    case = report(
        users,
        "op",
        EAST,
        source="hotline",
        reporter_contact=f"王女士 {PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]}",
        description="海山路口垃圾桶满溢，周边有异味",
        address="海山路18号",
    )
    case = act(users, "op", case, "accept")
    case = act(users, "insp2", case, "verify", result="pass", photos=[jpeg_bytes()])
    case = act(users, "lead", case, "file")
    case = act(users, "disp", case, "dispatch")
    case = act(users, "hw", case, "unit_accept")
    case = act(users, "hw", case, "handle", photos=[jpeg_bytes()], note="已清运完毕，桶边冲洗")
    case = act(users, "insp2", case, "check", result="pass", photos=[jpeg_bytes()])
    made["closed"] = act(users, "lead", case, "close")
    made["voided"] = act(
        users, "op", report(users, "insp2", EAST, description="人行道井盖松动"), "void", reason="重复"
    )
    made["open"] = report(users, "insp", WEST, description="沿街晾晒衣物")
    west = act(users, "op", report(users, "insp", WEST, description="西街垃圾桶破损"), "accept")
    made["west"] = act(users, "disp", act(users, "lead", west, "file"), "dispatch")
    assert made["closed"]["state"] == "closed" and made["west"]["unit"]["code"] == "JD01"
    return made


def found(users, username="disp", **params) -> list[str]:
    body = ok(users(username).get("/api/v1/cases/search", query_string=params))
    return sorted(item["number"] for item in body["items"])


def test_each_kind_of_search_finds_its_cases_and_no_others(users, cases):
    closed, voided, open_, west = (cases[k]["number"] for k in ("closed", "voided", "open", "west"))
    # The number, whole or by its last digits (a closed case too).
    assert found(users, q=closed) == [closed]
    assert found(users, q=closed[-4:]) == [closed]
    assert found(users, q=voided[-4:]) == [voided]
    # The caller's phone, however it is written.
    assert found(users, q=PHONE) == [closed]
    assert found(users, q=f"{PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}") == [closed]
    assert found(users, q="13900000000") == []
    # Words of the description, the address and the history notes.
    assert found(users, q="垃圾桶") == sorted([closed, west])
    assert found(users, q="海山路18") == [closed]
    assert found(users, q="清运完毕") == [closed]
    assert found(users, q="井盖") == [voided]
    assert found(users, q="没有这回事") == []
    # Filters, alone and with words: state (closed and voided), place, unit, time.
    assert found(users, state="closed") == [closed]
    assert found(users, state="voided,closed") == sorted([closed, voided])
    assert found(users, q="垃圾桶", state="open") == [west]
    east_street = ok(users("disp").get(f"/api/v1/cases/{cases['closed']['id']}"))["street_id"]
    assert found(users, street=east_street) == sorted([closed, voided])
    assert found(users, unit=cases["west"]["unit"]["id"]) == [west]
    assert found(users, category="E0102", q="晾晒") == [open_]
    grid = ok(users("disp").get(f"/api/v1/cases/{cases['open']['id']}"))["unit_grid_code"]
    assert found(users, unit_grid=grid) == sorted([open_, west])
    assert found(users, **{"from": "2026-11-30", "to": "2026-11-30"}) == sorted([closed, voided, open_, west])
    assert found(users, **{"from": "2026-12-01"}) == []
    assert found(users, to="2026-11-29") == []

    # The result rows: the phone masked (never the number or the caller's
    # name), the place in names.
    response = users("disp").get("/api/v1/cases/search", query_string={"q": PHONE})
    body = ok(response)
    (item,) = body["items"]
    assert item["phone"] == "139****6789"
    assert PHONE[3:7] not in response.get_data(as_text=True)
    assert "王女士" not in response.get_data(as_text=True)
    assert (item["state"], item["street"], item["community"], item["unit"]["code"]) == (
        "closed",
        "东街道",
        "东社区",
        "HW",
    )
    # Eleven digits could end a case number too: both are looked for.
    assert body["total"] == 1 and body["more"] is False and body["kinds"] == ["number", "phone"]


def test_a_unit_handler_finds_only_their_units_cases(users, cases):
    assert found(users, "hw", q="垃圾桶") == [cases["closed"]["number"]]
    assert found(users, "jd", q="垃圾桶") == [cases["west"]["number"]]
    assert found(users, "hw", q=cases["west"]["number"]) == []
    refused = users("insp").get("/api/v1/cases/search", query_string={"q": "垃圾桶"})
    assert refused.status_code == 403 and "监督员" in refused.get_json()["message"]


BAD_INPUT = [
    ({"state": "bogus"}, "没有这种案卷状态：bogus"),
    ({"from": "30/11/2026"}, "不是有效日期"),
    ({"to": "2026-13-01"}, "不是有效日期"),
    ({"from": "2026-12-01", "to": "2026-11-01"}, "起点必须早于终点"),
    ({"q": "1"}, "查询内容太短"),
    ({"q": "12"}, "查询内容太短"),
    ({"q": "长" * 101}, "查询内容太长"),
    ({"unit_grid": "999"}, "没有编码为 999 的单元网格"),
    ({"category": "X9999"}, "没有编码为 X9999 的案件类别"),
    ({"unit": "abc"}, "unit"),
    ({"limit": "many"}, "limit"),
]


def test_bad_input_is_refused_in_words(users):
    for params, words in BAD_INPUT:
        response = users("disp").get(
            "/api/v1/cases/search", query_string=params, headers={"Accept-Language": "zh"}
        )
        assert response.status_code == 400, (params, response.get_json())
        assert words in response.get_json()["message"], params
