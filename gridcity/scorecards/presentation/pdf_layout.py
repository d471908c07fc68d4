"""Tables that fit the page, in an embedded font, for the scorecard PDFs.

- The font is a TrueType CJK font from a file (the ``pdf_font_path`` setting,
  by default WenQuanYi Micro Hei from the ``fonts-wqy-microhei`` package),
  embedded as a subset, so every glyph shows in any viewer. The built-in CID
  font STSong-Light is not embedded: a viewer without it shows blanks.
- Column widths come from the content: a column is at least as wide as its
  widest figure and its header's longest word (a Chinese header wraps into
  at most two lines, never one character a line); names wrap. A table too
  wide for the page is set smaller, then split into column groups that each
  repeat the key columns (rank, name). A long table continues on the next
  page under its repeated header.
- Every table records where it was drawn (page, column edges, height, the
  text of its cells), so a test can check that no text leaves its cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from gridcity.core.errors import GridCityError

PAD = 3.0  # left / right cell padding, points
HEADER_FILL = "#DDE3EA"
SIZES = (8.0, 7.5, 7.0, 6.5, 6.0)  # tried in turn until a table fits
NAME_MIN_CHARS = 6  # a wrapping column keeps at least this many characters a line
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_fonts: dict[str, str] = {}


class PdfFontMissing(GridCityError):
    """The configured font file cannot be read: no PDF can show Chinese."""

    status = 503


def cjk_font(path: Path | str) -> str:
    """Register the TrueType font at ``path`` (the first face of a ``.ttc``
    collection) once; its name for reportlab."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    path = str(path)
    if path in _fonts:
        return _fonts[path]
    if not Path(path).is_file():
        raise PdfFontMissing("pdf_font_missing", path=path)
    name = f"GridCityCJK{len(_fonts) + 1}"
    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    except (TTFError, OSError) as error:
        raise PdfFontMissing("pdf_font_missing", path=f"{path} ({error})") from None
    _fonts[path] = name
    return name


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@dataclass
class Column:
    """One column: its header, its cells as display text, how they sit.
    ``wrap``: cells may wrap (names, reasons); ``key``: repeated in every
    column group when the table is split; ``fills``: row index → colour."""

    header: str
    cells: list[str]
    align: str = "RIGHT"
    wrap: bool = False
    key: bool = False
    fills: dict[int, str] = field(default_factory=dict)


def _width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font, size)


def _longest_word(text: str, font: str, size: float) -> float:
    """The widest piece a line break may not cut: a Latin word or number, or
    two Chinese characters (so no line holds a lone character)."""
    pieces = re.findall(r"[^\s\u2e80-\u9fff]+|[\u2e80-\u9fff]{1,2}", text)
    return max((_width(p, font, size) for p in pieces), default=0.0)


def measure(column: Column, font: str, size: float) -> tuple[float, float]:
    """(narrowest, preferred) width of a column, padding included."""
    header_full = _width(column.header, font, size)
    header_min = max(_longest_word(column.header, font, size), header_full / 2 + size)
    header_min = min(header_min, header_full)
    if has_cjk(column.header) and len(column.header) <= 3 and not re.search(r"\s", column.header):
        header_min = header_full  # 上报数 cannot break without leaving a lone character
    widths = [_width(c, font, size) for c in column.cells]
    data_pref = max(widths, default=0.0)
    if column.wrap:
        words = max((_longest_word(c, font, size) for c in column.cells), default=0.0)
        data_min = min(data_pref, max(words, NAME_MIN_CHARS * size))
    else:
        data_min = data_pref
    return max(header_min, data_min) + 2 * PAD, max(header_full, data_pref) + 2 * PAD


def _distribute(mins: list[float], prefs: list[float], available: float) -> list[float]:
    total_pref = sum(prefs)
    if total_pref <= available:
        if total_pref < available / 2:
            return prefs  # a short table keeps its own width, centred
        return [p * available / total_pref for p in prefs]
    spare = available - sum(mins)
    stretch = sum(p - m for p, m in zip(prefs, mins, strict=True)) or 1.0
    return [m + (p - m) * spare / stretch for p, m in zip(prefs, mins, strict=True)]


@dataclass
class Part:
    """A fitted table (or one column group of a wide one)."""

    columns: list[Column]
    widths: list[float]
    size: float


