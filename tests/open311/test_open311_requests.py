"""Conformance: GET requests, GET requests/{id}, GET tokens/{token} and the
update feed, in both formats; our states as open/closed with notes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridcity.cases.models import Case
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.open311 import queries
from gridcity.open311.models import Open311Request
from tests.cases.conftest import MONDAY_10AM, jpeg_bytes
from tests.cases.test_closed_loop import ok
from tests.open311.conftest import (
    BASE,
    REQUEST_FIELDS,
    UPDATE_FIELDS,
    W3C,
    as_text,
    document,
    east,
    errors,
    west,
)

FORMATS = ["json", "xml"]
EN = {"Accept-Language": "en"}


def file(post, code="E0102", where=east, **fields) -> str:
    response = post(service_code=code, **where(), **fields)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()[0]["service_request_id"]


def both(client, path: str, root: str = "service_requests", **params):
    """The document in both formats (English), after checking they agree."""
    docs = [
        document(client.get(f"{BASE}/{path}.{fmt}", query_string=params, headers=EN), fmt, root)
        for fmt in FORMATS
    ]
    assert as_text(docs[0]) == docs[1]
    return docs[0]


def case_json(api, number: str) -> dict:
    case_id = db.session.scalar(select(Case.id).where(Case.number == number))
    return ok(api("op").get(f"/api/v1/cases/{case_id}"))


def test_a_new_request_reads_back_with_every_field(post, client):
    number = file(post, description="垃圾", media_url="http://img.example.cn/a.jpg")
    (request,) = both(client, f"requests/{number}")
    assert list(request) == REQUEST_FIELDS
    case = db.session.scalar(select(Case))
    assert request["service_request_id"] == number and request["status"] == "open"
    assert request["status_notes"] == "Received; waiting to be accepted."
    assert (request["service_code"], request["service_name"]) == ("E0102", "Exposed garbage")
    assert request["description"] == "垃圾" and request["media_url"] == "http://img.example.cn/a.jpg"
    assert request["service_notice"].startswith("Received. A grid inspector verifies it on site")
    assert request["agency_responsible"] is None and request["expected_datetime"] is None
    assert request["requested_datetime"] == "2026-11-30T10:00:00+08:00" == request["updated_datetime"]
    assert (request["lat"], request["long"]) == (case.lat, case.lon)
    assert request["address_id"].startswith("440308002001")  # the unit grid code
    assert request["address"] == f"unit grid {request['address_id']}, 东社区, 东街道, 盐田区"
    assert request["zipcode"] is None


def test_dispatched_request_shows_unit_and_deadline_then_closed(post, client, api):
    number = file(post, where=west)
    case = ok(api("op").act(case_json(api, number), "accept"))
    case = ok(api("insp").act(case, "verify", result="pass", photos=[jpeg_bytes()]))
    case = ok(api("lead").act(case, "file"))
    clock.freeze(MONDAY_10AM + dt.timedelta(minutes=30))
    case = ok(api("disp").act(case, "dispatch"))
    (request,) = both(client, f"requests/{number}")
    assert request["status"] == "open" and request["agency_responsible"] == "西街道办"
    # E0102: 4 working hours from 10:30 Monday → 16:30 the same day.
    assert request["expected_datetime"] == "2026-11-30T16:30:00+08:00"
    assert request["status_notes"] == "Dispatched to 西街道办; due by 2026-11-30 16:30."
    assert request["updated_datetime"] == "2026-11-30T10:30:00+08:00"
    case = ok(api("jd").act(case, "unit_accept"))
    case = ok(api("jd").act(case, "handle", photos=[jpeg_bytes()]))
    case = ok(api("insp").act(case, "check", result="pass", photos=[jpeg_bytes()]))
    clock.freeze(MONDAY_10AM + dt.timedelta(hours=3))
    ok(api("lead").act(case, "close"))
    (request,) = both(client, f"requests/{number}")
    assert request["status"] == "closed" and request["status_notes"] == "Fixed, checked on site and closed."
    assert request["updated_datetime"] == "2026-11-30T13:00:00+08:00"
    assert request["expected_datetime"] == "2026-11-30T16:30:00+08:00"
    assert request["agency_responsible"] == "西街道办"


def test_voided_and_merged_requests_are_closed_with_the_reason(post, client, api):
    first, second, third = file(post), file(post), file(post)
    ok(api("op").act(case_json(api, first), "void", reason="重复举报，现场无垃圾"))
    target = case_json(api, third)
    ok(api("op").act(case_json(api, second), "merge", into=target["id"]))
    voided, merged, open_one = (both(client, f"requests/{n}")[0] for n in (first, second, third))
    assert (voided["status"], voided["status_notes"]) == ("closed", "Voided: 重复举报，现场无垃圾")
    assert merged["status"] == "closed"
    assert merged["status_notes"] == f"The same problem as case {third}; followed there."
    assert open_one["status"] == "open"
    chinese = client.get(f"{BASE}/requests/{first}.json").get_json()[0]
    assert chinese["status_notes"] == "已作废：重复举报，现场无垃圾"


def test_request_list_filters(post, client, api):
    garbage = file(post)
    cover = file(post, code="C0101", **{"attribute[cover_condition]": "broken"})
    ok(api("op").act(case_json(api, garbage), "void", reason="不属实"))
    numbers = lambda doc: {r["service_request_id"] for r in doc}  # noqa: E731
    assert numbers(both(client, "requests")) == {garbage, cover}
    assert numbers(both(client, "requests", status="closed")) == {garbage}
    assert numbers(both(client, "requests", status="open")) == {cover}
    assert numbers(both(client, "requests", status="open,closed")) == {garbage, cover}
    assert numbers(both(client, "requests", service_code="C0101,E0401")) == {cover}
    assert numbers(both(client, "requests", service_request_id=f"{garbage},nope")) == {garbage}
    # service_request_id overrides the other filters.
    assert numbers(both(client, "requests", service_request_id=cover, status="closed")) == {cover}
    window = {"start_date": "2026-11-30T01:00:00Z", "end_date": "2026-11-30T10:00:00+08:00"}
    assert numbers(both(client, "requests", **window)) == {garbage, cover}
    assert both(client, "requests", start_date="2026-11-30T02:00:01Z") == []
    assert both(client, "requests", end_date="2026-11-29T23:59:59+08:00") == []


def test_default_window_is_the_last_90_days_and_at_most_1000(post, client, monkeypatch):
    old = file(post)
    clock.freeze(MONDAY_10AM + dt.timedelta(days=91))
    newer = [file(post) for _ in range(3)]
    assert [r["service_request_id"] for r in both(client, "requests")] == newer[::-1]  # newest first
    assert {r["service_request_id"] for r in both(client, "requests", start_date="2026-11-01T00:00:00Z")} == {
        old
    }
    monkeypatch.setattr(queries, "MAX_RESULTS", 2)
    assert [r["service_request_id"] for r in both(client, "requests")] == newer[:0:-1]


BAD_QUERIES = [
    ({"status": "pending"}, "status must be open or closed (comma-separated); got 'pending'."),
    ({"start_date": "30/11/2026"}, "start_date must be an ISO 8601 date-time such as 2026-11-30T00:00:00Z"),
    ({"end_date": "yesterday"}, "end_date must be an ISO 8601 date-time"),
    (
        {"start_date": "2026-11-30T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"},
        "start_date is after end_date.",
    ),
    (
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"},
        "start_date and end_date may not span more than 90 days.",
    ),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("params", "description"), BAD_QUERIES, ids=[str(p) for p, _ in BAD_QUERIES])
def test_bad_request_queries_are_400(o311_city, client, fmt, params, description):
    response = client.get(f"{BASE}/requests.{fmt}", query_string=params, headers=EN)
    (text,) = errors(response, fmt, 400)
    assert text.startswith(description), text


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_is_404(o311_city, client, fmt):
    response = client.get(f"{BASE}/requests/20991231000001.{fmt}", headers=EN)
    assert errors(response, fmt, 404) == ["No service request has the id 20991231000001."]


def test_cases_from_other_channels_are_requests_too(post, client, api):
    inspector = ok(api("insp2").report("E0102", (114.2495, 22.5785), description="巡查发现"), 201)
    (request,) = both(client, f"requests/{inspector['number']}")
    assert request["description"] == "巡查发现" and request["service_notice"] is None
    assert request["media_url"] is None


# ---------------------------------------------------------------- tokens


def test_a_token_resolves_to_its_request_at_once(post, client):
    number = file(post)
    token = db.session.scalar(select(Open311Request.token))
    (answer,) = both(client, f"tokens/{token}")
    assert answer == {"service_request_id": number, "token": token}


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_token_is_404(o311_city, client, fmt):
    response = client.get(f"{BASE}/tokens/nope.{fmt}", headers=EN)
    assert errors(response, fmt, 404) == ["No request has the token nope."]


# ---------------------------------------------------------------- the update feed


def test_updates_follow_the_case_history(post, client, api, create_key):
    number = file(post, where=west, media_url="https://img.example.cn/b.jpg")
    case = ok(api("op").act(case_json(api, number), "accept"))
    case = ok(api("insp").act(case, "verify", result="pass", photos=[jpeg_bytes()]))
    case = ok(api("lead").act(case, "file"))
    ok(api("disp").act(case, "dispatch"))
    updates = both(client, "servicerequestupdates", root="service_request_updates")
    assert all(list(u) == UPDATE_FIELDS for u in updates)
    assert [u["external_status_code"] for u in updates] == [
        "reported",
        "verifying",
        "accepted",
        "filed",
        "dispatched",
    ]
    assert {u["service_request_id"] for u in updates} == {number}
    # The statuses as FixMyStreet's client maps them (never a bare open/closed).
    assert [u["status"] for u in updates] == [
        "OPEN",
        "INVESTIGATING",
        "INVESTIGATING",
        "INVESTIGATING",
        "ACTION_SCHEDULED",
    ]
    ids = [int(u["update_id"]) for u in updates]
    assert ids == sorted(ids)
    assert [u["description"] for u in updates] == [
        "Report received.",
        "Accepted; a grid inspector will verify it on site.",
        "Confirmed on site.",
        "Filed.",
        "Dispatched to 西街道办; due by 2026-11-30 16:00.",
    ]
    assert [u["media_url"] for u in updates] == ["https://img.example.cn/b.jpg", None, None, None, None]
    assert all(W3C.match(u["updated_datetime"]) for u in updates)
    # FixMyStreet asks with its key and a window: only its own requests' updates.
    other = create_key("another-client")
    mine = both(client, "servicerequestupdates", root="service_request_updates", api_key=post.key)
    assert len(mine) == 5
    assert both(client, "servicerequestupdates", root="service_request_updates", api_key=other) == []
    later = both(
        client,
        "servicerequestupdates",
        root="service_request_updates",
        start_date="2026-11-30T10:00:00+08:00",
        end_date="2026-11-30T11:00:00+08:00",
    )
    assert len(later) == 5
    assert (
        both(client, "servicerequestupdates", root="service_request_updates", start_date="2026-12-01") == []
    )


def test_a_void_update_is_closed_with_its_reason(post, client, api):
    number = file(post)
    ok(api("op").act(case_json(api, number), "void", reason="不在本市管辖范围"))
    *_, last = both(client, "servicerequestupdates", root="service_request_updates")
    assert (last["status"], last["description"]) == (
        "NOT_COUNCILS_RESPONSIBILITY",
        "Voided: 不在本市管辖范围",
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_updates_with_a_bad_key_are_403(o311_city, client, fmt):
    response = client.get(
        f"{BASE}/servicerequestupdates.{fmt}", query_string={"api_key": "wrong"}, headers=EN
    )
    assert errors(response, fmt, 403) == ["Invalid api_key received."]
