"""The OpenAPI 3.1 description of the JSON API, served at ``GET /api/v1/openapi.json``.

Request bodies, query parameters and the success answers come from the views'
own declarations (pydantic models in each domain's ``schemas.py``, attached
with ``@operation(body=…, query=…, responses=…)``, ``gridcity/core/api.py``):
what the document says a view accepts is what the view validates, and what it
says a view answers is one model, checked against the real answers by the fuzz
test (``tests/core/test_api_fuzz.py``). The rest — one row per operation with
its summary, roles and errors — is a small table using the code's own
constants (transitions, sources, roles), so a new action shows up here without
an edit. ``tests/core/test_openapi.py`` checks
that every ``/api/`` rule of the app is described, by the endpoint serving it,
that nothing else is, and that every case action has its row in
``ACTION_GUIDE``."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, current_app, has_app_context, jsonify
from pydantic import BaseModel, TypeAdapter

from gridcity.cases import states
from gridcity.cases.search import SEARCH_ROLES
from gridcity.cases.services import REPORTER_SOURCES
from gridcity.cases.views import ACTIONS, MAX_PHOTOS
from gridcity.core.api import Error, declared_operation
from gridcity.core.api import Operation as Declared
from gridcity.core.api import operation as declare
from gridcity.core.apidoc import PUBLIC, Op, Spec, ok, schema
from gridcity.geo.views import MAX_UNIT_GRIDS
from gridcity.inventory.views import NEAR_ROLES
from gridcity.org.models import UNIT_ROLES, Role
from gridcity.patrols.services import PATROL_READERS
from gridcity.taxonomy.views import RULE_READERS
from gridcity.version import __version__

API = "/api/v1"
bp = Blueprint("openapi", __name__, url_prefix=API)

SECURITY_SCHEME = "session"
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


@bp.get("/openapi.json")
@declare(responses={200: dict[str, Any]})
def openapi_json():
    """The document itself; public, like the login it describes."""
    return jsonify(build_document(current_app.config["SESSION_COOKIE_NAME"]))


# ---------------------------------------------------------------- schema shorthand


def one_of(values: Iterable[str], description: str | None = None) -> dict:
    result: dict[str, Any] = {"type": "string", "enum": list(values)}
    return result | ({"description": description} if description else {})


def shape(properties: dict[str, Spec], required: Iterable[str] | None = None) -> dict:
    """An object schema. Every property is required unless ``required`` says
    otherwise: the serialisers always write every key (null when empty)."""
    props = {name: schema(spec) for name, spec in properties.items()}
    needed = list(props if required is None else required)
    return {"type": "object", "properties": props} | ({"required": needed} if needed else {})


# ---------------------------------------------------------------- the action table


def sources_by_role() -> str:
    return "; ".join(f"{role}: {', '.join(sources)}" for role, sources in REPORTER_SOURCES.items())


# action: (Chinese term, what it does, its fields besides version; * required)
ACTION_GUIDE = {
    "accept": ("受理", "register a report; non-inspector sources go to an inspector to verify", "note"),
    "verify": ("核实", "on-site confirmation; fail voids the case", "result\\*, note, lon, lat, photos"),
    "file": ("立案", "file against the filing standard", "note"),
    "void": ("作废", "not a case", "reason\\* (or note)"),
    "merge": ("合并", "same problem as the open case `into`", "into\\*, note"),
    "dispatch": ("派遣", "send to the responsible unit; the handling clock starts", "unit_id, reason"),
    "unit_accept": ("签收", "the unit takes the case on", "note"),
    "handle": ("处置", "the unit reports it fixed; a check task goes out", "photos\\*, note, lon, lat"),
    "check": ("核查", "on-site re-check: pass, or fail back to the unit (返工)", "result\\*, photos\\*, note, lon, lat"),
    "close": ("结案", "close after a passed check", "note"),
    "rework": ("不予结案", "the check's evidence falls short: back to the unit (返工)", "reason\\* (or note)"),
    "request": ("延期 / 挂账 / 回退", "ask for an extension, suspension or return", "kind\\*, reason\\*, extra_amount, review_on"),
    "decide": ("审批", "approve or refuse the pending request", "approve\\*, note"),
    "resume": ("恢复", "end a suspension; the clock runs again", "note"),
    "urge": ("催办", "press the unit holding the case; the state stays, the unit's portal shows it live", "reason\\* (or note)"),
}  # fmt: skip


def action_table() -> str:
    rows = ["| action | 术语 | does | roles | from states | fields |", "|---|---|---|---|---|---|"]
    for action in ACTIONS:
        term, does, fields = ACTION_GUIDE[action]
        transition = states.TRANSITIONS[action]
        roles = ", ".join(r.value for r in transition.roles)
        rows.append(
            f"| {action} | {term} | {does} | {roles} | {', '.join(transition.from_states)} | {fields} |"
        )
    return "\n".join(rows)


# ---------------------------------------------------------------- parameters and bodies


def q(name: str, spec: Spec, description: str, required: bool = False, example: Any = None) -> dict:
    param = {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema(spec),
        "description": description,
    }
    return param | ({"example": example} if example is not None else {})


PATH_PARAMS: dict[str, Spec] = {
    "case_id": ("int", "Case id."),
    "photo_id": ("int", "Photo id."),
    "patrol_id": ("int", "Patrol id."),
    "user_id": ("int", "User id."),
    "rule_id": ("int", "Responsibility rule id."),
    "month": ("str", "YYYY-MM in the city's time zone, e.g. 2026-09."),
    "code": ("str", "Category code, e.g. C0101."),
    "action": ({"type": "string", "enum": list(ACTIONS)}, "The step to take (see the table)."),
    # scorecard appeals
    "appeal_id": ("int", "Appeal id."),
    "key_id": ("int", "Open311 key id (the admin console's number for it)."),
    "day": ("str", "A date, YYYY-MM-DD, e.g. 2027-02-11."),
    "unit_id": ("int", "Responsible unit id."),
    "work_grid_id": ("int", "Work grid id."),
    "settings_version": ("int", "An assessment settings version (考核设置)."),
    "token": ("str", "The private follow link's token (the citizen's receipt)."),
    "layer": (
        {"type": "string", "enum": ["districts", "streets", "communities", "unit_grids", "work_grids"]},
        "A geography layer.",
    ),
}


def path_params(path: str) -> list[dict]:
    return [
        {"name": name, "in": "path", "required": True, "schema": schema(PATH_PARAMS[name])}
        for name in re.findall(r"{(\w+)}", path)
    ]


IMPORT_BODY = {
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/geo+json": {"schema": schema("#FeatureCollection")},
    },
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 8, "maxLength": 64},
    "description": "The client's UUID of this report: a replay answers 200 with the case the first one made.",
}


# ---------------------------------------------------------------- operations

BAD_LOCATION = "`outside_city` (details: nearest_code, distance_m), `bad_position`, `no_grids`"
TOO_LARGE = "The body is over the upload limit (GRIDCITY_MAX_UPLOAD_MB)"
PHOTO_ERRORS = {
    413: f"{TOO_LARGE}, or `photo_too_large`.",
    415: "`photo_type`: a photo is not a JPEG, PNG or WebP.",
}


def operations() -> list[Op]:
    admin = (Role.ADMIN,)
    geo_layer = "A GeoJSON FeatureCollection (WGS-84) of every {}."
    return [
        Op("get", "/csrf", "csrf.csrf_token", "The session's CSRF token (sets the session cookie)",
           ok(), PUBLIC,
           description="Send it as `X-CSRFToken` with every POST (sign-in included); it lasts as long "
                       "as the session. A sign-in answers the new session's token as `csrf_token`."),
        Op("post", "/login", "org.login", "Sign in; sets the session cookie", ok(), PUBLIC,
           errors={400: "`bad_request`: username and password are required.",
                   401: "`bad_credentials`: wrong user name or password, or an inactive account.",
                   429: "`sign_in_locked`: too many wrong passwords for this user name, or "
                        "`sign_in_address_locked`: too many refused sign-ins from this address; "
                        "`Retry-After` says when to try again."}),
        Op("post", "/logout", "org.logout", "Sign out (clears the session)",
           ok(), PUBLIC),
        Op("get", "/me", "org.me", "Who I am: role and scope", ok()),
        Op("get", "/units", "org.list_units", "List responsible units (责任单位)", ok(),
           description="Staff see every unit; a unit's handlers and supervisors only their own."),
        Op("post", "/units", "org.create_unit", "Create a responsible unit (责任单位)",
           ok("Created", 201), admin,
           errors={400: "`bad_request`: code, name or kind missing, or an unknown kind.",
                   409: "`duplicate_code`: a unit has this code."}),
        Op("get", "/users", "org.list_users", "List users", ok(), admin),
        Op("post", "/users", "org.create_user", "Create a user with a role and scope",
           ok("Created", 201), admin,
           errors={400: "`unknown_role`, `unit_needed` (a unit handler or supervisor without a unit), "
                        "`unit_not_for_role`, `work_grids_not_for_role`; `password_too_short`, "
                        "`password_too_common`, `password_is_username`.",
                   404: "`unknown_unit` or `unknown_work_grids`: the unit or a work grid does not exist.",
                   409: "`username_taken`: the user name is taken."}),
        Op("get", "/users/{user_id}", "org.get_user", "One person as the admin console shows them", ok(), admin,
           errors={404: "`user_not_found`."}),
        Op("patch", "/users/{user_id}", "org.update_user",
           "Change a person's name, role, unit, work grids or on-duty status (audited)", ok(), admin,
           errors={400: "`unknown_role`, `unit_needed`, `unit_not_for_role`, `work_grids_not_for_role`.",
                   404: "`user_not_found`, `unknown_unit` or `unknown_work_grids`.",
                   409: "`cannot_demote_self`: an admin cannot take away their own role."}),
        Op("post", "/users/{user_id}/deactivate", "org.deactivate_user",
           "Deactivate (停用): no more sign-ins, sessions end; never deleted", ok(), admin,
           errors={404: "`user_not_found`.", 409: "`cannot_deactivate_self`."}),
        Op("post", "/users/{user_id}/reactivate", "org.reactivate_user", "Reactivate a deactivated person",
           ok(), admin, errors={404: "`user_not_found`."}),
        Op("post", "/users/{user_id}/reset-password", "org.reset_password",
           "Reset a password: the person must change it at the next sign-in", ok(), admin,
           errors={400: "`password_too_short`, `password_too_common`, `password_is_username`.",
                   404: "`user_not_found`."}),
        Op("post", "/users/{user_id}/unlock", "org.unlock_user",
           "End a user's sign-in lock (too many wrong passwords) now", ok(), admin,
           errors={404: "`user_not_found`: no such user."}),
        Op("post", "/users/import/preview", "org.preview_import",
           "Check a CSV / XLSX file of people row by row; saves nothing", ok(), admin,
           errors={400: "`import_bad_file`, `import_missing_columns`, `import_empty`, `import_too_many_rows`.",
                   413: "`import_too_large`."}),
        Op("post", "/users/import", "org.import_users", "Import a CSV / XLSX file of people: all rows or none",
           ok("Created", 201), admin,
           errors={400: "`import_bad_file`, `import_missing_columns`, `import_empty`, `import_too_many_rows`.",
                   413: "`import_too_large`.", 422: "`import_has_errors`: names the lines; nothing saved."}),
        Op("post", "/me/password", "org.change_own_password",
           "Change my own password (the current one required)", ok(),
           description="The only call besides sign-out open to a user whose password an admin reset "
                       "(every other one answers 403 `password_change_required`). Other sessions end.",
           errors={400: "`password_unchanged`, `password_too_short`, `password_too_common`, "
                        "`password_is_username`.",
                   403: "`wrong_old_password`."}),
        Op("get", "/geo/districts", "geo.districts", "District boundaries (区)",
           ok(geo_layer.format("district"))),
        Op("get", "/geo/streets", "geo.streets", "Street boundaries (街道)",
           ok(geo_layer.format("street"))),
        Op("get", "/geo/communities", "geo.communities", "Community boundaries (社区)",
           ok(geo_layer.format("community"))),
        Op("get", "/geo/work-grids", "geo.work_grids", "Work grids (工作网格)",
           ok(geo_layer.format("work grid with a shape"))),
        Op("get", "/geo/unit-grids", "geo.unit_grids", "Unit grids (单元网格) in a bounding box",
           ok(),
           errors={400: "`bad_request`: bbox is missing or not four numbers.",
                   413: f"`bad_request` with status 413: more than {MAX_UNIT_GRIDS} unit grids; zoom in."}),
        Op("get", "/geo/locate", "geo.locate", "Which unit grid, community, street and work grid a point is in",
           ok(),
           errors={400: "`bad_request`: lon or lat is not a number.", 422: BAD_LOCATION + "."}),
        Op("get", "/geo/layers/{layer}/export", "geo.export_layer",
           "Export a geography layer (districts, streets, communities, unit_grids, work_grids) as GeoJSON",
           ok(), admin,
           description="In the chosen datum, with the properties its import reads (code, name, parent "
                       "codes): an exported layer imports again as it is.",
           errors={400: "`bad_request`: an unknown datum.", 404: "`geo_unknown_layer`: no such layer."}),
        Op("get", "/categories", "taxonomy.list_categories", "List active case categories (部件 / 事件)",
           ok()),
        Op("patch", "/categories/{code}", "taxonomy.edit_category",
           "Edit a category's names, standards (立案 / 结案标准), urgency, deadline, duplicate radius or the "
           "photos an inspector's report of it needs", ok(), admin,
           description="Audited (category.update, before → after). The new deadline applies to the next "
                       "dispatch; running cases keep theirs.",
           errors={400: "`bad_request`: a bad deadline, urgency, radius, photo count or text field.",
                   422: "`unknown_category`: no active category has this code."}),
        Op("get", "/responsibility-rules", "taxonomy.list_rules", "List responsibility rules",
           ok(), RULE_READERS, errors={422: "`unknown_category`."}),
        Op("put", "/responsibility-rules", "taxonomy.put_rule",
           "Make a unit responsible for a category at a place (replaces the rule there)",
           ok(), admin, description="Audited (rule.create / rule.update).",
           errors={400: "`bad_request`: place_id is not an integer, or an unknown place_kind.",
                   422: "`unknown_unit` (or inactive), `unknown_category` or `rule_unknown_place`."}),
        Op("patch", "/responsibility-rules/{rule_id}", "taxonomy.move_rule",
           "Give a rule's category and place to another unit", ok(), admin,
           description="Audited (rule.update).",
           errors={404: "`rule_not_found`.", 422: "`unknown_unit`: no active unit has this code."}),
        Op("delete", "/responsibility-rules/{rule_id}", "taxonomy.remove_rule",
           "Remove a responsibility rule (the next less specific rule answers there)",
           ok("The removed rule's id."), admin,
           description="Audited (rule.delete).", errors={404: "`rule_not_found`."}),
        Op("get", "/responsibility-map", "taxonomy.responsibility_map",
           "A category's rules as GeoJSON: each rule's place with its unit, most general place first", ok(),
           admin, errors={400: "`bad_request`: category is required.", 422: "`unknown_category`."}),
        Op("get", "/route", "taxonomy.route_preview",
           "Preview which unit a report would be dispatched to, and the rule that matched",
           ok(), RULE_READERS,
           errors={400: "`bad_request`: lon and lat are required numbers.",
                   422: f"`unknown_category`, {BAD_LOCATION}, `no_responsible_unit`."}),
        Op("get", "/components", "inventory.list_components", "List components (部件)", ok(),
           description="A unit's members see only what their unit owns or maintains.",
           errors={400: "`bad_request`: limit and offset must be integers."}),
        Op("get", "/components/near", "inventory.near", "A category's components (部件) near a position",
           ok(), NEAR_ROLES,
           description="Nearest first (ties by code), with the distance, state and owner unit: what an "
                       "inspector's report there may be about. An event category has none.",
           errors={400: "`bad_request`: category, lon or lat missing; radius_m not in (0, 500], limit not "
                        "in 1..50.",
                   422: "`unknown_category`: no active category has this code."}),
        Op("post", "/components/import", "inventory.import_components", "Import components (部件普查) from CSV or GeoJSON",
           ok("Created", 201), admin, body=IMPORT_BODY,
           description="All or nothing, audited. CSV columns: category, lon, lat (required); code, owner, "
                       "maintainer, state, installed_on. The body is read as text whatever its Content-Type; `format` decides.",
           params=[q("format", one_of(("csv", "geojson")), "Default csv."),
                   q("datum", one_of(("wgs84", "gcj02")), "Datum of the coordinates (default wgs84).")],
           errors={400: "`bad_request` (format), `component_import_missing_columns`, `component_import_empty`, "
                        "`bad_geojson`, `bad_datum`.",
                   413: TOO_LARGE + ".",
                   422: "`component_import_has_errors` (`_features` for GeoJSON): names the records with "
                        "problems (unknown class, position outside the city or not numbers, unknown unit, bad "
                        "state or date, a code repeated or already in the inventory); details.first_error is "
                        "the first problem's key. Nothing saved."}),
        Op("get", "/components/map", "inventory.component_map",
           "The inventory (部件) in a map view as GeoJSON points, filtered by class and state", ok(), admin,
           description="At most 2,000 points: when more match, an even sample (`total` says how many match).",
           errors={400: "`bad_request`, `component_bad_bbox`, `component_unknown_class`, "
                        "`component_unknown_major`, `component_bad_state`."}),
        Op("post", "/reports", "cases.submit_report", "Report a problem (上报): make a case",
           {201: "Created: the new case and likely duplicates.",
            200: "A replay of an Idempotency-Key: the case the first request made."},
           (Role.INSPECTOR, Role.OPERATOR), params=[IDEMPOTENCY_KEY],
           errors={400: "`bad_request` (body or data not a JSON object, more than 9 photos, missing category, "
                        "lon or lat, a bad key, source or urgency), `photo_empty`.",
                   403: f"Also when the source is not the role's ({sources_by_role()}).",
                   **PHOTO_ERRORS,
                   422: f"`unknown_category`, {BAD_LOCATION}, `photo_too_many_pixels`; "
                        "`photos_required` (details: min, got): an inspector's report carries fewer photos "
                        "than its category requires (`inspector_min_photos`); `unknown_component`, "
                        "`component_wrong_category`, `component_too_far` (details: distance_m, max_m); "
                        "`idempotency_key_reused`: this key came with another report (IETF Idempotency-Key)."}),
        Op("get", "/cases", "cases.list_cases", "List and filter the cases I may see (案卷)", ok(),
           description="Staff see every case, a unit's members their unit's, an inspector their work grids' "
                       "and their own reports.",
           errors={400: "`bad_request`: an unknown state or sort, a non-integer id, limit or offset, "
                        "a bad date or bbox."}),
        Op("get", "/cases/search", "cases.search_cases", "Find any case (案卷查询), closed and voided ones too",
           ok(), SEARCH_ROLES,
           description="By its number or its last digits, the reporter's phone (digits, however written), "
                       "words of the description, address or history notes; with place, unit, category, "
                       "state and report dates. Staff search every case, a unit's members their unit's. "
                       "Newest report first; the count stops at a thousand (`more`); phones masked.",
           errors={400: "`bad_request` (a non-integer id, limit or offset); `search_query_too_short`, "
                        "`search_query_too_long`, `search_bad_state`, `search_bad_date`, `search_bad_period`, "
                        "`search_unknown_unit_grid`, `search_unknown_category`."}),
        Op("get", "/cases/{case_id}", "cases.get_case", "A case with its history, photos, tasks and requests",
           ok(),
           errors={403: "`not_your_case`: outside your scope.", 404: "`not_found`: no such case."}),
        Op("post", "/cases/{case_id}/{action}", "cases.act",
           "Take a step of the closed loop (受理, 核实, 立案, 派遣, 处置, 核查, 结案, 延期 / 挂账 / 回退 …)",
           ok("The case after the step."),
           description="Roles are checked per action. Photos (multipart) go with verify, handle and check.\n\n"
                       + action_table(),
           errors={400: "`bad_request`: the body is not a JSON object, `version` is missing, or a field the "
                        "action needs is missing or bad (see the table); `photo_empty`; "
                        "`check_reason_required` (a failed check without a note); `merge_number_required` (merge without "
                        "`into_number` or `into`).",
                   403: "`forbidden_role` (not a role of this action) or `not_your_case`.",
                   404: "`not_found`: no such case, action or `into` case; `case_number_unknown`: no case "
                        "has the `into_number` given.",
                   409: "`stale_case` (details: version, state: reload and retry) or `stale_write` (a concurrent "
                        "write won), `illegal_transition` "
                        "(details: allowed), `bad_merge` (the target is not open), `merge_into_itself`, "
                        "`request_pending`, `no_pending_request`.",
                   **PHOTO_ERRORS,
                   422: "`unknown_unit`, `no_responsible_unit` (dispatch), `photo_too_many_pixels`, "
                        "`extension_too_long` (request, decide: more than GRIDCITY_MAX_EXTENSION_AMOUNT)."}),
        Op("get", "/tasks", "cases.my_tasks", "My open verify (核实) and check (核查) tasks", ok(),
           (Role.INSPECTOR,),
           description="Mine and the unassigned ones of my work grids; nearest first when lon/lat are given.",
           ),
        Op("get", "/photos/{photo_id}", "cases.photo", "A case photo, or its thumbnail",
           ok("The image."), media=PHOTO_TYPES,
           errors={404: "`not_found`: no such photo, or one of a case outside your scope (the same answer); "
                        "`photo_file_missing`: its file is gone."}),
        Op("get", "/events", "cases.events", "History events after a sequence number (the live feed's resync)",
           ok(),
           description="At most 1,000, oldest first, on the cases I may see."),
        *patrol_operations(),
        *scorecard_operations(),
        *dispatch_operations(),
        *screen_operations(),
        *risk_operations(),
        *analysis_operations(),
        *privacy_operations(),
        Op("get", "/audit", "audit.search", "The audit log (审计日志), newest first", ok(), admin,
           description="Every admin change to people, with before → after in words, and every "
                       "sign-in and refused sign-in, with the address it came from.",
           errors={400: "`bad_request`: a date is not YYYY-MM-DD, or limit outside 1–1000."}),
        *hotline_operations(),
        *open311_key_operations(),
        *proactive_operations(),
        *calendar_operations(),
        *org_admin_operations(),
        *public_operations(),
        *public_feedback_operations(),
        Op("get", "/openapi.json", "openapi.openapi_json", "This document", ok(), PUBLIC),
    ]  # fmt: skip


def screen_operations() -> list[Op]:
    """The command center's wall screen (大屏): see gridcity/screen/apidoc.py."""
    from gridcity.screen.apidoc import screen_operations as operations

    return operations()


