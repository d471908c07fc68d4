"""The analyses as the API, the page and the downloads give them: JSON,
GeoJSON (a point per hotspot at its centre, a point per recurrence at its
case) and XLSX in the style of the scorecard exports (numbers as numbers,
Chinese headers by default, the header row frozen; the writer is the
scorecards' own)."""

from __future__ import annotations

import io

import shapely
from openpyxl import Workbook

from gridcity.analysis.hotspots import Hotspot
from gridcity.analysis.links import hotspot_task_url, recurrence_id, recurrence_task_url
from gridcity.analysis.recurrences import RecurrenceReport
from gridcity.analysis.scope import Scope, local_minute
from gridcity.core.geojson import feature, feature_collection
from gridcity.scorecards.presentation.exports import COUNT, DECIMAL, RANK, TEXT, Field, write_sheet
from gridcity.web.ui_text import ui_text

GEOJSON_TYPE = "application/geo+json"


def _t(key: str, language: str) -> str:
    return ui_text(key, language)


def period_fields(scope: Scope) -> dict:
    return {
        "period": scope.label,
        "start": scope.start.isoformat(),
        "end": scope.end.isoformat(),
        "parameters": {
            "eps_m": scope.eps_m,
            "eps_days": scope.eps_days,
            "min_cases": scope.min_cases,
            "window_days": scope.window_days,
        },
    }


def hotspot_dict(hotspot: Hotspot, language: str) -> dict:
    return {**hotspot.to_dict(), "task_url": hotspot_task_url(hotspot, language)}


def hotspots_answer(scope: Scope, hotspots: list[Hotspot], cases_read: int, language: str) -> dict:
    return {
        **period_fields(scope),
        "cases_read": cases_read,
        "hotspots": [hotspot_dict(h, language) for h in hotspots],
    }


def recurrence_dicts(report: RecurrenceReport, language: str) -> list[dict]:
    return [
        {**r.to_dict(), "id": recurrence_id(r), "task_url": recurrence_task_url(r, language)}
        for r in report.rows
    ]


def recurrences_answer(scope: Scope, report: RecurrenceReport, language: str) -> dict:
    body = report.to_dict()
    body["recurrences"] = recurrence_dicts(report, language)
    return {**period_fields(scope), **body}


def hotspots_geojson(hotspots: list[Hotspot], language: str) -> dict:
    return feature_collection(
        feature(
            shapely.Point(h.lon, h.lat),
            {k: v for k, v in hotspot_dict(h, language).items() if k not in ("lon", "lat")},
        )
        for h in hotspots
    )


def recurrences_geojson(
    report: RecurrenceReport, positions: dict[int, tuple[float, float]], language: str
) -> dict:
    return feature_collection(
        feature(shapely.Point(*positions[r["case"]["id"]]), r)
        for r in recurrence_dicts(report, language)
        if r["case"]["id"] in positions
    )


def _workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def direction_text(direction: str, language: str) -> str:
    return _t(f"an_{direction}", language)


def hotspots_xlsx(scope: Scope, hotspots: list[Hotspot], language: str) -> bytes:
    """One sheet: a row per hotspot, ranked."""
    rows = hotspots
    fields = [
        Field(_t("an_rank", language), RANK, [h.rank for h in rows]),
        Field(_t("an_category", language), TEXT, [h.category_name for h in rows]),
        Field(_t("an_cases", language), COUNT, [h.size for h in rows]),
        Field(_t("an_first", language), TEXT, [local_minute(h.first_reported_at) for h in rows]),
        Field(_t("an_last", language), TEXT, [local_minute(h.last_reported_at) for h in rows]),
        Field(_t("an_radius", language), DECIMAL, [h.radius_m for h in rows]),
        Field(_t("an_trend", language), TEXT, [direction_text(h.direction, language) for h in rows]),
        Field(_t("an_trend_weekly", language), TEXT, [" ".join(map(str, h.weekly)) for h in rows]),
        Field(_t("an_streets", language), TEXT, [_named(h.streets) for h in rows]),
        Field(_t("an_units", language), TEXT, [_named(h.units) for h in rows]),
        Field(_t("an_unit_grids", language), TEXT, [" ".join(h.unit_grids) for h in rows]),
        Field(_t("an_case_numbers", language), TEXT, [" ".join(h.case_numbers) for h in rows]),
        Field(_t("an_lon", language), DECIMAL, [h.lon for h in rows]),
        Field(_t("an_lat", language), DECIMAL, [h.lat for h in rows]),
    ]
    wb = Workbook()
    ws = wb.active
    ws.title = _t("an_hotspots", language)
    write_sheet(
        ws, f"{scope.label} {_t('an_hotspots', language)}", _hint(scope, "an_hotspots_hint", language), fields
    )
    for cell in ws["M"][4:] + ws["N"][4:]:
        cell.number_format = "0.000000"
    return _workbook_bytes(wb)


def recurrences_xlsx(scope: Scope, report: RecurrenceReport, language: str) -> bytes:
    """Three sheets: every recurrence, per unit, per street."""
    rows = report.rows
    fields = [
        Field(_t("an_case", language), TEXT, [r.case_number for r in rows]),
        Field(_t("an_reported", language), TEXT, [local_minute(r.reported_at) for r in rows]),
        Field(_t("an_category", language), TEXT, [r.category_name for r in rows]),
        Field(_t("an_previous", language), TEXT, [r.previous_number for r in rows]),
        Field(_t("an_previous_closed", language), TEXT, [local_minute(r.previous_closed_at) for r in rows]),
        Field(_t("an_days_after", language), DECIMAL, [round(r.days_after_close, 2) for r in rows]),
        Field(_t("an_same", language), TEXT, [_t(f"an_same_{r.by}", language) for r in rows]),
        Field(_t("an_unit_grid", language), TEXT, [r.unit_grid_code for r in rows]),
        Field(_t("an_street", language), TEXT, [r.street_name for r in rows]),
        Field(_t("an_unit", language), TEXT, [r.unit_name for r in rows]),
    ]
    wb = Workbook()
    ws = wb.active
    ws.title = _t("an_recurrences", language)
    heading = f"{scope.label} {_t('an_recurrences', language)}"
    write_sheet(ws, heading, _hint(scope, "an_recurrences_hint", language), fields)
    for key, counted in (("an_per_unit", report.per_unit), ("an_per_street", report.per_street)):
        sheet = wb.create_sheet(_t(key, language))
        write_sheet(
            sheet,
            f"{heading} · {_t(key, language)}",
            "",
            [
                Field(_t("an_rank", language), RANK, shared_ranks([c["cases"] for c in counted])),
                Field(
                    _t("an_unit" if key == "an_per_unit" else "an_street", language),
                    TEXT,
                    [c["name"] for c in counted],
                ),
                Field(_t("an_count", language), COUNT, [c["cases"] for c in counted]),
            ],
        )
    return _workbook_bytes(wb)


def shared_ranks(counts: list[int]) -> list[int]:
    """Ranks of counts sorted most first; ties share a rank (1, 2, 2, 4)."""
    return [1 + sum(1 for other in counts if other > n) for n in counts]


def _named(items: list[dict]) -> str:
    return "、".join(f"{i['name']} {i['cases']}" for i in items)


def _hint(scope: Scope, key: str, language: str) -> str:
    return _t(key, language).format(
        m=f"{scope.eps_m:g}",
        days=f"{scope.eps_days:g}" if key == "an_hotspots_hint" else scope.window_days,
        n=scope.min_cases,
    )
