"""The admin console's components (部件): the inventory on a map filtered by
class and state, the census status per class (普查状态), the import with a
preview, and one component's edit page with its history. Thin views over
``gridcity.inventory`` (the same services as the API and the ``gridcity
components`` commands); each change commits once."""

from __future__ import annotations

import base64
import binascii
import zlib

from flask import Blueprint, current_app, redirect, request, url_for
from sqlalchemy import select

from gridcity.audit import services as audit
from gridcity.audit import words
from gridcity.core.auth import current_user, roles_required
from gridcity.core.basemap import basemap_page_data
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.core.uploads import upload_text
from gridcity.extensions import db
from gridcity.geo.coords import DATUMS
from gridcity.inventory import census, editing, importing, services
from gridcity.inventory.models import COMPONENT_KIND, STATES
from gridcity.org.models import Role, Unit
from gridcity.web import views as web_views
from gridcity.web.admin_people import _page
from gridcity.web.formats import city_datetime
from gridcity.web.ui_text import ui_keys, ui_text, ui_texts

bp = Blueprint("admin_components", __name__, url_prefix="/admin/components")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)

# The console takes files up to this size (the command line takes any); the
# checked file rides back to "import" compressed in the page's form.
MAX_BYTES = 1024 * 1024
MAX_FORM_DRAFT = 450_000  # under the server's 500 kB limit for a form field
PREVIEW_ROWS = 500  # rows with problems first, then the others, up to this many
MAP_TEXTS = ("cmp_map_shown", "cmp_map_none", "cmp_edit", "load_error", *ui_keys("cmp_state_"))


def _class_name(category, language: str) -> str:
    return category.name_zh if language == "zh" else category.name_en


def _major_name(category, language: str) -> str:
    return category.major.name_zh if language == "zh" else category.major.name_en


def _grouped_classes(language: str) -> list[dict]:
    """The component classes by major class, as the filters offer them."""
    groups: dict[str, dict] = {}
    for c in census.component_classes():
        group = groups.setdefault(
            c.major.code, {"code": c.major.code, "name": _major_name(c, language), "classes": []}
        )
        group["classes"].append({"code": c.code, "name": _class_name(c, language)})
    return list(groups.values())


def _states(language: str) -> list[tuple[str, str]]:
    return [(s, ui_text(f"cmp_state_{s}", language)) for s in STATES]


# ---------------------------------------------------------------- the map


@bp.get("")
@roles_required(Role.ADMIN)
def map_page():
    language = current_language()
    return _page(
        "admin_components.html",
        groups=_grouped_classes(language),
        states=_states(language),
        total=services.count_components(),
        page_data={
            "texts": ui_texts(language, MAP_TEXTS),
            "bounds": web_views._city_bounds(),
            **basemap_page_data(current_app.config["SETTINGS"], language),
        },
    )


# ---------------------------------------------------------------- census status


@bp.get("/census")
@roles_required(Role.ADMIN)
def census_page():
    language = current_language()
    groups: dict[str, dict] = {}
    for row in census.census_status():
        c = row["category"]
        group = groups.setdefault(c.major.code, {"name": _major_name(c, language), "rows": []})
        group["rows"].append(
            {
                **row,
                "code": c.code,
                "name": _class_name(c, language),
                "last_added": city_datetime(row["last_added"]),
                "last_updated": city_datetime(row["last_updated"]),
            }
        )
    return _page("admin_components_census.html", groups=list(groups.values()), states=_states(language))


# ---------------------------------------------------------------- import


def _import_page(status: int = 200, **context):
    context.setdefault("rows", None)
    context.setdefault("error", None)
    context.setdefault("fmt", "csv")
    context.setdefault("datum", "wgs84")
    return _page("admin_components_import.html", status=status, **context)


def _format_of(filename: str) -> str:
    return "geojson" if filename.lower().endswith((".geojson", ".json")) else "csv"


def _draft(text: str) -> str:
    """The file's text for the import form: compressed, so a census file fits a form field."""
    packed = base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
    if len(packed) > MAX_FORM_DRAFT:
        raise GridCityError("component_import_too_large", status=413, limit="1 MB")
    return packed


