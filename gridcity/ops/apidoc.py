"""The citizen data operations of the OpenAPI document (gridcity/core/openapi.py
lists them with ``privacy_operations()``); their requests and answers are the
models of gridcity/ops/privacy_schemas.py."""

from __future__ import annotations


def privacy_operations() -> list:
    from gridcity.core.apidoc import Op, ok
    from gridcity.org.models import Role

    admin = (Role.ADMIN,)
    bad_phone = "`citizen_phone_invalid`: not a phone number."
    return [
        Op("get", "/admin/citizen-data", "privacy.export",
           "A citizen's data (个人信息查询): every case this phone reported", ok(), admin,
           description="Writes an audit entry that names the phone masked (138****5678).",
           errors={400: f"`bad_request`: no phone given; {bad_phone}"}),
        Op("post", "/admin/citizen-data/erase", "privacy.erase",
           "Erase a citizen's contact (个人信息删除) from every case they reported, now", ok(), admin,
           description="The cases and their history stay; only the reporter's name, phone and e-mail go. "
                       "Writes an audit entry without the number itself.",
           errors={400: f"`bad_request`: phone and reason must be text; {bad_phone} "
                        "`citizen_reason_required`: no reason given."}),
    ]  # fmt: skip
