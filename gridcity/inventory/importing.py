"""部件普查导入 — components from a CSV or GeoJSON file: each record checked
(class, position inside the city, units, state, date, code), its problems
named in words, and then all records saved or none.

One rule for every door: the console's preview and import, the API's import,
``gridcity components import`` (with ``--check`` for the preview) and the demo
city's inventory all pass through :func:`check_records`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import insert, select

from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import translate
from gridcity.extensions import db
from gridcity.geo.coords import DATUMS, gcj02_to_wgs84
from gridcity.geo.locator import NO_GRID
from gridcity.geo.models import District
from gridcity.geo.services import get_locator
from gridcity.inventory.models import STATES, Component
from gridcity.org.models import Unit
from gridcity.taxonomy.models import Category, CategoryMajor

CSV_COLUMNS = ("category", "lon", "lat")  # required; code, owner, maintainer, state, installed_on optional
# Each column by the headers a survey sheet may give it (English or Chinese).
COLUMN_NAMES = {
    "category": ("category", "类别", "部件类别", "小类"),
    "lon": ("lon", "经度"),
    "lat": ("lat", "纬度"),
    "code": ("code", "编码", "部件编码"),
    "owner": ("owner", "权属单位"),
    "maintainer": ("maintainer", "养护单位"),
    "state": ("state", "状态"),
    "installed_on": ("installed_on", "installed", "安装日期"),
}
_COLUMN_OF = {name.casefold(): column for column, names in COLUMN_NAMES.items() for name in names}
FORMATS = ("csv", "geojson")
CODE_MAX = 20  # the column's width
# A state as a survey sheet may write it: the stored word, or its Chinese name.
STATE_WORDS = {"完好": "intact", "破损": "damaged", "丢失": "lost", "占用": "occupied"}


class ImportHasErrors(GridCityError):
    """A file refused for its records' problems, saying the first of them in
    the reader's language too."""

    def __init__(self, key: str, first: GridCityError, **params) -> None:
        self.first = first
        super().__init__(key, status=422, first=first.message("en"), first_error=first.key, **params)

    def message(self, language: str | None = None) -> str:
        return translate(self.key, language, **{**self.params, "first": self.first.message(language)})


@dataclass
class CheckedRecord:
    """One record of the file: where it is (line or feature), what it says,
    its problems (each a GridCityError, said in the reader's language) and,
    when it has none, the row to insert."""

    line: int
    record: dict
    problems: list[GridCityError] = field(default_factory=list)
    row: dict | None = None

    def to_dict(self, language: str | None = None) -> dict:
        r = self.record
        return {
            "line": self.line,
            "code": str(r.get("code") or (self.row or {}).get("code") or ""),
            "category": str(r.get("category") or ""),
            "position": f"{r.get('lon', '')}, {r.get('lat', '')}",
            "owner": str(r.get("owner") or ""),
            "maintainer": str(r.get("maintainer") or ""),
            "errors": [p.message(language) for p in self.problems],
        }


def read_records(text: str, fmt: str) -> list[dict]:
    """The records of a CSV (header row; line numbers as in the file) or a
    GeoJSON FeatureCollection of points (numbered from 1). A file that is not
    one of these is refused; a record's own problems are kept for the check."""
    if fmt not in FORMATS:
        raise GridCityError("bad_request", detail="format must be csv or geojson")
    return _records_from_csv(text) if fmt == "csv" else _records_from_geojson(text)


