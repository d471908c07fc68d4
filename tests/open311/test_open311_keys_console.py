"""Open311 keys in the admin console (issue 17 item 7): an admin issues a key
in the browser's form and sees it once, the client files with it, the list
shows its last use and requests; renaming, a new limit and revoking take
effect at once and are in the audit log with before → after; the API and
``gridcity open311`` call the same service; only admins reach any of it."""

from __future__ import annotations

import re

from sqlalchemy import select

from gridcity.audit.models import AuditEntry
from gridcity.extensions import db
from gridcity.open311.models import ApiKey
from tests.open311.conftest import east
from tests.scorecards.test_browser_drilldown import internal_identifiers, leaks

BASE = "/open311/v2"


def _file(client, key: str):
    return client.post(f"{BASE}/requests.json", data={"api_key": key, "service_code": "E0102", **east()})


def _changes(action: str) -> list[tuple[dict | None, dict | None]]:
    rows = db.session.execute(
        select(AuditEntry.before, AuditEntry.after).where(AuditEntry.action == action).order_by(AuditEntry.id)
    )
    return [tuple(r) for r in rows]


def test_an_admin_issues_renames_limits_and_revokes_a_key_in_the_console(o311_city, client, login):
    login("admin")
    page = client.get("/admin/open311-keys")
    assert page.status_code == 200 and "尚未签发任何密钥" in page.get_data(as_text=True)

    refused = client.post("/admin/open311-keys", data={"client": "  ", "rate": "60"})
    assert refused.status_code == 400 and "请填写客户端名称" in refused.get_data(as_text=True)
    refused = client.post("/admin/open311-keys", data={"client": "随手拍", "rate": "六十"})
    assert refused.status_code == 400 and "每分钟请求上限须为 1 到 100000" in refused.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(ApiKey.id))) == 0  # nothing issued by a refusal

    issued = client.post("/admin/open311-keys", data={"client": "盐田随手拍", "rate": "2"})
    text = issued.get_data(as_text=True)
    assert issued.status_code == 201 and issued.headers["Cache-Control"] == "no-store"
    key = re.search(r'data-testid="new-key">([^<]+)<', text).group(1)
    assert "此密钥只显示这一次" in text
    row = db.session.scalar(select(ApiKey))
    assert key.startswith(row.key_prefix) and key not in client.get("/admin/open311-keys").get_data(
        as_text=True
    )

    # The client files with it; the list shows its last use and the request.
    assert _file(client, key).status_code == 200
    listed = client.get("/admin/open311-keys").get_data(as_text=True)
    assert "从未使用" not in listed and re.search(
        r"<td>盐田随手拍</td>.*?<td>2</td>.*?<td>1</td>", listed, re.S
    )

    # The limit of 2 a minute holds, then a new limit of 5 lets more through.
    assert _file(client, key).status_code == 200
    assert _file(client, key).status_code == 429
    bad = client.post(f"/admin/open311-keys/{row.id}", data={"client": "盐田随手拍", "rate": "0"})
    assert bad.status_code == 400 and "每分钟请求上限" in bad.get_data(as_text=True)
    saved = client.post(f"/admin/open311-keys/{row.id}", data={"client": "盐田区随手拍", "rate": "5"})
    assert saved.status_code == 302
    assert _file(client, key).status_code == 200

    revoked = client.post(f"/admin/open311-keys/{row.id}/revoke")
    assert revoked.status_code == 302
    assert _file(client, key).status_code == 403
    key_page = client.get(f"/admin/open311-keys/{row.id}").get_data(as_text=True)
    assert "已于 2026-11-30 吊销" in key_page and 'data-testid="revoke-key"' not in key_page
    # The key's own history, in words: issued, changed (before → after), revoked.
    assert (
        "签发 Open311 密钥" in key_page
        and "修改 Open311 密钥" in key_page
        and "吊销 Open311 密钥" in key_page
    )
    assert "客户端：盐田随手拍 → 盐田区随手拍" in key_page and "每分钟请求上限：2 → 5" in key_page
    assert "已吊销：否 → 是" in key_page

    assert _changes("open311_key.update") == [
        ({"client": "盐田随手拍", "rate_per_minute": 2}, {"client": "盐田区随手拍", "rate_per_minute": 5})
    ]
    assert _changes("open311_key.revoke") == [({"revoked": False}, {"revoked": True})]
    # A revoked key keeps its limit; revoking again writes nothing.
    again = client.post(f"/admin/open311-keys/{row.id}", data={"client": "盐田区随手拍", "rate": "50"})
    assert again.status_code == 409 and "不能再修改请求上限" in again.get_data(as_text=True)
    client.post(f"/admin/open311-keys/{row.id}/revoke")
    assert len(_changes("open311_key.revoke")) == 1
    assert client.get("/admin/open311-keys/999").status_code == 404

    # What an admin reads on both pages names no internal identifier.
    # (The mini city's admin is a person named "admin": the header and the
    # history name them, which is their name, not the role's code.)
    names = internal_identifiers() - {"admin"}
    for page in (key_page, client.get("/admin/open311-keys").get_data(as_text=True)):
        body = re.sub(r"<(script|style)\b.*?</\1>", " ", page.split("<body", 1)[1], flags=re.S)
        visible = re.sub(r"<[^>]+>", " ", body)
        assert leaks(visible, names) == [], leaks(visible, names)


