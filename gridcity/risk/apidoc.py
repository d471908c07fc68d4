"""The risk API's operations in the OpenAPI document (listed by
``gridcity/core/openapi.py``)."""

from __future__ import annotations


def risk_operations() -> list:
    from gridcity.core.apidoc import Op, ok
    from gridcity.dispatch.services import STAFF_ROLES
    from gridcity.risk.views import TRAINERS

    return [
        Op("post", "/risk/train", "risk_api.train",
           "Train the overdue-risk model (超期风险) now on the city's own history",
           ok(), TRAINERS,
           description="What the nightly job and `gridcity risk train` run: every dispatch with a known outcome "
                       "(handled, late iff after its running deadline; or late while still open), a held-out "
                       "check on the last days, then the open cases scored again. With too little history the "
                       "run is stored as `too_little_history` and no case shows a risk. No personal data."),
        Op("get", "/risk/model", "risk_api.model_status", "The newest training run of the overdue-risk model",
           ok(), STAFF_ROLES),
        Op("get", "/risk/cases", "risk_api.ranked_cases",
           "The open cases by overdue risk, riskiest first, with their main factors in words", ok(), STAFF_ROLES,
           description="As the scoring job last scored them (at most GRIDCITY_RISK_SCORE_SECONDS old). "
                       "No personal data.",
           errors={400: "`bad_request`: limit outside 1–1000."}),
        Op("get", "/risk/cases.xlsx", "risk_api.ranked_cases_xlsx", "The open cases by overdue risk as a workbook",
           ok("The workbook."), STAFF_ROLES,
           media=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
           errors={400: "`bad_request`: limit outside 1–1000."}),
    ]  # fmt: skip