def open311_key_operations() -> list[Op]:
    """Open311 clients' API keys (Open311 密钥), admins only."""
    admin = (Role.ADMIN,)
    bad = {400: "`open311_key_client` (1–100 characters), `open311_key_rate` (1–100000 a minute)."}
    missing = "`open311_key_not_found`."
    return [
        Op("get", "/open311-keys", "open311_keys.list_keys",
           "Open311 clients' keys: client, prefix, limit, last use, requests filed, revocation", ok(), admin),
        Op("post", "/open311-keys", "open311_keys.issue_key", "Issue a key to a client (audited)",
           ok("Issued: the key is in this answer only", 201), admin, errors=bad),
        Op("patch", "/open311-keys/{key_id}", "open311_keys.update_key",
           "Rename a key's client or change its rate limit (audited)", ok(), admin,
           errors={**bad, 404: missing, 409: "`open311_key_revoked`: a revoked key keeps its limit."}),
        Op("post", "/open311-keys/{key_id}/revoke", "open311_keys.revoke_key",
           "Revoke a key: its requests are refused (403) from now on (audited)", ok(), admin,
           errors={404: missing}),
    ]  # fmt: skip


def risk_operations() -> list[Op]:
    """The overdue-risk model (超期风险): see gridcity/risk/apidoc.py."""
    from gridcity.risk.apidoc import risk_operations as operations

    return operations()


