"""The citizen data operations of the OpenAPI document (gridcity/core/openapi.py
lists them with ``privacy_operations()``)."""

from __future__ import annotations


def privacy_operations() -> list:
    from gridcity.core.openapi import Op, json_body, ok, q, shape
    from gridcity.org.models import Role

    admin = (Role.ADMIN,)
    case = shape(
        {
            "number": "str",
            "source": "str",
            "state": "str",
            "category": "str",
            "category_name": "str",
            "description": "str",
            "address": "str?",
            "reported_at": "date-time",
            "closed_at": "date-time?",
            "voided_at": "date-time?",
            "contact": ("object", "The reporter's contact as stored (Open311 requests: each field)."),
        }
    )
    bad_phone = "`citizen_phone_invalid`: not a phone number."
    return [
        Op("get", "/admin/citizen-data", "privacy.export",
           "A citizen's data (个人信息查询): every case this phone reported",
           ok(shape({"phone": ("str", "The number's digits."), "cases": {"type": "array", "items": case}})),
           admin, params=[q("phone", "str", "The citizen's phone number.", required=True, example="13812345678")],
           description="Writes an audit entry that names the phone masked (138****5678).",
           errors={400: bad_phone}),
        Op("post", "/admin/citizen-data/erase", "privacy.erase",
           "Erase a citizen's contact (个人信息删除) from every case they reported, now",
           ok(shape({"phone": ("str", "Masked."), "cases": ("[str]", "The case numbers anonymised.")})),
           admin, body=json_body(shape({"phone": "str", "reason": ("str", "Kept in the audit log.")})),
           description="The cases and their history stay; only the reporter's name, phone and e-mail go. "
                       "Writes an audit entry without the number itself.",
           errors={400: f"`bad_request`: phone and reason must be text; {bad_phone} "
                        "`citizen_reason_required`: no reason given."}),
    ]  # fmt: skip
