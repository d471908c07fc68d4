"""The demo city's Open311 gateway asks what each service needs: the built-in
service attributes are loaded with the city (issue 18, item 6)."""

from __future__ import annotations

from gridcity.open311.defaults import DEFAULT_ATTRIBUTES


def test_the_demo_loads_each_services_attributes(demo_app):
    client = demo_app.test_client()
    services = client.get("/open311/v2/services.json").get_json()
    asking = {s["service_code"] for s in services if s["metadata"]}
    assert asking == set(DEFAULT_ATTRIBUTES["services"])
    for code in asking:
        definition = client.get(f"/open311/v2/services/{code}.json").get_json()
        expected = [a["code"] for a in DEFAULT_ATTRIBUTES["services"][code]]
        assert [a["code"] for a in definition["attributes"]] == expected
