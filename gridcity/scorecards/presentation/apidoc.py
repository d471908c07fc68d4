"""The scorecard operations of the OpenAPI document (gridcity/core/openapi.py
lists them with ``scorecard_operations()``): summaries, roles and errors; what
each answers is the view's declaration (``gridcity/scorecards/schemas.py``)."""

from __future__ import annotations


def scorecard_operations() -> list:
    from gridcity.core.apidoc import Op, json_body, ok
    from gridcity.scorecards.presentation.views import EDITORS, FREEZERS, INSPECTORS, READERS

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
           ok(), READERS,
           description="Computed from the case history by the same rule as the count (live).",
           errors={400: "`bad_request`: bad month, tier, subject or count."}),
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
    ]  # fmt: skip
