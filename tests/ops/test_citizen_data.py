"""A citizen's data request: an admin exports every case one phone reported,
or erases that contact from all of them now; both leave an audit entry
without the number itself. Nobody else may ask."""

from __future__ import annotations

import json

from sqlalchemy import select

from gridcity.audit.models import AuditEntry
from gridcity.cases import services
from gridcity.cases.history import differences
from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.open311 import keys
from gridcity.open311.services import Submission, file_request
from gridcity.org.services import get_user
from tests.cases.conftest import EAST, WEST, city, frozen_clock  # noqa: F401

PHONE = "13812345678"
OTHER = "13900001111"


def _hotline(contact: str, description: str = "市民来电反映垃圾", position=WEST) -> Case:
    result = services.submit_report(
        services.Report(
            category="E0102",
            lon=position[0],
            lat=position[1],
            source="hotline",
            reporter_contact=contact,
            description=description,
        ),
        get_user("op"),
    )
    return result.case


def _reports() -> dict:
    """Two calls and an Open311 request from PHONE, one call from OTHER."""
    mine = [
        _hotline(f"张先生 {PHONE}", description="张先生来电：井边有垃圾"),
        _hotline("138-1234-5678 张先生", position=EAST),
    ]
    key, _ = keys.issue_key("盐田随手拍")
    request = file_request(
        key,
        Submission(
            service_code="E0102",
            lat=str(EAST[1]),
            long=str(EAST[0]),
            first_name="伟",
            last_name="张",
            phone=f"+86 {PHONE}",
            email="zhang@example.org",
            description="路边有垃圾",
        ),
        "zh",
    )
    other = _hotline(f"李女士 {OTHER}")
    db.session.commit()
    return {"mine": [*(c.id for c in mine), request.case_id], "other": other.id}


def _sign_in(client, username: str) -> None:
    response = client.post("/api/v1/login", json={"username": username, "password": "gridcity-demo"})
    assert response.status_code == 200


def _audit_text() -> str:
    rows = db.session.scalars(select(AuditEntry)).all()
    return json.dumps(
        [[r.action, r.object_label, r.before, r.after, r.note, r.actor_address] for r in rows],
        ensure_ascii=False,
    )


def test_only_admins_may_export_which_holds_their_cases_only_and_is_audited(app, client, city):  # noqa: F811
    ids = _reports()
    assert client.get(f"/api/v1/admin/citizen-data?phone={PHONE}").status_code == 401
    for role in ("manager", "shift_leader", "operator", "inspector", "unit_handler"):
        _sign_in(client, city["users"][role].username)
        assert client.get(f"/api/v1/admin/citizen-data?phone={PHONE}").status_code == 403
        response = client.post("/api/v1/admin/citizen-data/erase", json={"phone": PHONE, "reason": "申请"})
        assert response.status_code == 403
    # (sign-ins are audited too: only the privacy acts are counted here)
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action.like("privacy.%"))) is None

    _sign_in(client, "admin")
    response = client.get("/api/v1/admin/citizen-data", query_string={"phone": "138 1234 5678"})
    assert response.status_code == 200
    body = response.get_json()
    numbers = {db.session.get(Case, i).number for i in ids["mine"]}
    assert {c["number"] for c in body["cases"]} == numbers
    text = json.dumps(body, ensure_ascii=False)
    assert OTHER not in text and "李女士" not in text
    assert "张先生来电：井边有垃圾" in text and "zhang@example.org" in text
    assert all(c["reported_at"] and c["state"] == "reported" for c in body["cases"])

    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("privacy.%"))).all()
    assert (entry.action, entry.actor_id, entry.object_label) == (
        "privacy.export",
        city["users"]["admin"].id,
        "138****5678",
    )
    assert entry.after == {"cases": 3} and entry.actor_address
    assert PHONE not in _audit_text()


def test_erase_removes_their_contact_keeps_others_and_is_audited(app, client, city, runner):  # noqa: F811
    ids = _reports()
    _sign_in(client, "admin")
    for bad in (
        {"phone": "call me", "reason": "申请"},
        {"phone": "12", "reason": "申请"},
        {"phone": PHONE},
        [PHONE],
    ):
        response = client.post("/api/v1/admin/citizen-data/erase", json=bad)
        assert response.status_code == 400, bad
        assert response.get_json()["message"]
    response = client.post(
        "/api/v1/admin/citizen-data/erase", json={"phone": PHONE, "reason": f"市民 {PHONE} 来电申请删除"}
    )
    assert response.status_code == 200
    assert len(response.get_json()["cases"]) == 3

    db.session.expire_all()
    for case_id in ids["mine"]:
        case = db.session.get(Case, case_id)
        assert case.reporter_contact is None and case.state == "reported"  # the case stays
        assert differences(case) == {}
        history = json.dumps([e.data for e in case.events] + [case.description], ensure_ascii=False)
        assert PHONE not in history and "张先生" not in history and "138-1234-5678" not in history
    assert "井边有垃圾" in db.session.get(Case, ids["mine"][0]).description
    assert db.session.get(Case, ids["other"]).reporter_contact == f"李女士 {OTHER}"
    again = client.get(f"/api/v1/admin/citizen-data?phone={PHONE}").get_json()
    assert again["cases"] == []

    erase = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.erase")).one()
    assert erase.object_label == "138****5678" and erase.after["cases"] == 3
    assert "来电申请删除" in erase.note
    assert PHONE not in _audit_text()

    # The same through the command line.
    result = runner.invoke(args=["privacy", "erase", OTHER, "--reason", "市民申请"])
    assert result.exit_code == 0, result.output
    assert "139****1111" in result.output and OTHER not in result.output
    db.session.expire_all()
    assert db.session.get(Case, ids["other"]).reporter_contact is None
    exported = runner.invoke(args=["privacy", "export", OTHER])
    assert exported.exit_code == 0 and json.loads(exported.output)["cases"] == []
