"""Scorecard exports: an XLSX workbook of a table (openpyxl) and the printable
PDF report for the monthly meeting (reportlab, charts drawn with
reportlab.graphics). Chinese text uses reportlab's built-in CID font
STSong-Light, which needs no font file.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from gridcity.scorecards.scoring.contest import card_reason_text
from gridcity.scorecards.snapshots.freeze import freeze_reason_text
from gridcity.web.ui_text import ui_text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GRADE_FILLS = {"A": "C6EFCE", "B": "E2F0D9", "C": "FFF2CC", "D": "FCE4D6", "E": "F8CBAD"}
CJK_FONT = "STSong-Light"


def _t(key: str, language: str) -> str:
    return ui_text(key, language)


def _count_columns(table) -> list[str]:
    from gridcity.scorecards.presentation.formats import count_columns

    return count_columns(table)


def _indicator_columns(table) -> list[tuple[str, dict]]:
    from gridcity.scorecards.presentation.formats import indicator_columns

    return indicator_columns(table)


def _ind_name(ind: dict, language: str) -> str:
    return ind.get("name_zh" if language == "zh" else "name_en") or ""


def table_header(table, language: str) -> list[str]:
    head = [
        _t("sc_rank", language),
        _t("sc_subject", language),
        _t("sc_code", language),
        _t("sc_score", language),
        _t("sc_grade", language),
        _t("sc_change", language),
    ]
    if table.tier in ("group_leader", "area_head", "center_head"):
        head += [_t("sc_own_score", language), _t("sc_team_score", language)]
    value = _t("sc_value", language)
    head += [f"{_ind_name(ind, language)} ({value})" for _, ind in _indicator_columns(table)]
    head += [_t(f"sc_count_{c}", language) for c in _count_columns(table)]
    return head


def table_rows(table) -> list[list]:
    """The table's figures as plain values, in the header's order."""
    indicators, counts = _indicator_columns(table), _count_columns(table)
    out = []
    for r in table.rows:
        line = [r.rank, r.subject_name, r.subject_code, r.score, r.grade, r.change]
        if table.tier in ("group_leader", "area_head", "center_head"):
            line += [r.own_score, r.team_score]
        line += [
            None if code not in r.indicators else r.indicators[code].get("value") for code, _ in indicators
        ]
        line += [r.counts.get(c) for c in counts]
        out.append(line)
    return out


def _title(table, language: str) -> str:
    tier = _t(f"sc_tier_{table.tier}", language)
    return f"{table.month} {tier}{_t('sc_scorecard', language)}"


def _version_line(table, language: str) -> str:
    parts = [f"{_t('sc_definition_version', language)} {table.definition_version}"]
    if table.version:
        parts.append(f"{_t('sc_version', language)} {table.version}")
        if table.frozen_at:
            from gridcity.scorecards.presentation.formats import local_time

            parts.append(f"{_t('sc_frozen', language)} {local_time(table.frozen_at)}")
        if table.reason:
            parts.append(freeze_reason_text(table.reason, language))
    else:
        parts.append(_t("sc_live", language))
    return " · ".join(parts)


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


def _sheet(ws, title: str, subtitle: str, header: list[str], rows: list[list], grade_col: int | None) -> None:
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([subtitle])
    ws.append([])
    ws.append(header)
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE3EA")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for line in rows:
        ws.append(line)
        if grade_col is not None:
            cell = ws.cell(row=ws.max_row, column=grade_col + 1)
            fill = GRADE_FILLS.get(str(cell.value))
            if fill:
                cell.fill = PatternFill("solid", fgColor=fill)
    for row in ws.iter_rows():
        for cell in row:
            _as_text_if_formula_like(cell)
    ws.freeze_panes = "C5"
    for i, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(8, min(24, len(str(name)) * 2 + 2))


def table_xlsx(table, language: str = "zh") -> bytes:
    """One tier's table: a title, the version line, then one row per subject
    (rank, name, code, score, grade, change, indicator values, counts)."""
    wb = Workbook()
    ws = wb.active
    ws.title = table.tier[:31]
    _sheet(
        ws,
        _title(table, language),
        _version_line(table, language),
        table_header(table, language),
        table_rows(table),
        4,
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def contest_header(contest, language: str) -> tuple[list[str], list[str]]:
    items: dict[str, dict] = {}
    for r in contest.rows:
        for code, item in r.items.items():
            items.setdefault(code, item)
    codes = list(items)
    head = [_t("sc_rank", language), _t("sc_tier_street", language), _t("sc_score", language)]
    head += [(items[c].get("name_zh" if language == "zh" else "name_en") or c) for c in codes]
    head += [
        _t("sc_patrol_deductions", language),
        _t("sc_inspection_deductions", language),
        _t("sc_card", language),
        _t("sc_reason", language),
    ]
    return head, codes


def contest_rows(contest, codes: list[str], language: str) -> list[list]:
    return [
        [r.rank, r.street_name, r.score]
        + [r.items[c].get("deducted") if c in r.items else None for c in codes]
        + [
            r.patrol_deductions,
            r.inspection_deductions,
            _t(f"sc_card_{r.card}", language) if r.card else None,
            card_reason_text(r.card_reason, language) or None,
        ]
        for r in contest.rows
    ]


def contest_xlsx(contest, language: str = "zh") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "contest"
    head, codes = contest_header(contest, language)
    subtitle = f"{_t('sc_full_score', language)} {contest.full_score}"
    _sheet(
        ws,
        f"{contest.month} {_t('sc_contest', language)}",
        subtitle,
        head,
        contest_rows(contest, codes, language),
        None,
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- PDF


def _fonts() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _bar_chart(labels: list[str], values: list[float], font: str, title: str):
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    drawing = Drawing(760, 210)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 45, 700, 140
    chart.data = [values or [0]]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.categoryAxis.categoryNames = [label[:8] for label in labels] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(labels) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 8 else "n"
    chart.bars[0].fillColor = colors.HexColor("#2563eb")
    drawing.add(chart)
    drawing.add(String(40, 195, title, fontName=font, fontSize=10))
    return drawing


def _line_chart(months: list[str], series: list[tuple[str, list]], font: str, title: str):
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    palette = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#be185d", "#4b5563"]
    drawing = Drawing(760, 200)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, 560, 140
    chart.data = [[v if v is not None else None for v in values] for _, values in series] or [[0]]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.categoryAxis.categoryNames = [m[2:] for m in months]
    chart.categoryAxis.labels.fontSize = 7
    for i in range(len(series)):
        chart.lines[i].strokeColor = colors.HexColor(palette[i % len(palette)])
        chart.lines[i].strokeWidth = 1.5
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 620, 170
    legend.fontName, legend.fontSize = font, 7
    legend.colorNamePairs = [
        (colors.HexColor(palette[i % len(palette)]), label[:12]) for i, (label, _) in enumerate(series)
    ]
    drawing.add(legend)
    drawing.add(String(40, 185, title, fontName=font, fontSize=10))
    return drawing


def _pdf(
    title: str, subtitle: str, flowables_after, header: list[str], rows: list[list], grade_col, language
) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author="GridCity",
    )
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=20)
    small = ParagraphStyle("small", fontName=font, fontSize=9, leading=12)
    cell = ParagraphStyle("cell", fontName=font, fontSize=6.5, leading=8)
    story = [Paragraph(title, h1), Paragraph(subtitle, small), Spacer(1, 4 * mm)]
    story += flowables_after
    data = [[Paragraph(str(h), cell) for h in header]] + [[_fmt(v) for v in line] for line in rows]
    usable = landscape(A4)[0] - 24 * mm
    widths = [usable * 0.04, usable * 0.12] + [(usable * 0.84) / max(len(header) - 2, 1)] * (len(header) - 2)
    tbl = Table(data, repeatRows=1, colWidths=widths)
    style = [
        ("FONT", (0, 0), (-1, -1), font, 6.5),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE3EA")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
    ]
    if grade_col is not None:
        for i, line in enumerate(rows, start=1):
            fill = GRADE_FILLS.get(str(line[grade_col]))
            if fill:
                style.append(("BACKGROUND", (grade_col, i), (grade_col, i), colors.HexColor("#" + fill)))
    tbl.setStyle(TableStyle(style))
    story.append(tbl)

    def footer(canvas, doc_):
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.drawRightString(landscape(A4)[0] - 12 * mm, 6 * mm, f"GridCity · {title} · {doc_.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def table_pdf(table, months: list[str], trends: dict[int, list], language: str = "zh") -> bytes:
    """The meeting report of one tier: title and version, a bar chart of the
    scores, the trend of the leading subjects, then the full table."""
    from reportlab.platypus import Spacer

    font = _fonts()
    shown = table.rows[:30]
    charts = [
        _bar_chart(
            [r.subject_name for r in shown],
            [r.score for r in shown],
            font,
            f"{_t('sc_score', language)} (1–{len(shown)})",
        ),
        Spacer(1, 6),
    ]
    names = {r.subject_id: r.subject_name for r in table.rows}
    if trends and len(months) > 1:
        series = [(names.get(i, str(i)), values) for i, values in trends.items()]
        charts += [_line_chart(months, series, font, _t("sc_trend", language)), Spacer(1, 6)]
    header = table_header(table, language)
    return _pdf(
        _title(table, language),
        _version_line(table, language),
        charts,
        header,
        table_rows(table),
        4,
        language,
    )


def contest_pdf(
    contest, cards: list[dict], months: list[str], trends: dict[int, list], language: str = "zh"
) -> bytes:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Spacer

    font = _fonts()
    scale = contest.full_score or 100.0
    flow = [
        _bar_chart(
            [r.street_name for r in contest.rows],
            [r.score * 100.0 / scale for r in contest.rows],
            font,
            _t("sc_contest_trend_caption", language),
        ),
        Spacer(1, 6),
    ]
    names = {r.street_id: r.street_name for r in contest.rows}
    if len(months) > 1:
        series = [
            (names.get(i, str(i)), [None if v is None else v * 100.0 / scale for v in values])
            for i, values in trends.items()
        ]
        flow += [_line_chart(months, series, font, _t("sc_contest_trend", language)), Spacer(1, 6)]
    style = ParagraphStyle("p", fontName=font, fontSize=9, leading=12)
    if cards:
        flow.append(Paragraph(_t("sc_card_notices", language), style))
        for c in cards:
            flow.append(
                Paragraph(
                    f"{_t('sc_card_' + c['color'], language)}: {c['street_name']} — {c['reason_text']}", style
                )
            )
        flow.append(Spacer(1, 6))
    head, codes = contest_header(contest, language)
    title = f"{contest.month} {_t('sc_contest', language)}"
    subtitle = f"{_t('sc_full_score', language)} {contest.full_score}"
    return _pdf(title, subtitle, flow, head, contest_rows(contest, codes, language), None, language)