def analysis_operations() -> list[Op]:
    """Decision support (决策建议): see gridcity/analysis/apidoc.py."""
    from gridcity.analysis.apidoc import analysis_operations as operations

    return operations()


def hotline_operations() -> list[Op]:
    """The hotline intake (热线受理): see gridcity/hotline/apidoc.py."""
    from gridcity.hotline.apidoc import hotline_operations as operations

    return operations()


def proactive_operations() -> list[Op]:
    """Proactive tasks (主动治理): see gridcity/proactive/apidoc.py."""
    from gridcity.proactive.apidoc import proactive_operations as operations

    return operations()


def org_admin_operations() -> list[Op]:
    """Units, work grids and their unit grids (组织机构): see gridcity/org/apidoc.py."""
    from gridcity.org.apidoc import org_admin_operations as operations

    return operations()


def public_feedback_operations() -> list[Op]:
    """ "Not fixed", ratings and the public map (公众服务): see gridcity/public/feedback_apidoc.py."""
    from gridcity.public.feedback_apidoc import public_feedback_operations as operations

    return operations()


def calendar_operations() -> list[Op]:
    """The working calendar (工作日历): see gridcity/workcalendar/apidoc.py."""
    from gridcity.workcalendar.apidoc import calendar_operations as operations

    return operations()


