"""The admin console's geography page (地理图层): the layers with their counts
and a map of one, the import of a layer file in two steps (a preview that
saves nothing, then the import) and the export links. Thin: the check, the
import and the export are gridcity/geo/layer_import.py and layer_export.py,
which ``gridcity geo import-* / export`` call too."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from sqlalchemy import select

from gridcity.audit import services as audit
from gridcity.audit import words
from gridcity.core.auth import current_user, roles_required
from gridcity.core.basemap import basemap_page_data
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language, translate
from gridcity.extensions import db
from gridcity.geo import layer_files, layer_import
from gridcity.geo.coords import GEOMETRY_DATUMS
from gridcity.geo.models import District
from gridcity.org.models import Role
from gridcity.web import views as web_views
from gridcity.web.admin_people import _page
from gridcity.web.ui_text import ui_text, ui_texts

bp = Blueprint("admin_geography", __name__, url_prefix="/admin")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)

MAP_TEXTS = ("geo_map_empty", "load_error")


def _layer(value: str | None) -> str:
    return value if value in layer_import.LAYERS else "districts"


def _geography_page(layer: str, status: int = 200, *, error: str | None = None, check=None, upload=None):
    language = current_language()
    settings = current_app.config["SETTINGS"]
    counts = layer_import.layer_counts()
    preview = check.to_dict(language) if check is not None else None
    done = None
    if request.args.get("done") == "imported":
        done = ui_text("geo_imported", language).format(
            layer=translate(f"geo_layer_{layer}", language),
            added=request.args.get("added", type=int) or 0,
            changed=request.args.get("changed", type=int) or 0,
        )
    entries = audit.search(object_kind=layer_import.LAYER_KIND, limit=100)
    return _page(
        "admin_geography.html",
        status=status,
        layers=[
            (name, translate(f"geo_layer_{name}", language), counts[name]) for name in layer_import.LAYERS
        ],
        layer=layer,
        datums=[(d, ui_text(f"geo_datum_{d}", language)) for d in GEOMETRY_DATUMS],
        districts=list(db.session.scalars(select(District).order_by(District.code))),
        upload=upload or {},
        preview=preview,
        # The checked file waits for "import" (and is checked again there).
        token=layer_files.keep_checked_file(upload["document"])
        if check is not None and not check.errors
        else None,
        error=error,
        done=done,
        history=words.describe(entries, language),
        page_data={
            "layer_url": url_for("geo.export_layer", layer=layer),
            "preview": preview["features"] if preview else None,
            "texts": ui_texts(language, MAP_TEXTS),
            **basemap_page_data(settings, language),
        },
    )


@bp.get("/geography")
@roles_required(Role.ADMIN)
def geography_page():
    return _geography_page(_layer(request.args.get("layer")))


def _choices(form) -> dict:
    return {
        "layer": form.get("layer", ""),
        "datum": form.get("datum", ""),
        "district": form.get("district", "").strip() or None,
    }


@bp.post("/geography/preview")
@roles_required(Role.ADMIN)
def preview_import():
    """Upload → the file's features on the map and its problems in words; nothing is saved."""
    upload = _choices(request.form)
    file = request.files.get("file")
    try:
        if file is None or not file.filename:
            raise GridCityError("geo_file_empty")
        upload["filename"] = file.filename[:200]
        upload["document"] = layer_files.read_layer_file(file.filename, file.read())
        check = layer_import.check_layer(
            upload["layer"], upload["document"], upload["datum"], upload["district"]
        )
    except GridCityError as error:
        db.session.rollback()
        return _geography_page(_layer(upload["layer"]), error.status, error=error.message(), upload=upload)
    db.session.rollback()
    return _geography_page(upload["layer"], check=check, upload=upload)


@bp.post("/geography/import")
@roles_required(Role.ADMIN)
def save_import():
    """The previewed file, checked again and imported (errors refuse it; warnings need the tick)."""
    form = request.form
    upload = _choices(form)
    upload["filename"] = form.get("filename", "")[:200]
    token = form.get("token", "")
    try:
        counts = layer_import.import_layer(
            upload["layer"],
            layer_files.checked_file(token),
            upload["datum"],
            filename=upload["filename"],
            district_code=upload["district"],
            accept_warnings=form.get("accept_warnings") == "on",
            actor=current_user(),
        )
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _geography_page(_layer(upload["layer"]), error.status, error=error.message(), upload=upload)
    layer_files.forget_checked_file(token)
    return redirect(url_for(".geography_page", layer=upload["layer"], done="imported", **counts))
