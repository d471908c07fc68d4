"""The app shell at /m/: who gets it, what it carries, how it travels."""

from __future__ import annotations

import gzip
import json
import re

from sqlalchemy import func, select

from gridcity.extensions import db
from gridcity.taxonomy.models import Category


def page_data(html: str) -> dict:
    return json.loads(
        re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)[1]
    )


def test_signed_out_the_app_sends_to_the_sign_in_page(city, client):
    response = client.get("/m/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login?next=/m/")


def test_the_inspector_gets_one_compressed_page_with_everything_the_form_needs(city, signed_in):
    client = signed_in("insp")
    plain = client.get("/m/")
    assert plain.status_code == 200 and plain.mimetype == "text/html"
    html = plain.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "提交上报" in html and "发件箱" in html
    assert '<link rel="manifest" href="/m/manifest.webmanifest">' in html
    data = page_data(html)
    assert data["me"]["username"] == "insp" and data["patrol_kinds"] == [
        "daily",
        "night",
        "holiday",
        "month_end",
    ]
    manhole = next(c for c in data["categories"] if c["code"] == "C0101")
    assert manhole["kind"] == "component" and manhole["py"] == "ssjg"  # 上水井盖
    active = db.session.scalar(select(func.count(Category.id)).where(Category.active))
    assert len(data["categories"]) == active == 109  # every minor class of the default taxonomy
    assert "GCM.start()" in html and "<script src=" not in html  # scripts inline: one round trip

    packed = client.get("/m/", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    # The same page, but for its CSRF token, which is signed with the second it was made.
    token = re.compile(r'<meta name="csrf-token" content="[^"]*">')
    assert token.sub("", gzip.decompress(packed.get_data()).decode()) == token.sub("", html)
    assert len(packed.get_data()) < len(html.encode()) / 3

    client.set_cookie("lang", "en")
    english = client.get("/m/").get_data(as_text=True)
    assert '<html lang="en">' in english and "Send report" in english


def test_other_roles_are_told_the_app_is_for_inspectors(city, signed_in):
    response = signed_in("disp").get("/m/")
    assert response.status_code == 403
    assert "派遣员" in response.get_data(as_text=True)


def test_manifest_and_service_worker_make_it_installable(city, client):
    manifest = client.get("/m/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = json.loads(manifest.get_data(as_text=True))
    assert body["start_url"] == "/m/" and body["scope"] == "/m/" and body["display"] == "standalone"
    for icon in body["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        image.close()
    worker = client.get("/m/sw.js")
    assert worker.mimetype == "text/javascript" and worker.headers["Service-Worker-Allowed"] == "/m/"
    text = worker.get_data(as_text=True)
    assert "__BUILD__" not in text and "/static/vendor/leaflet-1.9.4/leaflet.js" in text


def test_categories_api_has_pinyin_initials(city, signed_in):
    categories = signed_in("insp").get("/api/v1/categories").get_json()
    initials = {c["name_zh"]: c["initials"] for c in categories}
    assert initials["上水井盖"] == "ssjg"
    assert all(re.fullmatch(r"[a-z0-9]+", v) for v in initials.values())