def public_operations() -> list[Op]:
    """The citizens' app (随手拍, /api/v1/public/): see gridcity/public/apidoc.py."""
    from gridcity.public.apidoc import public_operations as operations

    return operations()


def privacy_operations() -> list[Op]:
    """A citizen's data requests: see gridcity/ops/apidoc.py."""
    from gridcity.ops.apidoc import privacy_operations as operations

    return operations()


def scorecard_operations() -> list[Op]:
    """Scorecards (绩效评价) and the sanitation contest: see gridcity/scorecards/presentation/apidoc.py."""
    from gridcity.scorecards.presentation.apidoc import scorecard_operations as operations

    return operations()


def patrol_operations() -> list[Op]:
    """Patrols (巡查) and what the inspectors' app (/m/) adds."""
    inspector = (Role.INSPECTOR,)
    reporters = (Role.INSPECTOR, Role.OPERATOR)
    mine = "`not_your_patrol`: another inspector's patrol."
    return [
        Op("post", "/patrols", "patrols.start", "Start a patrol (开始巡查)", ok("Started", 201),
           inspector,
           errors={400: "`bad_request`: unknown kind or interval.",
                   409: "`patrol_running` (details: id): stop the running patrol first."}),
        Op("get", "/patrols", "patrols.list_patrols", "Patrols, newest first", ok(),
           (Role.INSPECTOR, *PATROL_READERS),
           description="An inspector sees their own patrols; staff see all.",
           errors={400: "`bad_request`: unknown state."}),
        Op("get", "/patrols/{patrol_id}", "patrols.get_patrol", "A patrol with its track, covered unit grids and findings",
           ok(), errors={403: mine, 404: "`not_found`: no such patrol."}),
        Op("get", "/patrols/{patrol_id}/progress", "patrols.progress",
           "My patrol so far: its breadcrumbs and the unit grids they cover",
           ok(), inspector,
           description="For the running patrol's map; an ended patrol answers the same from its stored points.",
           errors={403: mine, 404: "`not_found`: no such patrol."}),
        Op("post", "/patrols/{patrol_id}/points", "patrols.add_points", "Add GPS breadcrumbs to my running patrol",
           ok(), inspector,
           errors={400: "`bad_request`: a point without at, lon or lat; more than 2,000 points.", 403: mine,
                   404: "`not_found`.", 409: "`patrol_ended`.", 422: "`bad_position`."}),
        Op("post", "/patrols/{patrol_id}/stop", "patrols.stop", "Stop my patrol (结束巡查): store its track and covered grids",
           ok("The ended patrol (stopping again changes nothing)."), inspector,
           errors={400: "`bad_request`: a bad point.", 403: mine, 404: "`not_found`.", 422: "`bad_position`."}),
        Op("get", "/me/month", "mobile_api.my_month", "My month (本月): reports, valid reports, on-time verify / check",
           ok(), inspector,
           errors={400: "`bad_request`: month is not YYYY-MM."}),
        Op("get", "/me/reports", "mobile_api.my_reports", "My reports (我的上报), newest first",
           {**ok(), 304: "Not modified: none of my reports moved since the ETag given in If-None-Match."},
           inspector,
           description="Only the caller's own reports, with their state, deadline and responsible unit. "
                       "Weak ETag: poll with If-None-Match. A report's history and photos: GET /cases/{id}.",
           errors={400: "`bad_request`: limit or offset out of range."}),
        Op("get", "/reports/{case_id}/receipt", "mobile_api.report_receipt",
           "The receipt of my report: number, where it went, the rules' unit, likely duplicates",
           ok(), reporters,
           errors={403: "`not_your_report`.", 404: "`not_found`: no such case, or one outside your scope."}),
        Op("post", "/reports/{case_id}/same-as", "mobile_api.same_as",
           "\"It's the same\": mark my new report as the same problem as an open case",
           ok(), reporters,
           description="Changes no state: a `same_as` event goes into the report's history for the operator, "
                       "who merges (合并) with the merge action.",
           errors={400: "`bad_request`: same_as is missing.", 403: "`not_your_report`.",
                   404: "`not_found`: no such case, or either case outside your scope (the same answer).",
                   409: "`same_as_refused`: the operator has already taken the report up, or the other case "
                        "is not open."}),
    ]  # fmt: skip


