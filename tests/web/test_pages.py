"""The pages and the role checks behind them, through the Flask test client."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from gridcity import create_app
from tests.conftest import use_csrf_client

PAGE_DATA_RE = re.compile(r'<script type="application/json" id="page-data">(.*?)</script>', re.S)
ASSET_RE = re.compile(r'(?:src|href)="(/static/[^"]+)"')

# One user of every role (and an area head, who is a manager with an area).
USERS = {
    "admin": "admin",
    "manager": "manager",
    "area_head": "head01",
    "operator": "operator1",
    "shift_leader": "leader1",
    "dispatcher": "dispatcher1",
    "inspector": "insp001",
    "unit_handler": "unit-yt-hw",
    "unit_supervisor": "sup-yt-hw",
}
NOT_ADMIN = [name for name in USERS.values() if name != "admin"]


def page_data(response) -> dict:
    match = PAGE_DATA_RE.search(response.get_data(as_text=True))
    assert match, "the page carries no page-data block"
    return json.loads(match.group(1))


def redirect_target(response) -> tuple[str, dict]:
    parts = urlsplit(response.headers["Location"])
    return parts.path, parse_qs(parts.query)


# ---------------------------------------------------------------- sign-in page


def test_login_page_is_chinese_by_default(create_client):
    response = create_client().get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert "用户名" in html and "密码" in html and "English" in html
    assert '<link rel="icon" href="data:,">' in html


def test_login_page_is_english_with_the_cookie(create_client):
    html = create_client(lang="en").get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "User name" in html and "Sign in" in html and "中文" in html
    assert "用户名" not in html


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin/", "/admin/"),
        ("/?x=1", "/?x=1"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("", "/"),
    ],
)
def test_login_page_only_returns_to_local_paths(create_client, target, expected):
    response = create_client().get("/login", query_string={"next": target})
    assert page_data(response)["next"] == expected


def test_bad_login_gets_401_with_a_readable_message(create_client):
    response = create_client().post("/api/v1/login", json={"username": "admin", "password": "wrong-password"})
    assert response.status_code == 401
    assert response.get_json()["message"] == "用户名或密码错误。"

    response = create_client(lang="en").post(
        "/api/v1/login", json={"username": "nobody", "password": "x" * 8}
    )
    assert response.status_code == 401
    assert response.get_json()["message"] == "Wrong user name or password."


def test_sign_out_ends_the_session(create_client):
    client = create_client("operator1")
    assert client.get("/").status_code == 200
    assert client.post("/api/v1/logout").status_code == 200
    assert client.get("/").status_code == 302


# ---------------------------------------------------------------- home


def test_home_redirects_to_login_when_signed_out(create_client):
    response = create_client().get("/")
    assert response.status_code == 302
    assert redirect_target(response) == ("/login", {"next": ["/"]})


@pytest.mark.parametrize("role", USERS)
def test_every_role_gets_its_home_page(create_client, role):
    client = create_client(USERS[role])
    me = client.get("/api/v1/me").get_json()
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert me["display_name"] in html
    assert me["role_name"]["zh"] in html
    assert "退出登录" in html
    assert ("/admin/" in html) == (role == "admin")
    data = page_data(response)
    assert data["role"] == me["role"]
    assert data["my_work_grid_ids"] == [w["id"] for w in me["scope"]["work_grids"]]
    assert len(data["bounds"]) == 4 and data["bounds"][0] < data["bounds"][2]
    assert data["tile_url"] == ""


def test_inspector_panel_lists_their_work_grids(create_client):
    client = create_client("insp001")
    grids = client.get("/api/v1/me").get_json()["scope"]["work_grids"]
    html = client.get("/").get_data(as_text=True)
    assert grids, "the demo inspector has work grids"
    assert "我的工作网格" in html
    for grid in grids:
        assert grid["code"] in html and grid["name"] in html
    assert "全市概况" not in html


@pytest.mark.parametrize("username", ["unit-yt-hw", "sup-yt-hw"])
def test_a_units_members_panel_shows_their_unit(create_client, username):
    html = create_client(username).get("/").get_data(as_text=True)
    assert "我的责任单位" in html
    assert "盐田区环境卫生管理处" in html and "YT-HW" in html
    assert "全市概况" not in html


@pytest.mark.parametrize("username", ["admin", "manager", "head01", "dispatcher1"])
def test_staff_panel_shows_the_city_counts(create_client, demo_city, username):
    html = create_client(username).get("/").get_data(as_text=True)
    summary = demo_city["summary"]
    assert "全市概况" in html
    for testid, value in [
        ("count-streets", summary["streets"]),
        ("count-work-grids", summary["work_grids"]),
        ("count-unit-grids", summary["unit_grids"]),
    ]:
        assert f'data-testid="{testid}">{value}<' in html


def test_area_head_sees_their_area(create_client):
    html = create_client("head01").get("/").get_data(as_text=True)
    assert "我负责的片区" in html and "PQ01" in html


def test_home_page_in_english(create_client):
    html = create_client("insp001", lang="en").get("/").get_data(as_text=True)
    assert "My work grids" in html and "Sign out" in html and "Inspector" in html
    assert "我的工作网格" not in html


def test_home_page_assets_are_served(create_client):
    client = create_client("admin")
    html = client.get("/").get_data(as_text=True) + client.get("/admin/").get_data(as_text=True)
    assets = set(ASSET_RE.findall(html))
    assert any(a.endswith("leaflet.js") for a in assets) and any(a.endswith("map.js") for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()


def test_tile_settings_reach_the_map(demo_city):
    app = create_app(
        {
            "instance_dir": demo_city["folder"],
            "database_url": demo_city["url"],
            "secret_key": "tiles",
            "tile_url": "https://tiles.example/{z}/{x}/{y}.png",
            "tile_datum": "gcj02",
        }
    )
    client = use_csrf_client(app).test_client()
    client.post("/api/v1/login", json={"username": "insp001", "password": "gridcity-demo"})
    data = page_data(client.get("/"))
    assert data["tile_url"] == "https://tiles.example/{z}/{x}/{y}.png"
    assert data["tile_datum"] == "gcj02"
    assert data["basemap"]["unavailable"] == "底图不可用：仅显示本系统的网格与部件。"
    with app.app_context():
        from gridcity.extensions import db

        db.engine.dispose()


# ---------------------------------------------------------------- admin page


def test_admin_page_for_admin(create_client):
    response = create_client("admin").get("/admin/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for source in ("/api/v1/users", "/api/v1/units", "/api/v1/categories"):
        assert f'data-source="{source}"' in html


@pytest.mark.parametrize("username", NOT_ADMIN)
def test_admin_page_is_forbidden_to_other_roles(create_client, username):
    client = create_client(username)
    role_name = client.get("/api/v1/me").get_json()["role_name"]["zh"]
    response = client.get("/admin/")
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert role_name in response.get_data(as_text=True)


def test_admin_page_redirects_when_signed_out(create_client):
    response = create_client().get("/admin/")
    assert response.status_code == 302
    assert redirect_target(response) == ("/login", {"next": ["/admin/"]})


# ---------------------------------------------------------------- API role checks


def test_users_api_for_admin(create_client, demo_city):
    response = create_client("admin").get("/api/v1/users")
    assert response.status_code == 200
    expected = sum(len(names) for names in demo_city["summary"]["users"].values())
    assert len(response.get_json()) == expected


@pytest.mark.parametrize("username", NOT_ADMIN)
def test_users_api_is_forbidden_to_other_roles(create_client, username):
    response = create_client(username).get("/api/v1/users")
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden_role"


def test_users_api_needs_a_session(create_client):
    response = create_client().get("/api/v1/users")
    assert response.status_code == 401
    assert response.get_json()["message"] == "请先登录。"


def test_units_api_shows_a_unit_handler_only_their_unit(create_client, demo_city):
    units = create_client("unit-yt-hw").get("/api/v1/units").get_json()
    assert [u["code"] for u in units] == ["YT-HW"]
    assert [u["code"] for u in create_client("sup-yt-jd01").get("/api/v1/units").get_json()] == ["YT-JD01"]
    all_units = create_client("dispatcher1").get("/api/v1/units").get_json()
    assert len(all_units) == demo_city["summary"]["units"]


def test_out_of_the_box_the_basemap_is_openstreetmap_with_its_attribution():
    """No setting: OpenStreetMap's standard tiles (WGS-84), credited; the page's
    policy lets the browser fetch them. An empty URL switches tiles off, as
    the tests run; a URL that is no tile template is refused at start."""
    from gridcity.core.headers import tile_source
    from gridcity.core.settings import Settings, SettingsError

    default = Settings.from_env({})
    assert default.tile_url == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert default.tile_attribution == "© OpenStreetMap contributors"
    assert default.tile_datum == "wgs84" and default.tile_label_url == ""
    assert tile_source(default.tile_url) == "https://tile.openstreetmap.org"
    assert Settings.from_env({"GRIDCITY_TILE_URL": ""}).tile_url == ""
    assert Settings().tile_url == default.tile_url
    # 天地图: vector tiles and their labels, eight subdomains, a key.
    tianditu = Settings.from_env(
        {
            "GRIDCITY_TILE_URL": "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY",
            "GRIDCITY_TILE_LABEL_URL": "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY",
            "GRIDCITY_TILE_SUBDOMAINS": "01234567",
            "GRIDCITY_TILE_ATTRIBUTION": "© 天地图",
        }
    )
    assert tile_source(tianditu.tile_label_url) == "https://*.tianditu.gov.cn"
    with pytest.raises(SettingsError, match="GRIDCITY_TILE_URL"):
        Settings.from_env({"GRIDCITY_TILE_URL": "tile.openstreetmap.org"})


@pytest.mark.parametrize(("username", "query", "expected"), [
    ("insp001", {"next": "/m/"}, "/m/"),
    ("insp001", {}, "/m/"),
    ("dispatcher1", {}, "/"),
    ("dispatcher1", {"next": "//evil.example/"}, "/"),
])  # fmt: skip
def test_a_signed_in_user_never_sees_the_sign_in_form(create_client, username, query, expected):
    # The back button (or a bookmark) leads a signed-in user to /login: on to where they were going.
    response = create_client(username).get("/login", query_string=query)
    assert response.status_code == 302 and redirect_target(response)[0] == expected
