"""Request ids, one access line per request, and no personal data or secret in
any log line of the whole closed loop."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from flask import request

from gridcity.extensions import db
from gridcity.open311 import attributes, keys
from gridcity.ops.request_log import JsonFormatter, redact
from tests.cases.conftest import EAST, WEST, jpeg_bytes
from tests.cases.test_closed_loop import ok
from tests.conftest import DEMO_PASSWORD


@pytest.fixture
def json_lines():
    """Every log record of every logger, as the JSON lines the processes write."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    lines.text = buffer.getvalue
    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "gridcity.access"]


def test_every_answer_carries_a_request_id_also_in_its_error_body(client):
    first = client.get("/api/v1/me")
    second = client.get("/api/v1/me")
    assert first.status_code == 401
    rid = first.headers["X-Request-ID"]
    assert first.get_json()["request_id"] == rid and second.headers["X-Request-ID"] != rid
    # The proxy's id is kept when it is well formed, replaced when it is not.
    given = client.get("/api/v1/me", headers={"X-Request-ID": "5f0c2a9e8d7b4c1a"})
    assert given.headers["X-Request-ID"] == "5f0c2a9e8d7b4c1a" == given.get_json()["request_id"]
    for bad in ("short", "has spaces in it", "x" * 200, "<script>alert(1)</script>"):
        answer = client.get("/api/v1/me", headers={"X-Request-ID": bad})
        assert answer.headers["X-Request-ID"] != bad and answer.get_json()["request_id"] != bad
    assert client.get("/api/v1/no-such-thing").get_json()["request_id"]
    assert client.get("/login").headers["X-Request-ID"]  # pages too


def test_the_error_page_shows_the_request_id(city, api, client):
    api("insp")
    page = client.get("/scorecards/", headers={"X-Request-ID": "page-error-0001"})
    assert page.status_code == 403
    assert 'data-testid="request-id">page-error-0001<' in page.get_data(as_text=True)
    assert "请求编号" in page.get_data(as_text=True)


def test_one_access_line_per_request_without_query_values_or_names(city, api, client, json_lines):
    me = ok(api("disp").get("/api/v1/me"))
    client.get(
        "/api/v1/cases?reporter_contact=13912345678&state=reported", headers={"X-Request-ID": "list-0001"}
    )
    client.get("/api/v1/cases/999999", headers={"X-Request-ID": "missing-0001"})
    lines = access_lines(json_lines())
    listed = [line for line in lines if line["request_id"] == "list-0001"]
    missing = [line for line in lines if line["request_id"] == "missing-0001"]
    assert len(listed) == 1 and len(missing) == 1
    line = listed[0]
    assert line["method"] == "GET" and line["path"] == "/api/v1/cases" and line["status"] == 200
    assert line["endpoint"].startswith("cases.") and line["duration_ms"] >= 0
    assert line["query"] == ["reporter_contact", "state"]
    assert line["user_id"] == me["id"] and line["remote_addr"] == "127.0.0.1"
    assert missing[0]["status"] == 404
    assert "13912345678" not in json_lines.text()
    assert all(line["user_id"] in (None, me["id"]) for line in lines)  # the id, never the name
    # One line per request: the test client's CSRF token fetch, the login and the three GETs.
    assert [line["path"] for line in lines] == [
        "/api/v1/csrf",
        "/api/v1/login",
        "/api/v1/me",
        "/api/v1/cases",
        "/api/v1/cases/999999",
    ]