def dispatch_operations() -> list[Op]:
    """The dispatch center's live map (/dispatch/) and the unit portal (/unit/)."""
    from gridcity.dispatch.services import STAFF_ROLES

    readers = (*STAFF_ROLES, *UNIT_ROLES)
    return [
        Op("get", "/dispatch/map", "dispatch_api.map_state", "The live map's state: every open case I may see, compact",
           ok(), readers,
           description="Staff see every open case, a unit's members their unit's. Built from plain columns for the "
                       "wall screen (10,000 open cases in well under a second); gzip-compressed when accepted.",
           errors={400: "`bad_request`: an unknown state, source or queue; ids that are not integers."}),
        Op("get", "/dispatch/queues", "dispatch_api.queues", "My role's work queues (工作队列) and their counts",
           ok(), readers),
        Op("get", "/dispatch/cases/{case_id}", "dispatch_api.drawer", "A case as the dispatch drawer shows it",
           ok(), readers,
           errors={403: "`not_your_case`: outside your scope.", 404: "`not_found`: no such case."}),
    ]  # fmt: skip


# ---------------------------------------------------------------- assembly


def error_response(text: str) -> dict:
    return {"description": text, "content": {"application/json": {"schema": schema("#Error")}}}


def responses(op: Op, declared: Declared | None, components: dict) -> dict:
    out = {}
    answers = declared.responses if declared is not None else {}
    for status, text in op.ok.items():
        # The view's own declaration (gridcity/core/api.py); an undeclared
        # answer (or one that is not JSON, an image) has no schema.
        answer = answers.get(status)
        found = {} if answer is None else {"schema": answer_schema(answer, components)}
        out[str(status)] = {"description": text, "content": {m: found for m in op.media}}
    errors = dict(op.errors)
    if op.roles is not PUBLIC:
        errors.setdefault(401, "`login_required`: not signed in.")
    if op.roles:
        roles = "`forbidden_role`: only " + ", ".join(Role(r).value for r in op.roles) + "."
        errors[403] = " ".join(filter(None, (roles, errors.get(403))))
    out.update({str(status): error_response(errors[status]) for status in sorted(errors)})
    return out


