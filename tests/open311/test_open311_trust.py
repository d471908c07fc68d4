"""Open311 that clients can trust (issue 18, item 6), tried the way
FixMyStreet's client talks: form-encoded POSTs, the XML documents it parses,
its update ids, its ``attribute[fixmystreet_id]`` and the status values it
maps (``perllib/Open311.pm``: ``map_state``, ``post_service_request_update``;
``perllib/Open311/GetServiceRequestUpdates.pm``)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gridcity.cases.models import Case, CaseEvent, CaseTask
from gridcity.extensions import db
from gridcity.open311 import queries
from gridcity.open311.models import Open311Request, Open311Update
from tests.cases.conftest import jpeg_bytes
from tests.cases.test_closed_loop import ok
from tests.open311.conftest import BASE, counts, document, east, errors, west
from tests.open311.test_open311_requests import both, case_json, file

FORMATS = ["json", "xml"]
EN = {"Accept-Language": "en"}
FEED = "service_request_updates"


def feed(client, **params) -> list[dict]:
    return both(client, "servicerequestupdates", root=FEED, **params)


def close_case(api, number: str) -> None:
    """Round the closed loop to 结案 (fixed and checked on site)."""
    case = ok(api("op").act(case_json(api, number), "accept"))
    case = ok(api("insp").act(case, "verify", result="pass", photos=[jpeg_bytes()]))
    case = ok(api("lead").act(case, "file"))
    case = ok(api("disp").act(case, "dispatch"))
    case = ok(api("jd").act(case, "unit_accept"))
    case = ok(api("jd").act(case, "handle", photos=[jpeg_bytes()]))
    case = ok(api("insp").act(case, "check", result="pass", photos=[jpeg_bytes()]))
    ok(api("lead").act(case, "close"))


# ---------------------------------------------------------------- voided and merged are not fixed


def test_the_feed_says_duplicate_not_responsible_no_action_and_fixed_in_words(post, client, api):
    merged, target, not_ours, not_real, fixed = (file(post, where=west) for _ in range(5))
    ok(api("op").act(case_json(api, merged), "merge", into=case_json(api, target)["id"]))
    ok(api("op").act(case_json(api, not_ours), "void", reason="不属于本区管辖，已告知市民向市交通局反映"))
    ok(api("op").act(case_json(api, not_real), "void", reason="现场无此问题"))
    close_case(api, fixed)
    last = {u["service_request_id"]: u for u in feed(client)}
    assert (last[merged]["status"], last[merged]["description"]) == (
        "DUPLICATE",
        f"The same problem as case {target}; followed there.",
    )
    assert last[not_ours]["status"] == "NOT_COUNCILS_RESPONSIBILITY"
    assert last[not_ours]["description"] == "Voided: 不属于本区管辖，已告知市民向市交通局反映"
    assert (last[not_real]["status"], last[not_real]["description"]) == (
        "NO_FURTHER_ACTION",
        "Voided: 现场无此问题",
    )
    assert (last[fixed]["status"], last[fixed]["description"]) == ("FIXED", "Closed.")
    assert last[target]["status"] == "OPEN"
    # A bare "closed" reads as fixed to FixMyStreet: the feed never says it.
    assert all(u["status"] not in ("closed", "CLOSED", "open") for u in feed(client))
    chinese = client.get(f"{BASE}/servicerequestupdates.xml").get_data(as_text=True)
    assert f"与案卷 {target} 为同一问题，已合并办理。" in chinese and "已作废：现场无此问题" in chinese
    # GET requests keeps the spec's open/closed, the state in words.
    (request,) = both(client, f"requests/{merged}")
    assert request["status"] == "closed" and request["status_notes"].startswith("The same problem as case")


def test_a_failed_on_site_verification_is_no_further_action(post, client, api):
    number = file(post, where=west)
    case = ok(api("op").act(case_json(api, number), "accept"))
    ok(api("insp").act(case, "verify", result="fail", note="现场无垃圾", photos=[jpeg_bytes()]))
    *_, last = feed(client)
    assert (last["status"], last["external_status_code"]) == ("NO_FURTHER_ACTION", "voided")


# ---------------------------------------------------------------- POST servicerequestupdates


def fms_update(number: str, update_id: str = "1001", **fields) -> dict:
    """What FixMyStreet posts for a citizen's update (its comment id as update_id)."""
    return {
        "service_request_id": number,
        "update_id": update_id,
        "status": "OPEN",
        "description": "垃圾又堆起来了，比昨天还多",
        "updated_datetime": "2026-11-30T10:05:00+08:00",
        "first_name": "磊",
        "last_name": "李",
        "email": "li.lei@example.cn",
        "phone": "13800000000",
        **fields,
    }


