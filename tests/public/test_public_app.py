"""The citizens' app (issue 18 items 1, 2, 5): codes, limits, blocklist,
anonymous reports, "me too" against a new case, following, privacy."""

from __future__ import annotations

import datetime as dt

from gridcity.cases.models import Case
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.public.models import CitizenReport
from tests.cases.conftest import jpeg_bytes
from tests.public.conftest import PHONE, WEST, Citizen, configure, metres_east, move_case

# ---------------------------------------------------------------- codes


def test_a_code_confirms_the_phone_once_and_is_kept_only_hashed(app, citizen):
    from gridcity.public.app_models import CitizenCode
    from gridcity.public.codes import last_console_code

    assert citizen.send_code().get_json() == {"sent": True, "minutes": 10}
    code = last_console_code(app, PHONE)
    assert len(code) == 6 and code.isdigit()
    row = db.session.scalar(db.select(CitizenCode))
    assert code not in row.code_hash and len(row.code_hash) == 64

    signed_in = citizen.confirm()
    assert signed_in.status_code == 200
    assert signed_in.get_json() == {"signed_in": True, "phone": "138****5678"}
    assert citizen.client.get("/api/v1/public/me").get_json()["signed_in"] is True
    again = citizen.confirm(code)
    assert again.status_code == 400  # used
    assert again.get_json()["error"] == "p_code_expired"


def test_a_code_expires(app, citizen):
    start = dt.datetime.now(dt.UTC)
    clock.freeze(start)
    try:
        citizen.send_code()
        clock.freeze(start + dt.timedelta(minutes=11))
        response = citizen.confirm()
    finally:
        clock.freeze(None)
    assert response.status_code == 400
    assert "过期" in response.get_json()["message"]


def test_wrong_codes_count_and_the_code_dies_after_the_limit(app, citizen):
    from gridcity.public.codes import last_console_code

    configure(app, public_code_max_attempts=3)
    citizen.send_code()
    good = last_console_code(app, PHONE)
    wrong = "000000" if good != "000000" else "111111"
    first = citizen.confirm(wrong)
    assert first.status_code == 400 and first.get_json()["details"]["left"] == 2
    citizen.confirm(wrong)
    third = citizen.confirm(wrong)
    assert third.get_json()["error"] == "p_code_attempts"
    assert citizen.confirm(good).get_json()["error"] == "p_code_attempts"  # even the right one now
    assert citizen.client.get("/api/v1/public/me").get_json()["signed_in"] is False


def test_a_bad_phone_number_is_refused_in_words(citizen):
    citizen.phone = "call me"
    response = citizen.send_code()
    assert response.status_code == 400
    assert response.get_json()["error"] == "citizen_phone_invalid"


def test_the_gateway_sender_posts_the_text(app, citizen, monkeypatch):
    sent = []

    class Answer:
        status = 200

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(request, timeout):
        sent.append((request.full_url, request.headers["Authorization"], request.data.decode()))
        return Answer()

    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    configure(
        app,
        public_sms_sender="gateway",
        public_sms_gateway_url="https://sms.example/send",
        public_sms_gateway_token="tok",
    )
    assert citizen.send_code().status_code == 200
    url, auth, body = sent[0]
    assert url == "https://sms.example/send" and auth == "Bearer tok"
    assert PHONE in body and "验证码" in body


# ---------------------------------------------------------------- reporting


def test_reports_need_a_confirmed_phone_unless_the_city_allows_anonymous(app, citizen):
    refused = citizen.report()
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "p_sign_in_first"
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0

    configure(app, public_anonymous_reports=True)
    made = citizen.report()
    assert made.status_code == 201
    row = db.session.scalar(db.select(CitizenReport))
    assert row.citizen_id is None and row.kind == "report"
    assert row.case.source == "public" and row.case.reporter_contact is None


