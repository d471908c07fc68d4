"""The citizens' app operations of the OpenAPI document (gridcity/core/openapi.py
lists them with ``public_operations()``); their requests and answers are the
models of gridcity/public/schemas.py."""

from __future__ import annotations

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 8, "maxLength": 64},
    "description": "The app's UUID of this report: a replay answers 200 with the first receipt.",
}
LIMITS = (
    "`p_limit_phone_hour`, `p_limit_phone_day`, `p_limit_address` (details: limit): "
    "GRIDCITY_PUBLIC_REPORTS_PER_PHONE_HOUR / _PER_PHONE_DAY / _PER_ADDRESS_HOUR; with Retry-After."
)


def public_operations() -> list:
    from gridcity.core.apidoc import PUBLIC, Op, ok
    from gridcity.public.views import BLOCKERS, COUNT_READERS

    no_link = "`p_no_such_link`: no report has this link."
    return [
        Op("get", "/public/categories", "public_api.categories",
           "The citizens' list of kinds of problem, in plain words (each mapped to a category)", ok(), PUBLIC),
        Op("post", "/public/codes", "public_api.send_code", "Send a one-time code to a phone (验证码)",
           ok(), PUBLIC,
           description="6 digits, valid GRIDCITY_PUBLIC_CODE_MINUTES; sent by GRIDCITY_PUBLIC_SMS_SENDER.",
           errors={400: "`bad_request`, `citizen_phone_invalid`.",
                   403: "`p_blocked`: this phone is on the blocklist.",
                   429: "`p_limit_codes`, `p_limit_codes_address` (details: limit): "
                        "GRIDCITY_PUBLIC_CODES_PER_PHONE_HOUR / _PER_ADDRESS_HOUR; with Retry-After.",
                   503: "`p_sms_failed`: the SMS gateway did not take the message."}),
        Op("post", "/public/session", "public_api.confirm",
           "Confirm the phone with its code: sets the citizen's cookie (gc_citizen)", ok(), PUBLIC,
           errors={400: "`bad_request`, `citizen_phone_invalid`, `p_code_expired`, `p_code_wrong` "
                        "(details: left), `p_code_attempts`.",
                   403: "`p_blocked`."}),
        Op("delete", "/public/session", "public_api.sign_out", "Forget the citizen's cookie", ok(), PUBLIC),
        Op("get", "/public/me", "public_api.me",
           "我的上报 — the signed-in citizen's reports with their private links", ok(), PUBLIC),
        Op("get", "/public/nearby", "public_api.nearby",
           "是不是这些问题之一？ — open cases of this kind within its duplicate radius", ok(), PUBLIC,
           description="Public words only: number, kind, status, distance rounded to 10 m, date; "
                       "no position, no photo, no person.",
           errors={400: "`bad_request`: category, lon or lat missing or not numbers.",
                   422: "`p_unknown_category`: not on the citizens' list."}),
        Op("post", "/public/reports", "public_api.report",
           "上报 — a citizen's report: a new case through the ordinary intake (source public)",
           {201: "Created: the receipt (case number, private link).",
            200: "A replay of the Idempotency-Key: the first receipt."},
           PUBLIC, params=[IDEMPOTENCY_KEY],
           description="Multipart: JSON in `data`, up to 4 `photos`. Needs the citizen's cookie unless "
                       "GRIDCITY_PUBLIC_ANONYMOUS_REPORTS is on.",
           errors={400: "`bad_request`, `p_position_required`, `p_too_many_photos`, `photo_empty`.",
                   403: "`p_sign_in_first`, `p_blocked`.",
                   409: "`idempotency_key_taken`.",
                   413: "The body is over the upload limit, or `photo_too_large`.",
                   415: "`photo_type`.",
                   422: "`p_unknown_category`, `outside_city`, `bad_position`, `photo_too_many_pixels`.",
                   429: LIMITS,
                   503: "`busy`: intake is shedding load (Retry-After)."}),
        Op("post", "/public/me-too", "public_api.me_too",
           "我也遇到 — join an open case nearby (with an optional photo) instead of a new one",
           {201: "Joined: the receipt of this \"me too\".", 200: "Already joined by this citizen."},
           PUBLIC,
           description="Multipart: JSON in `data`, at most one `photos` file.",
           errors={400: "`bad_request`, `p_too_many_photos`, `photo_empty`.",
                   403: "`p_sign_in_first`, `p_blocked`.",
                   404: "`p_no_such_case`.",
                   409: "`p_case_finished`: closed, voided or merged.",
                   413: "The body is over the upload limit, or `photo_too_large`.",
                   415: "`photo_type`.",
                   422: "`photo_too_many_pixels`.",
                   429: LIMITS,
                   503: "`busy`: intake is shedding load (Retry-After)."}),
        Op("get", "/public/follow/{token}", "public_api.follow_report",
           "A report by its private link: status in words, expected date, unit, steps, after-photos",
           ok(), PUBLIC, errors={404: no_link}),
        Op("get", "/public/citizens", "public_api.citizen_counts",
           "Reports and valid reports per citizen (有奖举报), phones masked", ok(), COUNT_READERS),
        Op("get", "/public/citizens/export", "public_api.citizen_counts_csv",
           "The same counts as CSV", ok("CSV"), COUNT_READERS, media=("text/csv",)),
        Op("get", "/public/blocklist", "public_api.blocklist", "The blocked phones (masked) and why",
           ok(), BLOCKERS),
        Op("post", "/public/blocklist", "public_api.block", "Block a phone (audited)", ok(), BLOCKERS,
           errors={400: "`bad_request`, `citizen_phone_invalid`, `p_block_reason`."}),
        Op("post", "/public/blocklist/remove", "public_api.unblock", "Take a phone off the blocklist (audited)",
           ok(), BLOCKERS,
           errors={400: "`bad_request`, `citizen_phone_invalid`.", 404: "`p_not_blocked`."}),
    ]  # fmt: skip