def post_update(client, key: str, fmt: str = "xml", **form):
    return client.post(f"{BASE}/servicerequestupdates.{fmt}", data={"api_key": key, **form}, headers=EN)


def answered_update_id(response, fmt: str) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    (body,) = document(response, fmt, FEED)
    assert list(body) == ["update_id"]
    return str(body["update_id"])


def updates_on(number: str) -> list[CaseEvent]:
    case_id = db.session.scalar(select(Case.id).where(Case.number == number))
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.action.like("open311_%"))
            .order_by(CaseEvent.id)
        )
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_citizens_update_lands_in_the_case_once_even_when_sent_twice(post, client, api, fmt):
    number = file(post, where=west)
    form = fms_update(number, media_url=["https://fms.example.cn/p/1.jpg", "https://fms.example.cn/p/2.jpg"])
    first = answered_update_id(post_update(client, post.key, fmt, **form), fmt)
    again = answered_update_id(post_update(client, post.key, fmt, **form), fmt)
    assert first == again
    (event,) = updates_on(number)
    assert str(event.id) == first
    # The desk reads it in words, with the photos' links, and no contact.
    assert event.note == (
        "市民经 fixmystreet 补充：垃圾又堆起来了，比昨天还多\n"
        "附照片 2 张：https://fms.example.cn/p/1.jpg https://fms.example.cn/p/2.jpg"
    )
    assert event.actor_role == "system" and event.to_state == "reported"
    history = ok(api("op").get(f"/api/v1/cases/{event.case_id}"))
    assert history["history"][-1]["line"]["what"] == "市民经 Open311 补充"
    text = str(history)
    for contact in ("13800000000", "li.lei@example.cn"):
        assert contact not in text and contact not in event.note
    assert "李" not in event.note and "磊" not in event.note
    assert db.session.scalar(select(func.count(Open311Update.id))) == 1


def test_the_clients_own_update_and_photo_are_not_echoed_back(post, client, create_key):
    number = file(
        post, where=west, media_url=["https://fms.example.cn/r/1.jpg", "https://fms.example.cn/r/2.jpg"]
    )
    our_id = answered_update_id(
        post_update(client, post.key, **fms_update(number, media_url="https://fms.example.cn/p/3.jpg")), "xml"
    )
    mine = feed(client, api_key=post.key)
    assert our_id not in {u["update_id"] for u in mine}
    assert [u["media_url"] for u in mine] == [None]  # its own report photo is not sent back
    text = str(mine)
    assert "fms.example.cn" not in text and "比昨天还多" not in text
    # Another reader sees the citizen's words, not the contact nor the photo.
    everyone = feed(client)
    posted = next(u for u in everyone if u["update_id"] == our_id)
    assert posted["description"] == "A citizen's update: 垃圾又堆起来了，比昨天还多"
    assert posted["media_url"] is None and posted["status"] == "OPEN"
    assert "13800000000" not in str(everyone) and "li.lei" not in str(everyone)
    assert everyone[0]["media_url"] == "https://fms.example.cn/r/1.jpg"
    other = create_key("another-client")
    assert feed(client, api_key=other) == []


