"""Acceptance: a round trip through the real server process.

A third-party GeoReport v2 client from PyPI (``georeport``) reads the
services, the definition and the request back in JSON and XML. It cannot
file requests (and the PyPI clients that can — ``open311``, ``three`` — are
Python 2 only), so the POST is the spec's example request sent verbatim
with ``requests``. The case then goes round the loop through the internal
API as the real roles, and the client sees it dispatched, then closed with
``expected_datetime`` and ``agency_responsible`` filled.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest
import requests
from georeport import GeoReport

from gridcity.extensions import db
from gridcity.simulate.client import signed_in_http
from tests.cases.conftest import WEST, jpeg_bytes
from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import SERVE, _free_port, _stop, _wait_until_up


@pytest.fixture
def server(o311_city, database_url, tmp_path):
    """The real server (``gridcity serve``) on this test's database."""
    db.session.remove()  # hold no connection the server's writes would wait for
    port = _free_port()
    env = {
        **os.environ,
        "GRIDCITY_DATABASE_URL": database_url,
        "GRIDCITY_INSTANCE_DIR": str(tmp_path),
        "GRIDCITY_SECRET_KEY": "test-secret",
        "GRIDCITY_HOST": "127.0.0.1",
        "GRIDCITY_PORT": str(port),
        "GRIDCITY_SCHEDULER_MODE": "off",
    }
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(SERVE, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/login", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


class Staff:
    """One signed-in member of staff acting through the internal API."""

    def __init__(self, base: str, username: str) -> None:
        self.base, self.http = base, signed_in_http(base, username, DEMO_PASSWORD)

    def case(self, number: str) -> dict:
        (item,) = self.http.get(f"{self.base}/api/v1/cases", params={"q": number}).json()["items"]
        return self.http.get(f"{self.base}/api/v1/cases/{item['id']}").json()

    def act(self, case: dict, action: str, photo: bool = False, **fields) -> dict:
        data = {"version": case["version"], **fields}
        url = f"{self.base}/api/v1/cases/{case['id']}/{action}"
        if photo:
            files = {"photos": ("p.jpg", io.BytesIO(jpeg_bytes()), "image/jpeg")}
            r = self.http.post(url, data={"data": json.dumps(data)}, files=files)
        else:
            r = self.http.post(url, json=data)
        assert r.status_code == 200, r.text
        return r.json()


def test_an_open311_client_files_and_follows_a_case_to_closed(server, create_key):
    key = create_key("georeport-client")
    db.session.remove()
    endpoint = f"{server}/open311/v2"
    json_client, xml_client = GeoReport(endpoint), GeoReport(endpoint, output_format="xml")

    # Discover: the service and what it asks for.
    cover = next(s for s in json_client.get_service_list() if s["service_code"] == "C0101")
    assert cover["metadata"] is True and cover["type"] == "realtime"
    assert {s["service_code"] for s in xml_client.get_service_list()} >= {"C0101", "E0102"}
    definition = xml_client.get_service_definition("C0101")
    assert definition["attributes"]["attribute"][0]["code"] == "cover_condition"

    # POST /dev/v2/requests.xml exactly as the spec's example (our key, code and place).
    body = (
        f"api_key={key}&jurisdiction_id=city.gov&service_code=C0101&lat={WEST[1]}&long={WEST[0]}"
        "&address_string=1234+5th+street&email=smit333%40sfgov.edu&device_id=tt222111"
        "&account_id=123456&first_name=john&last_name=smith&phone=111111111"
        "&description=A+large+sinkhole+is+destroying+the+street"
        "&media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg"
        "&attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001&attribute[cover_condition]=missing"
    )
    response = requests.post(
        f"{endpoint}/requests.xml",
        data=body.encode("utf-8"),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
    number = root.find("request/service_request_id").text
    assert root.find("request/account_id").text == "123456"
    assert "2 个紧急工时" in root.find("request/service_notice").text

    # Read it back, in both formats.
    filed = json_client.get_service_request(number)
    assert (filed["status"], filed["service_code"], filed["address"]) == ("open", "C0101", "1234 5th street")
    assert filed["description"].startswith("A large sinkhole is destroying the street")
    assert filed["media_url"] == "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg"
    assert filed["expected_datetime"] is None and filed["agency_responsible"] is None
    assert xml_client.get_service_request(number)["service_request_id"] == number

    # Round the closed loop as the real roles.
    case = Staff(server, "op").case(number)
    assert case["source"] == "open311" and case["state"] == "reported"
    case = Staff(server, "op").act(case, "accept")
    assert case["state"] == "verifying"  # a public report: the grid inspector verifies first
    case = Staff(server, "insp").act(case, "verify", photo=True, result="pass")
    case = Staff(server, "lead").act(case, "file")
    case = Staff(server, "disp").act(case, "dispatch")
    dispatched = xml_client.get_service_requests(service_request_id=number)
    assert dispatched["status"] == "open" and dispatched["agency_responsible"] == "市政所"
    assert dispatched["status_notes"].startswith("已派遣至市政所")
    assert dispatched["expected_datetime"] == json_client.get_service_request(number)["expected_datetime"]
    handler = Staff(server, "sz")
    case = handler.act(case, "unit_accept")
    case = handler.act(case, "handle", photo=True, note="已补装井盖")
    case = Staff(server, "insp").act(case, "check", photo=True, result="pass")
    case = Staff(server, "lead").act(case, "close")
    assert case["state"] == "closed"

    closed = json_client.get_service_request(number)
    assert closed["status"] == "closed" and closed["agency_responsible"] == "市政所"
    assert closed["expected_datetime"] and closed["expected_datetime"].endswith("+08:00")
    assert closed["updated_datetime"] >= closed["requested_datetime"]
    assert [r["service_request_id"] for r in json_client.get_service_requests(status="closed")] == [number]

    # The update feed FixMyStreet polls, with this client's key.
    feed = requests.get(f"{endpoint}/servicerequestupdates.xml", params={"api_key": key}, timeout=30)
    updates = ET.fromstring(feed.content)
    assert updates.tag == "service_request_updates"
    assert [u.find("external_status_code").text for u in updates] == [
        "reported",
        "verifying",
        "accepted",
        "filed",
        "dispatched",
        "in_progress",
        "handled",
        "checked",
        "closed",
    ]
    assert updates[-1].find("status").text == "FIXED"  # as FixMyStreet maps it: never a bare closed


def test_without_a_key_the_real_server_refuses_and_files_nothing(server):
    endpoint = f"{server}/open311/v2"
    form = {"service_code": "C0101", "lat": str(WEST[1]), "long": str(WEST[0])}
    response = requests.post(f"{endpoint}/requests.json", data=form, timeout=30)
    assert response.status_code == 403
    assert response.json() == [
        {"code": 403, "description": "缺少 api_key：提交服务请求需要管理员发放的 API 密钥。"}
    ]
    assert GeoReport(endpoint).get_service_requests() == []


def _w3c(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")


def _xml(response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    return ET.fromstring(response.content)


def test_fixmystreet_files_resends_follows_and_updates_without_being_misled(server, create_key):
    """As FixMyStreet's Open311 client does it: POST requests.xml (several
    media_url, its report id as attribute[fixmystreet_id]), a resend after a
    lost answer, the update feed with its key and a window, and the
    citizens' updates POSTed to servicerequestupdates.xml with its comment
    ids; what it would make of our answers is checked as its map_state reads
    them (lower case, "_" as " "; a bare "closed" would mean fixed)."""
    key = create_key("fixmystreet")
    db.session.remove()
    endpoint = f"{server}/open311/v2"
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

    def file(fms_id: int) -> str:
        body = [
            ("api_key", key),
            ("service_code", "E0102"),
            ("lat", str(WEST[1])),
            ("long", str(WEST[0])),
            (
                "description",
                f"title: 垃圾堆\n\ndetail: 路口垃圾 {fms_id}\n\nurl: https://fms.example.cn/report/{fms_id}",
            ),
            ("first_name", "磊"),
            ("last_name", "李"),
            ("email", "li.lei@example.cn"),
            ("media_url", f"https://fms.example.cn/photo/{fms_id}.0.full.jpeg"),
            ("media_url", f"https://fms.example.cn/photo/{fms_id}.1.full.jpeg"),
            ("attribute[fixmystreet_id]", str(fms_id)),
            ("attribute[title]", "垃圾堆"),
        ]
        root = _xml(requests.post(f"{endpoint}/requests.xml", data=body, headers=form, timeout=30))
        return root.find("request/service_request_id").text

    fixed, duplicate, target, not_ours = (file(n) for n in (101, 102, 103, 104))
    assert file(101) == fixed  # the resend is the first request, not a second case
    request = GeoReport(endpoint).get_service_request(fixed)
    assert request["media_url"] == "https://fms.example.cn/photo/101.0.full.jpeg"
    # Its internal attributes stay attributes: the public description is what the citizen wrote.
    assert (
        request["description"]
        == "title: 垃圾堆\n\ndetail: 路口垃圾 101\n\nurl: https://fms.example.cn/report/101"
    )

    op, lead = Staff(server, "op"), Staff(server, "lead")
    op.act(op.case(duplicate), "merge", into=op.case(target)["id"])
    op.act(op.case(not_ours), "void", reason="不属于城管职责，已转交供电局")
    case = op.act(op.case(fixed), "accept")
    case = Staff(server, "insp").act(case, "verify", photo=True, result="pass")
    case = lead.act(case, "file")
    case = Staff(server, "disp").act(case, "dispatch")
    case = Staff(server, "jd").act(case, "unit_accept")
    case = Staff(server, "jd").act(case, "handle", photo=True, note="已清运")
    case = Staff(server, "insp").act(case, "check", photo=True, result="pass")
    lead.act(case, "close")

    # The citizen comments, then says "not fixed"; FixMyStreet posts each (and the first twice).
    def update(comment_id: int, status: str, text: str) -> str:
        body = {
            "api_key": key,
            "service_request_id": fixed,
            "update_id": str(comment_id),
            "status": status,
            "description": text,
            "updated_datetime": _w3c(dt.datetime.now(dt.UTC)),
            "first_name": "磊",
            "last_name": "李",
            "email": "li.lei@example.cn",
            "media_url": f"https://fms.example.cn/c/{comment_id}.jpeg",
        }
        root = _xml(
            requests.post(f"{endpoint}/servicerequestupdates.xml", data=body, headers=form, timeout=30)
        )
        assert root.tag == "service_request_updates"
        return root.find("request_update/update_id").text

    thanks = update(9001, "FIXED", "谢谢，已经清理干净")
    assert update(9001, "FIXED", "谢谢，已经清理干净") == thanks
    not_fixed = update(9002, "REOPEN", "第二天又堆满了")
    history = op.case(fixed)["history"]
    posted = [h for h in history if h["action"].startswith("open311_")]
    assert [h["action"] for h in posted] == ["open311_update", "open311_not_fixed"]
    assert [str(h["seq"]) for h in posted] == [thanks, not_fixed]
    assert "li.lei@example.cn" not in str(history)

    # FixMyStreet polls its feed with its key and a window (W3C dates, "+" encoded).
    feed = _xml(
        requests.get(
            f"{endpoint}/servicerequestupdates.xml",
            params={
                "api_key": key,
                "start_date": _w3c(dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)),
                "end_date": _w3c(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)),
            },
            timeout=30,
        )
    )
    last = {}
    for u in feed:
        last[u.find("service_request_id").text] = u
    mapped = {n: u.find("status").text.lower().replace("_", " ") for n, u in last.items()}
    assert mapped == {
        fixed: "fixed",
        duplicate: "duplicate",
        target: "open",
        not_ours: "not councils responsibility",
    }
    assert last[duplicate].find("description").text == f"与案卷 {target} 为同一问题，已合并办理。"
    assert last[not_ours].find("description").text == "已作废：不属于城管职责，已转交供电局"
    ids = {u.find("update_id").text for u in feed}
    assert thanks not in ids and not_fixed not in ids  # its own updates are not echoed back
    assert all(u.find("media_url").text is None for u in feed)  # nor its photos
    assert "closed" not in {u.find("status").text.lower() for u in feed}
