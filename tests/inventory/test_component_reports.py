"""Reporting on a component (部件, issue 16 build item 1): the components of
a category near a position, a report naming one, and routing to its owner
("owner first, then place", 先属主、后属地)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from gridcity.cases.history import differences
from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.inventory.models import Component
from gridcity.inventory.services import add_components
from tests.cases.conftest import EAST, WEST
from tests.cases.test_closed_loop import ok

# Manhole covers (C0101) west of WEST; the rules send C0101 to 市政所 (SZ).
OWNED = (114.2426, 22.5785)  # ~10 m, owned by 环卫处 (HW)
NO_OWNER = (114.2429, 22.5785)  # ~41 m, no owner in the inventory
FARTHER = (114.2440, 22.5785)  # ~154 m
OTHER_CLASS = (114.2425, 22.5786)  # C0301, ~11 m


@pytest.fixture
def components(city) -> dict[str, Component]:
    add_components(
        [
            {"category": "C0101", "lon": NO_OWNER[0], "lat": NO_OWNER[1], "code": "4403080101000002"},
            {
                "category": "C0101",
                "lon": OWNED[0],
                "lat": OWNED[1],
                "code": "4403080101000001",
                "owner": "HW",
            },
            {"category": "C0101", "lon": FARTHER[0], "lat": FARTHER[1], "code": "4403080101000003"},
            {
                "category": "C0301",
                "lon": OTHER_CLASS[0],
                "lat": OTHER_CLASS[1],
                "owner": "HW",
                "state": "damaged",
            },
        ]
    )
    db.session.commit()
    return {c.code: c for c in db.session.scalars(select(Component))}


def _near(client, **params):
    query = {"category": "C0101", "lon": WEST[0], "lat": WEST[1], **params}
    return client.get(f"/api/v1/components/near?{urlencode(query)}")


def test_nearby_components_of_the_category_nearest_first(components, api):
    inspector = api("insp")
    found = ok(_near(inspector))
    assert [c["code"] for c in found] == ["4403080101000001", "4403080101000002"]
    assert 8 < found[0]["distance_m"] < 12 and 38 < found[1]["distance_m"] < 44
    assert found[0]["owner"]["code"] == "HW" and found[1]["owner"] is None
    assert found[0]["state"] == "intact" and (found[0]["lon"], found[0]["lat"]) == pytest.approx(OWNED)
    wider = ok(_near(inspector, radius_m=200))
    assert [c["code"][-1] for c in wider] == ["1", "2", "3"]
    assert [c["code"] for c in ok(_near(inspector, limit=1))] == ["4403080101000001"]
    assert [c["state"] for c in ok(_near(inspector, category="C0301"))] == ["damaged"]
    assert ok(_near(inspector, category="E0102")) == []  # events have no inventory
    assert ok(_near(api("disp"))) == found  # the centers see them too


def test_nearby_components_refuse_other_roles_and_bad_input(components, api, client):
    assert _near(client).status_code == 401
    assert _near(api("hw")).status_code == 403
    inspector = api("insp")
    for bad in ({"lon": "east"}, {"radius_m": 0}, {"radius_m": 5000}, {"limit": 0}, {"lat": 91}):
        response = _near(inspector, **bad)
        assert response.status_code == 400 and response.get_json()["message"], bad
    assert client.get(f"/api/v1/components/near?lon={WEST[0]}&lat={WEST[1]}").status_code == 400
    unknown = _near(inspector, category="C9999")
    assert unknown.status_code == 422 and unknown.get_json()["error"] == "unknown_category"


def test_a_report_on_a_component_goes_to_its_owner_not_the_rules_unit(components, api):
    owned = components["4403080101000001"]
    inspector = api("insp")
    # The app snaps the position to the component and keeps the fix as raw.
    case = ok(inspector.report("C0101", OWNED, raw_lon=WEST[0], raw_lat=WEST[1], component_id=owned.id), 201)
    assert case["component"] == {
        "id": owned.id,
        "code": "4403080101000001",
        "state": "intact",
        "lon": pytest.approx(OWNED[0]),
        "lat": pytest.approx(OWNED[1]),
        "owner": {"id": owned.owner_unit_id, "code": "HW", "name": "环卫处"},
    }
    assert case["raw_position"] == {"lon": WEST[0], "lat": WEST[1]}
    receipt = ok(inspector.get(f"/api/v1/reports/{case['id']}/receipt"))
    assert receipt["responsible_unit"]["code"] == "HW"

    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    dispatcher = api("disp")
    drawer = ok(dispatcher.get(f"/api/v1/dispatch/cases/{case['id']}"))
    assert drawer["routed_unit"]["code"] == "HW" and drawer["routed_by"] == "component_owner"
    assert drawer["component"]["code"] == "4403080101000001"
    case = ok(dispatcher.act(case, "dispatch"))  # the default: no reason needed
    assert case["unit"]["code"] == "HW"
    dispatched = case["history"][-1]
    assert dispatched["data"]["routed_by"] == "component_owner"
    assert ok(api("hw").get(f"/api/v1/cases/{case['id']}"))["component"]["owner"]["code"] == "HW"
    stored = db.session.get(Case, case["id"])
    assert stored.component_id == owned.id and differences(stored) == {}


def test_a_component_without_an_owner_goes_by_the_rules(components, api):
    plain = components["4403080101000002"]
    case = ok(api("insp").report("C0101", NO_OWNER, component_id=plain.id), 201)
    assert case["raw_position"] == {"lon": NO_OWNER[0], "lat": NO_OWNER[1]}
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    drawer = ok(api("disp").get(f"/api/v1/dispatch/cases/{case['id']}"))
    assert drawer["routed_unit"]["code"] == "SZ" and drawer["routed_by"] == "rules"
    assert ok(api("disp").act(case, "dispatch"))["unit"]["code"] == "SZ"


def test_a_component_whose_owner_no_longer_works_goes_by_the_rules(components, api):
    owned = components["4403080101000001"]
    owned.owner_unit.active = False
    db.session.commit()
    case = ok(api("insp").report("C0101", OWNED, component_id=owned.id), 201)
    assert case["component"]["owner"]["code"] == "HW"  # the inventory still says so
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    drawer = ok(api("disp").get(f"/api/v1/dispatch/cases/{case['id']}"))
    assert drawer["routed_unit"]["code"] == "SZ" and drawer["routed_by"] == "rules"


def test_a_wrong_unknown_or_distant_component_is_refused_and_makes_no_case(components, api):
    inspector = api("insp")
    owned = components["4403080101000001"]
    other = next(c for c in components.values() if c.category.code == "C0301")
    refusals = {
        "component_wrong_category": inspector.report("C0101", OWNED, component_id=other.id),
        "unknown_component": inspector.report("C0101", OWNED, component_id=999_999),
        "component_too_far": inspector.report("C0101", EAST, component_id=owned.id),
    }
    for error, response in refusals.items():
        assert response.status_code == 422 and response.get_json()["error"] == error, response.get_json()
        assert response.get_json()["message"]
    assert "4403080101000001" in refusals["component_too_far"].get_json()["message"]
    assert inspector.report("C0101", OWNED, component_id="1").status_code == 400
    assert db.session.scalar(select(func.count(Case.id))) == 0
