"""批量导入人员 — people from a CSV or XLSX sheet: a preview that names each
row's problems and saves nothing, then an import that saves every row or none.

Each row passes the very rules a single new user does
(``services.check_new_user``); the import then creates them with
``services.create_user`` (each one audited), all in the caller's one commit."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from gridcity.audit import services as audit
from gridcity.core.errors import GridCityError
from gridcity.core.uploads import upload_text
from gridcity.org import trail
from gridcity.org.models import ROLE_NAMES, Role, User
from gridcity.org.services import check_new_user, create_user

MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024
# Each column by the headers a sheet may give it (English or Chinese).
COLUMNS = {
    "username": ("username", "用户名", "账号"),
    "display_name": ("display_name", "name", "姓名"),
    "role": ("role", "角色"),
    "unit": ("unit", "unit_code", "责任单位", "单位编码"),
    "work_grids": ("work_grids", "work_grid", "工作网格"),
    "password": ("password", "initial_password", "初始密码", "密码"),
    "phone": ("phone", "电话"),
}
REQUIRED = ("username", "display_name", "role", "password")
# How a message names a column: the Chinese header and the English one.
HEADINGS = {
    "username": "用户名 / username",
    "display_name": "姓名 / name",
    "role": "角色 / role",
    "password": "初始密码 / password",
}


@dataclass
class ImportRow:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)

    def to_dict(self, language: str) -> dict:
        role = _role_code(self.values.get("role", ""))
        role_name = (
            ROLE_NAMES[Role(role)][0 if language == "zh" else 1] if role else self.values.get("role", "")
        )
        return {
            "line": self.line,
            "username": self.values.get("username", ""),
            "display_name": self.values.get("display_name", ""),
            "role_name": role_name,
            "unit": self.values.get("unit", ""),
            "work_grids": _grid_codes(self.values.get("work_grids", "")),
            "errors": self.errors,
        }


def read_sheet(filename: str, data: bytes) -> list[dict[str, str]]:
    """The rows of a CSV (UTF-8, or GB18030 as Chinese Excel saves it) or
    XLSX file, each as {column: text}, by the header row's names."""
    if len(data) > MAX_BYTES:
        raise GridCityError("import_too_large", status=413, limit="2 MB")
    if filename.lower().endswith(".xlsx"):
        table = _xlsx_rows(data)
    else:
        table = list(csv.reader(io.StringIO(upload_text(data, "import_bad_file"))))
    table = [row for row in table if any(str(cell or "").strip() for cell in row)]
    if not table:
        raise GridCityError("import_empty")
    header = [_column(str(cell or "")) for cell in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise GridCityError("import_missing_columns", columns=", ".join(HEADINGS[c] for c in missing))
    if len(table) - 1 > MAX_ROWS:
        raise GridCityError("import_too_many_rows", limit=MAX_ROWS)
    return [
        {
            name: str(cell if cell is not None else "").strip()
            for name, cell in zip(header, row, strict=False)
            if name
        }
        for row in table[1:]
    ]


def check_rows(rows: list[dict[str, str]], language: str | None = None) -> list[ImportRow]:
    """Each row (line numbers as in the sheet, the header being line 1) with
    its problems, in ``language`` (default: the reader's); nothing is saved."""
    checked, seen = [], {}
    for n, values in enumerate(rows, start=2):
        row = ImportRow(n, values)
        for column in REQUIRED:
            if not values.get(column):
                row.errors.append(_message("import_missing_value", language, column=HEADINGS[column]))
        role = _role_code(values.get("role", ""))
        if values.get("role") and role is None:
            row.errors.append(_message("import_unknown_role", language, role=values["role"]))
        username = values.get("username", "")
        if username in seen:
            row.errors.append(
                _message("import_repeated_username", language, username=username, line=seen[username])
            )
        elif username:
            seen[username] = n
        if not row.errors:
            try:
                check_new_user(
                    username,
                    values["password"],
                    role,
                    values.get("unit") or None,
                    _grid_codes(values.get("work_grids", "")),
                )
            except GridCityError as error:
                row.errors.append(error.message(language))
        checked.append(row)
    return checked


def import_people(rows: list[dict[str, str]], actor: User | None = None) -> list[User]:
    """Create everyone, or no one: a row with a problem refuses the whole
    file (``import_has_errors``). Each person must change the initial
    password at their first sign-in."""
    checked = check_rows(rows)
    bad = [r.line for r in checked if r.errors]
    if bad:
        raise GridCityError("import_has_errors", status=422, lines=", ".join(map(str, bad)))
    if not checked:
        raise GridCityError("import_empty")
    created = [
        create_user(
            r.values["username"],
            r.values["password"],
            _role_code(r.values["role"]),
            display_name=r.values["display_name"],
            unit_code=r.values.get("unit") or None,
            work_grid_codes=_grid_codes(r.values.get("work_grids", "")),
            phone=r.values.get("phone") or None,
            actor=actor,
            must_change_password=True,
        )
        for r in checked
    ]
    audit.record("user.import", actor, object_kind=trail.USER_KIND, after={"count": len(created)})
    return created


def _message(key: str, language: str | None, **params) -> str:
    return GridCityError(key, **params).message(language)


def _role_code(text: str) -> str | None:
    """A role by its code or by its name in either language (监督员, Inspector)."""
    text = (text or "").strip()
    for role, names in ROLE_NAMES.items():
        if text.casefold() in {role.value, names[0].casefold(), names[1].casefold()}:
            return role.value
    return None


def _grid_codes(text: str) -> list[str]:
    return [c for c in text.replace("，", " ").replace(",", " ").replace(";", " ").split() if c]


def _column(header: str) -> str | None:
    name = header.strip().lstrip("\ufeff").casefold()
    for column, names in COLUMNS.items():
        if name in {n.casefold() for n in names}:
            return column
    return None


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    except Exception:  # a corrupt or non-XLSX file: openpyxl raises many kinds
        raise GridCityError("import_bad_file") from None
