"""Conformance: discovery, the service list, service definitions, and what
answers outside the resources — every one in JSON and XML."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.open311 import attributes
from gridcity.taxonomy.models import Category
from tests.open311.conftest import (
    ATTRIBUTE_FIELDS,
    BASE,
    SERVICE_FIELDS,
    W3C,
    as_text,
    document,
    errors,
)

FORMATS = ["json", "xml"]


def both(client, path: str, root: str, **headers):
    """The document at ``path`` in both formats, after checking they agree."""
    json_doc = document(client.get(f"{BASE}/{path}.json", headers=headers), "json", root)
    xml_doc = document(client.get(f"{BASE}/{path}.xml", headers=headers), "xml", root)
    assert as_text(json_doc) == xml_doc
    return json_doc


def test_discovery_names_the_endpoint_formats_and_contacts(o311_city, client):
    doc = both(client, "discovery", "discovery")
    assert list(doc) == ["changeset", "contact", "key_service", "endpoints"]
    (endpoint,) = doc["endpoints"]
    assert list(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert W3C.match(doc["changeset"]) and doc["contact"] and "issue-key" in doc["key_service"]


def test_service_list_has_one_service_per_minor_category(o311_city, client):
    doc = both(client, "services", "services", **{"Accept-Language": "en"})
    active = db.session.scalar(select(db.func.count(Category.id)).where(Category.active.is_(True)))
    assert len(doc) == active == 109
    assert all(list(s) == SERVICE_FIELDS for s in doc)
    by_code = {s["service_code"]: s for s in doc}
    cover = by_code["C0101"]
    assert cover["service_name"] == "Water supply manhole cover"
    assert cover["group"] == "Component: Public utilities"
    assert cover["type"] == "realtime" and cover["metadata"] is True
    assert cover["keywords"] == "井盖, 自来水, 给水井盖"
    assert cover["description"].startswith("井盖缺失")  # the filing standard (立案标准)
    garbage = by_code["E0102"]
    assert garbage["metadata"] is False and garbage["group"] == "Event: City appearance"
    # Two majors share a name; the group keeps components and events apart.
    assert by_code["C0301"]["group"] == "Component: City appearance"


def test_service_names_are_chinese_by_default(o311_city, client):
    doc = both(client, "services", "services")
    cover = next(s for s in doc if s["service_code"] == "C0101")
    assert cover["service_name"] == "上水井盖" and cover["group"] == "部件·公用设施"


def test_service_definition_lists_the_attributes_in_order(o311_city, client):
    doc = both(client, "services/C0101", "service_definition", **{"Accept-Language": "en"})
    assert list(doc) == ["service_code", "attributes"] and doc["service_code"] == "C0101"
    condition, number = doc["attributes"]
    assert list(condition) == [*ATTRIBUTE_FIELDS, "values"]
    assert condition["code"] == "cover_condition" and condition["datatype"] == "singlevaluelist"
    assert condition["variable"] is True and condition["required"] is True and condition["order"] == 1
    assert condition["description"] == "What is wrong with the cover?"
    assert [v["key"] for v in condition["values"]] == ["missing", "broken", "displaced", "uneven"]
    assert all(list(v) == ["key", "name"] for v in condition["values"])
    assert list(number) == ATTRIBUTE_FIELDS  # a string: no values
    assert (number["code"], number["required"], number["order"]) == ("component_code", False, 2)
    assert number["datatype_description"].startswith("e.g.")


def test_service_without_extra_fields_has_an_empty_definition(o311_city, client):
    response = client.get(f"{BASE}/services/E0102.xml")
    assert b"<attributes />" in response.get_data()
    assert both(client, "services/E0102", "service_definition") == {
        "service_code": "E0102",
        "attributes": [],
    }


def test_loaded_attributes_can_be_replaced_and_validated(o311_city, client):
    count = attributes.load_attributes(
        {
            "services": {
                "E0102": [
                    {
                        "code": "bags",
                        "datatype": "multivaluelist",
                        "required": False,
                        "description": "垃圾的种类",
                        "values": [{"key": "food", "name": "厨余"}, {"key": "bulky", "name": "大件"}],
                    }
                ]
            }
        }
    )
    db.session.commit()
    assert count == 1
    (bags,) = both(client, "services/E0102", "service_definition")["attributes"]
    assert bags["datatype"] == "multivaluelist" and [v["name"] for v in bags["values"]] == ["厨余", "大件"]
    with pytest.raises(attributes.GridCityError, match="datatype must be one of"):
        attributes.load_attributes(
            {"services": {"E0102": [{"code": "x", "datatype": "colour", "description": "x"}]}}
        )
    with pytest.raises(attributes.GridCityError, match="distinct keys"):
        attributes.load_attributes(
            {"services": {"E0102": [{"code": "x", "datatype": "singlevaluelist", "description": "x"}]}}
        )


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code_is_404(o311_city, client, fmt):
    response = client.get(f"{BASE}/services/X9999.{fmt}", headers={"Accept-Language": "en"})
    assert errors(response, fmt, 404) == ["No service has the code X9999."]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_resource_is_404_in_the_requested_format(o311_city, client, fmt):
    response = client.get(f"{BASE}/reports.{fmt}", headers={"Accept-Language": "en"})
    (description,) = errors(response, fmt, 404)
    assert description.startswith("No such Open311 resource: /open311/v2/reports")


def test_unknown_format_is_404_in_xml(o311_city, client):
    (description,) = errors(client.get(f"{BASE}/services.csv"), "xml", 404)
    assert ".json 或 .xml" in description


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_method_is_405_with_the_allowed_one(o311_city, client, fmt):
    response = client.post(f"{BASE}/services.{fmt}", headers={"Accept-Language": "en"})
    (description,) = errors(response, fmt, 405)
    assert response.headers["Allow"] == "GET"
    assert description == "/open311/v2/services." + fmt + " does not take POST (allowed: GET)."