def test_not_fixed_on_a_closed_case_is_told_to_the_desk_as_such(post, client, api):
    number = file(post, where=west)
    close_case(api, number)
    answered_update_id(
        post_update(client, post.key, **fms_update(number, status="REOPEN", description="井盖还是坏的")),
        "xml",
    )
    (event,) = updates_on(number)
    assert event.action == "open311_not_fixed" and event.to_state == "closed"
    # One door with the citizens' app: a re-verification task (复核) for the grid's inspector.
    task = db.session.scalar(
        select(CaseTask).where(CaseTask.case_id == event.case_id, CaseTask.kind == "recheck")
    )
    assert task is not None and task.completed_at is None and event.data["task_id"] == task.id
    assert event.note == "市民经 fixmystreet 反映问题仍未解决：井盖还是坏的"
    last = ok(api("op").get(f"/api/v1/cases/{event.case_id}"))["history"][-1]["line"]
    assert (last["what"], last["why"]) == ("市民经 Open311 反映未解决", event.note)
    everyone = feed(client)
    assert everyone[-1]["description"] == "A citizen says it is not fixed: 井盖还是坏的"
    # Still fixed on our side until an inspector re-verifies (not a bare reopen).
    assert everyone[-1]["status"] == "FIXED"


def test_an_update_to_a_merged_request_lands_where_the_problem_is_followed(post, client, api):
    merged, target = file(post, where=west), file(post, where=west)
    ok(api("op").act(case_json(api, merged), "merge", into=case_json(api, target)["id"]))
    answered_update_id(post_update(client, post.key, **fms_update(merged)), "xml")
    assert updates_on(merged) == []
    (event,) = updates_on(target)
    assert event.note.startswith(f"市民经 fixmystreet 补充（原报 {merged}，已并入本案）：")


