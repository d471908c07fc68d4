"""The working calendar's API and console pages (issue 17, item 4): only an
admin changes it, bad input gets a clear 4xx in words, every change is in the
audit log, the import previews and then saves all or nothing."""

from __future__ import annotations

import base64
import html
import io
import re

from sqlalchemy import select

from gridcity.audit.models import AuditEntry
from gridcity.extensions import db
from gridcity.org.services import create_user
from gridcity.workcalendar.services import load_calendar
from tests.conftest import DEMO_PASSWORD

CHANGES = [
    ("put", "/api/v1/calendar/office-hours", {"periods": [{"starts": "09:00", "ends": "17:00"}]}),
    ("put", "/api/v1/calendar/days/2027-03-09", {"kind": "holiday", "name": "测试"}),
    ("delete", "/api/v1/calendar/days/2027-01-01", None),
    ("post", "/api/v1/calendar/import/preview", {"year": 2027, "filename": "a.csv", "content": "eA=="}),
    ("post", "/api/v1/calendar/import", {"year": 2027, "filename": "a.csv", "content": "eA=="}),
]


def _calendar_city() -> None:
    load_calendar()
    for username, role in (("admin", "admin"), ("disp", "dispatcher"), ("mgr", "manager")):
        create_user(username, DEMO_PASSWORD, role, display_name=f"{username}-name")
    db.session.commit()


def _actions() -> list[tuple[str, str | None]]:
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("calendar.%")))
    return [(e.action, e.object_label) for e in entries]


def _file(text: str, name: str = "2027.csv") -> dict:
    return {"year": 2027, "filename": name, "content": base64.b64encode(text.encode()).decode()}


def test_the_api_reads_for_staff_and_changes_only_for_admins_in_words(app, client, login):
    _calendar_city()
    login("disp")
    assert client.get("/api/v1/calendar?year=2026").get_json()["office_periods"] == [
        {"starts": "08:30", "ends": "12:00"},
        {"starts": "14:00", "ends": "18:00"},
    ]
    for method, path, body in CHANGES:
        response = getattr(client, method)(path, json=body)
        assert response.status_code == 403 and response.get_json()["error"] == "forbidden_role", path
    assert _actions() == []

    login("admin")
    marked = client.put("/api/v1/calendar/days/2027-03-09", json={"kind": "holiday", "name": "测试假日"})
    assert marked.status_code == 200 and marked.get_json() == {
        "day": "2027-03-09",
        "kind": "holiday",
        "name": "测试假日",
    }
    year = client.get("/api/v1/calendar?year=2027").get_json()
    assert [d["day"] for d in year["days"]] == ["2027-01-01", "2027-03-09"] and year["rest_weekdays"] == [
        5,
        6,
    ]
    assert client.delete("/api/v1/calendar/days/2027-01-01").get_json()["kind"] is None
    overlap = {"periods": [{"starts": "08:30", "ends": "12:00"}, {"starts": "11:00", "ends": "13:00"}]}
    for method, path, body, status, words in [
        (
            "put",
            "/api/v1/calendar/days/2027-02-30",
            {"kind": "holiday", "name": "x"},
            400,
            "日期“2027-02-30”无效",
        ),
        ("put", "/api/v1/calendar/days/2027-03-10", {"kind": "workday", "name": "x"}, 400, "只能设在休息日"),
        ("put", "/api/v1/calendar/days/2027-03-10", {"kind": "party", "name": "x"}, 400, "kind"),
        ("delete", "/api/v1/calendar/days/2027-03-10", None, 404, "没有节假日或调休上班标记"),
        ("put", "/api/v1/calendar/office-hours", overlap, 400, "08:30–12:00 与 11:00–13:00 重叠"),
        (
            "put",
            "/api/v1/calendar/office-hours",
            {"periods": [{"starts": "8点", "ends": "12:00"}]},
            400,
            "8点",
        ),
        ("get", "/api/v1/calendar?year=1900", None, 400, "year"),
        ("post", "/api/v1/calendar/import", {**_file("x"), "content": "%%"}, 400, "base64"),
    ]:
        response = getattr(client, method)(path, json=body)
        assert response.status_code == status and words in response.get_json()["message"], (path, body)

    bad = _file("date,kind,name\n2027-02-06,workday,调休\n2027-02-06,holiday,春节\n")
    preview = client.post("/api/v1/calendar/import/preview", json=bad).get_json()
    assert preview["ok"] is False and preview["replaces"] == 1
    assert [r["kind_name"] for r in preview["rows"]] == ["调休上班日", "法定节假日"]
    assert "不能既放假又上班" in preview["rows"][1]["errors"][0]
    refused = client.post("/api/v1/calendar/import", json=bad)
    assert refused.status_code == 422 and "第 3 行有问题" in refused.get_json()["message"]
    saved = client.post(
        "/api/v1/calendar/import", json=_file('[{"date": "2027-02-06", "kind": "上班", "name": "调休"}]')
    )
    assert saved.get_json() == {"year": 2027, "holidays": 0, "workdays": 1}
    assert _actions() == [
        ("calendar.mark_day", "2027-03-09 测试假日"),
        ("calendar.clear_day", "2027-01-01 元旦"),
        ("calendar.import", "2027"),
    ]
    admin = db.session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "calendar.import"))
    assert admin is not None


