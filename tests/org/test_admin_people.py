"""The admin console's people (issue 17): the API, the services it shares with
the ``gridcity org`` commands, the import, the password reset and the audit log."""

from __future__ import annotations

import base64
import html
import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from gridcity.audit.models import AuditEntry
from gridcity.extensions import db
from gridcity.org.models import User
from tests.conftest import DEMO_PASSWORD

ADMIN_CALLS = [
    ("get", "/api/v1/users", None),
    ("get", "/api/v1/users/1", None),
    ("patch", "/api/v1/users/1", {"display_name": "x"}),
    ("post", "/api/v1/users/1/deactivate", None),
    ("post", "/api/v1/users/1/reactivate", None),
    ("post", "/api/v1/users/1/reset-password", {"password": "a-new-start-1"}),
    ("post", "/api/v1/users/1/unlock", None),
    ("post", "/api/v1/users/import/preview", {"filename": "a.csv", "content": "eA=="}),
    ("post", "/api/v1/users/import", {"filename": "a.csv", "content": "eA=="}),
    ("get", "/api/v1/audit", None),
]


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


def _sheet(text: str) -> dict:
    return {"filename": "people.csv", "content": base64.b64encode(text.encode()).decode()}


def test_only_an_admin_manages_people(create_mini_city, client, login):
    create_mini_city()
    for username in ("insp", "op", "disp", "hw", "mgr"):
        login(username)
        for method, path, body in ADMIN_CALLS:
            response = getattr(client, method)(path, json=body)
            assert response.status_code == 403, (username, path)
            assert response.get_json()["error"] == "forbidden_role"
    assert db.session.scalar(select(User.active).where(User.id == 1)) is True
    changes = select(AuditEntry.action).where(AuditEntry.action.like("user.%")).distinct()
    assert set(db.session.scalars(changes)) == {"user.create"}  # the city's own users, nothing since


def test_the_pages_forms_need_the_csrf_token(create_mini_city, client, login):
    create_mini_city()
    login("admin")
    client.auto_csrf = False
    client.environ_base.pop("HTTP_X_CSRFTOKEN", None)
    insp = _user("insp").id
    refused = client.post(f"/admin/people/{insp}/deactivate")
    assert refused.status_code == 403
    assert _user("insp").active is True


def test_bad_input_gets_a_clear_4xx(create_mini_city, client, login):
    create_mini_city()
    login("admin")
    insp = _user("insp").id
    cases = [
        (client.patch(f"/api/v1/users/{insp}", json={"role": "wizard"}), 400, "未知的角色"),
        (client.patch(f"/api/v1/users/{insp}", json={"role": "unit_handler"}), 400, "需要选择所属责任单位"),
        (client.patch(f"/api/v1/users/{insp}", json={"work_grid_codes": ["WG99"]}), 404, "WG99"),
        (client.patch(f"/api/v1/users/{insp}", json={"display_name": ""}), 400, "display_name"),
        (client.patch("/api/v1/users/99999", json={"display_name": "x"}), 404, "未找到该人员"),
        (client.post(f"/api/v1/users/{insp}/reset-password", json={"password": "short"}), 400, "至少需要"),
        (client.post(f"/api/v1/users/{_user('admin').id}/deactivate"), 409, "不能停用您自己"),
        (
            client.post("/api/v1/users/import/preview", json={"filename": "a.csv", "content": "!!"}),
            400,
            "base64",
        ),
    ]
    cases.append(
        (
            client.post("/api/v1/users/import/preview", json=_sheet("username,role\nx,inspector\n")),
            400,
            "缺少列：姓名 / name, 初始密码 / password",
        )
    )
    for response, status, words in cases:
        assert response.status_code == status, response.get_json()
        assert words in response.get_json()["message"]
    assert _entries("user.update") == []


