"""导入年度节假日安排 — a year's official schedule (the State Council's holiday
notice) from a file: a preview that names each row's problems and saves
nothing, then an import that replaces the year's holidays and make-up workdays
with the file's, every row or none.

The file is a CSV (UTF-8, or GBK as Chinese Excel saves it) whose first row
names the columns — date, kind, name (or 日期, 类型, 名称)::

    date,kind,name
    2027-01-01,holiday,元旦
    2027-02-07,workday,春节调休

or JSON: a list of ``{"date": …, "kind": …, "name": …}`` objects, or the
``gridcity calendar load`` file (``{"days": [{"day": …, …}]}``). A kind is
``holiday`` or ``workday``, or in Chinese 放假 / 上班.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from sqlalchemy import delete

from gridcity.audit import services as audit
from gridcity.core.errors import GridCityError
from gridcity.core.uploads import upload_text
from gridcity.extensions import db
from gridcity.web.ui_text import ui_text
from gridcity.workcalendar import editing
from gridcity.workcalendar.models import CalendarDay
from gridcity.workcalendar.services import rest_weekdays

MAX_BYTES = 256 * 1024
MAX_ROWS = 400  # a year has 366 days
KIND_WORDS = {
    "holiday": "holiday",
    "放假": "holiday",
    "节假日": "holiday",
    "法定节假日": "holiday",
    "workday": "workday",
    "上班": "workday",
    "补班": "workday",
    "调休上班": "workday",
    "调休上班日": "workday",
}
# Each column by the names a file may give it.
COLUMNS = {"date": ("date", "day", "日期"), "kind": ("kind", "type", "类型"), "name": ("name", "名称")}


@dataclass
class ScheduleRow:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    kind: str | None = None

    def to_dict(self, language: str) -> dict:
        return {
            "line": self.line,
            "date": self.values.get("date", ""),
            "kind_name": ui_text(f"cal_kind_{self.kind}", language)
            if self.kind
            else self.values.get("kind", ""),
            "name": self.values.get("name", ""),
            "errors": self.errors,
        }


def read_schedule(filename: str, data: bytes) -> list[dict[str, str]]:
    """The file's rows as {"line", "date", "kind", "name"} texts (a CSV's
    line numbers count its header as line 1; a JSON list's items count from 1)."""
    if len(data) > MAX_BYTES:
        raise GridCityError("import_too_large", status=413, limit="256 KB")
    text = upload_text(data, "calendar_import_bad_file")
    if filename.lower().endswith(".json") or text.lstrip()[:1] in ("[", "{"):
        rows = _json_rows(text)
    else:
        rows = _csv_rows(text)
    if not rows:
        raise GridCityError("calendar_import_empty")
    if len(rows) > MAX_ROWS:
        raise GridCityError("import_too_many_rows", limit=MAX_ROWS)
    return rows


def check_schedule(rows: list[dict[str, str]], year: int, language: str | None = None) -> list[ScheduleRow]:
    """Each row with its problems in ``language`` (default: the reader's): a
    bad date, a date outside ``year``, an unknown kind, a missing name, a
    make-up workday on a weekday, a date listed twice (or as both holiday and
    workday). Nothing is saved."""
    year = editing.check_year(year)
    rest = rest_weekdays()
    seen: dict = {}
    checked = []
    for values in rows:
        line = str(values.get("line", ""))
        row = ScheduleRow(int(line) if line.isascii() and line.isdigit() else len(checked) + 1, values)
        checked.append(row)
        try:
            day = editing.parse_day(values.get("date", ""))
            if day.year != year:
                raise GridCityError("calendar_wrong_year", day=day.isoformat(), year=year)
            row.kind = KIND_WORDS.get(values.get("kind", "").strip().casefold())
            if row.kind is None:
                raise GridCityError("calendar_bad_kind", text=values.get("kind", ""))
            editing.check_day(day, row.kind, values.get("name", ""), rest)
        except GridCityError as error:
            row.errors.append(error.message(language))
            continue
        if day in seen:
            line, kind = seen[day]
            key = "calendar_repeated_day" if kind == row.kind else "calendar_both_kinds"
            row.errors.append(GridCityError(key, day=day.isoformat(), line=line).message(language))
        else:
            seen[day] = (row.line, row.kind)
    return checked


def import_schedule(rows: list[dict[str, str]], year: int, actor=None) -> dict:
    """Replace ``year``'s holidays and make-up workdays with the file's — all
    rows, or none when any has a problem (``calendar_import_errors``)."""
    checked = check_schedule(rows, year)
    bad = [r.line for r in checked if r.errors]
    if bad:
        raise GridCityError("calendar_import_errors", status=422, lines=", ".join(map(str, bad)))
    if not checked:
        raise GridCityError("calendar_import_empty")
    before = _listed(editing.year_days(year))
    first, last = editing.parse_day(f"{year:04d}-01-01"), editing.parse_day(f"{year:04d}-12-31")
    db.session.execute(delete(CalendarDay).where(CalendarDay.day >= first, CalendarDay.day <= last))
    db.session.add_all(
        CalendarDay(day=editing.parse_day(r.values["date"]), kind=r.kind, name=r.values["name"].strip())
        for r in checked
    )
    db.session.flush()
    after = _listed(editing.year_days(year))
    audit.record(
        "calendar.import",
        actor,
        object_kind=editing.CALENDAR_KIND,
        object_label=str(year),
        before=before,
        after=after,
    )
    return {"year": year, **{kind: len(days) for kind, days in after.items()}}


def _listed(days: list[CalendarDay]) -> dict[str, list[str]]:
    """The year's marked days as the audit log keeps them: "02-11 春节" by kind."""
    return {
        plural: [f"{d.day:%m-%d} {d.name}" for d in days if d.kind == kind]
        for plural, kind in (("holidays", "holiday"), ("workdays", "workday"))
    }


def _json_rows(text: str) -> list[dict[str, str]]:
    try:
        data = json.loads(text)
    except ValueError:
        raise GridCityError("calendar_import_bad_file") from None
    items = data.get("days") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise GridCityError("calendar_import_bad_file")
    return [
        {
            "line": str(n),
            "date": _text(item.get("date", item.get("day"))),
            "kind": _text(item.get("kind")),
            "name": _text(item.get("name")),
        }
        for n, item in enumerate(items, start=1)
    ]


def _csv_rows(text: str) -> list[dict[str, str]]:
    table = [
        (n, row)
        for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)
        if any(c.strip() for c in row)
    ]
    if not table:
        return []
    header = [_column(cell) for cell in table[0][1]]
    if "date" not in header or "kind" not in header:
        raise GridCityError("calendar_import_columns")
    return [
        {"line": str(n), **{name: cell.strip() for name, cell in zip(header, row, strict=False) if name}}
        for n, row in table[1:]
    ]


def _column(header: str) -> str | None:
    name = header.strip().lstrip("\ufeff").casefold()
    return next((column for column, names in COLUMNS.items() if name in names), None)


def _text(value) -> str:
    return "" if value is None else str(value).strip()