def test_the_api_and_the_command_line_share_the_service_and_the_audit(o311_city, client, login, runner):
    login("admin")
    issued = client.post("/api/v1/open311-keys", json={"client": "FixMyStreet", "rate_per_minute": 10})
    assert issued.status_code == 201
    body = issued.get_json()
    assert (
        body["key"].startswith(body["key_prefix"]) and body["requests"] == 0 and body["last_used_at"] is None
    )
    assert _file(client, body["key"]).status_code == 200

    listed = client.get("/api/v1/open311-keys").get_json()
    assert [(k["client"], k["requests"]) for k in listed] == [("FixMyStreet", 1)]
    assert listed[0]["last_used_at"] is not None and "key" not in listed[0]

    for change, error in (
        ({"rate_per_minute": 0}, 400),
        ({"rate_per_minute": "ten"}, 400),
        ({"client": ""}, 400),
    ):
        assert client.patch(f"/api/v1/open311-keys/{body['id']}", json=change).status_code == error, change
    assert client.patch("/api/v1/open311-keys/999", json={"client": "x"}).status_code == 404
    changed = client.patch(f"/api/v1/open311-keys/{body['id']}", json={"client": "FixMyStreet 盐田"})
    assert changed.status_code == 200 and changed.get_json()["client"] == "FixMyStreet 盐田"

    result = runner.invoke(args=["open311", "update-key", str(body["id"]), "--rate", "20"])
    assert result.exit_code == 0 and "20 requests a minute" in result.output
    result = runner.invoke(args=["open311", "revoke-key", str(body["id"])])
    assert result.exit_code == 0
    assert client.post(f"/api/v1/open311-keys/{body['id']}/revoke").get_json()["revoked_at"] is not None

    entries = db.session.execute(
        select(AuditEntry.action, AuditEntry.actor_id)
        .where(AuditEntry.action.like("open311_key.%"))
        .order_by(AuditEntry.id)
    ).all()
    admin = db.session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "open311_key.issue"))
    assert admin is not None
    # The console and the API act as the admin; the command line as the system.
    assert entries == [
        ("open311_key.issue", admin),
        ("open311_key.update", admin),
        ("open311_key.update", None),
        ("open311_key.revoke", None),
    ]
    log = client.get("/admin/audit?action=open311_key.update").get_data(as_text=True)
    assert "每分钟请求上限：10 → 20" in log and "FixMyStreet → FixMyStreet 盐田" in log


def test_only_an_admin_reaches_the_keys(o311_city, client, login, create_key):
    create_key("fms")
    key_id = db.session.scalar(select(ApiKey.id))
    calls = [
        ("get", "/admin/open311-keys", None),
        ("post", "/admin/open311-keys", None),
        ("get", f"/admin/open311-keys/{key_id}", None),
        ("post", f"/admin/open311-keys/{key_id}", None),
        ("post", f"/admin/open311-keys/{key_id}/revoke", None),
        ("get", "/api/v1/open311-keys", None),
        ("post", "/api/v1/open311-keys", {"client": "x"}),
        ("patch", f"/api/v1/open311-keys/{key_id}", {"client": "x"}),
        ("post", f"/api/v1/open311-keys/{key_id}/revoke", None),
    ]
    for username in ("insp", "op", "lead", "disp", "hw", "mgr"):
        login(username)
        for method, path, body in calls:
            response = client.open(
                path, method=method.upper(), json=body if path.startswith("/api/") else None
            )
            assert response.status_code == 403, (username, method, path)
    assert db.session.scalar(select(ApiKey.revoked_at)) is None
    assert db.session.scalar(select(db.func.count(ApiKey.id))) == 1