def test_edit_deactivate_reactivate_and_unlock_are_audited(create_mini_city, client, login):
    create_mini_city()
    login("admin")
    insp = _user("insp")
    changed = client.patch(
        f"/api/v1/users/{insp.id}",
        json={"display_name": "张监督", "work_grid_codes": ["WG01", "WG02"], "on_duty": False},
    )
    assert changed.status_code == 200, changed.get_json()
    assert [w["code"] for w in changed.get_json()["scope"]["work_grids"]] == ["WG01", "WG02"]
    (update,) = _entries("user.update")
    assert update.before == {"display_name": "insp", "work_grids": ["WG01"], "on_duty": True}
    assert update.after == {"display_name": "张监督", "work_grids": ["WG01", "WG02"], "on_duty": False}
    assert update.actor_id == _user("admin").id and update.actor_address == "127.0.0.1"
    assert "password_hash" not in changed.get_json()

    # A new role takes the unit the role needs and drops the work grids.
    moved = client.patch(
        f"/api/v1/users/{insp.id}", json={"role": "unit_handler", "unit_code": "HW"}
    ).get_json()
    assert moved["unit"]["code"] == "HW" and moved["scope"]["work_grids"] == []

    # A deactivation ends the person's open sessions.
    other = client.application.test_client()
    assert (
        other.post("/api/v1/login", json={"username": "insp", "password": DEMO_PASSWORD}).status_code == 200
    )
    assert other.get("/api/v1/me").status_code == 200
    assert client.post(f"/api/v1/users/{insp.id}/deactivate").get_json()["active"] is False
    assert other.get("/api/v1/me").status_code == 401
    refused = client.post("/api/v1/login", json={"username": "insp", "password": DEMO_PASSWORD})
    assert refused.status_code == 401
    login("admin")
    assert client.post(f"/api/v1/users/{insp.id}/reactivate").get_json()["active"] is True
    (off,), (on,) = _entries("user.deactivate"), _entries("user.reactivate")
    assert (off.before, off.after, on.before, on.after) == (
        {"active": True},
        {"active": False},
        {"active": False},
        {"active": True},
    )
    assert db.session.get(User, insp.id) is not None  # never deleted

    for _ in range(5):
        client.post("/api/v1/login", json={"username": "op", "password": "wrong-wrong"})
    login("admin")
    assert client.get(f"/api/v1/users/{_user('op').id}").get_json()["locked"] is True
    assert client.post(f"/api/v1/users/{_user('op').id}/unlock").get_json()["locked"] is False
    (unlock,) = _entries("user.unlock")
    assert unlock.before == {"locked": True} and unlock.after == {"locked": False}


def test_sign_ins_and_failed_sign_ins_are_audited(create_mini_city, client, login):
    create_mini_city()
    client.post("/api/v1/login", json={"username": "disp", "password": "not-the-one"})
    client.post("/api/v1/login", json={"username": "nobody", "password": "not-the-one"})
    login("disp")
    failed = _entries("sign_in_failed")
    assert [(e.object_label, e.note) for e in failed] == [
        ("disp (disp)", "wrong_password"),
        ("nobody", "unknown_name"),
    ]
    assert all(e.actor_address == "127.0.0.1" and e.actor_id is None for e in failed)
    (ok,) = _entries("sign_in")
    assert ok.actor_id == _user("disp").id
    assert not any("not-the-one" in repr((e.before, e.after, e.note)) for e in failed)


def test_a_reset_password_must_be_changed_before_anything_else(create_mini_city, client, login):
    create_mini_city()
    login("admin")
    disp = _user("disp").id
    assert (
        client.post(f"/api/v1/users/{disp}/reset-password", json={"password": "start-again-1"}).status_code
        == 200
    )
    signed_in = login("disp", "start-again-1")
    assert signed_in["must_change_password"] is True
    blocked = client.get("/api/v1/cases")
    assert blocked.status_code == 403 and blocked.get_json()["error"] == "password_change_required"
    page = client.get("/dispatch/")
    assert page.status_code == 302 and "/account/password" in page.headers["Location"]
    wrong = client.post("/api/v1/me/password", json={"old_password": "nope", "new_password": "mine-own-pass"})
    assert wrong.status_code == 403 and wrong.get_json()["error"] == "wrong_old_password"
    weak = client.post("/api/v1/me/password", json={"old_password": "start-again-1", "new_password": "short"})
    assert weak.status_code == 400
    changed = client.post(
        "/api/v1/me/password", json={"old_password": "start-again-1", "new_password": "mine-own-pass"}
    )
    assert changed.status_code == 200
    client.environ_base["HTTP_X_CSRFTOKEN"] = changed.get_json()["csrf_token"]
    assert client.get("/api/v1/cases").status_code == 200
    reset, own = _entries("user.reset_password")[0], _entries("user.change_password")[0]
    assert reset.after == {"must_change_password": True} and own.actor_id == disp
    assert "start-again-1" not in repr((reset.before, reset.after))


