"""The risk in words: its level (高 / 中 / 低 with the percent) and its main
factors ("单位：环卫处 历史超期率高", "派遣时间：晚间"). Factors are stored by
kind and value; the words are written when read, in the reader's language."""

from __future__ import annotations

from flask import current_app

from gridcity.extensions import db
from gridcity.geo.models import Street
from gridcity.org.models import Unit
from gridcity.risk.features import PERIODS
from gridcity.risk.models import TOO_LITTLE_HISTORY
from gridcity.taxonomy.models import Category
from gridcity.web.ui_text import ui_text

LEVELS = ("high", "medium", "low")


def level_of(risk: float) -> str:
    settings = current_app.config["SETTINGS"]
    percent = risk * 100
    if percent >= settings.risk_high_percent:
        return "high"
    return "medium" if percent >= settings.risk_medium_percent else "low"


def level_thresholds() -> dict:
    """The levels' lower bounds in percent, for the pages' lists."""
    settings = current_app.config["SETTINGS"]
    return {"high": settings.risk_high_percent, "medium": settings.risk_medium_percent}


def factor_text(factor: dict, language: str) -> str:
    kind, value = factor["factor"], factor["value"]
    if kind == "unit":
        unit = db.session.get(Unit, value)
        return ui_text("risk_factor_unit", language).format(name=unit.name if unit else "—")
    if kind == "category":
        category = db.session.get(Category, value)
        name = "—" if category is None else category.name_zh if language == "zh" else category.name_en
        return ui_text("risk_factor_category", language).format(name=name)
    if kind == "street":
        street = db.session.get(Street, value)
        return ui_text("risk_factor_street", language).format(name=street.name if street else "—")
    if kind == "clock":
        return ui_text("risk_factor_clock", language).format(name=ui_text(f"d_clock_unit_{value}", language))
    if kind == "period":
        name = ui_text(f"risk_period_{PERIODS[value]}", language)
        return ui_text("risk_factor_dispatched", language).format(name=name)
    if kind == "weekday":
        name = ui_text(f"risk_weekday_{value}", language)
        return ui_text("risk_factor_dispatched", language).format(name=name)
    key = "risk_factor_load" if factor.get("more", True) else "risk_factor_light_load"
    return ui_text(key, language).format(n=value)


def risk_view(scored: dict | None, language: str) -> dict | None:
    """What the drawer shows of a scored case."""
    if scored is None:
        return None
    level = level_of(scored["risk"])
    percent = round(scored["risk"] * 100)
    return {
        "percent": percent,
        "level": level,
        "text": ui_text("d_risk_level", language).format(
            level=ui_text(f"d_risk_level_{level}", language), percent=percent
        ),
        "factors": [factor_text(f, language) for f in scored["factors"]],
    }


def no_risk_note(run, language: str) -> str:
    """Why no case shows a risk: no model trained yet, or too little history."""
    if run is not None and run.status == TOO_LITTLE_HISTORY:
        return ui_text("d_risk_too_little", language)
    return ui_text("d_risk_no_model", language)


def ranked_case_view(case, scored, language: str) -> dict:
    """One line of the open cases by risk: the case, where it stands, its risk in words."""
    view = risk_view({"risk": scored.risk, "factors": scored.factors}, language)
    category = case.category
    return {
        "id": case.id,
        "number": case.number,
        "category": category.name_zh if language == "zh" else category.name_en,
        "unit": case.unit.name if case.unit is not None else None,
        "state": case.state,
        "state_name": ui_text(f"d_state_{case.state}", language),
        "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None,
        **view,
    }


def ranked_cases_xlsx(rows: list[dict], language: str) -> bytes:
    """The open cases by risk as a workbook written the scorecards' way."""
    import io

    from openpyxl import Workbook

    from gridcity.scorecards.presentation.exports import RATE, TEXT, Field, write_sheet
    from gridcity.web.formats import city_datetime

    def t(key: str) -> str:
        return ui_text(key, language)

    separator = "；" if language == "zh" else "; "
    fields = [
        Field(t("risk_col_number"), TEXT, [r["number"] for r in rows]),
        Field(t("risk_col_category"), TEXT, [r["category"] for r in rows]),
        Field(t("risk_col_unit"), TEXT, [r["unit"] or "—" for r in rows]),
        Field(t("risk_col_state"), TEXT, [r["state_name"] for r in rows]),
        Field(t("risk_col_deadline"), TEXT, [city_datetime(r["deadline_at"]) for r in rows]),
        Field(t("risk_col_risk"), RATE, [r["percent"] / 100 for r in rows]),
        Field(t("risk_col_level"), TEXT, [t(f"d_risk_level_{r['level']}") for r in rows]),
        Field(t("risk_col_factors"), TEXT, [separator.join(r["factors"]) for r in rows]),
    ]
    book = Workbook()
    write_sheet(book.active, t("risk_list_title"), "", fields, grade_fills=False)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