def _records_from_csv(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = [_column(f) for f in reader.fieldnames or []]
    reader.fieldnames = fields
    missing = [c for c in CSV_COLUMNS if c not in fields]
    if missing:
        raise GridCityError("component_import_missing_columns", columns=", ".join(missing))
    records = []
    for row in reader:
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if any(values.values()):
            records.append({**values, "_line": reader.line_num})
    return records


def _records_from_geojson(text: str) -> list[dict]:
    try:
        data = json.loads(text)
        features = data["features"]
        if not isinstance(features, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise GridCityError("bad_geojson", detail="expected a FeatureCollection of points") from None
    records = []
    for n, f in enumerate(features, start=1):
        f = f if isinstance(f, dict) else {}
        geometry = f.get("geometry") if isinstance(f.get("geometry"), dict) else {}
        coords = geometry.get("coordinates")
        properties = f.get("properties") if isinstance(f.get("properties"), dict) else {}
        record = {_column(k): "" if v is None else str(v) for k, v in properties.items()}
        if geometry.get("type") == "Point" and isinstance(coords, list) and len(coords) >= 2:
            record.update(lon=coords[0], lat=coords[1])
        else:
            record.update(lon="", lat="", _not_point=True)
        records.append({**record, "_line": n})
    return records


def _column(header) -> str:
    """A header as the column it names (unknown ones as they are)."""
    name = str(header or "").strip().lstrip("\ufeff")
    return _COLUMN_OF.get(name.casefold(), name)


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def check_records(records: list[dict], datum: str = "wgs84") -> list[CheckedRecord]:
    """Each record with its problems; a record without any carries the row
    it would be saved as (a new code numbered after the inventory's last of
    its class when it gives none). Nothing is written."""
    if datum not in DATUMS:
        raise GridCityError("bad_datum", datum=str(datum)[:20])
    categories = {c.code: c for c in db.session.scalars(select(Category).join(CategoryMajor))}
    units = {u.code: u.id for u in db.session.scalars(select(Unit))}
    checked = [CheckedRecord(int(r.get("_line", n)), r) for n, r in enumerate(records, start=1)]
    lons = np.array([_number(r.get("lon")) for r in records], dtype=float)
    lats = np.array([_number(r.get("lat")) for r in records], dtype=float)
    numbers = np.isfinite(lons) & np.isfinite(lats)
    in_degrees = numbers & (np.abs(lons) <= 180) & (np.abs(lats) <= 90)
    if datum == "gcj02" and in_degrees.any():
        lons[in_degrees], lats[in_degrees] = gcj02_to_wgs84(lons[in_degrees], lats[in_degrees])
    positions = np.full(len(records), NO_GRID, dtype=np.int64)
    index = None
    if in_degrees.any():
        index, found = get_locator().locate_many(lons[in_degrees], lats[in_degrees])
        positions[in_degrees] = found
    district_codes = dict(db.session.execute(select(District.id, District.code)).all())
    given = [str(r.get("code") or "").strip() for r in records]
    taken = _codes_taken([c for c in given if c])
    next_seq = _next_sequences()
    seen: dict[str, int] = {}
    added_at = utcnow()
    for n, item in enumerate(checked):
        r, problems = item.record, item.problems
        category_code = str(r.get("category") or "").strip()
        category = categories.get(category_code)
        if category is None or category.major.kind != "component" or not category.active:
            problems.append(GridCityError("component_unknown_class", code=category_code[:30] or "—"))
        if r.get("_not_point"):
            problems.append(GridCityError("component_not_a_point"))
        elif not numbers[n]:
            problems.append(
                GridCityError(
                    "component_bad_position", lon=str(r.get("lon"))[:20], lat=str(r.get("lat"))[:20]
                )
            )
        elif positions[n] == NO_GRID:
            problems.append(
                GridCityError(
                    "component_outside_city", lon=str(r.get("lon"))[:20], lat=str(r.get("lat"))[:20]
                )
            )
        state_text = str(r.get("state") or "").strip()
        state = STATE_WORDS.get(state_text, state_text.lower() or "intact")
        if state not in STATES:
            problems.append(GridCityError("component_bad_state", state=state_text[:20]))
        unit_ids = {}
        for column in ("owner", "maintainer"):
            unit_code = str(r.get(column) or "").strip()
            if unit_code and unit_code not in units:
                problems.append(GridCityError(f"component_unknown_{column}", code=unit_code[:30]))
            unit_ids[column] = units.get(unit_code)
        installed = str(r.get("installed_on") or "").strip()
        try:
            installed_on = dt.date.fromisoformat(installed) if installed else None
        except ValueError:
            installed_on = None
            problems.append(GridCityError("component_bad_date", date=installed[:20]))
        code = given[n]
        if code:
            if len(code) > CODE_MAX or not (code.isascii() and code.isalnum()):
                problems.append(GridCityError("component_bad_code", code=code[:30], max=CODE_MAX))
            elif code in seen:
                problems.append(GridCityError("component_code_repeated", code=code, line=seen[code]))
            elif code in taken:
                problems.append(GridCityError("component_code_taken", code=code))
            seen.setdefault(code, item.line)
        if problems:
            continue
        location = index.location_at(int(positions[n]))
        if not code:
            code = _new_code(district_codes[location.district_id], category, next_seq, taken | set(seen))
        item.row = dict(
            code=code,
            category_id=category.id,
            unit_grid_id=location.unit_grid_id,
            owner_unit_id=unit_ids["owner"],
            maintainer_unit_id=unit_ids["maintainer"],
            state=state,
            installed_on=installed_on,
            geom=_point(lons[n], lats[n]),
            added_at=added_at,
        )
    return checked


def save_records(
    records: list[dict], datum: str = "wgs84", data_source: str = "import", fmt: str = "csv"
) -> int:
    """Add every record, or none: a record with a problem refuses the whole
    file (``component_import_has_errors`` names the lines and the first
    problem). The caller commits."""
    if not records:
        raise GridCityError("component_import_empty")
    checked = check_records(records, datum)
    bad = [c for c in checked if c.problems]
    if bad:
        lines = ", ".join(str(c.line) for c in bad[:20]) + (" …" if len(bad) > 20 else "")
        suffix = "_features" if fmt == "geojson" else ""
        raise ImportHasErrors(
            "component_import_has_errors" + suffix, bad[0].problems[0], lines=lines, count=len(bad)
        )
    rows = [{**c.row, "data_source": data_source} for c in checked]
    db.session.execute(insert(Component), rows)
    return len(rows)


def _codes_taken(codes: list[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(codes), 500):  # stay under SQLite's bound-parameter limit
        chunk = codes[start : start + 500]
        taken |= set(db.session.scalars(select(Component.code).where(Component.code.in_(chunk))))
    return taken


def _point(lon: float, lat: float):
    import shapely

    return shapely.Point(float(lon), float(lat))


def _next_sequences() -> dict[str, int]:
    """Highest sequence used so far per code prefix (admin + major + minor)."""
    result: dict[str, int] = {}
    for code in db.session.scalars(select(Component.code)):
        prefix, seq = code[:-6], code[-6:]
        if seq.isdigit():
            result[prefix] = max(result.get(prefix, 0), int(seq))
    return result


def _new_code(district_code: str, category: Category, next_seq: dict[str, int], used: set[str]) -> str:
    """6 admin + 2 major + 2 minor + 6 sequence, never one the file or the inventory holds."""
    prefix = f"{district_code}{category.major.code}{category.minor_code}"
    while True:
        next_seq[prefix] = next_seq.get(prefix, 0) + 1
        code = f"{prefix}{next_seq[prefix]:06d}"
        if code not in used:
            return code