def fit(columns: list[Column], available: float, font: str) -> list[Part]:
    """Widths (and a font size) so the columns fit ``available`` points; if
    even the smallest size is too wide, column groups that each repeat the
    key columns."""
    for size in SIZES:
        mins, prefs = zip(*(measure(c, font, size) for c in columns), strict=True)
        if sum(mins) <= available:
            return [Part(columns, _distribute(list(mins), list(prefs), available), size)]
    size = SIZES[-1]
    keys = [c for c in columns if c.key]
    key_width = sum(measure(c, font, size)[0] for c in keys)
    groups: list[list[Column]] = [[]]
    used = key_width
    for column in (c for c in columns if not c.key):
        need = measure(column, font, size)[0]
        if groups[-1] and used + need > available:
            groups.append([])
            used = key_width
        groups[-1].append(column)
        used += need
    parts = []
    for group in groups:
        chosen = keys + group
        mins, prefs = zip(*(measure(c, font, size) for c in chosen), strict=True)
        parts.append(Part(chosen, _distribute(list(mins), list(prefs), available), size))
    return parts


def _recording_table_class():
    from reportlab.platypus import Table

    class RecordingTable(Table):
        """A table that notes where each of its pieces was drawn."""

        record: list | None = None
        label = ""

        def split(self, availWidth, availHeight):  # noqa: N803 (reportlab's names)
            pieces = super().split(availWidth, availHeight)
            for piece in pieces:
                piece.record, piece.label = self.record, self.label
            return pieces

        def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802, N803
            if self.record is not None:
                left = self._hAlignAdjust(x, _sW)
                self.record.append(
                    {
                        "label": self.label,
                        "page": canvas.getPageNumber(),
                        "x_edges": [left + p for p in self._colpositions],
                        "y_range": (y, y + self._height),
                        "y_edges": [y + p for p in self._rowpositions],  # top first
                        "rows": [[_plain(v) for v in row] for row in self._cellvalues],
                    }
                )
            super().drawOn(canvas, x, y, _sW)

    return RecordingTable


def _plain(value) -> str:
    if isinstance(value, (list, tuple)):  # reportlab keeps a cell's flowables in a list
        return "".join(_plain(v) for v in value)
    return value.getPlainText() if hasattr(value, "getPlainText") else str(value)


def _even_lines(text: str, width: float, font: str, size: float) -> list[str]:
    """A Chinese header (no spaces) cut into lines of even length that fit
    ``width``: a greedy wrap of 考核对象 into three characters a line would
    leave 象 alone on the second. Other text: one piece (the paragraph wraps)."""
    inner = width - 2 * PAD
    if not has_cjk(text) or re.search(r"\s", text) or _width(text, font, size) <= inner:
        return [text]
    fits = max((k for k in range(1, len(text) + 1) if _width(text[:k], font, size) <= inner), default=1)
    count = -(-len(text) // fits)
    base, extra = divmod(len(text), count)
    pieces, start = [], 0
    for i in range(count):
        end = start + base + (1 if i < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces if all(_width(p, font, size) <= inner for p in pieces) else [text]


def _paragraph(text: str, font: str, size: float, align: int, width: float | None = None):
    from xml.sax.saxutils import escape

    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    style = ParagraphStyle(
        f"cell{size}{align}",
        fontName=font,
        fontSize=size,
        leading=size * 1.25,
        alignment=align,
        wordWrap="CJK" if has_cjk(text) else None,
        splitLongWords=True,
    )
    pieces = [text] if width is None else _even_lines(text, width, font, size)
    return Paragraph("<br/>".join(escape(p) for p in pieces), style)


def tables(
    columns: list[Column], available: float, font: str, record: list | None = None, label: str = ""
) -> list:
    """The flowables of a table that fits ``available`` points: one table,
    or one per column group; each repeats its header across pages."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
    from reportlab.platypus import Spacer, TableStyle

    table_class = _recording_table_class()
    aligns = {"LEFT": TA_LEFT, "RIGHT": TA_RIGHT, "CENTER": TA_CENTER}
    out = []
    for n, part in enumerate(fit(columns, available, font)):
        size = part.size
        header = [
            _paragraph(c.header, font, size, TA_CENTER, width)
            for c, width in zip(part.columns, part.widths, strict=True)
        ]
        body = [
            [
                _paragraph(c.cells[i], font, size, aligns[c.align]) if c.wrap else c.cells[i]
                for c in part.columns
            ]
            for i in range(len(part.columns[0].cells))
        ]
        table = table_class([header, *body], colWidths=part.widths, repeatRows=1, hAlign="LEFT")
        table.record, table.label = record, f"{label}#{n + 1}" if n else label
        style = [
            ("FONT", (0, 0), (-1, -1), font, size),
            ("LEADING", (0, 0), (-1, -1), size * 1.25),
            ("LEFTPADDING", (0, 0), (-1, -1), PAD),
            ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEADER_FILL)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        for j, column in enumerate(part.columns):
            style.append(("ALIGN", (j, 1), (j, -1), column.align))
            for i, fill in column.fills.items():
                style.append(("BACKGROUND", (j, i + 1), (j, i + 1), colors.HexColor(fill)))
        table.setStyle(TableStyle(style))
        out += [table, Spacer(1, 4)]
    return out
