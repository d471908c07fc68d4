"""The public-feedback operations of the OpenAPI document (gridcity/core/openapi.py
lists them with ``public_feedback_operations()``); their requests and answers
are the models of gridcity/public/feedback_schemas.py."""

from __future__ import annotations


def public_feedback_operations() -> list:
    from gridcity.core.apidoc import PUBLIC, Op, ok
    from gridcity.org.models import Role
    from gridcity.public.photo_review import REVIEW_ROLES

    return [
        Op("get", "/public/map", "public_feedback_api.map_geojson",
           "The public map (公众地图): cases as GeoJSON, positions at their unit grid's centroid",
           ok("A FeatureCollection; each feature's properties: number, status (received, handling, "
              "rechecking, closed), category, reported_on, expected_on, closed_on, approved photos."),
           PUBLIC,
           description="No description, address, phone, name or staff name; a photo only once an operator "
                       "approved it. At most 2,000 cases, newest first.",
           errors={400: "`bad_request`; `public_bad_date`, `public_bad_period`, `public_period_too_long`, "
                        "`public_bad_status`."}),
        Op("get", "/public/photos", "public_feedback_api.pending_photos",
           "Photos waiting for a decision on their publication (照片公开审核)", ok(), REVIEW_ROLES),
        Op("post", "/public/photos/{photo_id}", "public_feedback_api.decide_photo",
           "Approve or reject one photo for the public (audited)", ok(), REVIEW_ROLES,
           errors={400: "`bad_request`: decision is not approved or rejected.", 404: "`not_found`: no such photo."}),
        Op("post", "/cases/{case_id}/recheck", "public_feedback_api.recheck",
           "复核: the inspector's finding on a citizen's \"not fixed\" (fail: reopened as rework)",
           ok("The case after the finding."), (Role.INSPECTOR,),
           description="A new on-site photo (multipart `photos`) is required; a failed finding needs a note.",
           errors={400: "`bad_request`; `check_reason_required`.",
                   403: "`forbidden_role` or `not_your_case`.", 404: "`not_found`: no such case.",
                   409: "`stale_case`; `recheck_nothing_open`: no open \"not fixed\" on the case."}),
    ]  # fmt: skip
