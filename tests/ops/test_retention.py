"""Retention: a year after their case finished, no reporter's name, phone or
e-mail remains anywhere in the database or in what we serve, while every
figure of the past months' scorecards, frozen or recomputed, stays as it was."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from gridcity.audit.services import entries
from gridcity.cases import services
from gridcity.cases.history import differences
from gridcity.cases.models import Case
from gridcity.core.scheduler import registered_jobs
from gridcity.extensions import db
from gridcity.models import metadata
from gridcity.open311 import keys
from gridcity.open311.services import Submission, file_request
from gridcity.ops.retention import anonymise_reporters
from gridcity.org.services import get_user
from gridcity.scorecards.snapshots import services as scorecards
from gridcity.scorecards.snapshots.freeze import freeze_due
from tests.cases.conftest import city, frozen_clock  # noqa: F401
from tests.conftest import DEMO_PASSWORD
from tests.scorecards.conftest import EAST, WEST, build_september, driver, local  # noqa: F401

MONTH = "2026-09"
# What the reporters left with us, and the copies staff made of it.
HOTLINE = {"name": "王小明", "phone": "13812345678"}
OPEN311 = {"first": "Lina", "last": "Gustafsson", "phone": "+86 139 8765 4321", "email": "lina.g@example.org"}
SECRETS = [
    "王小明",
    "13812345678",
    "138-1234-5678",
    "Gustafsson",
    "lina.g@example.org",
    "139 8765 4321",
    "13987654321",
]
# Reporters of cases that must keep their contact: one still open, one finished recently.
OPEN_CASE_PHONE = "13700001111"
RECENT_PHONE = "13600002222"


def _hotline(contact: str, description: str = "市民来电反映垃圾", position=WEST) -> int:
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
    db.session.commit()
    return result.case.id


def _close(d, case_id: int, unit: str, inspector: str) -> None:
    d.flow(
        case_id,
        [
            ("accept", "op"),
            ("verify", inspector),
            ("file", "lead"),
            ("dispatch", "disp"),
            ("unit_accept", unit),
            ("handle", unit),
            ("check", inspector),
            ("close", "lead"),
        ],
    )


def _every_text_in_the_database() -> str:
    """Every string and JSON value of every row of every table, as one text."""
    texts = []
    for table in metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for value in row.values():
                if isinstance(value, str):
                    texts.append(value)
                elif isinstance(value, (dict, list)):
                    texts.append(json.dumps(value, ensure_ascii=False))
    return "\n".join(texts)


def _figures(tables: dict) -> dict:
    return {tier: [row.to_dict() for row in table.rows] for tier, table in tables.items()}


def _sign_in(client, username: str) -> None:
    response = client.post("/api/v1/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.get_json()


def test_after_the_period_no_reporter_contact_remains_and_past_scorecards_are_unchanged(
    app,
    client,
    driver,  # noqa: F811
    runner,
):
    build_september(driver)
    # A hotline caller (name and phone), whose number the operator also typed
    # into the description, then a unit's note quotes it again.
    driver.at(local(3, 9))
    hotline = _hotline(
        f"{HOTLINE['name']} {HOTLINE['phone']}",
        description="市民王小明来电（138-1234-5678）反映路边垃圾",
    )
    driver.flow(hotline, [("accept", "op"), ("verify", "insp"), ("file", "lead"), ("dispatch", "disp")])
    driver.flow(hotline, [("unit_accept", "jd")])
    driver.later(10)
    services.request_change(
        db.session.get(Case, hotline), get_user("jd"), "extension", "已电话联系王小明 13812345678，需延期", 2
    )
    db.session.commit()
    driver.flow(hotline, [("decide", "lead"), ("handle", "jd"), ("check", "insp"), ("close", "lead")])
    # An Open311 request with every contact field.
    driver.at(local(4, 10))
    key, _ = keys.issue_key("盐田随手拍")
    request = file_request(
        key,
        Submission(
            service_code="E0102",
            lat=str(EAST[1]),
            long=str(EAST[0]),
            first_name=OPEN311["first"],
            last_name=OPEN311["last"],
            phone=OPEN311["phone"],
            email=OPEN311["email"],
            device_id="device-7f3a",
            account_id="acct-991",
            description="路边有垃圾",
        ),
        "zh",
    )
    db.session.commit()
    _close(driver, request.case_id, "hw", "insp2")
    # A hotline case still open at the month's end keeps its caller.
    driver.at(local(5, 9))
    open_case = _hotline(f"李先生 {OPEN_CASE_PHONE}")

    driver.at(local(1, 0, 30, month=10))
    assert freeze_due() == f"{MONTH} v1"
    frozen_before = _figures(scorecards.month_scorecards(MONTH))
    live_before = _figures(scorecards.compute_scorecards(MONTH))
    versions_before = {c.id: c.version for c in db.session.scalars(select(Case))}
    assert HOTLINE["phone"] in _every_text_in_the_database()  # the test would see one

    # A case finished recently (within the period) keeps its caller too.
    driver.at(local(1, 9, month=9, year=2027))
    recent = _hotline(f"赵女士 {RECENT_PHONE}", position=EAST)
    _close(driver, recent, "hw", "insp2")

    # A year and a month after September: the daily job runs. A dry run first changes nothing.
    driver.at(local(5, 3, month=10, year=2027))
    dry = runner.invoke(args=["privacy", "anonymise", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would anonymise" in dry.output and "cases 2" in dry.output
    assert HOTLINE["phone"] in _every_text_in_the_database()
    job = next(j for j in registered_jobs(app) if j.id == "anonymise_reporters")
    counts = job.func()
    db.session.expire_all()
    assert counts["cases"] == 2 and counts["open311_requests"] == 1

    everything = _every_text_in_the_database()
    for secret in SECRETS:
        assert secret not in everything, secret
    assert "device-7f3a" not in everything and "acct-991" not in everything
    assert OPEN_CASE_PHONE in everything and RECENT_PHONE in everything
    # What the case said besides the contact stays.
    case = db.session.get(Case, hotline)
    assert "反映路边垃圾" in case.description and case.state == "closed"
    assert case.reporter_contact is None
    # The case is still the replay of its history, and clients' versions stay valid.
    for row in db.session.scalars(select(Case)):
        assert differences(row) == {}
        assert row.version == versions_before.get(row.id, row.version)

    # Every figure of the past month is unchanged, frozen and recomputed.
    assert _figures(scorecards.month_scorecards(MONTH)) == frozen_before
    assert _figures(scorecards.compute_scorecards(MONTH)) == live_before

    # Nothing served carries the contact: the case's API answer, the exports.
    _sign_in(client, "admin")
    served = [client.get(f"/api/v1/cases/{cid}").get_data(as_text=True) for cid in (hotline, request.case_id)]
    served.append(client.get("/api/v1/events?after=0").get_data(as_text=True))
    for tier in ("street", "inspector", "operator"):
        sheet = load_workbook(io.BytesIO(client.get(f"/scorecards/{MONTH}/{tier}.xlsx").data)).active
        served.append(
            json.dumps([list(r) for r in sheet.iter_rows(values_only=True)], ensure_ascii=False, default=str)
        )
        pdf = PdfReader(io.BytesIO(client.get(f"/scorecards/{MONTH}/{tier}.pdf").data))
        served.append("".join(page.extract_text() for page in pdf.pages))
    for text in served:
        for secret in SECRETS:
            assert secret not in text, secret

    # The run is logged without the contact, and a second run finds nothing.
    (entry,) = entries(action="privacy.anonymise_reporters")
    assert entry.after["cases"] == 2 and entry.actor_id is None
    again = anonymise_reporters()
    assert not again.changed
    assert db.session.get(Case, open_case).reporter_contact == f"李先生 {OPEN_CASE_PHONE}"