CSRF_PARAM = {
    "name": "X-CSRFToken",
    "in": "header",
    "required": True,
    "description": "The session's CSRF token (GET /api/v1/csrf, the sign-in answer, or the page's "
    "`csrf-token` meta tag). Without it, or from another origin, the answer is 403 and nothing changes.",
    "schema": {"type": "string"},
}
CSRF_ERROR = "`csrf_failed` / `cross_origin_refused`: no valid CSRF token, or another site's page."


def operation(op: Op, declared: Declared | None, components: dict) -> dict:
    changes_state = op.method not in ("get", "head")
    if changes_state:
        errors = dict(op.errors)
        errors[403] = " ".join(filter(None, (errors.get(403), CSRF_ERROR)))
        op = dataclasses.replace(op, errors=errors)
    result: dict[str, Any] = {
        "operationId": op.endpoint,
        "tags": [op.endpoint.split(".")[0]],
        "summary": op.summary,
        "parameters": path_params(op.path) + op.params + ([CSRF_PARAM] if changes_state else []),
        "responses": responses(op, declared, components),
    }
    if op.roles is PUBLIC:
        result["security"] = []
    elif op.roles:
        result["description"] = "Roles: " + ", ".join(Role(r).value for r in op.roles) + "."
    if op.description:
        result["description"] = " ".join(filter(None, (result.get("description"), op.description)))
    if op.body:
        result["requestBody"] = op.body
    if declared is not None:
        # The view's own declarations (gridcity/core/api.py) are what it validates.
        if declared.query is not None:
            kept = [p for p in result["parameters"] if p["in"] != "query"]
            result["parameters"] = kept + query_parameters(declared.query)
        if declared.body is not None:
            result["requestBody"] = declared_body(declared, components)
    if not result["parameters"]:
        del result["parameters"]
    return result


