"""The scorecard PDFs (reportlab), laid out by :mod:`pdf_layout`.

- :func:`month_bulletin`: the monthly bulletin (考核通报) a centre circulates:
  title and period, the summary figures of the month against the last, the
  rankings of every tier, the sanitation contest's (市容环卫杯) cards and
  ranking, the changes since last month, and the counts as an appendix.
- :func:`table_pdf`: one tier's report (charts, ranking, counts).
- :func:`contest_pdf`: the contest's report.

Each takes an optional ``record`` list that receives, per table piece drawn,
its page, column edges, height and cell texts (see :mod:`pdf_layout`).
"""

from __future__ import annotations

import calendar
import io
from xml.sax.saxutils import escape

from gridcity.scorecards.presentation.display import nice_scale
from gridcity.scorecards.presentation.exports import (
    CHANGE,
    COUNT,
    DECIMAL,
    GRADE,
    GRADE_FILLS,
    RATE,
    SCORE,
    TEXT,
    WEIGHT,
    Field,
    contest_fields,
    count_fields,
    definition_document,
    indicator_name,
    missing,
    score_fields,
    title,
    version_line,
)
from gridcity.scorecards.presentation.formats import indicator_columns
from gridcity.scorecards.presentation.pdf_layout import Column, cjk_font, tables
from gridcity.scorecards.snapshots import services as sc
from gridcity.web.ui_text import ui_text

BULLETIN_TIERS = (
    "district",
    "street",
    "area",
    "work_grid",
    "unit",
    "inspector",
    "operator",
    "shift_leader",
    "dispatcher",
    "group_leader",
    "area_head",
    "center_head",
)
SUMMARY_COUNTS = ("reported", "filed", "closed")
SUMMARY_RATES = ("closure_rate", "on_time_closure_rate")
MOVERS = 3  # risers and fallers named per tier
SECTION_NUMBERS = "一二三四五六七八九十"


def _t(key: str, language: str) -> str:
    return ui_text(key, language)


def change_text(value, digits: int = 2, unit: str = "") -> str:
    """``↑2.35`` / ``↓1.20`` / ``0.00``: never "−0.00"."""
    if missing(value):
        return "—"
    rounded = round(value, digits)
    if rounded == 0:
        return f"{0:.{digits}f}{unit}"
    return f"{'↑' if rounded > 0 else '↓'}{abs(rounded):.{digits}f}{unit}"


def text_of(value, kind: str) -> str:
    """A figure as the PDF shows it (as the pages do)."""
    if missing(value):
        return "—"
    if kind == RATE:
        return f"{value * 100:.1f}%"
    if kind in (SCORE, DECIMAL):
        return f"{value:.2f}"
    if kind == WEIGHT:
        return f"{value:.1f}"
    if kind == CHANGE:
        return change_text(value)
    return str(value)


def columns_of(fields: list[Field], keys: int = 2) -> list[Column]:
    out = []
    for j, f in enumerate(fields):
        fills = {}
        if f.kind == GRADE:
            fills = {i: "#" + GRADE_FILLS[v] for i, v in enumerate(f.values) if v in GRADE_FILLS}
        out.append(
            Column(
                header=f.header,
                cells=[text_of(v, f.kind) for v in f.values],
                align="LEFT" if f.kind == TEXT else "CENTER" if f.kind == GRADE else "RIGHT",
                wrap=f.kind == TEXT,
                key=j < keys,
                fills=fills,
            )
        )
    return out


