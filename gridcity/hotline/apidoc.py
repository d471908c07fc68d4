"""The hotline operations of the OpenAPI document (gridcity/core/openapi.py
lists them with ``hotline_operations()``); their requests and answers are the
models of gridcity/hotline/schemas.py."""

from __future__ import annotations

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 8, "maxLength": 64},
    "description": "The client's UUID of this call: a replay answers 200 with what the first one made.",
}


def hotline_operations() -> list:
    from gridcity.core.apidoc import Op, ok
    from gridcity.hotline.services import ANSWERERS, PAGE_ROLES, READERS, TAKERS

    no_case = "`not_found`: no such case."
    no_call = "`hotline_no_call`: the case has no hotline call."
    return [
        Op("get", "/hotline/channels", "hotline_api.channels", "The intake channels (受理渠道)", ok(), READERS),
        Op("get", "/hotline/geocode", "hotline_api.geocode",
           "Place what a caller says: grid or component code, street, community, work grid, case address",
           ok(), PAGE_ROLES,
           errors={400: "`bad_request`; `geocode_too_short`.",
                   404: "`geocode_not_found`: nothing found, with what may be typed."}),
        Op("get", "/hotline/duplicates", "hotline_api.duplicates",
           "Likely duplicates of a call before it is saved: open cases of the category nearby",
           ok(), PAGE_ROLES,
           errors={400: "`bad_request`.", 422: "`unknown_category`, `outside_city`, `bad_position`."}),
        Op("post", "/hotline/calls", "hotline_api.take_call",
           "Take a call (受理来电): a new case with its verify task, or the call added to an open case",
           {201: "A new case (reported and accepted: the verify task went to the grid's inspector).",
            200: "The call joined the open case `join_case` (no case made), or a replay of the key."},
           TAKERS, params=[IDEMPOTENCY_KEY],
           description="The caller's name and phone are kept on the call; the answer shows them whole only "
                       "to GRIDCITY_CALLER_PHONE_ROLES.",
           errors={400: "`bad_request`, `hotline_unknown_channel`, `hotline_phone_required`, "
                        "`citizen_phone_invalid`, `hotline_description_required`, `photo_empty`.",
                   404: "`not_found`: no such case to join.",
                   409: "`hotline_join_finished`: the case to join is closed or voided; "
                        "`idempotency_key_taken`.",
                   413: "The body is over the upload limit, or `photo_too_large`.",
                   415: "`photo_type`.",
                   422: "`unknown_category`, `outside_city`, `bad_position`, `idempotency_key_reused`."}),
        Op("get", "/hotline/calls", "hotline_api.recent_calls",
           "The latest calls, newest first (name and phone masked)", ok(), READERS),
        Op("get", "/hotline/cases/{case_id}/calls", "hotline_api.case_calls",
           "The calls on a case, and whether I may reply or follow up", ok(), READERS,
           description="Name and phone whole for GRIDCITY_CALLER_PHONE_ROLES (they call back), masked for "
                       "other staff.",
           errors={404: no_case}),
        Op("post", "/hotline/cases/{case_id}/reply", "hotline_api.reply",
           "Record the reply to the caller (回复)", ok(), ANSWERERS,
           errors={400: "`bad_request`, `hotline_reply_required`.", 404: no_case, 409: no_call}),
        Op("post", "/hotline/cases/{case_id}/follow-up", "hotline_api.follow_up",
           "Record the follow-up call (回访) and the caller's satisfaction", ok(), ANSWERERS,
           errors={400: "`bad_request`: satisfaction is not satisfied, basically_satisfied or dissatisfied.",
                   404: no_case,
                   409: f"{no_call} `hotline_follow_up_too_early`: the case is not closed or voided yet; "
                        "`hotline_no_callback`: no caller wanted a callback."}),
    ]  # fmt: skip
