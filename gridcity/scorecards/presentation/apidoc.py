"""The scorecard operations of the OpenAPI document (gridcity/core/openapi.py
lists them with ``scorecard_operations()``): summaries, roles and errors; what
each answers is the view's declaration (``gridcity/scorecards/schemas.py``)."""

from __future__ import annotations


def scorecard_operations() -> list:
    from gridcity.core.apidoc import Op, json_body, ok
    from gridcity.scorecards.presentation.views import (
        EDITORS,
        FREEZERS,
        INSPECTORS,
        READERS,
        SETTINGS_READERS,
    )
    from gridcity.scorecards.snapshots.appeals import APPELLANTS, DECIDERS

    month_errors = {
        400: "`bad_request`: month is not YYYY-MM, or an unknown tier.",
        404: "`not_found`: no such frozen version.",
    }
    return [
        Op("get", "/scorecards/months", "scorecards.months", "Months to pick from, and the tiers",
           ok(), READERS,
           errors={400: "`bad_request`: limit out of range."}),
        Op("get", "/scorecards/months/{month}", "scorecards.month_table",
           "A month's scorecard table (逐级考核) — frozen if frozen, else live", ok(), READERS,
           errors=month_errors),
        Op("get", "/scorecards/months/{month}/cases", "scorecards.month_cases", "The cases behind one figure",
           ok(), (*READERS, *APPELLANTS),
           description="Computed from the case history by the same rule as the count, without the cases "
                       "the latest frozen version's accepted appeals took out. Unit handlers and people "
                       "may read their own rows' figures only.",
           errors={400: "`bad_request`: bad month, tier, subject or count.",
                   403: "`appeal_not_yours`: another unit's or person's figure."}),
        Op("get", "/scorecards/months/{month}/versions", "scorecards.month_versions", "A month's frozen versions",
           ok(), READERS, errors={400: month_errors[400]}),
        Op("post", "/scorecards/months/{month}/freeze", "scorecards.freeze",
           "Freeze the month (version 1), or recompute it as the next version",
           ok("The version made", 201), FREEZERS,
           description="Earlier versions stay readable with ?version=.",
           errors={400: "`bad_request`: the month has not ended; a recomputation without a reason."}),
        Op("get", "/scorecards/months/{month}/contest", "scorecards.month_contest",
           "The sanitation contest (市容环卫杯): streets ranked, deductions, cards", ok(), READERS,
           errors=month_errors),
        Op("get", "/scorecards/trend", "scorecards.trend", "One subject's score over recent months",
           ok(), READERS,
           errors={400: "`bad_request`: bad tier, subject, months or month."}),
        Op("get", "/scorecards/definitions", "scorecards.get_definitions",
           "The indicator definitions (formulas, weights, grades, tier rules)",
           ok(), READERS,
           errors={404: "`not_found`: no such version."}),
        Op("put", "/scorecards/definitions", "scorecards.put_definitions",
           "Store edited indicator definitions as a new version", ok("The new version", 201), EDITORS,
           body=json_body("#Definitions"),
           errors={400: "`bad_request`: a formula that does not parse or uses unknown names or operators; "
                        "bad weights, grades or tier rules."}),
        Op("get", "/scorecards/contest/rules", "scorecards.get_contest_rules",
           "Contest check items, deductions and card rules", ok(), READERS),
        Op("put", "/scorecards/contest/rules", "scorecards.put_contest_rules", "Replace the contest rules",
           ok(), EDITORS, body=json_body("#ContestRules"),
           errors={400: "`bad_request`: bad items or card rules."}),
        Op("get", "/scorecards/settings", "scorecards.settings_versions",
           "Assessment settings versions (考核设置): effective month, who, when, note", ok(), SETTINGS_READERS),
        Op("get", "/scorecards/settings/{settings_version}", "scorecards.settings_version",
           "One settings version and its changes against the one before, in words", ok(), SETTINGS_READERS,
           errors={404: "`not_found`: no such version."}),
        Op("post", "/scorecards/settings/preview", "scorecards.settings_preview",
           "What a draft changes against the newest version, in words (nothing is stored)", ok(), EDITORS,
           errors={400: "`bad_request`: a bad formula, weight, grade, item or card rule.",
                   422: "`settings_weights_not_100`, `settings_band_*`, `settings_card_*`."}),
        Op("post", "/scorecards/settings", "scorecards.save_settings",
           "Store a draft as the next settings version, in force from a month", ok("The new version", 201),
           EDITORS,
           description="Month M is assessed with the newest version whose effective_from ≤ M; a frozen month "
                       "keeps the version it was frozen with. Audited (`assessment_settings.save`).",
           errors={400: "`bad_request`: a bad formula, weight, grade, item or card rule.",
                   422: "`settings_weights_not_100`, `settings_band_*`, `settings_card_*`, "
                        "`settings_effective_*`, `settings_note_required`, `settings_unchanged`."}),
        Op("get", "/scorecards/contest/inspections", "scorecards.list_inspections",
           "Managers' inspection records", ok(), READERS,
           errors={400: "`bad_request`: bad month or street_id."}),
        Op("post", "/scorecards/contest/inspections", "scorecards.add_inspection",
           "Record an inspection deduction with photos (检查记录)", ok("Recorded", 201), INSPECTORS,
           errors={400: "`bad_request`: bad month, item or deduction; `photo_empty`.", 404: "`not_found`: no such street.",
                   413: "`photo_too_large`.", 415: "`photo_type`.", 422: "`photo_too_many_pixels`."}),
        Op("get", "/scorecards/contest/photos/{photo_id}", "scorecards.contest_photo", "An inspection photo",
           ok("The image."), READERS, media=("image/jpeg", "image/png", "image/webp"),
           errors={404: "`not_found`: no such photo."}),
        Op("get", "/scorecards/contest/cards", "scorecards.contest_cards", "Red / yellow cards (红黄牌) issued",
           ok(), READERS,
           errors={400: "`bad_request`: bad month."}),
        Op("post", "/scorecards/appeals", "scorecards.file_appeal",
           "Appeal (考核申诉) a case counted in one's own figure of a frozen month",
           ok("The appeal", 201), APPELLANTS,
           description="JSON, or multipart with the JSON in `data` and evidence `photos`. A unit's member "
                       "appeals their unit's figures (tier `unit`), a person their own (tier = their role); "
                       "within `appeals.window_working_days` working days after the month (definitions).",
           errors={400: "`appeal_reason_required`, `appeal_bad_figure`, `bad_request`, `photo_empty`.",
                   403: "`appeal_not_yours`: not your (unit's) figure.",
                   404: "`appeal_case_not_found`.",
                   409: "`appeal_month_not_frozen`, `appeal_window_closed`, `appeal_duplicate`.",
                   413: "`photo_too_large`.", 415: "`photo_type`.",
                   422: "`appeal_not_counted`: the case is not in that figure; `photo_too_many_pixels`."}),
        Op("get", "/scorecards/appeals", "scorecards.list_appeals",
           "Appeals: one's own (a unit's for its handlers); every appeal for managers",
           ok(), (*APPELLANTS, *DECIDERS),
           errors={400: "`bad_request`: bad state or month."}),
        Op("get", "/scorecards/appeals/{appeal_id}", "scorecards.get_appeal", "One appeal with its history",
           ok(), (*APPELLANTS, *DECIDERS),
           errors={404: "`appeal_not_found`: no such appeal, or not yours."}),
        Op("post", "/scorecards/appeals/{appeal_id}/decide", "scorecards.decide_appeal",
           "Accept or reject an appeal (the assessment office)", ok(), DECIDERS,
           description="Accepting makes the month's next frozen version, which excludes the case from "
                       "that figure; its reason names the appeals. Earlier versions stay unchanged.",
           errors={400: "`appeal_note_required`: a rejection needs a note.",
                   404: "`appeal_not_found`.", 409: "`appeal_decided`: already decided."}),
        Op("get", "/scorecards/appeals/photos/{photo_id}", "scorecards.appeal_photo", "An appeal's evidence photo",
           ok("The image."), (*APPELLANTS, *DECIDERS), media=("image/jpeg", "image/png", "image/webp"),
           errors={404: "`not_found`: no such photo, or not yours to see."}),
    ]  # fmt: skip
