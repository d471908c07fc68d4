"""The served OpenAPI document: valid, and describing exactly the routes the app serves."""

from __future__ import annotations

import re

import pytest

from gridcity import __version__
from gridcity.cases import queries, states
from gridcity.cases.views import ACTIONS
from gridcity.core.openapi import ACTION_GUIDE, build_document
from gridcity.extensions import db
from gridcity.org.services import create_user

METHODS = {"get", "post", "put", "patch", "delete"}
# A value for each path parameter, to call a documented operation.
SAMPLE_PATH_VALUES = {
    "case_id": "1",
    "photo_id": "1",
    "user_id": "1",
    "rule_id": "1",
    "code": "C0101",
    "action": "accept",
    "patrol_id": "1",
    "month": "2026-09",
    "appeal_id": "1",
    "key_id": "1",
    "day": "2027-02-11",
    "unit_id": "1",
    "work_grid_id": "1",
    "settings_version": "1",
    "token": "x",
    "layer": "streets",
}


def openapi_path(rule: str) -> str:
    """Flask's ``/cases/<int:case_id>`` as OpenAPI's ``/cases/{case_id}``."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def served_operations(app) -> dict[tuple[str, str], str]:
    """(path, method) → endpoint for every /api/ rule of the app."""
    return {
        (openapi_path(rule.rule), method.lower()): rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def documented_operations(document: dict) -> dict[tuple[str, str], dict]:
    return {
        (path, method): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_document_is_served_without_signing_in(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert re.fullmatch(r"3\.1\.\d+", body["openapi"])
    assert body["info"] == {**body["info"], "title": "GridCity API", "version": __version__}
    assert body["servers"] == [{"url": "/"}]


def test_document_is_valid_openapi_3_1(document):
    from openapi_spec_validator import OpenAPIV31SpecValidator

    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in OpenAPIV31SpecValidator(document).iter_errors()
    ]

    assert errors == []


def test_every_api_route_is_documented_and_nothing_else(app, document):
    served = served_operations(app)
    documented = documented_operations(document)

    assert sorted(set(served) - set(documented)) == [], "served but not in the OpenAPI document"
    assert sorted(set(documented) - set(served)) == [], "in the OpenAPI document but not served"


def test_each_operation_names_the_endpoint_that_serves_it(app, document):
    served = served_operations(app)

    for key, operation in documented_operations(document).items():
        assert operation["operationId"] == served[key], key


def test_path_parameters_match_the_path_templates(document):
    for (path, method), operation in documented_operations(document).items():
        declared = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        assert declared == re.findall(r"{(\w+)}", path), (path, method)


def test_session_cookie_is_the_security_scheme(app, document):
    scheme = document["components"]["securitySchemes"]["session"]

    assert scheme == {**scheme, "type": "apiKey", "in": "cookie", "name": app.config["SESSION_COOKIE_NAME"]}
    assert document["security"] == [{"session": []}]
    public = {key for key, op in documented_operations(document).items() if op.get("security") == []}
    assert public == {
        ("/api/v1/csrf", "get"),
        ("/api/v1/login", "post"),
        ("/api/v1/logout", "post"),
        ("/api/v1/openapi.json", "get"),
        # The citizens' app (/p/): citizens have no staff session.
        ("/api/v1/public/categories", "get"),
        ("/api/v1/public/codes", "post"),
        ("/api/v1/public/session", "post"),
        ("/api/v1/public/session", "delete"),
        ("/api/v1/public/me", "get"),
        ("/api/v1/public/nearby", "get"),
        ("/api/v1/public/reports", "post"),
        ("/api/v1/public/me-too", "post"),
        ("/api/v1/public/follow/{token}", "get"),
        ("/api/v1/public/map", "get"),  # the public map (公众地图): no personal data, by design
    }


def test_operations_behind_the_session_answer_401_when_signed_out(client, document):
    for (path, method), operation in documented_operations(document).items():
        if operation.get("security") == []:
            continue
        url = path.format(**SAMPLE_PATH_VALUES)

        response = client.open(url, method=method.upper(), json={})

        assert response.status_code == 401, (method, url)
        assert "401" in operation["responses"], (method, path)
        assert response.get_json()["error"] == "login_required"


def test_error_responses_use_the_error_schema(document):
    error = {"$ref": "#/components/schemas/Error"}
    for (path, method), operation in documented_operations(document).items():
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == error, (path, method, status)


def test_case_actions_follow_the_code(document):
    act = document["paths"]["/api/v1/cases/{case_id}/{action}"]["post"]
    action = next(p for p in act["parameters"] if p["name"] == "action")

    assert action["schema"]["enum"] == list(ACTIONS)
    assert set(ACTION_GUIDE) == set(ACTIONS) == set(states.TRANSITIONS)
    for name in ACTIONS:
        assert f"| {name} |" in act["description"]
    assert set(act["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    body = document["components"]["schemas"]["CaseAction"]
    assert body["required"] == ["version"]
    assert {
        "note",
        "reason",
        "result",
        "unit_id",
        "into",
        "kind",
        "extra_amount",
        "review_on",
        "approve",
    } <= set(body["properties"])


def test_report_accepts_an_idempotency_key_and_photos(document):
    report = document["paths"]["/api/v1/reports"]["post"]

    assert any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in report["parameters"])
    multipart = report["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(multipart["properties"]) == {"data", "photos"}
    assert {"200", "201", "400", "401", "403", "413", "415", "422"} <= set(report["responses"])


def test_documented_case_filters_are_accepted(app, client, document):
    """Every filter of GET /api/v1/cases, with its example value, is understood
    (an unknown or malformed one would answer 400)."""
    create_user("admin", "gridcity-demo", "admin")
    db.session.commit()
    client.post("/api/v1/login", json={"username": "admin", "password": "gridcity-demo"})
    filters = document["paths"]["/api/v1/cases"]["get"]["parameters"]

    assert filters and all("example" in p for p in filters)
    for p in filters:
        response = client.get("/api/v1/cases", query_string={p["name"]: p["example"]})
        assert response.status_code == 200, (p["name"], response.get_json())
    assert next(p for p in filters if p["name"] == "sort")["schema"]["enum"] == list(queries.SORTS)
    assert client.get("/api/v1/cases?sort=nonsense").status_code == 400


def test_build_document_is_a_fresh_dict_each_time(app):
    first = build_document()
    first["paths"].clear()

    assert build_document()["paths"]


# Operations whose input no declaration describes, and why.
UNDECLARED_INPUT = {
    "org.logout": "no input",
    "risk_api.train": "no input (it trains on the whole history)",
    "org.unlock_user": "no input (the user is in the path)",
    "org.deactivate_user": "no input (the user is in the path)",
    "org.reactivate_user": "no input (the user is in the path)",
    "org_admin.deactivate_unit": "no input (the unit is in the path)",
    "org_admin.reactivate_unit": "no input (the unit is in the path)",
    "open311_keys.revoke_key": "no input (the key is in the path)",
    "inventory.import_components": "a CSV or GeoJSON file, checked row by row by the import",
    "scorecards.put_definitions": "a whole definitions document, checked formula by formula by the service",
    "scorecards.put_contest_rules": "a whole rules document, checked item by item by the service",
}


def test_every_request_body_is_validated_from_a_declaration(app, document):
    """Each operation that takes a body validates it against a declared model
    before the view runs, and the document's request body is that model."""
    from gridcity.core.api import declared_operation

    for (path, method), endpoint in served_operations(app).items():
        if method not in ("post", "put", "patch") or endpoint in UNDECLARED_INPUT:
            continue
        declared = declared_operation(app.view_functions[endpoint])
        assert declared is not None and declared.body is not None, endpoint
        schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        name = declared.body.model_config.get("title") or declared.body.__name__
        assert schema == {"$ref": f"#/components/schemas/{name}"}, endpoint