GOOD = "用户名,姓名,角色,责任单位,工作网格,初始密码\nnew1,王一,监督员,,WG02,first-pass-1\nnew2,李二,unit_handler,HW,,first-pass-2\n"
BAD = (
    "username,name,role,unit,work_grids,password\n"
    "new1,王一,inspector,,WG02,first-pass-1\n"
    "new2,李二,unit_handler,,,first-pass-2\n"
    "insp,重名,operator,,,first-pass-3\n"
    "new1,重复,operator,,,first-pass-4\n"
    "new5,弱密码,operator,,,short\n"
)


def test_import_previews_row_errors_saving_nothing_then_saves_all(create_mini_city, client, login):
    create_mini_city()
    login("admin")
    users = db.session.scalar(select(db.func.count(User.id)))
    preview = client.post("/api/v1/users/import/preview", json=_sheet(BAD)).get_json()
    assert preview["ok"] is False
    problems = {r["line"]: r["errors"] for r in preview["rows"]}
    assert problems[2] == []
    assert "需要选择所属责任单位" in problems[3][0]
    assert "insp" in problems[4][0]
    assert "与第 2 行重复" in problems[5][0]
    assert "至少需要" in problems[6][0]
    refused = client.post("/api/v1/users/import", json=_sheet(BAD))
    assert refused.status_code == 422 and "3, 4, 5, 6" in refused.get_json()["message"]
    assert db.session.scalar(select(db.func.count(User.id))) == users

    assert client.post("/api/v1/users/import/preview", json=_sheet(GOOD)).get_json()["ok"] is True
    assert db.session.scalar(select(db.func.count(User.id))) == users
    saved = client.post("/api/v1/users/import", json=_sheet(GOOD))
    assert saved.status_code == 201, saved.get_json()
    assert [p["username"] for p in saved.get_json()["created"]] == ["new1", "new2"]
    assert _user("new2").unit.code == "HW" and _user("new1").must_change_password
    assert len(_entries("user.create")) >= 2 and _entries("user.import")[0].after == {"count": 2}


def test_import_reads_xlsx(create_mini_city, client, login):
    create_mini_city()
    login("admin")
    book = Workbook()
    for row in GOOD.strip().splitlines():
        book.active.append(row.split(","))
    data = io.BytesIO()
    book.save(data)
    body = {"filename": "people.xlsx", "content": base64.b64encode(data.getvalue()).decode()}
    assert client.post("/api/v1/users/import", json=body).status_code == 201
    assert _user("new1").work_grids[0].code == "WG02"


@pytest.mark.parametrize("door", ["cli", "api"])
def test_the_command_line_and_the_api_make_the_same_change(create_mini_city, client, login, runner, door):
    create_mini_city()
    insp = _user("insp")
    if door == "cli":
        result = runner.invoke(
            args=[
                "org",
                "update-user",
                "--username",
                "insp",
                "--name",
                "张监督",
                "--work-grid",
                "WG02",
                "--off-duty",
            ]
        )
        assert result.exit_code == 0, result.output
        deactivated = runner.invoke(args=["org", "deactivate-user", "--username", "insp"])
        assert deactivated.exit_code == 0, deactivated.output
    else:
        login("admin")
        body = {"display_name": "张监督", "work_grid_codes": ["WG02"], "on_duty": False}
        assert client.patch(f"/api/v1/users/{insp.id}", json=body).status_code == 200
        assert client.post(f"/api/v1/users/{insp.id}/deactivate").status_code == 200
    db.session.expire_all()
    user = _user("insp")
    assert (user.display_name, [w.code for w in user.work_grids], user.on_duty, user.active) == (
        "张监督",
        ["WG02"],
        False,
        False,
    )
    (update,) = _entries("user.update")
    assert update.before == {"display_name": "insp", "work_grids": ["WG01"], "on_duty": True}
    assert update.after == {"display_name": "张监督", "work_grids": ["WG02"], "on_duty": False}
    assert _entries("user.deactivate")[0].after == {"active": False}
    expected_actor = None if door == "cli" else _user("admin").id
    assert update.actor_id == expected_actor