UPDATE_REFUSALS = [
    ({"api_key": ""}, 403, "No api_key"),
    ({"api_key": "o311_wrong"}, 403, "Invalid api_key received."),
    ({"service_request_id": "20991231000001"}, 404, "No service request has the id 20991231000001."),
    ({"service_request_id": ""}, 400, "service_request_id was not provided."),
    ({"update_id": ""}, 400, "update_id was not provided."),
    ({"update_id": "9" * 101}, 400, "update_id is limited to 100 characters."),
    ({"status": "MAYBE"}, 400, "status 'MAYBE' is not valid; expected one of OPEN, CLOSED, FIXED"),
    ({"description": "", "media_url": None}, 400, "An update needs a description or a media_url."),
    ({"media_url": "file:///etc/passwd"}, 400, "media_url must be an http or https URL"),
    ({"updated_datetime": "yesterday"}, 400, "updated_datetime must be an ISO 8601 date-time"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("fields", "status", "text"), UPDATE_REFUSALS, ids=[str(r[0])[:30] for r in UPDATE_REFUSALS]
)
def test_update_refusals_are_open311_errors_and_add_nothing(post, client, fmt, fields, status, text):
    number = file(post)
    form = {k: v for k, v in {"api_key": post.key, **fms_update(number), **fields}.items() if v is not None}
    response = client.post(f"{BASE}/servicerequestupdates.{fmt}", data=form, headers=EN)
    (description,) = errors(response, fmt, status)
    assert description.startswith(text), description
    assert updates_on(number) == [] and db.session.scalar(select(func.count(Open311Update.id))) == 0


def test_an_update_id_sent_again_for_another_request_is_refused(post, client):
    first, second = file(post), file(post)
    answered_update_id(post_update(client, post.key, **fms_update(first)), "xml")
    (text,) = errors(post_update(client, post.key, "json", **fms_update(second)), "json", 400)
    assert text == f"update_id 1001 was already sent for service request {first}."
    assert updates_on(second) == []


def test_a_client_updates_only_the_requests_it_filed(post, client, create_key, api):
    number = file(post)
    other = create_key("another-client")
    (text,) = errors(post_update(client, other, **fms_update(number)), "xml", 403)
    assert (
        text
        == f"Service request {number} was not filed with this api_key; only its own requests take its updates."
    )
    inspectors = ok(api("insp2").report("E0102", (114.2495, 22.5785), description="巡查发现"), 201)
    errors(post_update(client, post.key, "json", **fms_update(inspectors["number"])), "json", 403)
    assert updates_on(number) == [] and updates_on(inspectors["number"]) == []


def test_the_same_update_id_from_two_clients_is_two_updates(post, client, create_key):
    key_a, key_b = post.key, create_key("another-client")
    number_a = file(post)
    number_b = client.post(
        f"{BASE}/requests.json", data={"api_key": key_b, "service_code": "E0102", **east()}
    ).get_json()[0]["service_request_id"]
    a = answered_update_id(post_update(client, key_a, **fms_update(number_a)), "xml")
    b = answered_update_id(post_update(client, key_b, **fms_update(number_b)), "xml")
    assert a != b and len(updates_on(number_a)) == len(updates_on(number_b)) == 1


# ---------------------------------------------------------------- POST requests as FixMyStreet sends them


def test_several_media_urls_are_kept_and_the_first_is_the_requests(post, client):
    urls = [
        "https://fms.example.cn/r/1.jpg",
        "https://fms.example.cn/r/2.jpg",
        "https://fms.example.cn/r/3.jpg",
    ]
    number = file(post, media_url=urls)
    row = db.session.scalar(select(Open311Request))
    assert (row.media_url, row.media_urls) == (urls[0], urls)
    (request,) = both(client, f"requests/{number}")
    assert request["media_url"] == urls[0]


def test_a_resent_request_with_the_same_fixmystreet_id_is_the_first(post, create_key, client):
    form = {"attribute[fixmystreet_id]": "4711", "attribute[title]": "垃圾", "description": "路边垃圾"}
    first = file(post, **form)
    assert file(post, **form) == first
    assert file(post, **{**form, "description": "路边垃圾（重发）"}) == first
    assert counts() == (1, 1)
    # Another client's report 4711 is another report.
    other = create_key("another-fms")
    response = client.post(
        f"{BASE}/requests.json", data={"api_key": other, "service_code": "E0102", **east(), **form}
    )
    assert response.status_code == 200 and response.get_json()[0]["service_request_id"] != first
    assert file(post, **{**form, "attribute[fixmystreet_id]": "4712"}) != first
    assert counts() == (3, 3)


def test_client_attributes_stay_attributes_and_long_descriptions_are_cut_with_a_note(post, client):
    text = "井" * 5000
    number = file(
        post,
        description=text,
        **{
            "attribute[fixmystreet_id]": "9",
            "attribute[easting]": "530000",
            "attribute[report_url]": "https://fms/9",
        },
    )
    row = db.session.scalar(select(Open311Request))
    assert row.attributes == {"fixmystreet_id": "9", "easting": "530000", "report_url": "https://fms/9"}
    (request,) = both(client, f"requests/{number}")
    assert len(request["description"]) == 4000
    assert request["description"].endswith("……（原文 5000 字，超出 4000 字的部分已截去）")
    assert "530000" not in request["description"] and "fixmystreet_id" not in request["description"]


# ---------------------------------------------------------------- reading: paging, ids, dates, CORS, OPTIONS


def test_requests_come_in_pages(post, client):
    numbers = [file(post) for _ in range(5)]
    newest_first = numbers[::-1]
    ids = lambda doc: [r["service_request_id"] for r in doc]  # noqa: E731
    assert ids(both(client, "requests", page_size="2")) == newest_first[:2]
    assert ids(both(client, "requests", page_size="2", page="2")) == newest_first[2:4]
    assert ids(both(client, "requests", page_size="2", page="3")) == newest_first[4:]
    assert both(client, "requests", page_size="2", page="4") == []
    updates = feed(client, start_date="2026-11-30T00:00:00+08:00", page_size="3")
    assert [u["service_request_id"] for u in updates] == numbers[:3]


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"page": "0"}, "page must be a whole number from 1 to 1000000; got '0'."),
        ({"page_size": "1001"}, "page_size must be a whole number from 1 to 1000; got '1001'."),
        ({"page_size": "ten"}, "page_size must be a whole number"),
        (
            {"service_request_id": ",".join(str(20261130000000 + i) for i in range(201))},
            "At most 200 service_request_id values per request (got 201); ask in several requests.",
        ),
    ],
)
def test_bad_pages_and_too_many_ids_are_400(o311_city, client, params, text):
    (description,) = errors(client.get(f"{BASE}/requests.xml", query_string=params, headers=EN), "xml", 400)
    assert description.startswith(text)