# ---------------------------------------------------------------- from the declarations

MODEL_REF = "#/components/schemas/{model}"


def component_name(model: type[BaseModel]) -> str:
    return model.model_config.get("title") or model.__name__


def add_component(model: type[BaseModel], components: dict) -> dict:
    """Put the model (and the models it uses) under components; a $ref to it."""
    body = model.model_json_schema(ref_template=MODEL_REF)
    put_components({**body.pop("$defs", {}), component_name(model): body}, components)
    return {"$ref": MODEL_REF.format(model=component_name(model))}


def put_components(found: dict, components: dict) -> None:
    """Two different models may not share a name (one would hide the other)."""
    for name, body in found.items():
        if components.setdefault(name, body) != body:
            raise ValueError(f"two different models are both called {name}")


def answer_schema(answer: Any, components: dict) -> dict:
    """A declared response (a model, ``list[Model]``, …): models go under
    components, the answer refers to them."""
    if isinstance(answer, type) and issubclass(answer, BaseModel):
        return add_component(answer, components)
    found = TypeAdapter(answer).json_schema(ref_template=MODEL_REF)
    put_components(found.pop("$defs", {}), components)
    return found


def query_parameters(model: type[BaseModel]) -> list[dict]:
    """One query parameter per field (optional ones are absent, never null)."""
    properties = model.model_json_schema(ref_template=MODEL_REF)["properties"]
    params = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        prop = dict(properties[key])
        alternatives = [a for a in prop.pop("anyOf", []) if a != {"type": "null"}]
        if len(alternatives) == 1:
            prop.update(alternatives[0])
        elif alternatives:
            prop["anyOf"] = alternatives
        if prop.get("default", 0) is None:
            del prop["default"]
        prop.pop("title", None)
        description = prop.pop("description", "")
        examples = prop.pop("examples", None)
        param = {"name": key, "in": "query", "required": info.is_required(), "schema": prop}
        param |= {"description": description} if description else {}
        params.append(param | ({"example": examples[0]} if examples else {}))
    return params


