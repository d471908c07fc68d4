"""Scorecard exports fit to publish.

XLSX: read back with openpyxl, numbers are numbers with percentage / decimal
formats, the header row is frozen, a sheet per tier plus the definitions.
PDF: its text (pypdf) holds every name and figure of each table drawn on each
page; every font is embedded; every text fragment drawn inside a table lies
within its column (positions from the PDF's own text matrices against the
column edges the layout drew); pdftoppm renders every page with nothing
outside the margins.
"""

from __future__ import annotations

import io
import re
import subprocess
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from gridcity.scorecards.presentation import bulletin
from gridcity.scorecards.presentation.exports import RATE, score_fields
from gridcity.scorecards.snapshots import services as sc
from gridcity.web.ui_text import ui_text
from tests.cases.conftest import city, frozen_clock  # noqa: F401
from tests.scorecards.test_scorecard_pages import MONTH, history, sign_in  # noqa: F401

HEADER_ROW = 4  # title, version line, blank, header


def xlsx_rows(data: bytes) -> tuple[list, list[list]]:
    sheet = load_workbook(io.BytesIO(data)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    return values, values[HEADER_ROW:]


# ---------------------------------------------------------------- PDF helpers


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_texts(data: bytes) -> list[str]:
    return [squeeze(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def text_runs(page) -> list[tuple[str, float, float, float]]:
    """Each line of text the page draws: (text, left x, right x, baseline y),
    from the text and transformation matrices in force when it was shown.
    pypdf reports a line set in two font subsets as several pieces at the
    line's start, the last ending in a newline: they are joined again."""
    from reportlab.pdfbase.pdfmetrics import getRegisteredFontNames, stringWidth

    font = next(n for n in getRegisteredFontNames() if n.startswith("GridCityCJK"))
    pieces: list[list] = []

    def visit(text, cm, tm, font_dict, font_size):
        if not text:
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        last = pieces[-1] if pieces else None
        size = font_size * tm[0] * cm[0]
        if last and not last[0].endswith("\n") and abs(last[1] - x) < 0.01 and abs(last[2] - y) < 0.01:
            if not last[0].strip():  # a space pypdf inserted, with the size before the text's own
                last[3] = size
            last[0] += text
        else:
            pieces.append([text, x, y, size])

    page.extract_text(visitor_text=visit)
    runs = []
    for text, x, y, size in pieces:
        text = text.strip()  # pypdf puts a space before text after a gap; x is the glyphs'
        if text:
            runs.append((text, x, x + stringWidth(text, font, size), y))
    return runs


def overflowing_text(data: bytes, record: list) -> list[str]:
    """Every text fragment drawn inside a recorded table that is not wholly
    within one column of it."""
    pages = PdfReader(io.BytesIO(data)).pages
    bad = []
    for number, page in enumerate(pages, start=1):
        drawn = [r for r in record if r["page"] == number]
        for text, left, right, y in text_runs(page):
            for table in drawn:
                bottom, top = table["y_range"]
                edges = table["x_edges"]
                if not (bottom <= y <= top and edges[0] - 1 <= left <= edges[-1] + 1):
                    continue
                column = max(i for i, edge in enumerate(edges[:-1]) if edge <= left + 0.5)
                if right > edges[column + 1] + 0.5:
                    bad.append(f"page {number}: {text!r} ends at {right:.1f} past {edges[column + 1]:.1f}")
    return bad


def assert_tables_shown(data: bytes, record: list) -> None:
    """Every cell of every table piece is in the text of the page it is on."""
    texts = page_texts(data)
    assert record
    for table in record:
        page = texts[table["page"] - 1]
        for row in table["rows"]:
            for cell in row:
                assert squeeze(cell) in page, (table["label"], table["page"], cell)


def assert_fonts_embedded(data: bytes) -> None:
    reader = PdfReader(io.BytesIO(data))
    seen = 0
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if font["/Subtype"] == "/Type0":
                font = font["/DescendantFonts"][0].get_object()
            assert "/FontDescriptor" in font, font  # a standard font is never embedded
            assert "/FontFile2" in font["/FontDescriptor"].get_object(), font
            seen += 1
    assert seen


def rendered_margins_blank(data: bytes, tmp_path) -> int:
    """Render each page (pdftoppm, 36 dpi, grey) and check the right margin
    strip holds no ink: nothing runs off the table's page width."""
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "36", "-gray", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page*.pgm"))
    for image in images:
        raw = image.read_bytes()
        magic, width, height, _maxval, pixels = raw.split(maxsplit=4)
        assert magic == b"P5"
        width, height = int(width), int(height)
        margin = int(width * 8 / 297)  # 8 of the 12 mm margin, landscape A4
        for row in range(height - int(height * 12 / 210)):  # above the footer line
            strip = pixels[row * width + width - margin : (row + 1) * width]
            assert min(strip) > 200, f"{image.name}: ink in the right margin at row {row}"
    return len(images)


# ---------------------------------------------------------------- XLSX


def test_xlsx_holds_every_figure_of_the_table(app, client, history):  # noqa: F811
    sign_in(client, "mgr")
    for tier in ("street", "work_grid", "unit", "inspector", "center_head"):
        response = client.get(f"/scorecards/{MONTH}/{tier}.xlsx")
        assert response.status_code == 200
        assert response.mimetype.endswith("spreadsheetml.sheet")
        assert f"scorecard-{MONTH}-{tier}.xlsx" in response.headers["Content-Disposition"]
        values, rows = xlsx_rows(response.data)
        table = sc.month_scorecard(MONTH, tier)
        assert MONTH in values[0][0]
        assert "快照版本 1" in values[1][0]  # the frozen version it came from, and why
        assert values[1][0].endswith("月末冻结")
        header = values[3]
        assert len(rows) == len(table.rows) > 0
        for line, row in zip(rows, table.rows, strict=True):
            assert line[:5] == [row.rank, row.subject_name, row.subject_code, row.score, row.grade]
            for indicator in row.indicators.values():
                column = header.index(f"{indicator['name_zh']} (指标值)")
                assert line[column] == (indicator["value"] if indicator["value"] is not None else "—")
            for count, figure in row.counts.items():
                assert line[header.index(ui_text(f"sc_count_{count}", "zh"))] == figure


def test_xlsx_keeps_numbers_as_numbers_with_formats(app, client, history):  # noqa: F811
    sign_in(client, "mgr")
    book = load_workbook(io.BytesIO(client.get(f"/scorecards/{MONTH}/street.xlsx").data))
    sheet = book.worksheets[0]
    assert sheet.title == "街道"
    assert sheet.freeze_panes == "C5"  # the header row (and rank, name) stay in view
    header = [c.value for c in sheet[HEADER_ROW]]
    table = sc.month_scorecard(MONTH, "street")
    rate_column = header.index("按期结案率 (指标值)") + 1
    volume_column = header.index("立案数（较同级均值） (指标值)") + 1
    for n, row in enumerate(table.rows, start=HEADER_ROW + 1):
        score = sheet.cell(row=n, column=header.index("得分") + 1)
        assert isinstance(score.value, float) and score.number_format == "0.00"
        rate = sheet.cell(row=n, column=rate_column)
        # A rate is its fraction shown as a percentage: 0.963 reads 96.3%.
        assert rate.value == row.indicators["on_time_closure_rate"]["value"] and rate.number_format == "0.0%"
        assert 0 <= rate.value <= 1
        volume = sheet.cell(row=n, column=volume_column)
        assert isinstance(volume.value, float) and volume.number_format == "0.00"  # a ratio to the mean
        count = sheet.cell(row=n, column=header.index("结案数") + 1)
        assert isinstance(count.value, int) and count.number_format == "0"
        rank = sheet.cell(row=n, column=1)
        assert isinstance(rank.value, int)
    # Widths fit the content: a Chinese name counts two characters a glyph.
    longest = max(len(r.subject_name) for r in table.rows)
    assert sheet.column_dimensions["B"].width >= 2 * longest
    for letter in ("D", "E"):
        assert 6 <= sheet.column_dimensions[letter].width <= 20
    # The definitions sheet: each indicator with its formula in words, weight and rules.
    definitions = book.worksheets[1]
    assert definitions.title == "指标定义"
    lines = [list(r) for r in definitions.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    by_name = {line[1]: line for line in lines if line and line[1]}
    on_time = by_name["按期结案率"]
    assert on_time[2] == "按期结案 ÷ 应结案数"
    assert on_time[3] == 40 and on_time[4] == pytest.approx(0.4)
    assert "第1条" in on_time[5] and "第9条" in on_time[5]
    assert set(by_name) >= {"监督上报率", "结案率", "按期结案率", "立案数（较同级均值）"}
    share = definitions.cell(row=HEADER_ROW + 1, column=5)
    assert share.number_format == "0.0%"


def test_xlsx_month_workbook_has_a_sheet_per_tier_and_definitions(app, client, history):  # noqa: F811
    sign_in(client, "mgr")
    response = client.get(f"/scorecards/{MONTH}/bulletin.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    tier_names = [ui_text(f"sc_tier_{tier}", "zh") for tier in sc.TIERS]
    assert book.sheetnames == [*tier_names, "市容环卫杯", "指标定义"]
    for tier, name in zip(sc.TIERS, tier_names, strict=True):
        sheet = book[name]
        assert sheet.freeze_panes == "C5"
        rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
        assert [r[1] for r in rows] == [r.subject_name for r in sc.month_scorecard(MONTH, tier).rows]
    contest = book["市容环卫杯"]
    rows = list(contest.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (r.rank, r.street_name, r.score) for r in sc.contest_ranking(MONTH).rows
    ]
    assert contest.cell(row=HEADER_ROW + 1, column=3).number_format == "0.00"
    definitions = [r[0] for r in book["指标定义"].iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    for tier in ("street", "unit", "inspector", "operator", "shift_leader", "dispatcher"):
        assert ui_text(f"sc_tier_{tier}", "zh") in definitions
    notes = " ".join(str(r) for r in definitions if r)
    assert "小组长得分 = 本人得分 × 0.4 + 团队平均得分 × 0.6" in notes
    assert "等级划分：A ≥ 90；B ≥ 75；C ≥ 60；D ≥ 40；E < 40" in notes


def test_no_data_is_a_dash_never_a_percentage(app, client, history):  # noqa: F811
    """A rate over an empty denominator (None from the engine, §7.1 rule 9)
    is "—" in the workbook and in the PDF, not 0 % or 100 %."""
    from sqlalchemy import select

    from gridcity.extensions import db
    from gridcity.scorecards.models import ScorecardRowRecord

    record = db.session.scalars(
        select(ScorecardRowRecord)
        .where(ScorecardRowRecord.tier == "street")
        .order_by(ScorecardRowRecord.rank)
    ).first()
    indicators = {k: dict(v) for k, v in record.indicators.items()}
    indicators["on_time_closure_rate"]["value"] = None
    record.indicators = indicators
    record.change = -0.001  # rounds to nothing: no "−0.00"
    db.session.commit()

    sign_in(client, "mgr")
    sheet = load_workbook(io.BytesIO(client.get(f"/scorecards/{MONTH}/street.xlsx").data)).worksheets[0]
    header = [c.value for c in sheet[HEADER_ROW]]
    shown = {
        r[1].value: r for r in sheet.iter_rows(min_row=HEADER_ROW + 1) if r[1].value == record.subject_name
    }[record.subject_name]
    assert shown[header.index("按期结案率 (指标值)")].value == "—"

    table = sc.month_scorecard(MONTH, "street")
    fields = {f.header: f for f in score_fields(table, "zh", with_code=False, value_suffix=False)}
    assert fields["按期结案率"].kind == RATE
    assert bulletin.text_of(None, RATE) == "—"
    assert bulletin.change_text(-0.001) == "0.00" and bulletin.change_text(-1.5) == "↓1.50"
    record_list: list = []
    data = bulletin.table_pdf(table, [MONTH], {}, "zh", record_list)
    ranking = next(t for t in record_list if t["label"] == "rank:street")
    column = ranking["rows"][0].index("按期结案率")
    line = next(row for row in ranking["rows"] if row[1] == record.subject_name)
    assert line[column] == "—" and line[ranking["rows"][0].index("环比")] == "0.00"
    assert "−0.00" not in "".join(page_texts(data)) and "-0.00" not in "".join(page_texts(data))


def test_xlsx_never_turns_a_name_into_a_formula(app, client, history):  # noqa: F811
    """A subject named like a formula stays text; numbers, negative ones too,
    stay numbers (issue #14, item 5)."""
    from sqlalchemy import select

    from gridcity.extensions import db
    from gridcity.scorecards.models import ScorecardRowRecord

    names = ['=HYPERLINK("http://evil.example","看这里")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1"]
    records = db.session.scalars(
        select(ScorecardRowRecord).where(ScorecardRowRecord.tier == "unit_grid")
    ).all()
    assert len(records) >= len(names)
    for record, name in zip(records, names, strict=False):
        record.subject_name = name
        record.change = -1.5  # a fall since last month
    db.session.commit()

    sign_in(client, "mgr")
    data = client.get(f"/scorecards/{MONTH}/unit_grid.xlsx").data
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere in the sheet
    sheet = load_workbook(io.BytesIO(data)).active
    shown = {}
    for row in sheet.iter_rows(min_row=5):
        name = row[1]
        shown[name.value] = name
        assert isinstance(row[0].value, int)  # the rank stays a number
    for name in names:
        cell = shown[name]  # exactly the name, not a computed value
        assert cell.data_type == "s" and cell.quotePrefix
        change = shown[name].offset(column=4)
        assert change.value == -1.5  # the change: a negative number, a number
        assert change.number_format == '"↑"0.00;"↓"0.00;0.00'  # shown ↓1.50


# ---------------------------------------------------------------- PDF


def test_bulletin_reads_like_a_monthly_bulletin(app, client, history, tmp_path):  # noqa: F811
    sign_in(client, "mgr")
    page = client.get(f"/scorecards/{MONTH}/street").get_data(as_text=True)
    assert f'href="/scorecards/{MONTH}/bulletin.pdf"' in page and "本月考核通报（PDF）" in page
    assert f'href="/scorecards/{MONTH}/bulletin.xlsx"' in page
    response = client.get(f"/scorecards/{MONTH}/bulletin.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"scorecard-{MONTH}-bulletin.pdf" in response.headers["Content-Disposition"]
    data = response.data
    whole = "".join(page_texts(data))
    district = sc.month_scorecard(MONTH, "district")
    place = district.rows[0].subject_name
    assert squeeze(f"{place}数字化城市管理考核通报") in whole and "2026年10月" in whole
    assert "考核周期：2026-10-01至2026-10-31" in whole
    for heading in ("一、总体情况", "二、考核排名", "三、市容环卫杯考核结果与红黄牌", "四、与上月比较"):
        assert heading in whole
    counts = {
        name: sum(r.counts.get(name, 0) for r in district.rows) for name in ("reported", "filed", "closed")
    }
    assert f"本月共上报问题{counts['reported']}件，立案{counts['filed']}件，结案{counts['closed']}件" in whole
    contest = sc.contest_ranking(MONTH)
    carded = [r for r in contest.rows if r.card]
    for row in carded:  # each card named as the contest's
        assert squeeze(f"市容环卫杯{ui_text(f'sc_card_{row.card}', 'zh')}{row.street_name}") in whole
    if not carded:
        assert "本月市容环卫杯考核未发出红黄牌" in whole
    assert "−0.00" not in whole and "-0.00" not in whole

    # The same bulletin, with where each table was drawn.
    with app.test_request_context():
        record: list = []
        again = bulletin.month_bulletin(MONTH, None, "zh", record)
    assert page_texts(again) == page_texts(data)
    assert_tables_shown(again, record)
    for tier in bulletin.BULLETIN_TIERS:  # every subject of every tier's ranking, with its figures
        rows = [line for t in record if t["label"].startswith(f"rank:{tier}") for line in t["rows"][1:]]
        table = sc.month_scorecard(MONTH, tier)
        assert sorted({line[1] for line in rows}) == sorted(r.subject_name for r in table.rows)
        for row in table.rows:
            assert [row.subject_name, f"{row.score:.2f}"] in [[line[1], line[2]] for line in rows]
    assert overflowing_text(again, record) == []
    assert_fonts_embedded(again)
    # ... and the embedded font has a glyph for every character shown (no tofu boxes).
    from reportlab.pdfbase.ttfonts import TTFont

    face = TTFont("check", str(app.config["SETTINGS"].pdf_font_path), subfontIndex=0).face
    assert {c for c in whole if ord(c) not in face.charToGlyph} == set()
    assert rendered_margins_blank(again, tmp_path) == len(PdfReader(io.BytesIO(again)).pages)


def header_lines(data: bytes, record: list) -> dict[tuple[str, str], list[str]]:
    """The lines each header cell was set in, as drawn: ``{(table, header): [line, …]}``."""
    pages = PdfReader(io.BytesIO(data)).pages
    lines: dict[tuple[str, str], list[str]] = {}
    for number, page in enumerate(pages, start=1):
        runs = text_runs(page)
        for table in (t for t in record if t["page"] == number):
            top, bottom = table["y_edges"][0], table["y_edges"][1]
            edges = table["x_edges"]
            found: dict[int, dict[float, list]] = {}
            for text, left, _right, y in runs:
                if bottom <= y <= top and edges[0] - 1 <= left <= edges[-1] + 1:
                    column = max(i for i, edge in enumerate(edges[:-1]) if edge <= left + 0.5)
                    # one line may be several runs (a font subset each): join them by baseline
                    found.setdefault(column, {}).setdefault(round(y, 1), []).append((left, squeeze(text)))
            for column, header in enumerate(table["rows"][0]):
                by_line = found.get(column, {})
                drawn = ["".join(t for _, t in sorted(by_line[y])) for y in sorted(by_line, reverse=True)]
                lines.setdefault((table["label"], header), drawn)
    return lines


def test_headers_wrap_by_words_never_a_character_a_line(app, history):  # noqa: F811
    """Every header is drawn in its cell in at most three lines, none of them a
    lone character (unless the whole header is one) nor a piece of a word."""
    for language in ("zh", "en"):
        record: list = []
        with app.test_request_context():
            data = bulletin.month_bulletin(MONTH, None, language, record)
        lines = header_lines(data, record)
        assert len(lines) > 50
        for (label, header), drawn in lines.items():
            assert "".join(drawn) == squeeze(header), (label, header, drawn)
            assert 1 <= len(drawn) <= 3, (label, header, drawn)
            if len(squeeze(header)) > 1:
                assert all(len(line) >= 2 for line in drawn), (label, header, drawn)
            if language == "en":  # English breaks between words only
                words = set(re.findall(r"\S+", header))
                for line in drawn:
                    assert any(line in squeeze(w) or w in header for w in words), (header, line)
                assert all(line.rstrip("-") and squeeze(line) for line in drawn)
        assert overflowing_text(data, record) == []


def test_long_names_wrap_inside_their_cells(app, client, history):  # noqa: F811
    from sqlalchemy import select

    from gridcity.extensions import db
    from gridcity.scorecards.models import ScorecardRowRecord

    long_names = [
        "城市管理综合执法大队第三中队环境卫生管理所东片区网格工作站",
        "Riverside Environmental Sanitation and Municipal Facilities Management Office",
    ]
    records = db.session.scalars(
        select(ScorecardRowRecord).where(ScorecardRowRecord.tier.in_(("street", "unit")))
    ).all()
    for record, name in zip(records, long_names * len(records), strict=False):
        record.subject_name = name
    db.session.commit()
    for language in ("zh", "en"):
        record: list = []
        with app.test_request_context():
            data = bulletin.month_bulletin(MONTH, None, language, record)
        assert_tables_shown(data, record)
        assert overflowing_text(data, record) == []
        for table in record:
            assert table["x_edges"][-1] - table["x_edges"][0] <= 842 - 2 * 34 + 1  # within the margins


def test_a_long_table_continues_under_its_repeated_header(app, history):  # noqa: F811
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.platypus import SimpleDocTemplate

    from gridcity.scorecards.presentation.pdf_layout import Column, cjk_font, tables

    with app.test_request_context():
        font = cjk_font(app.config["SETTINGS"].pdf_font_path)
    rows = range(1, 151)
    columns = [
        Column("排名", [str(n) for n in rows], key=True),
        Column("考核对象", [f"第{n}工作网格" for n in rows], align="LEFT", wrap=True, key=True),
        Column("按期结案率", [f"{50 + n / 3:.1f}%" for n in rows]),
    ]
    record: list = []
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=landscape(A4)).build(tables(columns, 500, font, record, "long"))
    assert len({t["page"] for t in record}) >= 3
    for piece in record:
        assert piece["rows"][0] == ["排名", "考核对象", "按期结案率"]
    assert [line[0] for piece in record for line in piece["rows"][1:]] == [str(n) for n in rows]
    assert_tables_shown(buffer.getvalue(), record)
    assert overflowing_text(buffer.getvalue(), record) == []


def test_a_table_too_wide_for_the_page_is_split_and_checked(app, history):  # noqa: F811
    """The checker itself: cells drawn wider than their column are caught;
    the layout splits a table that cannot fit into column groups that each
    repeat rank and name."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    from gridcity.scorecards.presentation.pdf_layout import Column, _recording_table_class, cjk_font, tables

    with app.test_request_context():
        font = cjk_font(app.config["SETTINGS"].pdf_font_path)
    width = landscape(A4)[0] - 24 * mm
    many = [
        Column("排名", ["1", "2"], key=True),
        Column("名称", ["东城街道", "西城街道"], wrap=True, key=True),
    ]
    many += [Column(f"按期结案率{i}", ["96.3%", "100.0%"]) for i in range(40)]
    record: list = []
    story = tables(many, width, font, record, "wide")
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm).build(story)
    assert len({t["label"] for t in record}) > 1  # column groups
    for table in record:
        assert (
            table["rows"][0][:2] == ["排名", "名称"]
            and table["x_edges"][-1] - table["x_edges"][0] <= width + 1
        )
    assert_tables_shown(buffer.getvalue(), record)
    assert overflowing_text(buffer.getvalue(), record) == []

    # The old layout: fixed narrow columns of plain text. The checker sees the overflow.
    table_class = _recording_table_class()
    cramped = table_class(
        [["排名", "考核对象名称很长"], ["1", "城市管理综合执法大队第三中队"]], colWidths=[30, 40]
    )
    cramped.record, cramped.label = [], "cramped"
    cramped.setStyle([("FONT", (0, 0), (-1, -1), font, 8)])
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=landscape(A4)).build([cramped])
    assert overflowing_text(buffer.getvalue(), cramped.record)


def test_tier_pdf_report(app, client, history, tmp_path):  # noqa: F811
    sign_in(client, "mgr")
    client.set_cookie("lang", "en")
    response = client.get(f"/scorecards/{MONTH}/street.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert f"{MONTH} Street scorecard" in text
    assert "Indicator set" in text and "Snapshot version 1" in text
    assert "Month-end freeze" in text and "月末冻结" not in text  # the reason in the reader's words
    first = PdfReader(io.BytesIO(response.data)).pages[0].get_contents().get_data()
    assert first.count(b" re") >= 2  # the bar chart's bars are rectangles

    client.set_cookie("lang", "zh")
    table = sc.month_scorecard(MONTH, "work_grid")
    response = client.get(f"/scorecards/{MONTH}/work_grid.pdf")
    assert response.status_code == 200
    with app.test_request_context():
        record: list = []
        trends = {r.subject_id: [None, r.score] for r in table.rows}  # the trend chart too
        data = bulletin.table_pdf(table, ["2026-09", MONTH], trends, "zh", record)
        # A subject without data in any trend month draws no line, and a trend
        # with no data at all no chart: the report is still built, not a 500.
        for blank in ({**trends, table.rows[0].subject_id: [None, None]}, {i: [None, None] for i in trends}):
            assert bulletin.table_pdf(table, ["2026-09", MONTH], blank, "zh").startswith(b"%PDF")
    # The trend's axis fits the data, as on the pages: 82 and 88 are not
    # squeezed into a tenth of a 0–100 axis.
    axis = bulletin.line_chart(["2026-09", MONTH], [("甲", [82.0, 88.0])], "Helvetica", "").contents[0].valueAxis
    assert 75 <= axis.valueMin <= 82 and 88 <= axis.valueMax <= 95, (axis.valueMin, axis.valueMax)
    assert_tables_shown(data, record)
    assert_fonts_embedded(data)
    names = {line[1] for t in record if t["label"].startswith("rank:") for line in t["rows"][1:]}
    assert names == {r.subject_name for r in table.rows}
    assert overflowing_text(data, record) == []
    assert_fonts_embedded(response.data)
    rendered_margins_blank(response.data, tmp_path)


def test_contest_exports(app, client, history):  # noqa: F811
    sign_in(client, "mgr")
    contest = sc.contest_ranking(MONTH)
    values, rows = xlsx_rows(client.get(f"/scorecards/{MONTH}/contest.xlsx").data)
    assert [(r[0], r[1], r[2]) for r in rows] == [(r.rank, r.street_name, r.score) for r in contest.rows]
    pdf = client.get(f"/scorecards/{MONTH}/contest.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = "".join(page_texts(pdf.data))
    for row in contest.rows:
        assert squeeze(row.street_name) in text and f"{row.score:.2f}" in text
    assert_fonts_embedded(pdf.data)


def test_a_missing_font_is_a_clear_refusal(app, client, history, tmp_path):  # noqa: F811
    import dataclasses

    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(settings, pdf_font_path=tmp_path / "nowhere.ttf")
    try:
        sign_in(client, "mgr")
        response = client.get(f"/scorecards/{MONTH}/bulletin.pdf")
    finally:
        app.config["SETTINGS"] = settings
    assert response.status_code == 503
    assert "nowhere.ttf" in response.get_data(as_text=True)
    assert "fonts-wqy-microhei" in response.get_data(as_text=True)


def test_exports_refuse_inspectors_and_bad_months(app, client, city):  # noqa: F811
    sign_in(client, "insp")
    for name in ("street.xlsx", "street.pdf", "bulletin.pdf", "bulletin.xlsx"):
        assert client.get(f"/scorecards/{MONTH}/{name}").status_code == 403
    sign_in(client, "mgr")
    assert client.get("/scorecards/2026-1x/street.xlsx").status_code == 400
    assert client.get("/scorecards/2026-1x/bulletin.pdf").status_code == 400
    assert client.get(f"/scorecards/{MONTH}/planets.pdf").status_code == 404


def test_bulletin_names_the_changes_since_last_month(app, history):  # noqa: F811
    from sqlalchemy import select

    from gridcity.extensions import db
    from gridcity.scorecards.models import ScorecardRowRecord

    streets = db.session.scalars(
        select(ScorecardRowRecord)
        .where(ScorecardRowRecord.tier == "street")
        .order_by(ScorecardRowRecord.rank)
    ).all()
    assert len(streets) == 2
    streets[0].change, streets[1].change = 2.5, -1.25
    db.session.commit()
    record: list = []
    with app.test_request_context():
        data = bulletin.month_bulletin(MONTH, None, "zh", record)
    whole = "".join(page_texts(data))
    up, down = streets[0].subject_name, streets[1].subject_name
    assert f"街道：得分上升1个，下降1个，持平0个；上升最多：{up}↑2.50；下降最多：{down}↓1.25。" in whole
    ranking = next(t for t in record if t["label"] == "rank:street")
    change = ranking["rows"][0].index("环比")
    assert [line[change] for line in ranking["rows"][1:]] == ["↑2.50", "↓1.25"]


def test_bulletin_of_a_live_month_without_cases(app, client, history):  # noqa: F811
    """November is computed live and has no cases: no rate reads 0 % or
    100 %, and October (frozen) is the month it is compared with."""
    sign_in(client, "mgr")
    response = client.get("/scorecards/2026-11/bulletin.pdf")
    assert response.status_code == 200
    whole = "".join(page_texts(response.data))
    assert "本月共上报问题0件，立案0件，结案0件，按期结案率—。" in whole
    october = sum(r.counts.get("reported", 0) for r in sc.month_scorecard(MONTH, "district").rows)
    assert f"上报数0{october}↓{october}" in whole  # this month, last month, the change
    assert "实时计算（未冻结）" in whole
