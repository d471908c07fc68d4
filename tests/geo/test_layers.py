"""The map layers over HTTP: one work grid alone (the field app's no-GPS map)."""

from __future__ import annotations

from tests.conftest import DEMO_PASSWORD


def test_one_work_grid_alone_or_all_of_them(create_mini_city, client):
    create_mini_city()
    client.post("/api/v1/login", json={"username": "insp", "password": DEMO_PASSWORD})
    every = client.get("/api/v1/geo/work-grids").get_json()["features"]
    assert [f["properties"]["code"] for f in every] == ["WG01", "WG02"]
    wg02 = every[1]["properties"]["id"]
    (only,) = client.get(f"/api/v1/geo/work-grids?id={wg02}").get_json()["features"]
    assert only["properties"]["code"] == "WG02" and only["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert client.get("/api/v1/geo/work-grids?id=999999").get_json()["features"] == []
    refused = client.get("/api/v1/geo/work-grids?id=WG02")
    assert refused.status_code == 400 and refused.get_json()["message"]


def test_the_work_grid_layer_needs_a_sign_in(create_mini_city, client):
    create_mini_city()
    assert client.get("/api/v1/geo/work-grids?id=1").status_code == 401