def declared_body(declared: Declared, components: dict) -> dict:
    """JSON of the declared model; forms for sign-in; multipart with the JSON in
    a ``data`` field and up to nine ``photos`` where photos go along."""
    ref = add_component(declared.body, components)
    content: dict[str, Any] = {"application/json": {"schema": ref}}
    if declared.form:
        content["application/x-www-form-urlencoded"] = {"schema": ref}
    if declared.photos:
        multipart = shape(
            {
                "data": (
                    "str",
                    f"The {component_name(declared.body)} object as JSON text (`report` is accepted too).",
                ),
                "photos": {
                    "type": "array",
                    "maxItems": MAX_PHOTOS,
                    "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                },
            },
            required=("data",),
        )
        content["multipart/form-data"] = {
            "schema": multipart,
            "encoding": {
                "data": {"contentType": "application/json"},
                "photos": {"contentType": ", ".join(PHOTO_TYPES)},
            },
        }
    return {"required": True, "content": content}


def declarations() -> dict[str, Declared]:
    """endpoint → what its view declares, for the app serving this request."""
    if not has_app_context():
        return {}
    found = {}
    for endpoint, view in current_app.view_functions.items():
        declared = declared_operation(view)
        if declared is not None:
            found[endpoint] = declared
    return found


TAGS = {
    "org": "Sign-in, users and responsible units (责任单位).",
    "org_admin": "Organisation (组织机构): edit and deactivate units; work grids and their unit grids.",
    "open311_keys": "Open311 clients' API keys (Open311 密钥): issue, rename, limit, revoke.",
    "audit": "The audit log (审计日志): who changed what, before → after, and the sign-ins.",
    "geo": "Map layers and the grid locator (网格定位).",
    "taxonomy": "Case categories (部件 / 事件) and responsibility rules.",
    "inventory": "Components (部件).",
    "cases": "Intake (上报) and the closed loop (闭环) of a case.",
    "patrols": "Patrols (巡查): start, GPS breadcrumbs, stop; track and covered unit grids.",
    "mobile_api": "What the inspectors' app adds: my month, a report's receipt, \"it's the same\".",
    "dispatch_api": "The dispatch center's live map, work queues and case drawer; the unit portal.",
    "hotline_api": "The hotline intake (热线受理): channels, geocoder, duplicates, calls, reply and follow-up.",
    "proactive_api": "Proactive tasks (主动治理): work raised from a hotspot or recurrence, tracked as a case.",
    "scorecards": "Monthly scorecards (绩效评价) per tier, the cases behind each figure, frozen versions, "
    "indicator definitions, and the sanitation contest (市容环卫杯).",
    "public_feedback_api": "The public side (公众服务): the public map, its photo review, the inspector's 复核.",
    "openapi": "This description.",
}


def build_document(session_cookie: str = "session") -> dict:
    """The whole OpenAPI document as a dict (a new one each call)."""
    paths: dict[str, dict] = {}
    components: dict[str, dict] = {}
    declared = declarations()
    add_component(Error, components)
    for op in operations():
        paths.setdefault(API + op.path, {})[op.method] = operation(op, declared.get(op.endpoint), components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "GridCity API",
            "version": __version__,
            "description": "Digital urban management (数字化城管): grids, categories, and cases through "
            "report (上报), accept (受理), verify (核实), file (立案), dispatch (派遣), handle (处置), "
            "check (核查) and close (结案). Sign in with POST /api/v1/login; the session cookie "
            "authenticates the rest, and every POST carries the session's CSRF token in `X-CSRFToken`. "
            "Error messages are Chinese unless the `lang` cookie or "
            "Accept-Language asks for English.",
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "security": [{SECURITY_SCHEME: []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": session_cookie,
                    "description": "The signed session cookie set by POST /api/v1/login.",
                }
            },
            "schemas": components,
        },
    }