def test_the_console_marks_days_sets_hours_and_imports_with_a_preview(app, client, login):
    _calendar_city()
    login("mgr")
    assert client.get("/admin/calendar").status_code == 403
    login("admin")
    page = client.get("/admin/calendar?year=2026&day=2026-10-01").get_data(as_text=True)
    assert page.count('class="calendar-month"') == 12 and "法定节假日" in page and "周末休息日" in page
    assert 'value="2026-10-01"' in page and 'value="国庆节"' in page  # a click on a day fills the form
    assert re.search(r'<td class="day-holiday" data-date="2026-10-01"', page)
    assert re.search(r'<td class="day-workday" data-date="2026-10-10"', page)
    assert re.search(r'<td class="day-rest" data-date="2026-10-11"', page)

    no_name = client.post(
        "/admin/calendar/day", data={"year": "2027", "date": "2027-03-09", "kind": "holiday"}
    )
    assert no_name.status_code == 400 and "请填写名称" in no_name.get_data(as_text=True)
    marked = client.post(
        "/admin/calendar/day",
        data={"year": "2027", "date": "2027-03-09", "kind": "holiday", "name": "测试假日"},
    )
    assert marked.status_code == 302
    page = client.get(marked.headers["Location"]).get_data(as_text=True)
    assert "已保存 2027-03-09 的标记" in page and 'data-date="2027-03-09"' in page
    assert client.post("/admin/calendar/day", data={"year": "2027", "date": "2027-03-09"}).status_code == 302

    hours = {"year": "2027", "starts_1": "08:30", "ends_1": "12:00", "starts_2": "11:00", "ends_2": "13:00"}
    overlap = client.post("/admin/calendar/office-hours", data=hours)
    assert overlap.status_code == 400 and "重叠" in overlap.get_data(as_text=True)
    assert 'value="11:00"' in overlap.get_data(as_text=True)  # what was typed stays
    assert (
        client.post(
            "/admin/calendar/office-hours",
            data={**hours, "starts_1": "09:00", "starts_2": "14:00", "ends_2": "18:00"},
        ).status_code
        == 302
    )

    def upload(text: str):
        data = {"year": "2027", "file": (io.BytesIO(text.encode("gb18030")), "2027.csv")}
        return client.post("/admin/calendar/import", data=data, content_type="multipart/form-data")

    no_year = client.post(
        "/admin/calendar/import", data={"year": "二〇二七"}, content_type="multipart/form-data"
    )
    assert no_year.status_code == 400 and "年份应为 2000 到 2100 之间的整数" in no_year.get_data(as_text=True)
    bad = upload("日期,类型,名称\n2027-02-11,上班,调休\n").get_data(as_text=True)
    assert "有 1 行存在问题" in bad and "只能设在休息日" in bad and 'data-testid="do-import"' not in bad
    good = upload("日期,类型,名称\n2027-02-11,放假,春节\n").get_data(as_text=True)
    assert "将替换 2027 年现有的 1 个标记日期" in good
    schedule = html.unescape(re.search(r'name="schedule" value="([^"]*)"', good).group(1))
    saved = client.post("/admin/calendar/import/save", data={"year": "2027", "schedule": schedule})
    assert "已导入 2027 年：法定节假日 1 天" in saved.get_data(as_text=True)
    forged = client.post("/admin/calendar/import/save", data={"year": "2027", "schedule": '[{"date": "x"}]'})
    assert forged.status_code == 422 and "未保存任何日期" in forged.get_data(as_text=True)

    log = client.get("/admin/audit").get_data(as_text=True)
    log = log[log.index('data-testid="audit-entries"') :]  # the entries, not the filter's list of actions
    for words in (
        "标记节假日或调休上班日",
        "2027-03-09 测试假日",
        "日期类型：— → 法定节假日",
        "取消日期标记",
        "日期类型：法定节假日 → —",
        "修改办公时间",
        "办公时间：08:30–12:00, 14:00–18:00 → 09:00–12:00, 14:00–18:00",
        "导入年度节假日安排",
        "法定节假日：01-01 元旦 → 02-11 春节",
    ):
        assert words in log, words

    client.auto_csrf = False
    client.environ_base.pop("HTTP_X_CSRFTOKEN", None)
    forged = client.post("/admin/calendar/day", data={"date": "2027-05-06", "kind": "holiday", "name": "x"})
    assert forged.status_code == 403
    assert [action for action, _ in _actions()] == [  # the forged post changed nothing
        "calendar.mark_day",
        "calendar.clear_day",
        "calendar.office_hours",
        "calendar.import",
    ]
