"""Scorecard exports: the XLSX holds the page's figures; the PDF report opens,
has pages, the charts and the table."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from pypdf import PdfReader

from gridcity.scorecards.snapshots import services as sc
from gridcity.web.ui_text import ui_text
from tests.cases.conftest import city, frozen_clock  # noqa: F401
from tests.scorecards.test_scorecard_pages import MONTH, history, sign_in  # noqa: F401


def xlsx_rows(data: bytes) -> tuple[list, list[list]]:
    sheet = load_workbook(io.BytesIO(data)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    return values, values[4:]  # title, version line, blank, header, then the rows


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
                assert line[column] == indicator["value"]
            for count, figure in row.counts.items():
                assert line[header.index(ui_text(f"sc_count_{count}", "zh"))] == figure


def test_pdf_report_opens_with_charts_and_table(app, client, history):  # noqa: F811
    sign_in(client, "mgr")
    client.set_cookie("lang", "en")
    response = client.get(f"/scorecards/{MONTH}/street.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) >= 1
    text = "".join(page.extract_text() for page in reader.pages)
    assert f"{MONTH} Street scorecard" in text
    assert "Indicator set" in text and "Snapshot version 1" in text
    assert "Month-end freeze" in text and "月末冻结" not in text  # the reason in the reader's words
    for row in sc.month_scorecard(MONTH, "street").rows:
        assert f"{row.score:.2f}" in text
    # The bar and trend charts are vector drawings on the first page.
    first = reader.pages[0].get_contents().get_data()
    assert first.count(b" re") >= 2  # bars are rectangles

    # Chinese by default, with the CID font embedded by name.
    client.set_cookie("lang", "zh")
    chinese = client.get(f"/scorecards/{MONTH}/street.pdf").data
    assert chinese.startswith(b"%PDF") and b"STSong-Light" in chinese
    assert len(PdfReader(io.BytesIO(chinese)).pages) >= 1


def test_contest_exports(app, client, history):  # noqa: F811
    sign_in(client, "mgr")
    contest = sc.contest_ranking(MONTH)
    values, rows = xlsx_rows(client.get(f"/scorecards/{MONTH}/contest.xlsx").data)
    assert [(r[0], r[1], r[2]) for r in rows] == [(r.rank, r.street_name, r.score) for r in contest.rows]
    pdf = client.get(f"/scorecards/{MONTH}/contest.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(pdf.data)).pages) >= 1


def test_exports_refuse_inspectors_and_bad_months(app, client, city):  # noqa: F811
    sign_in(client, "insp")
    assert client.get(f"/scorecards/{MONTH}/street.xlsx").status_code == 403
    assert client.get(f"/scorecards/{MONTH}/street.pdf").status_code == 403
    sign_in(client, "mgr")
    assert client.get("/scorecards/2026-1x/street.xlsx").status_code == 400
    assert client.get(f"/scorecards/{MONTH}/planets.pdf").status_code == 404


def test_xlsx_never_turns_a_name_into_a_formula(app, client, history):  # noqa: F811
    """A subject named like a formula stays text; numbers, negative ones too,
    stay numbers (issue #14, item 5)."""
    import zipfile

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
        assert shown[name].offset(column=4).value == -1.5  # the change: a negative number, a number
