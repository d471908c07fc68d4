"""Only our own pages may change state with the session cookie (issue #14.1):
a POST without the session's CSRF token, or from another origin, is refused
with a message in the person's language and changes nothing; sign-in itself
cannot be forged; Open311 keeps its API keys and needs no token."""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import func, select

from gridcity.cases.models import Case
from gridcity.extensions import db
from tests.cases.conftest import EAST, post_report
from tests.cases.test_closed_loop import ok
from tests.conftest import DEMO_PASSWORD

ANOTHER_PORT = "http://localhost:8081"  # the attacker's page: same host, another port


def case_count() -> int:
    return db.session.scalar(select(func.count(Case.id)))


def report_body() -> dict:
    return {"category": "E0102", "lon": EAST[0], "lat": EAST[1], "description": "伪造的上报"}


def driven_from_elsewhere(client):
    """The signed-in user's browser as a page elsewhere drives it: the cookie
    goes along, the token (which that page cannot read) does not."""
    client.auto_csrf = False
    client.environ_base.pop("HTTP_X_CSRFTOKEN", None)
    return client


def test_a_signed_in_inspector_files_nothing_without_the_token(city, api, client):
    api("insp2")
    forger = driven_from_elsewhere(client)
    before = case_count()

    as_json = forger.post("/api/v1/reports", json=report_body())
    as_form = forger.post(
        "/api/v1/reports",
        data={"data": json.dumps(report_body())},
        content_type="multipart/form-data",
    )
    wrong = forger.post("/api/v1/reports", json=report_body(), headers={"X-CSRFToken": "made-up"})

    for response in (as_json, as_form, wrong):
        assert response.status_code == 403
        assert response.get_json()["error"] == "csrf_failed"
        assert "未做任何更改" in response.get_json()["message"]  # Chinese unless asked otherwise
    assert case_count() == before


def test_a_signed_in_operator_voids_nothing_without_the_token(city, api, client):
    case = ok(api("insp2").report("E0102", EAST), 201)
    api("op")
    driven_from_elsewhere(client)

    response = client.post(
        f"/api/v1/cases/{case['id']}/void",
        json={"version": case["version"], "reason": "伪造"},
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 403
    assert response.get_json()["message"].startswith("The request did not carry")
    assert db.session.get(Case, case["id"]).state == case["state"]


def test_with_the_token_the_same_requests_go_through(city, api):
    case = ok(api("insp2").report("E0102", EAST), 201)
    voided = ok(api("op").act(case, "void", reason="重复上报"))
    assert voided["state"] == "voided"


def test_a_page_on_another_origin_is_refused_even_with_a_token(city, api, client):
    api("insp2")
    before = case_count()

    response = post_report(client, report_body(), headers={"Origin": ANOTHER_PORT})

    assert response.status_code == 403
    assert response.get_json()["error"] == "cross_origin_refused"
    assert case_count() == before
    # Our own origin (the host the request went to) is fine.
    mine = post_report(client, report_body(), headers={"Origin": "http://localhost"})
    assert mine.status_code == 201, mine.get_json()


def test_configured_origins_are_ours_too(app, city, api, client):
    app.config["SETTINGS"] = dataclasses.replace(
        app.config["SETTINGS"], allowed_origins="https://m.gc.example.cn"
    )
    api("insp2")

    allowed = post_report(client, report_body(), headers={"Origin": "https://m.gc.example.cn"})
    other = post_report(client, report_body(), headers={"Origin": "https://gc.example.com"})

    assert allowed.status_code == 201, allowed.get_json()
    assert other.status_code == 403


def test_sign_in_cannot_be_forged(city, client):
    """Another site's form signing the victim in as the attacker's account."""
    forger = driven_from_elsewhere(client)
    response = forger.post("/api/v1/login", data={"username": "insp2", "password": DEMO_PASSWORD})

    assert response.status_code == 403
    assert forger.get("/api/v1/me").status_code == 401


def test_the_token_lasts_as_long_as_the_session(city, api, client, monkeypatch):
    """A report queued in the phone's outbox goes days later with the same token."""
    api("insp2")
    token = client.environ_base["HTTP_X_CSRFTOKEN"]
    import itsdangerous.timed

    later = itsdangerous.timed.time.time() + 5 * 24 * 3600
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)

    response = post_report(client, report_body(), headers={"X-CSRFToken": token})

    assert response.status_code == 201, response.get_json()


def test_signing_in_gives_a_new_token_and_the_old_one_stops_working(city, client):
    before = client.get("/api/v1/csrf").get_json()["csrf_token"]
    answer = client.post(
        "/api/v1/login",
        json={"username": "insp2", "password": DEMO_PASSWORD},
        headers={"X-CSRFToken": before},
    ).get_json()

    assert answer["csrf_token"] != before
    stale = post_report(client, report_body(), headers={"X-CSRFToken": before})
    assert stale.status_code == 403
    fresh = post_report(client, report_body(), headers={"X-CSRFToken": answer["csrf_token"]})
    assert fresh.status_code == 201


def test_open311_needs_its_key_and_no_token(city, client):
    from gridcity.open311 import attributes, keys

    attributes.load_attributes()
    _, key = keys.issue_key("fixmystreet", None)
    db.session.commit()
    driven_from_elsewhere(client)

    response = client.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "E0102", "lat": str(EAST[1]), "long": str(EAST[0])},
        headers={"Origin": "https://portal.example.org"},
    )

    assert response.status_code == 200, response.get_json()
    assert "Set-Cookie" not in response.headers


def test_after_the_session_expired_the_answer_is_sign_in_again(city, api, client):
    """The phone's outbox sends with the token of a session that has run out:
    what it must do is sign in (the sign-in answer brings a new token)."""
    api("insp2")
    stale = client.environ_base["HTTP_X_CSRFTOKEN"]
    client.delete_cookie("session")

    response = post_report(client, report_body(), headers={"X-CSRFToken": stale})

    assert response.status_code == 401
    assert response.get_json()["error"] == "login_required"


def test_a_form_part_without_a_name_is_a_clear_400(app, client):
    """Found by the fuzz test: a multipart part whose name is a line break
    parsed to a nameless field, and the CSRF check answered 500."""
    body = (
        b'--b\r\nContent-Disposition: form-data; name="\n"\r\n\r\nnull\r\n'
        b'--b\r\nContent-Disposition: form-data; name="data"\r\n\r\n{}\r\n--b--\r\n'
    )
    response = client.post(
        "/api/v1/reports", data=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"] == "bad_request"
