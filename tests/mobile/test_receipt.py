"""The answer an inspector sees after a report is sent, and "it's the same"."""

from __future__ import annotations

from sqlalchemy import select

from gridcity.cases.history import differences
from gridcity.cases.models import Case, CaseEvent
from gridcity.extensions import db
from tests.cases.conftest import WEST, jpeg_bytes


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_receipt_names_the_grid_the_unit_and_likely_duplicates(city, api):
    first = ok(api("insp").report("E0102", WEST, photos=[jpeg_bytes()]), 201)
    second = ok(
        api("insp").report("E0102", (WEST[0] + 0.0001, WEST[1]), photos=[jpeg_bytes(), jpeg_bytes()]), 201
    )
    receipt = ok(api("insp").get(f"/api/v1/reports/{second['id']}/receipt"))
    assert receipt["number"] == second["number"]
    assert receipt["unit_grid"]["code"] == second["unit_grid_code"]
    assert receipt["work_grid"] == {"code": "WG01", "name": "工作网格1"}
    assert receipt["street"]["name"] == "西街道" and receipt["community"]["name"] == "西社区"
    assert receipt["responsible_unit"]["code"] == "JD01"  # the street rule for E0102
    assert [d["id"] for d in receipt["duplicates"]] == [first["id"]]
    assert receipt["photo_count"] == 2 and receipt["same_as_ids"] == []

    # A category with no rule here: the dispatcher decides.
    no_rule = ok(api("insp").report("E0401", WEST), 201)
    assert ok(api("insp").get(f"/api/v1/reports/{no_rule['id']}/receipt"))["responsible_unit"] is None
    # Only the reporter gets the receipt.
    refused = api("insp2").get(f"/api/v1/reports/{second['id']}/receipt")
    assert refused.status_code == 404 and second["number"] not in refused.get_data(as_text=True)


def test_its_the_same_leaves_a_note_for_the_operator_who_merges(city, api, signed_in):
    # Both in insp's own work grid (another grid's cases are never named to them).
    first = ok(api("insp").report("E0102", WEST), 201)
    mine = ok(api("insp").report("E0102", (WEST[0] + 0.0001, WEST[1])), 201)
    assert [d["id"] for d in mine["duplicates"]] == [first["id"]]

    receipt = ok(
        signed_in("insp").post(f"/api/v1/reports/{mine['id']}/same-as", json={"same_as": first["id"]})
    )
    assert receipt["same_as_ids"] == [first["id"]] and receipt["state"] == "reported"
    case = ok(api("op").get(f"/api/v1/cases/{mine['id']}"))
    assert case["state"] == "reported"  # no business step: the operator decides
    note = case["history"][-1]
    assert note["action"] == "same_as" and note["data"]["same_as_number"] == first["number"]
    assert first["number"] in note["note"]
    assert differences(db.session.get(Case, mine["id"])) == {}

    merged = ok(api("op").act(case, "merge", into=first["id"]))
    assert merged["state"] == "merged"
    late = signed_in("insp").post(f"/api/v1/reports/{mine['id']}/same-as", json={"same_as": first["id"]})
    assert late.status_code == 409 and late.get_json()["error"] == "same_as_refused"

    other = ok(api("insp").report("E0102", WEST), 201)
    assert (
        signed_in("insp2")
        .post(f"/api/v1/reports/{other['id']}/same-as", json={"same_as": first["id"]})
        .status_code
        == 404
    )
    assert (
        signed_in("insp").post(f"/api/v1/reports/{other['id']}/same-as", json={"same_as": "x"}).status_code
        == 400
    )
    assert (
        signed_in("insp")
        .post(f"/api/v1/reports/{other['id']}/same-as", json={"same_as": other["id"]})
        .status_code
        == 409
    )
    assert db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == other["id"])).all() == [
        "report"
    ]
