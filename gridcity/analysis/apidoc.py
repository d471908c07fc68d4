"""The decision-support operations of the OpenAPI document (listed by
``gridcity/core/openapi.py``); what each answers is the view's declaration
(``gridcity/analysis/schemas.py``)."""

from __future__ import annotations


def analysis_operations() -> list:
    from gridcity.analysis.scope import ANALYSIS_ROLES
    from gridcity.core.apidoc import Op, ok

    errors = {
        400: "`bad_request`: month not YYYY-MM, from without to, to before from, a period over 366 days, "
        "month and from/to together, a parameter out of range."
    }
    period = (
        "Period: `month` (default this month) or the local days `from`–`to`; filters: street_id, "
        "district_id, category (小类 code), category_class (大类 code prefix). "
    )
    hotspot_rule = (
        "A hotspot: DBSCAN over metres and scaled time per category — at least `min_cases` cases "
        "each within `eps_m` metres and `eps_days` days of another. "
    )
    recurrence_rule = (
        "A recurrence: a case whose category came back to the same unit grid (or component) "
        "within `window_days` of a close; counted against the unit that held the earlier case. "
    )
    xlsx = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)
    return [
        Op("get", "/analysis/hotspots", "analysis_api.hotspots_json", "Hotspots (热点) of a period, ranked",
           ok(), ANALYSIS_ROLES, errors=errors,
           description=period + hotspot_rule + "Each with its cases, category, trend (cases per week, "
                       "rising / falling), streets and units, and the link that makes it a proactive task."),
        Op("get", "/analysis/hotspots.geojson", "analysis_api.hotspots_geojson",
           "Hotspots as GeoJSON: a point per hotspot at its centre", ok("A FeatureCollection."), ANALYSIS_ROLES,
           errors=errors, media=("application/geo+json",), description=period),
        Op("get", "/analysis/hotspots.xlsx", "analysis_api.hotspots_xlsx", "Hotspots as a workbook",
           ok("The workbook."), ANALYSIS_ROLES, errors=errors, media=xlsx, description=period),
        Op("get", "/analysis/recurrences", "analysis_api.recurrences_json",
           "Recurring problems (反复发生) of a period, per unit and per street", ok(), ANALYSIS_ROLES,
           errors=errors, description=period + recurrence_rule + "`unit_id` keeps those against one unit."),
        Op("get", "/analysis/recurrences.geojson", "analysis_api.recurrences_geojson",
           "Recurring problems as GeoJSON: a point per recurring case", ok("A FeatureCollection."),
           ANALYSIS_ROLES, errors=errors, media=("application/geo+json",), description=period),
        Op("get", "/analysis/recurrences.xlsx", "analysis_api.recurrences_xlsx",
           "Recurring problems as a workbook (every case, per unit, per street)", ok("The workbook."),
           ANALYSIS_ROLES, errors=errors, media=xlsx, description=period),
    ]  # fmt: skip