class Report:
    """A landscape A4 document in the embedded CJK font."""

    def __init__(self, heading: str, language: str, record: list | None = None):
        from flask import current_app
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm

        self.font = cjk_font(current_app.config["SETTINGS"].pdf_font_path)
        self.heading, self.language, self.record = heading, language, record
        self.page = landscape(A4)
        self.margin = 12 * mm
        self.width = self.page[0] - 2 * self.margin
        font = self.font
        self.styles = {
            "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=1),
            "subtitle": ParagraphStyle("subtitle", fontName=font, fontSize=11, leading=16, alignment=1),
            "h2": ParagraphStyle("h2", fontName=font, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4),
            "h3": ParagraphStyle("h3", fontName=font, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=3),
            "p": ParagraphStyle("p", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK"),
            "small": ParagraphStyle("small", fontName=font, fontSize=8, leading=11, wordWrap="CJK"),
        }
        self.story: list = []
        self.sections = 0

    def para(self, text: str, style: str = "p") -> None:
        from reportlab.platypus import Paragraph

        self.story.append(Paragraph(escape(text), self.styles[style]))

    def section(self, text: str) -> None:
        self.sections += 1
        if self.language == "zh":
            self.para(f"{SECTION_NUMBERS[self.sections - 1]}、{text}", "h2")
        else:
            self.para(f"{self.sections}. {text}", "h2")

    def space(self, points: float = 6) -> None:
        from reportlab.platypus import Spacer

        self.story.append(Spacer(1, points))

    def add_chart(self, drawing) -> None:
        """A chart, when there is something to draw."""
        if drawing is not None:
            self.story.append(drawing)

    def table(self, fields: list[Field], label: str, keys: int = 2) -> None:
        if not fields or not fields[0].values:
            self.para(_t("sc_no_rows", self.language), "small")
            return
        self.story += tables(columns_of(fields, keys), self.width, self.font, self.record, label)

    def build(self) -> bytes:
        from reportlab.platypus import SimpleDocTemplate

        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=self.page,
            leftMargin=self.margin,
            rightMargin=self.margin,
            topMargin=self.margin,
            bottomMargin=self.margin,
            title=self.heading,
            author="GridCity",
            # The canvas names an initial font on every page: ours, so no
            # standard (never embedded) font is referenced at all.
            initialFontName=self.font,
        )
        page_word = _t("sc_bulletin_page", self.language)

        def footer(canvas, doc_):
            canvas.saveState()
            canvas.setFont(self.font, 7)
            canvas.drawRightString(
                self.page[0] - self.margin,
                self.margin / 2,
                f"{self.heading} · {page_word.format(n=doc_.page)}",
            )
            canvas.restoreState()

        doc.build(self.story, onFirstPage=footer, onLaterPages=footer)
        return buffer.getvalue()


# ---------------------------------------------------------------- the month's bulletin


