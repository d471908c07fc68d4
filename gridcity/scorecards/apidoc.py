"""The scorecard operations of the OpenAPI document (gridcity/core/openapi.py
lists them with ``scorecard_operations()``)."""

from __future__ import annotations


def scorecard_operations() -> list:
    from gridcity.core.openapi import Op, json_body, ok, shape
    from gridcity.scorecards.views import EDITORS, FREEZERS, INSPECTORS, READERS

    row = shape(
        {
            "subject_kind": ("str", "The tier."),
            "subject_id": ("int", "Id in its table (0: the center)."),
            "subject_code": "str",
            "subject_name": "str",
            "counts": ("object", "Count name → number; each is drillable with …/cases."),
            "indicators": ("object", "Indicator code → {value, score (0..100), weight, name_zh, name_en}."),
            "score": ("number", "0..100."),
            "grade": ("str", "A–E by the grade bands."),
            "rank": ("int", "1 = best; equal scores share a rank."),
            "previous_score": ("number?", "Last month's frozen score."),
            "change": ("number?", "score − previous_score."),
            "own_score": ("number?", "Leader tiers: their own part."),
            "team_score": ("number?", "Leader tiers: the team's mean."),
            "parent_kind": "str?",
            "parent_id": "int?",
        }
    )
    why = "Why the version was made: `month_end`, or the reason typed for a recomputation."
    table = shape(
        {
            "month": "str",
            "tier": "str",
            "definition_version": ("int", "The indicator definitions used."),
            "version": ("int?", "The frozen version read; null when computed live."),
            "frozen_at": "str?",
            "reason": ("str?", why),
            "reason_text": ("str", "The same in the reader's language (Accept-Language); empty when live."),
            "rows": {"type": "array", "items": row},
        }
    )
    version = shape(
        {
            "month": "str",
            "version": "int",
            "definition_version": "int",
            "reason": ("str", why),
            "reason_text": ("str", "The same in the reader's language (Accept-Language)."),
            "frozen_at": "str",
            "frozen_by": "str?",
        }
    )
    contest_row = shape(
        {
            "street_id": "int",
            "street_code": "str",
            "street_name": "str",
            "items": ("object", "Item code → {name_zh, name_en, points, deducted, score}."),
            "patrol_deductions": "number",
            "inspection_deductions": "number",
            "score": "number",
            "rank": "int",
            "card": {"type": ["string", "null"], "enum": ["yellow", "red", None]},
            "card_reason": ("str?", "The card rules met, `kind:value` joined by `;`."),
            "card_reason_text": ("str", "The same in the reader's language (Accept-Language)."),
        }
    )
    contest_table = shape(
        {
            "month": "str",
            "full_score": "number",
            "version": "int?",
            "rows": {"type": "array", "items": contest_row},
        }
    )
    inspection = shape(
        {
            "id": "int",
            "month": "str",
            "street_id": "int",
            "item_code": "str",
            "deduction": "number",
            "note": "str",
            "inspected_at": "str",
            "created_by_id": "int?",
            "photos": "[object]",
        }
    )
    definitions = shape(
        {
            "tiers": (
                "object",
                "Tier → [{code, name_zh, name_en, formula, weight, scale, if_empty}]. A formula uses "
                "count names, avg_<count>, numbers, + - * / and parentheses.",
            ),
            "grades": ("[object]", "[{grade, min}], highest first; the last starts at 0."),
            "tier_rules": ("object", "group_leader / area_head / center_head → {own, team} weights."),
            "limits_minutes": (
                "object",
                "accept / file / dispatch / close: on-time limits of the center's steps.",
            ),
            "note": "str",
        },
        required=("tiers", "grades"),
    )
    contest_rules = shape(
        {
            "items": (
                "[object]",
                "[{code, name_zh, name_en, points, category_codes, patrol_deductions {night, holiday, "
                "month_end, daily}, is_default}]",
            ),
            "card_rules": ("[object]", "[{kind: last_places | below | consecutive_yellow, value}]"),
        }
    )
    month_errors = {
        400: "`bad_request`: month is not YYYY-MM, or an unknown tier.",
        404: "`not_found`: no such frozen version.",
    }
    return [
        Op("get", "/scorecards/months", "scorecards.months", "Months to pick from, and the tiers",
           ok(shape({"months": "[str]", "tiers": "[str]"})), READERS,
           errors={400: "`bad_request`: limit out of range."}),
        Op("get", "/scorecards/months/{month}", "scorecards.month_table",
           "A month's scorecard table (逐级考核) — frozen if frozen, else live", ok(table), READERS,
           errors=month_errors),
        Op("get", "/scorecards/months/{month}/cases", "scorecards.month_cases", "The cases behind one figure",
           ok(shape({"month": "str", "tier": "str", "subject_id": "int", "count": "str", "case_ids": "[int]",
                     "cases": "[object]"})), READERS,
           description="Computed from the case history by the same rule as the count (live).",
           errors={400: "`bad_request`: bad month, tier, subject or count."}),
        Op("get", "/scorecards/months/{month}/versions", "scorecards.month_versions", "A month's frozen versions",
           ok({"type": "array", "items": version}), READERS, errors={400: month_errors[400]}),
        Op("post", "/scorecards/months/{month}/freeze", "scorecards.freeze",
           "Freeze the month (version 1), or recompute it as the next version",
           ok(version, "The version made", 201), FREEZERS,
           description="Earlier versions stay readable with ?version=.",
           errors={400: "`bad_request`: the month has not ended; a recomputation without a reason."}),
        Op("get", "/scorecards/months/{month}/contest", "scorecards.month_contest",
           "The sanitation contest (市容环卫杯): streets ranked, deductions, cards", ok(contest_table), READERS,
           errors=month_errors),
        Op("get", "/scorecards/trend", "scorecards.trend", "One subject's score over recent months",
           ok("[object]"), READERS,
           errors={400: "`bad_request`: bad tier, subject, months or month."}),
        Op("get", "/scorecards/definitions", "scorecards.get_definitions",
           "The indicator definitions (formulas, weights, grades, tier rules)",
           ok(definitions), READERS,
           errors={404: "`not_found`: no such version."}),
        Op("put", "/scorecards/definitions", "scorecards.put_definitions",
           "Store edited indicator definitions as a new version", ok(definitions, "The new version", 201), EDITORS,
           body=json_body(definitions),
           errors={400: "`bad_request`: a formula that does not parse or uses unknown names or operators; "
                        "bad weights, grades or tier rules."}),
        Op("get", "/scorecards/contest/rules", "scorecards.get_contest_rules",
           "Contest check items, deductions and card rules", ok(contest_rules), READERS),
        Op("put", "/scorecards/contest/rules", "scorecards.put_contest_rules", "Replace the contest rules",
           ok(contest_rules), EDITORS, body=json_body(contest_rules),
           errors={400: "`bad_request`: bad items or card rules."}),
        Op("get", "/scorecards/contest/inspections", "scorecards.list_inspections",
           "Managers' inspection records", ok({"type": "array", "items": inspection}), READERS,
           errors={400: "`bad_request`: bad month or street_id."}),
        Op("post", "/scorecards/contest/inspections", "scorecards.add_inspection",
           "Record an inspection deduction with photos (检查记录)", ok(inspection, "Recorded", 201), INSPECTORS,
           errors={400: "`bad_request`: bad month, item or deduction; `photo_empty`.", 404: "`not_found`: no such street.",
                   413: "`photo_too_large`.", 415: "`photo_type`.", 422: "`photo_too_many_pixels`."}),
        Op("get", "/scorecards/contest/photos/{photo_id}", "scorecards.contest_photo", "An inspection photo",
           ok(None, "The image."), READERS, media=("image/jpeg", "image/png", "image/webp"),
           errors={404: "`not_found`: no such photo."}),
        Op("get", "/scorecards/contest/cards", "scorecards.contest_cards", "Red / yellow cards (红黄牌) issued",
           ok("[object]"), READERS,
           errors={400: "`bad_request`: bad month."}),
    ]  # fmt: skip