def test_200_ids_are_answered(post, client):
    number = file(post)
    ids = [str(20261130000100 + i) for i in range(199)] + [number]
    assert [r["service_request_id"] for r in both(client, "requests", service_request_id=",".join(ids))] == [
        number
    ]


def test_an_unencoded_plus_in_a_date_is_the_offset(post, client):
    number = file(post)
    # A client writing "+08:00" into the URL unencoded: the server reads " 08:00".
    response = client.get(
        f"{BASE}/requests.json?start_date=2026-11-30T09:59:00+08:00&end_date=2026-11-30T10:01:00+08:00"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [r["service_request_id"] for r in response.get_json()] == [number]
    late = client.get(f"{BASE}/servicerequestupdates.xml?start_date=2026-11-30T10:00:01+08:00")
    assert document(late, "xml", FEED) == []
    assert queries.parse_time("x", "2026-11-30T10:00:00 08:00").isoformat() == "2026-11-30T10:00:00+08:00"


def test_answers_allow_browser_clients_of_any_origin(post, client):
    origin = {"Origin": "https://citizen-app.example.org"}
    assert client.get(f"{BASE}/services.json", headers=origin).headers["Access-Control-Allow-Origin"] == "*"
    refused = client.get(f"{BASE}/requests/nope.json", headers=origin)
    assert refused.status_code == 404 and refused.headers["Access-Control-Allow-Origin"] == "*"
    filed = client.post(
        f"{BASE}/requests.json", data={"api_key": post.key, "service_code": "E0102", **east()}, headers=origin
    )
    assert filed.status_code == 200 and filed.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("services.json", "GET, HEAD, OPTIONS"),
        ("services/E0102.xml", "GET, HEAD, OPTIONS"),
        ("requests.json", "GET, POST, HEAD, OPTIONS"),
        ("requests/20261130000001.json", "GET, HEAD, OPTIONS"),
        ("servicerequestupdates.xml", "GET, POST, HEAD, OPTIONS"),
        ("discovery.json", "GET, HEAD, OPTIONS"),
    ],
)
def test_options_lists_only_what_answers(o311_city, client, path, allowed):
    response = client.options(
        f"{BASE}/{path}",
        headers={"Origin": "https://citizen-app.example.org", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["Allow"] == allowed == response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "PUT" not in response.headers["Allow"] and "DELETE" not in response.headers["Allow"]


def test_options_on_nothing_is_404(o311_city, client):
    errors(client.options(f"{BASE}/nothing.json", headers=EN), "json", 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_code_is_404_as_the_spec_says(post, fmt):
    (text,) = errors(post(fmt, service_code="Z9999", **east()), fmt, 404)
    assert text == "Unknown service_code Z9999 (see GET services for the codes)."
    assert counts() == (0, 0)


def test_discovery_names_the_https_address_behind_a_proxy(o311_city, client):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "gridcity.example.cn"}
    (endpoint,) = client.get(f"{BASE}/discovery.json", headers=headers).get_json()["endpoints"]
    assert endpoint["url"] == "https://gridcity.example.cn/open311/v2"
    (direct,) = client.get(f"{BASE}/discovery.json").get_json()["endpoints"]
    assert direct["url"] == "http://localhost/open311/v2"