def _shift(month: str, delta: int) -> str:
    n = int(month[:4]) * 12 + int(month[5:]) - 1 + delta
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def period_text(month: str, language: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    last = calendar.monthrange(year, mon)[1]
    return _t("sc_bulletin_period", language).format(
        start=f"{month}-01", end=f"{month}-{last:02d}", year=year, month=mon
    )


def summary_figures(table) -> dict:
    """The month's totals over the districts, and the district tier's rates
    by its own formulas over those totals (None: no data)."""
    from gridcity.scorecards.scoring.indicators import DivisionByZero, Formula

    if table is None or not table.rows:
        return {}
    totals: dict[str, int] = {}
    for row in table.rows:
        for name, value in row.counts.items():
            totals[name] = totals.get(name, 0) + (value or 0)
    figures: dict = {name: totals.get(name) for name in SUMMARY_COUNTS}
    document = definition_document(table.definition_version)
    for item in document.get("tiers", {}).get("district", []):
        if item["code"] in SUMMARY_RATES:
            try:
                figures[item["code"]] = Formula(item["formula"]).evaluate(totals)
            except DivisionByZero:
                figures[item["code"]] = None
    return figures


def _summary(report: Report, tables: dict, previous, language: str) -> None:
    now, before = summary_figures(tables.get("district")), summary_figures(previous)
    if previous is not None and previous.version is None and not any(before.get(c) for c in SUMMARY_COUNTS):
        before = {}  # an unfrozen month without a single report: before the system ran, not zero
    names = {c: _t(f"sc_count_{c}", language) for c in SUMMARY_COUNTS}
    district = tables.get("district")
    for code, ind in indicator_columns(district) if district else []:
        names[code] = indicator_name(ind, language)
    rate = now.get("on_time_closure_rate")
    report.para(
        _t("sc_bulletin_summary", language).format(
            reported=now.get("reported", 0) or 0,
            filed=now.get("filed", 0) or 0,
            closed=now.get("closed", 0) or 0,
            rate=text_of(rate, RATE),
        )
    )
    report.space(4)
    labels, this, last, change = [], [], [], []
    for code in (*SUMMARY_COUNTS, *SUMMARY_RATES):
        if code not in now:
            continue
        kind = RATE if code in SUMMARY_RATES else COUNT
        labels.append(names.get(code, code))
        this.append(text_of(now.get(code), kind))
        last.append(text_of(before.get(code), kind))
        a, b = now.get(code), before.get(code)
        if missing(a) or missing(b):
            change.append("—")
        elif kind == RATE:
            change.append(change_text((a - b) * 100, 1, _t("sc_bulletin_points", language)))
        else:
            change.append(change_text(a - b, 0))
    report.table(
        [
            Field(_t("sc_indicator", language), TEXT, labels),
            Field(_t("sc_bulletin_this_month", language), TEXT, this),
            Field(_t("sc_bulletin_last_month", language), TEXT, last),
            Field(_t("sc_bulletin_change", language), TEXT, change),
        ],
        "summary",
        keys=1,
    )


def _contest(report: Report, contest, language: str) -> None:
    contest_name = _t("sc_contest", language)
    carded = [r for r in contest.rows if r.card]
    if carded:
        report.para(_t("sc_bulletin_cards_intro", language).format(contest=contest_name))
        from gridcity.scorecards.scoring.contest import card_reason_text

        report.table(
            [
                Field(
                    _t("sc_card", language),
                    TEXT,
                    [f"{contest_name}{_t(f'sc_card_{r.card}', language)}" for r in carded],
                ),
                Field(_t("sc_tier_street", language), TEXT, [r.street_name for r in carded]),
                Field(_t("sc_score", language), SCORE, [r.score for r in carded]),
                Field(_t("sc_rank", language), COUNT, [r.rank for r in carded]),
                Field(
                    _t("sc_reason", language),
                    TEXT,
                    [card_reason_text(r.card_reason, language) for r in carded],
                ),
            ],
            "cards",
        )
    else:
        report.para(_t("sc_bulletin_no_cards", language).format(contest=contest_name))
    report.para(
        f"{contest_name} · {_t('sc_full_score', language)} {contest.full_score:g}",
        "h3",
    )
    report.table(contest_fields(contest, language), "contest")


def _changes(report: Report, tables: dict, language: str) -> None:
    sep = "、" if language == "zh" else ", "
    any_change = False
    for tier, table in tables.items():
        moved = [r for r in table.rows if not missing(r.change)]
        if not moved:
            continue
        any_change = True
        up = sorted((r for r in moved if round(r.change, 2) > 0), key=lambda r: -r.change)
        down = sorted((r for r in moved if round(r.change, 2) < 0), key=lambda r: r.change)
        parts = [
            _t("sc_bulletin_moves", language).format(
                tier=_t(f"sc_tier_{tier}", language),
                up=len(up),
                down=len(down),
                same=len(moved) - len(up) - len(down),
            )
        ]
        if up:
            names = sep.join(f"{r.subject_name} {change_text(r.change)}" for r in up[:MOVERS])
            parts.append(_t("sc_bulletin_risers", language).format(names=names))
        if down:
            names = sep.join(f"{r.subject_name} {change_text(r.change)}" for r in down[:MOVERS])
            parts.append(_t("sc_bulletin_fallers", language).format(names=names))
        report.para(("；" if language == "zh" else "; ").join(parts) + ("。" if language == "zh" else "."))
    if not any_change:
        report.para(_t("sc_bulletin_no_previous", language))


def month_bulletin(
    month: str, version: int | None = None, language: str = "zh", record: list | None = None
) -> bytes:
    """The monthly bulletin (考核通报) of ``month`` (its frozen ``version``,
    the latest frozen one, or live)."""
    tables = {tier: sc.month_scorecard(month, tier, version) for tier in BULLETIN_TIERS}
    previous = sc.month_scorecard(_shift(month, -1), "district")
    contest = sc.contest_ranking(month, version)
    grids = sc.month_scorecard(month, "unit_grid", version)
    # A live table counts its unit grids without making a row object each.
    unit_grids = len(grids.figures) if grids.figures is not None else len(grids.rows)
    district = tables["district"]
    place = (
        "、".join(r.subject_name for r in district.rows)
        if language == "zh"
        else ", ".join(r.subject_name for r in district.rows)
    )
    heading = _t("sc_bulletin_title", language).format(place=place).strip()
    report = Report(heading, language, record)
    report.para(heading, "title")
    report.para(
        _t("sc_bulletin_month", language).format(year=int(month[:4]), month=int(month[5:])), "subtitle"
    )
    report.space(4)
    report.para(period_text(month, language) + " · " + version_line(district, language), "small")
    report.space(4)

    report.section(_t("sc_bulletin_overview", language))
    _summary(report, tables, previous, language)

    report.section(_t("sc_bulletin_rankings", language))
    for n, (tier, table) in enumerate(tables.items(), start=1):
        label = f"（{n}）" if language == "zh" else f"{n}) "
        report.para(f"{label}{_t(f'sc_tier_{tier}', language)}", "h3")
        report.table(score_fields(table, language, with_code=False, value_suffix=False), f"rank:{tier}")
    report.para(_t("sc_bulletin_unit_grids", language).format(n=unit_grids), "small")

    report.section(_t("sc_bulletin_contest", language).format(contest=_t("sc_contest", language)))
    _contest(report, contest, language)

    report.section(_t("sc_bulletin_changes", language))
    _changes(report, tables, language)

    report.section(_t("sc_bulletin_appendix", language))
    for tier, table in tables.items():
        fields = count_fields(table, language)
        if not fields:
            continue
        report.para(_t(f"sc_tier_{tier}", language), "h3")
        base = score_fields(table, language, with_code=False, value_suffix=False)[:2]
        report.table(base + fields, f"counts:{tier}")
    return report.build()


# ---------------------------------------------------------------- a tier's and the contest's reports


def _axis_fonts(chart, font: str) -> None:
    chart.categoryAxis.labels.fontName = font
    chart.valueAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 7


def bar_chart(labels: list[str], values: list[float], font: str, caption: str):
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    drawing = Drawing(760, 210)
    drawing.initialFontName = font  # else the renderer starts in (unembedded) Helvetica
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 45, 700, 140
    chart.data = [values or [0]]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.categoryAxis.categoryNames = [label[:8] for label in labels] or [""]
    _axis_fonts(chart, font)
    chart.categoryAxis.labels.angle = 30 if len(labels) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 8 else "n"
    chart.bars[0].fillColor = colors.HexColor("#2563eb")
    drawing.add(chart)
    drawing.add(String(40, 195, caption, fontName=font, fontSize=10))
    return drawing


def line_chart(months: list[str], series: list[tuple[str, list]], font: str, caption: str):
    """The trend of each series over the months; a month without data is a gap.
    A subject with no data in any of the months has no line (None when no
    subject has any)."""
    series = [(label, values) for label, values in series if any(v is not None for v in values)]
    if not series:
        return None
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    palette = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#be185d", "#4b5563"]
    drawing = Drawing(760, 200)
    drawing.initialFontName = font
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, 560, 140
    chart.data = [list(values) for _, values in series]
    # The axis fits the data, as on the pages (78–92 gives 75–95, not 0–100).
    low, high, step = nice_scale(v for _, values in series for v in values)
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = low, high, step
    chart.categoryAxis.categoryNames = [m[2:] for m in months]
    _axis_fonts(chart, font)
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
    drawing.add(String(40, 185, caption, fontName=font, fontSize=10))
    return drawing


def table_pdf(table, months: list[str], trends: dict[int, list], language: str = "zh", record=None) -> bytes:
    """One tier's report: title and version, a bar chart of the scores, the
    trend of the leading subjects, the ranking, then the counts."""
    heading = title(table, language)
    report = Report(heading, language, record)
    report.para(heading, "title")
    report.para(period_text(table.month, language) + " · " + version_line(table, language), "small")
    report.space(6)
    shown = table.rows[:30]
    report.story.append(
        bar_chart(
            [r.subject_name for r in shown],
            [r.score for r in shown],
            report.font,
            f"{_t('sc_score', language)} (1–{len(shown)})",
        )
    )
    names = {r.subject_id: r.subject_name for r in table.rows}
    if trends and len(months) > 1:
        series = [(names.get(i, ""), values) for i, values in trends.items()]
        report.add_chart(line_chart(months, series, report.font, _t("sc_trend", language)))
    report.section(_t("sc_bulletin_rankings", language))
    report.table(score_fields(table, language, with_code=False, value_suffix=False), f"rank:{table.tier}")
    fields = count_fields(table, language)
    if fields:
        report.section(_t("sc_bulletin_appendix", language))
        base = score_fields(table, language, with_code=False, value_suffix=False)[:2]
        report.table(base + fields, f"counts:{table.tier}")
    return report.build()


def contest_pdf(
    contest, months: list[str], trends: dict[int, list], language: str = "zh", record=None
) -> bytes:
    """The contest's report: its cards, the scores as bars and trends, the
    ranking with each item's deductions."""
    heading = f"{contest.month} {_t('sc_contest', language)}"
    report = Report(heading, language, record)
    report.para(heading, "title")
    report.para(period_text(contest.month, language), "small")
    report.space(6)
    scale = contest.full_score or 100.0
    report.story.append(
        bar_chart(
            [r.street_name for r in contest.rows],
            [r.score * 100.0 / scale for r in contest.rows],
            report.font,
            _t("sc_contest_trend_caption", language),
        )
    )
    names = {r.street_id: r.street_name for r in contest.rows}
    if len(months) > 1:
        series = [
            (names.get(i, ""), [None if v is None else v * 100.0 / scale for v in values])
            for i, values in trends.items()
        ]
        report.add_chart(line_chart(months, series, report.font, _t("sc_contest_trend", language)))
    _contest(report, contest, language)
    return report.build()
