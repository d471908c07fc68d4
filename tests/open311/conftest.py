"""Open311 fixtures: the case tests' mini city (frozen clock, one user per
role) with the built-in service attributes and an API key, and helpers that
read a GeoReport document in either format.

``spark`` turns an XML document into the JSON the spec's Spark convention
makes of it, so a test can check that both formats say the same thing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.open311 import attributes, keys
from gridcity.open311.models import Open311Request
from tests.cases.conftest import EAST, WEST, api, city, frozen_clock  # noqa: F401 - fixtures reused

# Containers of one repeated element (arrays in JSON), as named by the spec.
CONTAINERS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "service_request_updates": "request_update",
}
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
UPDATE_FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
    "external_status_code",
]
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
BASE = "/open311/v2"


def spark(element: ET.Element):
    """An XML element as the Spark convention's JSON (texts stay strings)."""
    if element.tag in CONTAINERS:
        assert all(child.tag == CONTAINERS[element.tag] for child in element), element.tag
        return [spark(child) for child in element]
    if len(element):
        tags = [child.tag for child in element]
        assert len(tags) == len(set(tags)), f"repeated child in <{element.tag}>"
        return {child.tag: spark(child) for child in element}
    return element.text


def as_text(value):
    """JSON values as they read in XML: true/false, numbers as written, null → None."""
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or value == "":
        return None
    return str(value)


def document(response, fmt: str, root: str):
    """The body of a GeoReport response, checked for its content type and
    encoding; XML is parsed and must have ``root`` as its root element."""
    body = response.get_data()
    if fmt == "json":
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        return response.get_json()
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    element = ET.fromstring(body)
    assert element.tag == root
    return spark(element)


def errors(response, fmt: str, status: int) -> list[str]:
    """The descriptions of an ``errors`` document, after checking its shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    items = document(response, fmt, "errors")
    assert isinstance(items, list) and items
    for item in items:
        assert list(item) == ["code", "description"]
        assert str(item["code"]) == str(status) and item["description"]
    return [item["description"] for item in items]


def counts() -> tuple[int, int]:
    """(cases, Open311 requests) in the database."""
    return (
        db.session.scalar(select(func.count(Case.id))),
        db.session.scalar(select(func.count(Open311Request.id))),
    )


@pytest.fixture
def o311_city(city):  # noqa: F811 - the imported fixture
    attributes.load_attributes()
    db.session.commit()
    return city


@pytest.fixture
def create_key(o311_city):
    """``create_key(client="fms", rate=None)``: a fresh API key (the plain text)."""

    def create(client: str = "fixmystreet", rate: int | None = None) -> str:
        _, key = keys.issue_key(client, rate)
        db.session.commit()
        return key

    return create


@pytest.fixture
def post(client, create_key):
    """``post(fmt="json", **fields)``: POST requests.<fmt> form-encoded with a
    valid key unless ``api_key`` is given."""
    key = create_key()

    def send(fmt: str = "json", **fields):
        data = {"api_key": key, **fields}
        data = {k: v for k, v in data.items() if v is not None}
        return client.post(f"{BASE}/requests.{fmt}", data=data, headers={"Accept-Language": "en"})

    send.key = key
    return send


def east(**fields) -> dict:
    return {"lat": str(EAST[1]), "long": str(EAST[0]), **fields}


def west(**fields) -> dict:
    return {"lat": str(WEST[1]), "long": str(WEST[0]), **fields}