def _undraft(packed: str) -> str:
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(base64.b64decode(packed, validate=True), MAX_BYTES + 1)
        if len(data) > MAX_BYTES or inflater.unconsumed_tail:
            raise GridCityError("component_import_too_large", status=413, limit="1 MB")
        return data.decode("utf-8")
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError):
        raise GridCityError("component_import_bad_file") from None


def _datum() -> str:
    datum = request.form.get("datum", "wgs84")
    if datum not in DATUMS:
        raise GridCityError("bad_datum", datum=datum[:20])
    return datum


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_page():
    """Upload → each record with its problems (nothing saved) → import."""
    if request.method == "GET":
        return _import_page()
    upload = request.files.get("file")
    try:
        datum = _datum()
        if upload is None or not upload.filename:
            raise GridCityError("component_import_empty")
        with upload.stream:  # a large upload waits in a temporary file: close it now
            data = upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise GridCityError("component_import_too_large", status=413, limit="1 MB")
        text = upload_text(data, "component_import_bad_file")
        fmt = _format_of(upload.filename)
        records = importing.read_records(text, fmt)
        if not records:
            raise GridCityError("component_import_empty")
        checked = importing.check_records(records, datum)
    except GridCityError as error:
        db.session.rollback()
        return _import_page(error.status, error=error.message())
    db.session.rollback()
    language = current_language()
    bad = [c for c in checked if c.problems]
    shown = (bad + [c for c in checked if not c.problems])[:PREVIEW_ROWS]
    shown.sort(key=lambda c: c.line)
    return _import_page(
        rows=[c.to_dict(language) for c in shown],
        bad=len(bad),
        total=len(checked),
        fmt=fmt,
        datum=datum,
        # The file goes back with "import" (and is checked again there).
        draft=_draft(text) if not bad else None,
    )


@bp.post("/import/save")
@roles_required(Role.ADMIN)
def import_save():
    fmt = request.form.get("format", "csv")
    try:
        datum = _datum()
        if fmt not in importing.FORMATS:
            raise GridCityError("component_import_bad_file")
        text = _undraft(request.form.get("draft", ""))
        imported = services.import_components(text, fmt, datum, actor=current_user())
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _import_page(error.status, error=error.message())
    return _import_page(imported=imported)


# ---------------------------------------------------------------- one component


def _component_page(component, form, error: GridCityError | None = None):
    language = current_language()
    entries = audit.search(object_kind=COMPONENT_KIND, object_id=component.id, limit=100)
    values = {
        "state": component.state,
        "owner": component.owner_unit.code if component.owner_unit else "",
        "maintainer": component.maintainer_unit.code if component.maintainer_unit else "",
        "lon": f"{component.geom.x:.6f}",
        "lat": f"{component.geom.y:.6f}",
        "installed_on": component.installed_on.isoformat() if component.installed_on else "",
    }
    values.update({f: form[f] for f in editing.EDIT_FIELDS if f in form})
    units = db.session.scalars(select(Unit).where(Unit.active).order_by(Unit.code))
    return _page(
        "admin_component.html",
        status=error.status if error is not None else 200,
        component=component,
        class_name=_class_name(component.category, language),
        values=values,
        states=_states(language),
        units=list(units),
        error=error.message() if error is not None else None,
        error_field=getattr(error, "field", None),
        done=request.args.get("done") == "saved",
        history=words.describe(entries, language),
        page_data={
            "lon": component.geom.x,
            "lat": component.geom.y,
            **basemap_page_data(current_app.config["SETTINGS"], language),
        },
    )


@bp.route("/<int:component_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def component_page(component_id: int):
    component = editing.component_by_id(component_id)
    if request.method == "GET":
        return _component_page(component, {})
    form = request.form
    try:
        editing.edit_component(
            component, current_user(), **{f: form[f] for f in editing.EDIT_FIELDS if f in form}
        )
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _component_page(editing.component_by_id(component_id), form, error)
    return redirect(url_for(".component_page", component_id=component_id, done="saved"))