def test_a_report_makes_a_public_case_through_the_intake(app, citizen):
    citizen.sign_in()
    response = citizen.report(description="门口垃圾三天没人清", photos=[jpeg_bytes()], notify=True)
    assert response.status_code == 201
    receipt = response.get_json()
    case = db.session.scalar(db.select(Case).where(Case.number == receipt["number"]))
    assert case.source == "public" and case.state == "reported"
    assert case.reporter_contact == PHONE  # staff call back; never on the citizen's pages
    assert case.category.code == "E0102" and case.unit_grid_id is not None
    assert receipt["follow_url"].startswith("/p/r/") and len(receipt["follow_url"]) > 30
    mine = citizen.client.get("/api/v1/public/me").get_json()["reports"]
    assert [r["number"] for r in mine] == [receipt["number"]]


def test_the_nearby_prompt_me_too_at_20_m_joins_and_200_m_makes_a_new_case(app, public_city):
    first = Citizen(app, "13900000001", "10.0.0.1").sign_in()
    number = first.report(WEST).get_json()["number"]

    near = Citizen(app, "13900000002", "10.0.0.2").sign_in()
    candidates = near.nearby(metres_east(WEST, 20)).get_json()
    assert [c["number"] for c in candidates] == [number]
    assert candidates[0]["distance_m"] == 20 and candidates[0]["status"] == "已收到"
    joined = near.me_too(number, photos=[jpeg_bytes()])
    assert joined.status_code == 201 and joined.get_json()["me_too"] is True
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 1
    case = db.session.scalar(db.select(Case).where(Case.number == number))
    assert [e.action for e in case.events][-1] == "me_too"
    assert "我也遇到" in case.events[-1].note

    far = Citizen(app, "13900000003", "10.0.0.3").sign_in()
    assert far.nearby(metres_east(WEST, 200)).get_json() == []
    made = far.report(metres_east(WEST, 200))
    assert made.status_code == 201 and made.get_json()["number"] != number
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 2


def test_nearby_shows_no_photo_position_or_person(app, public_city):
    first = Citizen(app).sign_in()
    first.report(WEST, description="电话13812345678 门口", photos=[jpeg_bytes()])
    answer = Citizen(app, "13900000009").nearby(metres_east(WEST, 10))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    for secret in ("13812345678", "138****", "门口", "photo", "114.24", "22.57", "lon", "lat", "reporter"):
        assert secret not in body
    assert set(answer.get_json()[0]) == {
        "number",
        "kind",
        "status",
        "distance_m",
        "reported_on",
        "reports",
    }


def test_bad_input_is_a_clear_4xx(app, citizen):
    citizen.sign_in()
    assert citizen.report(category="Z9999").status_code == 422
    outside = citizen.report(position=(100.0, 10.0))
    assert outside.status_code == 422
    assert citizen.me_too("nope").status_code == 404
    assert citizen.client.get("/api/v1/public/nearby?category=E0102&lon=x&lat=1").status_code == 400
    assert citizen.client.get("/p/r/not-a-token").status_code == 404


# ---------------------------------------------------------------- limits and blocklist


def test_limits_answer_429_in_words(app, public_city):
    configure(app, public_reports_per_phone_hour=2, public_codes_per_phone_hour=2)
    someone = Citizen(app).sign_in()
    assert someone.send_code().status_code == 200
    codes = someone.send_code()
    assert codes.status_code == 429 and "每小时最多 2 次" in codes.get_json()["message"]
    assert codes.headers["Retry-After"] == "3600"
    for n in range(2):
        assert someone.report(metres_east(WEST, 100 * n)).status_code == 201
    third = someone.report(metres_east(WEST, 300))
    assert third.status_code == 429 and third.get_json()["error"] == "p_limit_phone_hour"

    configure(app, public_reports_per_phone_hour=50, public_reports_per_phone_day=2)
    assert someone.report(metres_east(WEST, 300)).get_json()["error"] == "p_limit_phone_day"

    configure(app, public_codes_per_address_hour=2)
    from_here = Citizen(app, "13900000004", "10.0.0.1").send_code()  # the address's third code this hour
    assert from_here.status_code == 429 and from_here.get_json()["error"] == "p_limit_codes_address"

    configure(
        app,
        public_codes_per_address_hour=50,
        public_reports_per_phone_day=50,
        public_reports_per_address_hour=2,
    )
    other = Citizen(app, "13900000005", "10.0.0.1").sign_in()  # the same address
    refused = other.report(metres_east(WEST, 400))
    assert refused.status_code == 429 and refused.get_json()["error"] == "p_limit_address"


