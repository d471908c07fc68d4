"""Conformance: POST requests — what a filed request becomes, and every
refusal (which creates nothing) in both formats."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from gridcity.cases.models import Case, CaseTask
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.geo.models import Community, Street, UnitGrid
from gridcity.open311 import attributes, keys
from gridcity.open311.models import Open311Request
from tests.cases.conftest import MONDAY_10AM
from tests.cases.test_closed_loop import ok
from tests.open311.conftest import counts, document, east, errors, west

FORMATS = ["json", "xml"]


def created(response, fmt: str) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    (body,) = document(response, fmt, "service_requests")
    assert list(body) == ["service_request_id", "service_notice", "account_id"]
    return body


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_filed_request_is_a_public_report_of_source_open311(post, api, fmt):
    body = created(
        post(
            fmt,
            service_code="E0102",
            **east(),
            description="路边有一堆垃圾\n已经三天了",
            email="li.lei@example.cn",
            first_name="磊",
            last_name="李",
            phone="13800000000",
            device_id="tt222111",
            account_id="123456",
            media_url="https://img.example.cn/1.jpg",
            address_string="东社区 东门口",
        ),
        fmt,
    )
    case = db.session.scalar(select(Case))
    assert body["service_request_id"] == case.number and case.number.startswith("20261130")
    assert str(body["account_id"]) == "123456"
    assert "4 working hours" in body["service_notice"]  # E0102: working hours on its clock
    assert (case.source, case.reporter_id, case.state) == ("open311", None, "reported")
    assert case.category.code == "E0102" and case.unit_grid_id is not None
    assert case.description == "路边有一堆垃圾\n已经三天了" and case.address == "东社区 东门口"
    assert case.reporter_contact == "Open311 fixmystreet: 磊 李 / 13800000000 / li.lei@example.cn"
    row = db.session.scalar(select(Open311Request))
    assert (row.case_id, row.token, row.media_url) == (
        case.id,
        case.client_uuid,
        "https://img.example.cn/1.jpg",
    )
    assert (row.email, row.first_name, row.last_name, row.phone) == (
        "li.lei@example.cn",
        "磊",
        "李",
        "13800000000",
    )
    assert (row.device_id, row.account_id) == ("tt222111", "123456")
    assert row.api_key.client == "fixmystreet" and row.service_notice == body["service_notice"]


def test_the_operator_accept_sends_a_verify_task_like_any_public_report(post, api):
    created(post(service_code="E0102", **west()), "json")
    case_id = db.session.scalar(select(Case.id))
    detail = ok(api("op").get(f"/api/v1/cases/{case_id}"))
    detail = ok(api("op").act(detail, "accept"))
    assert detail["state"] == "verifying"
    task = db.session.scalar(select(CaseTask))
    assert task.kind == "verify" and task.inspector.username == "insp"  # WEST is WG01's grid


def test_attributes_are_checked_kept_and_shown_to_staff(post):
    body = created(
        post(
            service_code="C0101",
            **east(),
            **{"attribute[cover_condition]": "missing"},
            description="井盖没了",
        ),
        "json",
    )
    assert "2 hours (round the clock)" in body["service_notice"]
    case = db.session.scalar(select(Case))
    assert case.description == "井盖没了\n\n【Open311 附加信息】井盖的情况：缺失"
    assert db.session.scalar(select(Open311Request.attributes)) == {"cover_condition": "missing"}


def test_a_multivaluelist_takes_several_values_and_unknown_attributes_are_kept(post):
    attributes.load_attributes(
        {
            "services": {
                "E0102": [
                    {
                        "code": "kinds",
                        "datatype": "multivaluelist",
                        "required": True,
                        "description": {"zh": "垃圾种类", "en": "Kinds"},
                        "values": [{"key": "food", "name": "厨余"}, {"key": "bulky", "name": "大件"}],
                    }
                ]
            }
        }
    )
    db.session.commit()
    fields = {"attribute[kinds][]": ["food", "bulky"], "attribute[fixmystreet_id]": "42"}
    created(post("xml", service_code="E0102", **east(), **fields), "xml")
    assert db.session.scalar(select(Open311Request.attributes)) == {
        "kinds": ["food", "bulky"],
        "fixmystreet_id": "42",
    }
    # The client's own attribute is kept as an attribute, not told to the public.
    assert db.session.scalar(select(Case.description)).endswith("【Open311 附加信息】垃圾种类：厨余、大件")


@pytest.mark.parametrize("fmt", FORMATS)
def test_address_string_is_placed_by_unit_grid_code_community_or_street(post, fmt):
    grid = db.session.scalar(
        select(UnitGrid).where(UnitGrid.code.like("440308001001%")).order_by(UnitGrid.code)
    )
    for address, street in (
        (f"路灯旁 {grid.code}", "西街道"),
        ("盐田区东街道东社区菜市场门口", "东街道"),
        ("西街道", "西街道"),
    ):
        created(post(fmt, service_code="E0102", address_string=address), fmt)
        case = db.session.scalar(select(Case).order_by(Case.id.desc()))
        assert case.address == address
        assert case.street_id == _street_id(street)
    by_grid = db.session.scalar(select(Case).order_by(Case.id))
    assert by_grid.unit_grid_id == grid.id


def _street_id(name: str) -> int:
    return db.session.scalar(select(Street.id).where(Street.name == name))


def test_address_id_is_a_unit_grid_code(post):
    grid = db.session.scalar(
        select(UnitGrid).where(UnitGrid.code.like("440308002001%")).order_by(UnitGrid.code)
    )
    created(post(service_code="E0102", address_id=grid.code), "json")
    assert db.session.scalar(select(Case.unit_grid_id)) == grid.id


# ---------------------------------------------------------------- refusals: nothing is created


REFUSALS = [
    # (fields, status, description)
    (
        {"api_key": ""},
        403,
        "No api_key: filing a request needs an API key issued by the city's administrator.",
    ),
    ({"api_key": "o311_not-a-key"}, 403, "Invalid api_key received."),
    ({"service_code": None}, 400, "service_code was not provided (see GET services for the codes)."),
    ({"service_code": "X9999"}, 404, "Unknown service_code X9999 (see GET services for the codes)."),
    ({"lat": "22.5785°N"}, 400, "lat must be decimal degrees (WGS-84); got '22.5785°N'."),
    ({"long": "nan"}, 400, "long must be decimal degrees (WGS-84); got 'nan'."),
    ({"long": None}, 400, "lat and long must be sent together."),
    (
        {"lat": "122.5", "long": "14.2"},
        400,
        "Coordinates out of range: lat must be -90..90 and long -180..180",
    ),
    ({"lat": None, "long": None}, 400, "No location: send lat and long, or address_string, or address_id"),
    (
        {"lat": "22.5785", "long": "114.2600"},
        400,
        "Position (114.260000, 22.578500) is outside the city grid",
    ),
    (
        {"lat": "31.2304", "long": "121.4737"},
        400,
        "Position (121.473700, 31.230400) is outside the city grid: the nearest unit grid is 440308",
    ),
    (
        {"lat": None, "long": None, "address_string": "人民路1号"},
        400,
        "Could not place address_string '人民路1号'",
    ),
    ({"lat": None, "long": None, "address_id": "4403"}, 400, "address_id must be a 15-digit unit grid code"),
    (
        {"lat": None, "long": None, "address_id": "440308009009009"},
        400,
        "No unit grid has the code 440308009009009.",
    ),
    (
        {"media_url": ["https://img.example.cn/1.jpg"] * 21},
        400,
        "Send at most 20 media_url values (got 21).",
    ),
    ({"media_url": "ftp://example.cn/a.jpg"}, 400, "media_url must be an http or https URL"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url must be an http or https URL"),
    ({"email": "not an address"}, 400, "email is not an e-mail address"),
    ({"phone": "1" * 41}, 400, "phone is limited to 40 characters."),
    (
        {"service_code": "C0101"},
        400,
        "Required attribute[cover_condition] (What is wrong with the cover?) was not",
    ),
    (
        {"service_code": "C0101", "attribute[cover_condition]": "gone"},
        400,
        "attribute[cover_condition] = 'gone' is not valid; expected one of missing, broken, displaced, uneven.",
    ),
    (
        {"service_code": "E0501", "attribute[area_m2]": "big"},
        400,
        "attribute[area_m2] = 'big' is not valid; expected a number.",
    ),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("fields", "status", "description"), REFUSALS, ids=[str(r[0])[:40] for r in REFUSALS]
)
def test_refusals_answer_in_the_spec_format_and_create_nothing(post, fmt, fields, status, description):
    response = post(fmt, **{"service_code": "E0102", **east(), **fields})
    (text,) = errors(response, fmt, status)
    assert text.startswith(description), text
    assert counts() == (0, 0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_revoked_key_is_403_and_creates_nothing(post, fmt):
    key = db.session.scalar(select(keys.ApiKey))
    keys.revoke_key(key.id)
    db.session.commit()
    (text,) = errors(post(fmt, service_code="E0102", **east()), fmt, 403)
    assert text == "This api_key was revoked on 2026-11-30; ask the administrator for a new one."
    assert counts() == (0, 0)


def test_a_community_name_in_two_streets_needs_the_street(post):
    db.session.execute(update(Community).values(name="海景社区"))
    db.session.commit()
    (text,) = errors(post(service_code="E0102", address_string="海景社区"), "json", 400)
    assert (
        text
        == "'海景社区' exists in several streets (东街道、西街道); name the street in address_string too."
    )
    assert counts() == (0, 0)
    created(post(service_code="E0102", address_string="西街道海景社区"), "json")
    assert db.session.scalar(select(Case.street_id)) == _street_id("西街道")


def test_errors_are_chinese_unless_english_is_asked_for(client, post):
    response = client.post("/open311/v2/requests.xml", data={"service_code": "E0102", **east()})
    assert errors(response, "xml", 403) == ["缺少 api_key：提交服务请求需要管理员发放的 API 密钥。"]


# ---------------------------------------------------------------- the rate limit


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_key_past_its_rate_limit_gets_429_until_the_next_minute(client, create_key, fmt):
    key = create_key("small-app", rate=2)
    url = f"/open311/v2/requests.{fmt}"
    form = {"api_key": key, "service_code": "E0102", **east()}
    assert client.post(url, data=form).status_code == 200
    # A refused request counts too: this one fails (no location) and uses the second slot.
    assert client.post(url, data={"api_key": key, "service_code": "E0102"}).status_code == 400
    limited = client.post(url, data=form, headers={"Accept-Language": "en"})
    (text,) = errors(limited, fmt, 429)
    assert text == "This api_key may make at most 2 requests a minute; try again in 60 s."
    assert limited.headers["Retry-After"] == "60"
    assert counts() == (1, 1)
    other = create_key("other-app", rate=2)  # each key has its own count
    assert client.post(url, data={**form, "api_key": other}).status_code == 200
    clock.freeze(MONDAY_10AM + dt.timedelta(minutes=1))
    assert client.post(url, data=form).status_code == 200
    assert counts() == (3, 3)
    row = db.session.scalar(select(keys.ApiKey).where(keys.ApiKey.client == "small-app"))
    assert row.window_count == 1 and row.last_used_at == MONDAY_10AM + dt.timedelta(minutes=1)


def test_contact_fields_stay_out_of_the_public_documents(post, client):
    created(post(service_code="E0102", **west(), email="x@example.cn", phone="13912345678"), "json")
    for path in ("requests.json", "requests.xml", "servicerequestupdates.json"):
        text = client.get(f"/open311/v2/{path}").get_data(as_text=True)
        assert "13912345678" not in text and "x@example.cn" not in text