def test_declared_query_parameters_are_the_documented_ones(app, document):
    from gridcity.core.api import declared_operation

    checked = 0
    for (path, method), endpoint in served_operations(app).items():
        declared = declared_operation(app.view_functions[endpoint])
        if declared is None or declared.query is None:
            continue
        documented = {
            p["name"] for p in document["paths"][path][method].get("parameters", []) if p["in"] == "query"
        }
        fields = {info.alias or name for name, info in declared.query.model_fields.items()}
        assert documented == fields, endpoint
        checked += 1
    assert checked >= 15


# Files an operation answers with (a workbook, a GeoJSON download): no JSON schema.
DOWNLOADS = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/geo+json",
    "text/csv",
)


def test_every_success_answer_is_generated_from_a_declared_model(app, document):
    """No hand-written answer is left: each documented 2xx answer is the
    schema of what the serving view declares with ``@operation(responses=…)``
    (an image or a downloaded file declares that it is not JSON)."""
    from gridcity.core import openapi
    from gridcity.core.api import declared_operation
    from gridcity.scorecards.presentation import apidoc

    checked = 0
    for (path, method), endpoint in served_operations(app).items():
        declared = declared_operation(app.view_functions[endpoint])
        answers = {s: r for s, r in document["paths"][path][method]["responses"].items() if s.startswith("2")}
        assert answers and declared is not None, endpoint
        assert set(answers) == {str(s) for s in declared.responses}, endpoint
        for status, answer in declared.responses.items():
            content = answers[str(status)]["content"]
            if answer is None:
                assert all(
                    (media.startswith("image/") or media in DOWNLOADS) and not c
                    for media, c in content.items()
                ), endpoint
                continue
            expected = openapi.answer_schema(answer, {})
            assert content["application/json"]["schema"] == expected, endpoint
            checked += 1
    assert checked >= 50
    # The hand-written tables are gone.
    assert not hasattr(openapi, "response_schemas")
    assert not hasattr(openapi, "extends")
    assert "shape" not in vars(apidoc)


def test_answer_models_describe_their_fields(document):
    schemas = document["components"]["schemas"]

    assert schemas["CaseSummary"]["properties"]["version"]["description"].startswith("Send it back")
    assert "return" in schemas["Counts"]["required"]
    # Always written, null when empty: required and nullable.
    unit = schemas["CaseSummary"]["properties"]["unit"]
    assert "unit" in schemas["CaseSummary"]["required"] and {"type": "null"} in unit["anyOf"]
    # Each model is one component: a request and an answer never share a name.
    request = document["paths"]["/api/v1/scorecards/contest/inspections"]["post"]["requestBody"]
    answer = document["paths"]["/api/v1/scorecards/contest/inspections"]["post"]["responses"]["201"]
    assert request["content"]["application/json"]["schema"] != answer["content"]["application/json"]["schema"]
