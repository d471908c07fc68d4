"""Closed is not fixed (issue 18, item 3): a follow-link holder's claim, the
inspector's re-verification (复核), the reopening as rework (返工) against the
unit, the failed fix in the unit's scorecard, and the refusals."""

from __future__ import annotations

import datetime as dt
import io
import json

from sqlalchemy import select

from gridcity.cases import states
from gridcity.cases.history import differences
from gridcity.cases.models import CaseEvent, CaseTask
from gridcity.core import clock
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.public import not_fixed
from gridcity.public.feedback_models import NotFixedClaim, PublicPolicy
from gridcity.scorecards.snapshots import services as scorecards
from tests.conftest import DEMO_PASSWORD
from tests.public.feedback.conftest import follow, jpeg_bytes, later, user

PHOTO = jpeg_bytes()


def post_claim(client, token, photo=PHOTO, note="井盖又松了"):
    data = {"note": note}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "p.jpg")
    return client.post(f"/p/r/{token}/not-fixed", data=data, content_type="multipart/form-data")


def unit_counts(month: str, unit_id: int) -> dict:
    table = scorecards.month_scorecard(month, "unit")
    row = next(r for r in table.rows if r.subject_id == unit_id)
    return row.counts


def test_a_claim_in_the_window_opens_a_recheck_and_a_confirmation_reopens_as_rework(client, followed, city):
    case, token = followed
    sz = city["units"]["municipal"].id
    later(60 * 24 * 3)  # three days after closing: within the default seven
    month = clock.utcnow().astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")
    before = unit_counts(month, sz)

    response = post_claim(client, token)

    assert response.status_code == 303
    page = client.get(f"/p/r/{token}/not-fixed?done=1").get_data(as_text=True)
    assert "网格监督员将到现场复核" in page and "正在复核" in page
    db.session.expire_all()
    task = db.session.scalar(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.kind == "recheck"))
    assert task is not None and task.completed_at is None and task.inspector_id == user("insp").id
    assert case.state == states.CLOSED  # closed until the inspector confirms
    # The inspector's app lists it, in words.
    client.post("/api/v1/login", json={"username": "insp", "password": DEMO_PASSWORD})
    tasks = client.get("/api/v1/tasks").get_json()
    assert [t["kind"] for t in tasks if t["case"]["id"] == case.id] == ["recheck"]
    # A second claim while one is open: refused, in words.
    again = post_claim(client, follow(case, "me_too"))
    assert again.status_code == 409 and "正在复核" in again.get_data(as_text=True)

    later(60)
    files = [(io.BytesIO(PHOTO), "r.jpg")]
    answer = client.post(
        f"/api/v1/cases/{case.id}/recheck",
        data={
            "data": json.dumps({"version": case.version, "result": "fail", "note": "井盖仍松动"}),
            "photos": files,
        },
        content_type="multipart/form-data",
    )

    assert answer.status_code == 200, answer.get_json()
    db.session.expire_all()
    assert case.state == states.IN_PROGRESS and case.unit_id == sz
    assert case.rework_count == 1 and case.closed_at is None
    assert case.deadline_at > clock.utcnow()  # the unit's clock runs again
    assert differences(case) == {}  # the case is still the replay of its history
    after = unit_counts(month, sz)
    assert after["rework"] == before["rework"] + 1  # a failed fix for the unit
    claim = db.session.scalar(select(NotFixedClaim).where(NotFixedClaim.case_id == case.id))
    assert claim.outcome == "confirmed"
    page = client.get(f"/p/r/{token}/not-fixed").get_data(as_text=True)
    assert "复核确认未修复，已退回责任单位返工" in page and "处理中" in page


def test_the_inspector_finds_it_fixed_and_the_case_stays_closed(client, followed):
    case, token = followed
    later(60)
    not_fixed.claim_not_fixed(token, [PHOTO], "")
    db.session.commit()
    later(60)

    not_fixed.recheck(case, user("insp"), False, "", photos=[PHOTO])
    db.session.commit()

    assert case.state == states.CLOSED and case.rework_count == 0 and case.closed_at is not None
    actions = [e.action for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
    assert actions[-2:] == ["not_fixed", "recheck"]
    page = client.get(f"/p/r/{token}/not-fixed").get_data(as_text=True)
    assert "问题已修复，案件维持办结" in page
    # The inspector's photo shows only once an operator approved it.
    photo_id = db.session.scalar(
        select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.action == "recheck")
    )
    from gridcity.cases.models import Photo
    from gridcity.public import photo_review

    photo = db.session.scalar(select(Photo).where(Photo.event_id == photo_id))
    assert f"/p/photos/{photo.id}" not in page
    assert client.get(f"/p/photos/{photo.id}").status_code == 404
    photo_review.decide_photo(photo.id, "approved", user("op"))
    db.session.commit()
    page = client.get(f"/p/r/{token}/not-fixed").get_data(as_text=True)
    assert f"/p/photos/{photo.id}" in page
    served = client.get(f"/p/photos/{photo.id}")
    served.close()
    assert served.status_code == 200 and served.mimetype == "image/jpeg"


def test_after_the_window_or_without_a_photo_or_before_closing_a_claim_is_refused(client, followed):
    case, token = followed
    db.session.add(PublicPolicy(name="not_fixed_days", value=2))
    db.session.commit()
    later(60 * 24 * 2 + 1)  # two days and a minute after closing

    late = post_claim(client, token)

    assert late.status_code == 409
    assert "已超过 2 天" in late.get_data(as_text=True)
    assert "已超过可反映的期限" in client.get(f"/p/r/{token}/not-fixed").get_data(as_text=True)
    db.session.get(PublicPolicy, "not_fixed_days").value = 7
    db.session.commit()
    no_photo = post_claim(client, token, photo=None)
    assert no_photo.status_code == 400 and "请附上一张现场照片" in no_photo.get_data(as_text=True)
    assert client.get("/p/r/no-such-link/not-fixed").status_code == 404
    assert db.session.scalar(select(NotFixedClaim.id)) is None


def test_only_an_inspector_of_the_grid_re_verifies(followed):
    case, token = followed
    later(30)
    not_fixed.claim_not_fixed(token, [PHOTO], "")
    db.session.commit()
    for who, status in (("op", 403), ("insp2", 403)):  # not an inspector; another grid's inspector
        try:
            not_fixed.recheck(case, user(who), True, "仍坏", photos=[PHOTO])
        except GridCityError as error:
            assert error.status == status, who
        else:
            raise AssertionError(f"{who} re-verified")
    try:
        not_fixed.recheck(case, user("insp"), True, "", photos=[PHOTO])  # not fixed needs a reason
    except GridCityError as error:
        assert error.key == "check_reason_required"
    else:
        raise AssertionError("a finding of not fixed without a reason")
