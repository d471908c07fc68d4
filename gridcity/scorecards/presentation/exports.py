"""Scorecard exports fit to publish: the figures of a table as typed columns,
and the XLSX workbooks (openpyxl). The PDF reports are in
:mod:`gridcity.scorecards.presentation.bulletin`.

In a workbook numbers stay numbers: a rate is stored as its fraction (0.963)
with the percentage format ``0.0%``, scores and ratios with ``0.00``, counts
and ranks as whole numbers, the change since last month with ↑ / ↓. A rate
over an empty denominator (no data, §7.1 rule 9) is the text "—", never 0 %
or 100 %. Each tier is a sheet with its header row frozen; a last sheet
defines every indicator (name, formula in words, weight, the counting rules
it follows).
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from gridcity.core.errors import GridCityError
from gridcity.scorecards.presentation.formats import count_columns, indicator_columns, local_time
from gridcity.scorecards.scoring.contest import card_reason_text
from gridcity.scorecards.snapshots import services as sc
from gridcity.scorecards.snapshots.freeze import freeze_reason_text
from gridcity.web.ui_text import ui_text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GRADE_FILLS = {"A": "C6EFCE", "B": "E2F0D9", "C": "FFF2CC", "D": "FCE4D6", "E": "F8CBAD"}
NO_DATA = "—"
# What a column holds, and how a workbook shows it.
RANK, TEXT, SCORE, GRADE, CHANGE, RATE, DECIMAL, COUNT, WEIGHT = (
    "rank",
    "text",
    "score",
    "grade",
    "change",
    "rate",
    "decimal",
    "count",
    "weight",
)
XLSX_FORMATS = {
    RANK: "0",
    SCORE: "0.00",
    CHANGE: '"↑"0.00;"↓"0.00;0.00',
    RATE: "0.0%",
    DECIMAL: "0.00",
    COUNT: "0",
    WEIGHT: "0.0",
}
# The counting rules (DOMAIN.md §7.1) an indicator follows, from the counts
# its formula reads; every ratio also follows rule 9 (no data is not 100 %).
RULES_BY_COUNT = {
    "handled_on_time": (1, 2, 5),
    "closed_on_time": (1, 5),
    "overdue": (1, 5),
    "overdue_open": (1, 5),
    "should_close": (1, 5),
    "verified": (4,),
    "verified_on_time": (1, 2, 4),
    "checked": (4,),
    "checked_on_time": (1, 2, 4),
    "accepted_verify_on_time": (1, 2),
    "accepted_direct_on_time": (1, 2),
    "filed_on_time": (1, 2),
    "closed_promptly": (1, 2),
    "dispatched_on_time": (1, 2),
    "grid_valid": (6,),
    "missed": (6,),
    "valid": (6,),
}
LEADER_TIERS = ("group_leader", "area_head", "center_head")


def _t(key: str, language: str) -> str:
    return ui_text(key, language)


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# ---------------------------------------------------------------- a table's figures as columns


@dataclass
class Field:
    """One column of a table: header, what it holds, one value per row."""

    header: str
    kind: str
    values: list


def is_rate(formula: str) -> bool:
    """A formula that divides counts (not a count by the tier's mean) is a rate."""
    return "/" in formula and "avg_" not in formula


def definition_document(version: int) -> dict:
    try:
        return sc.definitions(version)
    except GridCityError:
        return {"tiers": {}}


def indicator_name(ind: dict, language: str) -> str:
    return ind.get("name_zh" if language == "zh" else "name_en") or ""


def score_fields(table, language: str, *, with_code: bool = True, value_suffix: bool = True) -> list[Field]:
    """Rank, subject, score, grade, change (and a leader's two parts), then
    each indicator's value."""
    rows = table.rows
    formulas = {
        i["code"]: i.get("formula", "")
        for i in definition_document(table.definition_version).get("tiers", {}).get(table.tier, [])
    }
    fields = [
        Field(_t("sc_rank", language), RANK, [r.rank for r in rows]),
        Field(_t("sc_subject", language), TEXT, [r.subject_name for r in rows]),
    ]
    if with_code:
        fields.append(Field(_t("sc_code", language), TEXT, [r.subject_code for r in rows]))
    fields += [
        Field(_t("sc_score", language), SCORE, [r.score for r in rows]),
        Field(_t("sc_grade", language), GRADE, [r.grade for r in rows]),
        Field(_t("sc_change", language), CHANGE, [r.change for r in rows]),
    ]
    if table.tier in LEADER_TIERS:
        fields += [
            Field(_t("sc_own_score", language), SCORE, [r.own_score for r in rows]),
            Field(_t("sc_team_score", language), SCORE, [r.team_score for r in rows]),
        ]
    suffix = f" ({_t('sc_value', language)})" if value_suffix else ""
    for code, ind in indicator_columns(table):
        kind = RATE if is_rate(formulas.get(code, "")) else DECIMAL
        values = [r.indicators[code].get("value") if code in r.indicators else None for r in rows]
        fields.append(Field(indicator_name(ind, language) + suffix, kind, values))
    return fields


def count_fields(table, language: str) -> list[Field]:
    return [
        Field(_t(f"sc_count_{c}", language), COUNT, [r.counts.get(c) for r in table.rows])
        for c in count_columns(table)
        if any(c in r.counts for r in table.rows)
    ]


def table_fields(table, language: str) -> list[Field]:
    return score_fields(table, language) + count_fields(table, language)


def table_header(table, language: str) -> list[str]:
    return [f.header for f in table_fields(table, language)]


def table_rows(table, language: str = "zh") -> list[list]:
    """The table's figures as plain values, in the header's order."""
    fields = table_fields(table, language)
    return [list(line) for line in zip(*(f.values for f in fields), strict=True)] if fields else []


def contest_fields(contest, language: str) -> list[Field]:
    items: dict[str, dict] = {}
    for r in contest.rows:
        for code, item in r.items.items():
            items.setdefault(code, item)
    rows = contest.rows
    fields = [
        Field(_t("sc_rank", language), RANK, [r.rank for r in rows]),
        Field(_t("sc_tier_street", language), TEXT, [r.street_name for r in rows]),
        Field(_t("sc_score", language), SCORE, [r.score for r in rows]),
    ]
    for code, item in items.items():
        name = indicator_name(item, language) or code
        fields.append(
            Field(name, SCORE, [r.items[code].get("deducted") if code in r.items else None for r in rows])
        )
    fields += [
        Field(_t("sc_patrol_deductions", language), SCORE, [r.patrol_deductions for r in rows]),
        Field(_t("sc_inspection_deductions", language), SCORE, [r.inspection_deductions for r in rows]),
        Field(
            _t("sc_card", language),
            TEXT,
            [_t(f"sc_card_{r.card}", language) if r.card else "" for r in rows],
        ),
        Field(_t("sc_reason", language), TEXT, [card_reason_text(r.card_reason, language) for r in rows]),
    ]
    return fields


# ---------------------------------------------------------------- words around the tables


def title(table, language: str) -> str:
    tier = _t(f"sc_tier_{table.tier}", language)
    return f"{table.month} {tier}{_t('sc_scorecard', language)}"


def version_line(table, language: str) -> str:
    parts = [f"{_t('sc_definition_version', language)} {table.definition_version}"]
    if table.version:
        parts.append(f"{_t('sc_version', language)} {table.version}")
        if table.frozen_at:
            parts.append(f"{_t('sc_frozen', language)} {local_time(table.frozen_at)}")
        if table.reason:
            parts.append(freeze_reason_text(table.reason, language))
    else:
        parts.append(_t("sc_live", language))
    return " · ".join(parts)


def formula_in_words(formula: str, language: str) -> str:
    """``closed_on_time / should_close`` → ``按期结案 ÷ 应结案数``."""

    def name(match: re.Match) -> str:
        word = match.group(0)
        if word.startswith("avg_"):
            return _t("sc_bulletin_tier_mean", language).format(name=_t(f"sc_count_{word[4:]}", language))
        return _t(f"sc_count_{word}", language)

    text = re.sub(r"[A-Za-z_][A-Za-z_0-9]*", name, formula)
    for op, sign in (("/", " ÷ "), ("*", " × "), ("-", " − "), ("+", " + ")):
        text = re.sub(rf"\s*{re.escape(op)}\s*", sign, text)
    return text.strip()


def rules_of(tier: str, formula: str) -> list[int]:
    rules: set[int] = set()
    for word in re.findall(r"[A-Za-z_][A-Za-z_0-9]*", formula):
        rules.update(RULES_BY_COUNT.get(word, ()))
    if tier == "unit":
        rules.add(3)
    if "/" in formula:
        rules.add(9)
    return sorted(rules)


def rules_in_words(rules: list[int], language: str) -> str:
    joiner = "；" if language == "zh" else "; "
    return joiner.join(
        _t("sc_bulletin_rule", language).format(n=n, text=_t(f"sc_bulletin_rule_{n}", language))
        for n in rules
    )


def definition_rows(document: dict, tiers, language: str) -> list[list]:
    """One line per indicator of ``tiers``: tier, name, formula in words,
    weight, its share of the tier's weights, the rules it follows."""
    out = []
    for tier in tiers:
        items = document.get("tiers", {}).get(tier, [])
        total = sum(i.get("weight", 0) for i in items) or 1.0
        for item in items:
            formula = item.get("formula", "")
            out.append(
                [
                    _t(f"sc_tier_{tier}", language),
                    indicator_name(item, language),
                    formula_in_words(formula, language),
                    item.get("weight"),
                    item.get("weight", 0) / total,
                    rules_in_words(rules_of(tier, formula), language),
                ]
            )
    return out


def rules_notes(document: dict, tiers, language: str) -> list[str]:
    """The grade bands and the leader tiers' rule, in words."""
    bands = document.get("grades", [])
    notes = []
    if bands:
        words = [f"{b['grade']} ≥ {b['min']:g}" for b in bands if b.get("min", 0) > 0]
        if len(bands) > 1 and bands[-1].get("min", 0) <= 0:
            words.append(f"{bands[-1]['grade']} < {bands[-2]['min']:g}")
        notes.append(_t("sc_bulletin_grades", language) + ("；" if language == "zh" else "; ").join(words))
    for tier in tiers:
        rule = document.get("tier_rules", {}).get(tier)
        if rule and tier in LEADER_TIERS:
            notes.append(
                _t("sc_bulletin_leader_rule", language).format(
                    tier=_t(f"sc_tier_{tier}", language), own=rule["own"], team=rule["team"]
                )
            )
    notes.append(_t("sc_bulletin_no_data_note", language))
    return notes


# ---------------------------------------------------------------- XLSX


# A text starting with one of these could be run as a formula by a spreadsheet
# (CSV/formula injection: a unit or person named "=HYPERLINK(…)").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _as_text_if_formula_like(cell) -> None:
    """Keep a formula-like text a plain string: stored as text (openpyxl would
    store "=…" as a formula) with Excel's quote prefix, so it is shown as
    typed and never evaluated, not even after an edit. Numbers stay numbers."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True


def display_width(text: str) -> int:
    """Characters as a spreadsheet counts them: a Chinese one is two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(value, kind: str) -> str:
    """How wide a value shows in its number format."""
    if missing(value):
        return NO_DATA
    if kind == RATE:
        return f"{value * 100:.1f}%"
    if kind == WEIGHT:
        return f"{value:.1f}"
    if kind in (SCORE, DECIMAL, CHANGE):
        return f"↑{abs(value):.2f}" if kind == CHANGE else f"{value:.2f}"
    return str(value)


def _sheet_name(name: str, taken: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", name)[:31]
    base, n = name, 2
    while name in taken:
        name = f"{base[:28]} {n}"
        n += 1
    taken.add(name)
    return name


def write_sheet(ws, heading: str, subtitle: str, fields: list[Field], grade_fills: bool = True) -> None:
    """Title, subtitle, a blank line, the header (row 4, frozen with the
    rank and name columns), then one row per subject."""
    ws.append([heading])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([subtitle])
    ws.append([])
    ws.append([f.header for f in fields])
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE3EA")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    centred = Alignment(horizontal="center")
    n_rows = len(fields[0].values) if fields else 0
    widths = [max(6, (display_width(f.header) + 1) // 2 + 1) for f in fields]
    for i in range(n_rows):
        ws.append([NO_DATA if missing(f.values[i]) else f.values[i] for f in fields])
        row = ws.max_row
        for j, f in enumerate(fields):
            cell = ws.cell(row=row, column=j + 1)
            widths[j] = max(widths[j], display_width(_shown(f.values[i], f.kind)))
            if cell.value == NO_DATA:
                cell.alignment = centred
            elif f.kind in XLSX_FORMATS:
                cell.number_format = XLSX_FORMATS[f.kind]
            elif f.kind == GRADE and grade_fills and str(cell.value) in GRADE_FILLS:
                cell.fill = PatternFill("solid", fgColor=GRADE_FILLS[str(cell.value)])
            _as_text_if_formula_like(cell)
    ws.freeze_panes = "C5"
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(60, width + 2)


def write_definitions(ws, document: dict, tiers, language: str) -> None:
    header = [
        _t("sc_tiers", language),
        _t("sc_indicator", language),
        _t("sc_formula", language),
        _t("sc_weight", language),
        _t("sc_bulletin_weight_share", language),
        _t("sc_bulletin_rules", language),
    ]
    rows = definition_rows(document, tiers, language)
    fields = [
        Field(header[0], TEXT, [r[0] for r in rows]),
        Field(header[1], TEXT, [r[1] for r in rows]),
        Field(header[2], TEXT, [r[2] for r in rows]),
        Field(header[3], WEIGHT, [r[3] for r in rows]),
        Field(header[4], RATE, [r[4] for r in rows]),
        Field(header[5], TEXT, [r[5] for r in rows]),
    ]
    heading = f"{_t('sc_bulletin_definitions', language)} · {_t('sc_definition_version', language)} "
    write_sheet(ws, heading + str(document.get("version", "")), "", fields)
    ws.freeze_panes = "A5"
    ws.column_dimensions["F"].width = min(ws.column_dimensions["F"].width, 70)
    for cell in ws["F"][4:]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.append([])
    for note in rules_notes(document, tiers, language):
        ws.append([note])


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def table_xlsx(table, language: str = "zh") -> bytes:
    """One tier's table (first sheet) and the definitions of its indicators."""
    wb = Workbook()
    taken: set[str] = set()
    ws = wb.active
    ws.title = _sheet_name(_t(f"sc_tier_{table.tier}", language), taken)
    write_sheet(ws, title(table, language), version_line(table, language), table_fields(table, language))
    document = definition_document(table.definition_version)
    write_definitions(
        wb.create_sheet(_sheet_name(_t("sc_bulletin_definitions", language), taken)),
        document,
        [table.tier],
        language,
    )
    return _save(wb)


def contest_sheet(ws, contest, language: str) -> None:
    subtitle = f"{_t('sc_full_score', language)} {contest.full_score:g}"
    write_sheet(
        ws, f"{contest.month} {_t('sc_contest', language)}", subtitle, contest_fields(contest, language)
    )


def contest_xlsx(contest, language: str = "zh") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_name(_t("sc_contest", language), set())
    contest_sheet(ws, contest, language)
    return _save(wb)


def month_xlsx(month: str, version: int | None = None, language: str = "zh") -> bytes:
    """The whole month: one sheet per tier, the contest, the definitions."""
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    definition_version = None
    for tier in sc.TIERS:
        table = sc.month_scorecard(month, tier, version)
        definition_version = definition_version or table.definition_version
        ws = wb.create_sheet(_sheet_name(_t(f"sc_tier_{tier}", language), taken))
        write_sheet(ws, title(table, language), version_line(table, language), table_fields(table, language))
    contest_sheet(
        wb.create_sheet(_sheet_name(_t("sc_contest", language), taken)),
        sc.contest_ranking(month, version),
        language,
    )
    document = definition_document(definition_version or 1)
    tiers = [t for t in sc.TIERS if t in document.get("tiers", {}) or t in LEADER_TIERS]
    write_definitions(
        wb.create_sheet(_sheet_name(_t("sc_bulletin_definitions", language), taken)),
        document,
        tiers,
        language,
    )
    return _save(wb)