def test_audit_page_search_and_export_speak_words(create_mini_city, client, login):
    create_mini_city()
    login("admin")
    client.patch(f"/api/v1/users/{_user('insp').id}", json={"role": "operator"})
    page = client.get("/admin/audit?action=user.update")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        "修改人员信息" in text and "监督员 → 受理员" in text and "user.update" not in text.split("<select")[0]
    )
    (api,) = client.get("/api/v1/audit?action=user.update").get_json()
    assert api["action_name"] == "修改人员信息" and api["actor"] == "admin"
    # A new role drops what it cannot have: the inspector's work grids go with it.
    assert api["before"] == {"role": "inspector", "work_grids": ["WG01"]}
    assert api["changes"] == [
        {"field": "角色", "before": "监督员", "after": "受理员"},
        {"field": "工作网格", "before": "WG01", "after": "—"},
    ]
    english = client.get("/api/v1/audit?action=user", headers={"Accept-Language": "en"}).get_json()
    assert english[0]["changes"][0] == {"field": "Role", "before": "Inspector", "after": "Operator"}
    assert client.get("/api/v1/audit?since=yesterday").status_code == 400
    assert client.get("/admin/audit?since=yesterday").status_code == 400
    exported = client.get("/admin/audit/export.csv?person=admin").get_data(as_text=True)
    assert exported.startswith("\ufeff时间,操作人") and "角色: 监督员 → 受理员" in exported
    assert "登录" in exported
    person = client.get(f"/admin/people/{_user('insp').id}").get_data(as_text=True)
    assert "变更记录" in person and "监督员 → 受理员" in person
    login("op")
    for path in ("/admin/people", "/admin/audit", "/admin/audit/export.csv", "/admin/people/import"):
        assert client.get(path).status_code == 403, path


def test_the_import_page_previews_then_saves_all_or_nothing(create_mini_city, client, login):
    create_mini_city()
    login("admin")
    users = db.session.scalar(select(db.func.count(User.id)))

    def upload(text: str):
        data = {"file": (io.BytesIO(text.encode("gb18030")), "people.csv")}
        return client.post("/admin/people/import", data=data, content_type="multipart/form-data")

    bad = upload(BAD)
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "有 4 行存在问题" in page and "与第 2 行重复" in page
    assert 'data-testid="do-import"' not in page
    assert db.session.scalar(select(db.func.count(User.id))) == users

    good = upload(GOOD)
    assert good.headers["Cache-Control"] == "no-store"
    sheet = html.unescape(re.search(r'name="sheet" value="([^"]*)"', good.get_data(as_text=True)).group(1))
    saved = client.post("/admin/people/import/save", data={"sheet": sheet})
    assert saved.status_code == 200 and "已导入 2 人" in saved.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(User.id))) == users + 2
    again = client.post("/admin/people/import/save", data={"sheet": sheet})
    assert again.status_code == 422 and "未导入任何人员" in again.get_data(as_text=True)


def test_a_non_admin_gets_403_on_every_admin_page_and_api(create_mini_city, client, login):
    """Walks them all: every page under /admin/ and every API operation the
    OpenAPI document reserves to admins, as each other role."""
    from gridcity.core.openapi import operations
    from gridcity.org.models import Role

    create_mini_city()
    app = client.application
    pages = [
        (method, re.sub(r"<[^>]+>", "1", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    apis = [
        (op.method.upper(), "/api/v1" + re.sub(r"\{[^}]+\}", "1", op.path))
        for op in operations()
        if op.roles == (Role.ADMIN,)
    ]
    assert len(pages) >= 12 and len(apis) >= 12
    for username in ("insp", "op", "lead", "disp", "hw", "mgr"):
        login(username)
        for method, path in pages + apis:
            response = client.open(path, method=method, json={} if path.startswith("/api/") else None)
            assert response.status_code == 403, (username, method, path, response.status_code)
    db.session.expire_all()
    assert all(u.active for u in db.session.scalars(select(User)))


def test_the_command_line_imports_with_the_same_checks(create_mini_city, runner, tmp_path):
    create_mini_city()
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(BAD, encoding="utf-8")
    good.write_text(GOOD, encoding="utf-8")
    checked = runner.invoke(args=["org", "import-users", str(bad)])
    assert checked.exit_code == 0 and "line 2: ok" in checked.output and "repeats line 2" in checked.output
    refused = runner.invoke(args=["org", "import-users", str(bad), "--commit"])
    assert refused.exit_code == 1 and "Lines 3, 4, 5, 6 have errors" in refused.output
    assert _user("new1") is None
    saved = runner.invoke(args=["org", "import-users", str(good), "--commit"])
    assert saved.exit_code == 0 and "2 users imported" in saved.output
    assert _user("new2").must_change_password and _entries("user.create")[-1].actor_id is None