def test_a_blocked_phone_can_neither_ask_codes_nor_report_and_it_is_audited(app, public_city, login, client):
    from gridcity.audit.models import AuditEntry

    someone = Citizen(app).sign_in()
    login("op")
    blocked = client.post("/api/v1/public/blocklist", json={"phone": PHONE, "reason": "恶意重复上报"})
    assert blocked.status_code == 200 and blocked.get_json()["phone"] == "138****5678"
    refused = someone.report()
    assert refused.status_code == 403  # the cookie no longer counts, nor may it confirm again
    assert someone.send_code().get_json()["error"] == "p_blocked"
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "citizen.block"))
    assert entry.after == {"blocked": True, "reason": "恶意重复上报"} and PHONE not in (
        entry.object_label or ""
    )

    assert client.post("/api/v1/public/blocklist/remove", json={"phone": PHONE}).status_code == 200
    assert someone.send_code().status_code == 200
    assert client.get("/api/v1/public/blocklist").get_json() == []


def test_block_from_the_cli(app, public_city):
    from gridcity.public.models import Citizen as CitizenRow

    runner = app.test_cli_runner()
    result = runner.invoke(args=["public", "block", PHONE, "--reason", "骚扰"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(CitizenRow)).blocked_reason == "骚扰"
    result = runner.invoke(args=["public", "unblock", PHONE])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(db.select(CitizenRow)).blocked_at is None


def test_only_staff_roles_block_and_only_managers_see_counts(app, public_city, login, client):
    login("insp")
    assert client.post("/api/v1/public/blocklist", json={"phone": PHONE, "reason": "x"}).status_code == 403
    assert client.get("/api/v1/public/citizens").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/public/citizens").status_code == 401


# ---------------------------------------------------------------- following


def test_follow_page_in_plain_words_invalid_reason_and_counts(app, public_city, login, client):
    from gridcity.cases import services

    someone = Citizen(app).sign_in()
    good = someone.report(WEST).get_json()
    bad = someone.report(metres_east(WEST, 300)).get_json()
    move_case(good["number"], "dispatch")
    void_case = db.session.scalar(db.select(Case).where(Case.number == bad["number"]))
    services.void(void_case, public_city["users"]["operator"], "经核实为虚假上报")
    db.session.commit()

    followed = someone.client.get("/api/v1/public/follow/" + good["follow_url"].rsplit("/", 1)[1])
    for secret in (PHONE, "138****", "114.24", "22.57", "lon", "lat", "/api/v1/photos"):
        assert secret not in followed.get_data(as_text=True)  # no person, no position, no staff photo URL
    view = followed.get_json()
    assert view["status"] == "已交办处置单位" and view["unit"] == "西街道办"
    assert view["expected"] is not None and view["photos"] == [] and view["links"] is None
    assert [s["text"] for s in view["steps"]][:3] == ["问题已上报。", "已受理。", "工作人员已到现场核实。"]
    page = app.test_client().get(bad["follow_url"]).get_data(as_text=True)
    assert "无效上报" in page and "经现场核实，情况与上报不符。" in page
    assert "虚假上报" not in page  # the staff's own words stay inside

    login("mgr")
    counts = client.get("/api/v1/public/citizens").get_json()
    assert [(c["phone"], c["reports"], c["valid"]) for c in counts] == [("138****5678", 2, 1)]
    csv = client.get("/api/v1/public/citizens/export")
    assert csv.mimetype == "text/csv" and "138****5678,2,1" in csv.get_data(as_text=True)


def test_after_photos_show_only_once_checked_and_only_through_the_link(app, public_city):
    someone = Citizen(app).sign_in()
    receipt = someone.report(WEST, photos=[jpeg_bytes()]).get_json()
    token = receipt["follow_url"].rsplit("/", 1)[1]
    move_case(receipt["number"], "handle", photo=jpeg_bytes())
    assert someone.client.get(f"/api/v1/public/follow/{token}").get_json()["photos"] == []
    move_case(receipt["number"], "close", photo=jpeg_bytes())
    view = app.test_client().get(f"/api/v1/public/follow/{token}").get_json()
    assert view["status"] == "已办结" and len(view["photos"]) == 2 and view["expected"] is None
    assert view["links"] == {"not_fixed": f"/p/r/{token}/not-fixed", "rate": f"/p/r/{token}/rate"}
    served = app.test_client().get(view["photos"][0])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    served.close()
    case = db.session.scalar(db.select(Case).where(Case.number == receipt["number"]))
    from gridcity.cases.models import Photo

    report_photo = db.session.scalar(
        db.select(Photo).where(Photo.case_id == case.id, Photo.stage == "report")
    )
    assert app.test_client().get(f"/p/r/{token}/photos/{report_photo.id}").status_code == 404
    page = app.test_client().get(f"/p/r/{token}").get_data(as_text=True)
    assert "问题没有解决" in page and "评价处置" in page
    from gridcity.org.models import User

    staff_names = set(db.session.scalars(db.select(User.display_name))) | set(
        db.session.scalars(db.select(User.username))
    )
    assert [name for name in staff_names if name and name in visible_words(page)] == []
    assert "清理完毕" not in page  # the unit's own note stays inside


def test_step_notices_reach_the_citizen_who_asked(app, public_city, monkeypatch):
    import gridcity.public.codes as codes
    from gridcity.public.follow import send_step_notices

    someone = Citizen(app).sign_in()
    number = someone.report(WEST, notify=True).get_json()["number"]
    Citizen(app, "13900000007", "10.0.0.7").sign_in().report(metres_east(WEST, 500))  # did not ask
    move_case(number, "dispatch")
    sent = []
    monkeypatch.setattr(codes, "deliver", lambda phone, text, code=None: sent.append((phone, text)))

    assert send_step_notices() == 4
    assert send_step_notices() == 0  # each step once
    assert {phone for phone, _ in sent} == {PHONE}
    assert [text.split("：", 1)[1].split(" ")[0] for _, text in sent] == [
        "已受理。",
        "工作人员已到现场核实。",
        "已立案。",
        "已交办处置单位。",
    ]


# ---------------------------------------------------------------- the staff page


def visible_words(html: str) -> str:
    import re

    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", body)


def test_the_staff_page_blocks_with_history_and_counts_for_managers(app, public_city, login, client):
    from tests.scorecards.test_browser_drilldown import internal_identifiers, leaks

    Citizen(app).sign_in().report(WEST)
    login("op")
    refused = client.post("/citizens/block", data={"phone": PHONE, "reason": ""})
    assert refused.status_code == 400 and "请写明拉黑原因" in refused.get_data(as_text=True)
    done = client.post("/citizens/block", data={"phone": PHONE, "reason": "恶意上报"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "已拉黑。" in page and "138****5678" in page and "恶意上报" in page
    assert "市民手机号拉黑" in page  # the history beside the list
    assert 'data-testid="citizen-counts"' not in page  # counts are the managers'
    assert PHONE not in page
    names = internal_identifiers() - {"op", "mgr"}
    assert leaks(visible_words(page), names) == []

    login("mgr")
    counts = client.get("/citizens/").get_data(as_text=True)
    assert 'data-testid="citizen-row"' in counts and 'data-testid="block-form"' not in counts
    assert leaks(visible_words(counts), names) == []
    assert client.post("/citizens/block", data={"phone": PHONE, "reason": "x"}).status_code == 403
    login("insp")
    assert client.get("/citizens/").status_code == 403


def test_citizen_pages_show_no_internal_identifier(app, public_city):
    from tests.scorecards.test_browser_drilldown import internal_identifiers, leaks

    someone = Citizen(app).sign_in()
    receipt = someone.report(WEST).get_json()
    move_case(receipt["number"], "close", photo=jpeg_bytes())
    names = internal_identifiers()
    english = {n for n in names if "_" in n}
    for lang, check in (("zh", names), ("en", english)):
        someone.client.set_cookie("lang", lang)
        for path in ("/p/", receipt["follow_url"]):
            page = someone.client.get(path).get_data(as_text=True)
            assert leaks(visible_words(page), check) == [], (lang, path)