def test_the_processes_write_json_lines_when_configured(tmp_path):
    script = (
        "from gridcity.wsgi import app\n"
        "app.test_client().get('/api/v1/me?phone=13912345678', headers={'X-Request-ID': 'json-line-0001'})\n"
    )
    env = {
        **os.environ,
        "GRIDCITY_INSTANCE_DIR": str(tmp_path),
        "GRIDCITY_SECRET_KEY": "test",
        "GRIDCITY_LOG_FORMAT": "json",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    (access,) = [line for line in lines if line["logger"] == "gridcity.access"]
    assert access["request_id"] == "json-line-0001" and access["status"] == 401
    assert access["path"] == "/api/v1/me" and access["query"] == ["phone"]
    assert "13912345678" not in result.stderr


@pytest.mark.parametrize(
    "text,secret",
    [
        ("reporter 13912345678 called", "13912345678"),
        ("tel +86 139 1234 5678", "1234 5678"),
        ("tel 139-1234-5678.", "1234-5678"),
        ('{"password": "hunter2-long"}', "hunter2-long"),
        ("username=op&password=hunter2-long&remember=1", "hunter2-long"),
        ("Cookie: lang=zh; session=.eJwlzj0OwjAM.aB3dEw.Q2l5cGhlcnRleHQ", "eJwlzj0OwjAM"),
        ("Authorization: Bearer scrape-me-7f3a", "scrape-me-7f3a"),
        ("api_key=o311_AbCdEfGhIjKlMnOpQrStUvWx", "o311_AbCd"),
        ("key o311_AbCdEfGhIjKlMnOpQrStUvWx given", "o311_AbCd"),
    ],
)
def test_redaction_removes_phones_passwords_cookies_and_keys(text, secret):
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "unit grid 440308002001003",  # 15 digits
        "case 20261130000001",  # case number
        "request a13912345678f0",  # part of an id
        "took 12.5ms",
    ],
)
def test_redaction_leaves_codes_and_numbers_that_are_not_phones(text):
    assert redact(text) == text


@pytest.fixture
def careless():
    """A library logger of its own (not propagating, its own handler) that
    logs every request whole: headers (the session cookie), JSON bodies
    (passwords) and forms (phones, API keys)."""
    logger = logging.getLogger("careless.library")
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.text = handler.stream.getvalue
    yield logger
    logger.removeHandler(handler)
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


def test_the_closed_loop_logs_no_phone_password_cookie_or_api_key(
    app, city, api, client, json_lines, caplog, careless
):
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy", "werkzeug", "socketio", "engineio"):
        caplog.set_level(logging.DEBUG, logger=name)

    @app.before_request
    def log_everything():
        careless.debug(
            "%s %s headers=%s json=%s form=%s",
            request.method,
            request.full_path,
            dict(request.headers),
            request.get_json(silent=True),
            request.form.to_dict(),
        )

    attributes.load_attributes()
    _, api_key = keys.issue_key("城市随手拍")
    db.session.commit()
    hotline_phone, open311_phone, wrong_password = "13912345678", "13787654321", "Wr0ng-Secret-Pass"
    cookies: set[str] = set()

    def note_cookie():
        cookie = client.get_cookie("session")
        if cookie is not None:
            cookies.add(cookie.value)

    refused = client.post("/api/v1/login", json={"username": "op", "password": wrong_password})
    assert refused.status_code in (401, 403)
    operator = api("op")
    note_cookie()
    case = ok(operator.report("E0102", WEST, source="hotline", reporter_contact=hotline_phone), 201)
    filed = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": api_key,
            "service_code": "E0102",
            "lat": str(EAST[1]),
            "long": str(EAST[0]),
            "phone": open311_phone,
            "first_name": "张",
            "description": f"路边有垃圾，请回电 {open311_phone}",
        },
    )
    assert filed.status_code == 200, filed.get_data(as_text=True)
    assert client.get(f"/open311/v2/servicerequestupdates.json?api_key={api_key}").status_code == 200

    case = ok(api("op").act(case, "accept"))
    note_cookie()
    case = ok(api("insp").act(case, "verify", result="pass", photos=[jpeg_bytes()], lon=WEST[0], lat=WEST[1]))
    case = ok(api("lead").act(case, "file"))
    case = ok(api("disp").act(case, "dispatch"))
    case = ok(api("jd").act(case, "unit_accept"))
    note_cookie()
    case = ok(api("jd").act(case, "handle", photos=[jpeg_bytes()], note="已清理"))
    case = ok(api("insp").act(case, "check", result="pass", photos=[jpeg_bytes()]))
    case = ok(api("lead").act(case, "close"))
    assert case["state"] == "closed"
    note_cookie()

    captured = caplog.text + json_lines.text() + careless.text()
    # The capture did see the loop: the careless lines, the SQL, the access lines.
    assert "careless.library" in captured and "/open311/v2/requests.json" in captured
    assert "INSERT INTO case_file" in captured and len(access_lines(json_lines())) >= 12
    secrets = [hotline_phone, open311_phone, wrong_password, DEMO_PASSWORD, api_key, *cookies]
    assert len(cookies) >= 2
    leaked = [secret for secret in secrets if secret in captured]
    assert leaked == []
    assert "[phone]" in captured and "[redacted]" in captured  # they were there, and were replaced
