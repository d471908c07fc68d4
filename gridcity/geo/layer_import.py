"""导入地理图层 — districts, streets, communities, unit grids and work grids
from a GeoJSON file or a zipped Shapefile, in two steps: a check that reads
the whole file, names every problem and saves nothing (the admin console's
preview), then the import, which checks again and refuses on any error (and
on warnings not accepted) before writing through the import services of
gridcity/geo/services.py. The console and ``gridcity geo import-*`` both call
:func:`import_layer`: one rule, two doors.

A feature whose code is already in the layer replaces that row's name and
shape (districts, streets, communities, unit grids); work grids are only
added here, their changes belong to the work grid page.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from flask import current_app
from shapely.validation import explain_validity
from sqlalchemy import func, null, select

from gridcity.audit import services as audit
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import translate
from gridcity.extensions import db
from gridcity.geo import services
from gridcity.geo.coords import area_m2
from gridcity.geo.models import Area, Community, District, Street, UnitGrid, WorkGrid, WorkGroup

LAYERS = ("districts", "streets", "communities", "unit_grids", "work_grids")
LAYER_KIND = "geo_layer"
MODELS = {
    "districts": District,
    "streets": Street,
    "communities": Community,
    "unit_grids": UnitGrid,
    "work_grids": WorkGrid,
}


@dataclass(frozen=True)
class Problem:
    """One finding of the check; ``error`` blocks the import, a warning must be accepted."""

    key: str
    params: dict
    error: bool = True

    def message(self, language: str | None = None) -> str:
        return in_words(translate(self.key, language, **self.params), language)


# A feature without a code is named by its place in the file, in the reader's language.
_NUMBER = re.compile("\x00(\\d+)\x00")


def in_words(text: str, language: str | None) -> str:
    return _NUMBER.sub(lambda m: translate("geo_feature_number", language, n=m.group(1)), text)


@dataclass
class LayerFeature:
    number: int
    code: str
    name: str
    geom: Any  # WGS-84, as read (not repaired)
    raw: dict  # the file's feature, passed on to the import service
    parent: str | None = None  # the parent's full code (district, street, community)
    existing_id: int | None = None
    props: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        code = self.code or f"\x00{self.number}\x00"
        return f"{self.name} ({code})" if self.name else code


@dataclass
class LayerCheck:
    """What the preview shows: the file's features and every problem found."""

    layer: str
    datum: str
    features: list[LayerFeature]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.error]

    @property
    def added(self) -> int:
        return sum(1 for f in self.features if f.existing_id is None)

    @property
    def changed(self) -> int:
        return sum(1 for f in self.features if f.existing_id is not None)

    def to_dict(self, language: str | None = None) -> dict:
        # The features a problem names are drawn red on the preview's map.
        flagged = {p.params.get(name) for p in self.problems for name in ("feature", "other")}
        return {
            "layer": self.layer,
            "datum": self.datum,
            "count": len(self.features),
            "added": self.added,
            "changed": self.changed,
            "errors": [p.message(language) for p in self.errors],
            "warnings": [p.message(language) for p in self.warnings],
            "features": {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": shapely.geometry.mapping(f.geom),
                        "properties": {"label": in_words(f.label, language), "flagged": f.label in flagged},
                    }
                    for f in self.features
                ],
            },
        }


class LayerRefused(GridCityError):
    """An import refused for the problems its check found (422), listed in the message."""

    def __init__(self, key: str, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(key, status=422, count=len(problems))

    def message(self, language: str | None = None) -> str:
        head = translate(self.key, language, count=len(self.problems))
        return head + " " + "；".join(p.message(language) for p in self.problems)


# ---------------------------------------------------------------- the check


def check_layer(
    layer: str, document: dict | str | bytes, datum: str, district_code: str | None = None
) -> LayerCheck:
    """Every problem of a layer file (geometry, overlaps, gaps, codes); saves nothing.
    A file that cannot be read at all is refused with a 4xx error."""
    if layer not in LAYERS:
        raise GridCityError("geo_unknown_layer", layer=str(layer)[:30])
    read = services.read_features(document, datum, repair=False)
    if isinstance(document, (str, bytes)):
        document = json.loads(document)
    raws = document["features"] if document["type"] == "FeatureCollection" else [document]
    problems: list[Problem] = []
    features = [
        _feature(layer, n, props, geom, raw, district_code, problems)
        for n, ((props, geom), raw) in enumerate(zip(read, raws), start=1)
    ]
    _check_codes(layer, features, problems)
    valid = []
    for f in features:
        if f.geom.is_valid:
            valid.append(f)
        else:
            problems.append(
                Problem("geo_invalid_geometry", {"feature": f.label, "reason": explain_validity(f.geom)})
            )
    _check_overlaps(layer, valid, problems)
    if layer in ("streets", "communities", "unit_grids"):
        _check_gaps(layer, valid, problems)
    return LayerCheck(layer, datum, features, problems)


def _text(props: dict, *names: str) -> str:
    for name in names:
        value = props.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _feature(layer, n, props, geom, raw, district_code, problems) -> LayerFeature:
    code = _text(props, "adcode", "code") if layer == "districts" else _text(props, "code")
    name = _text(props, "name")
    feature = LayerFeature(n, code, name, geom, raw, props=props)
    if not code:
        problems.append(Problem("geo_code_missing", {"feature": feature.label}))
    if not name and layer != "unit_grids":
        problems.append(Problem("geo_name_missing", {"feature": feature.label}))
    if len(name) > 100:
        problems.append(Problem("geo_name_too_long", {"feature": feature.label}))
    if layer == "unit_grids" and len(services.as_multipolygon(geom).geoms) != 1:
        problems.append(Problem("geo_grid_one_polygon", {"feature": feature.label}))
    if layer == "streets" and code and district_code:
        feature.parent = district_code
    return feature


def _check_codes(layer: str, features: list[LayerFeature], problems: list[Problem]) -> None:
    """Format for the code layout, repeats within the file, the parent known;
    which features replace a row already in the layer."""
    layout = services.CodeLayout.current()
    digits = {
        "districts": (layout.district,),
        "streets": (layout.street, layout.district + layout.street),
        "communities": (layout.community_length,),
        "unit_grids": (layout.length,),
    }
    seen: dict[str, LayerFeature] = {}
    existing = _existing_codes(layer)
    parents = _parent_codes(layer)
    for f in features:
        if not f.code:
            continue
        if layer in digits and not (f.code.isdigit() and len(f.code) in digits[layer]):
            size = " / ".join(map(str, digits[layer]))
            problems.append(Problem("geo_code_format", {"feature": f.label, "digits": size}))
            continue
        if layer == "work_grids" and len(f.code) > 20:
            problems.append(Problem("geo_code_format", {"feature": f.label, "digits": "≤ 20"}))
            continue
        full = _full_code(layer, f, layout)
        if full is None:
            problems.append(Problem("geo_street_needs_district", {"feature": f.label}))
            continue
        if full in seen:
            problems.append(Problem("geo_code_repeated", {"feature": f.label, "other": seen[full].label}))
            continue
        seen[full] = f
        f.code = full
        f.existing_id = existing.get(full)
        if layer == "work_grids" and f.existing_id is not None:
            problems.append(Problem("geo_work_grid_exists", {"feature": f.label}))
        _check_parent(layer, f, layout, parents, problems)


def _full_code(layer: str, f: LayerFeature, layout) -> str | None:
    """A street's code is district + street digits; the street digits alone
    need the district chosen for the file."""
    if layer == "streets" and len(f.code) == layout.street:
        return f.parent + f.code if f.parent else None
    return f.code


def _check_parent(layer: str, f: LayerFeature, layout, parents: dict, problems: list[Problem]) -> None:
    if layer == "streets":
        f.parent = f.code[: layout.district]
    elif layer == "communities":
        f.parent = f.code[: layout.district + layout.street]
    elif layer == "unit_grids":
        f.parent = f.code[: layout.community_length]
        work_grid = _text(f.props, "work_grid")
        if work_grid and work_grid not in parents["work_grid"]:
            problems.append(Problem("geo_unknown_work_grid", {"feature": f.label, "code": work_grid}))
    elif layer == "work_grids":
        area = _text(f.props, "area")
        if not area or area not in parents["area"]:
            problems.append(Problem("geo_unknown_area", {"feature": f.label, "code": area or "—"}))
        group = _text(f.props, "work_group")
        if group and group not in parents["work_group"]:
            problems.append(Problem("geo_unknown_work_group", {"feature": f.label, "code": group}))
        return
    if f.parent is not None and f.parent not in parents["parent"]:
        kind = {"streets": "district", "communities": "street", "unit_grids": "community"}.get(layer, "")
        if kind:
            problems.append(Problem(f"geo_unknown_{kind}", {"feature": f.label, "code": f.parent}))


def _existing_codes(layer: str) -> dict[str, int]:
    return {code: row_id for code, row_id, _, _ in _existing_rows(layer, with_geometry=False)}


def _existing_rows(layer: str, with_geometry: bool = True) -> list[tuple[str, int, str, Any]]:
    """(full code, id, name, geometry) of every row of the layer."""
    geom = MODELS[layer].geom if with_geometry else null()
    if layer == "districts":
        query = select(District.code, District.id, District.name, geom)
    elif layer == "streets":
        query = select(District.code + Street.code, Street.id, Street.name, geom).join(District)
    elif layer == "communities":
        query = (
            select(District.code + Street.code + Community.code, Community.id, Community.name, geom)
            .join(Street, Community.street_id == Street.id)
            .join(District)
        )
    elif layer == "unit_grids":
        query = select(UnitGrid.code, UnitGrid.id, UnitGrid.code, geom)
    else:
        query = select(WorkGrid.code, WorkGrid.id, WorkGrid.name, geom)
    return [tuple(row) for row in db.session.execute(query)]


def _parent_codes(layer: str) -> dict[str, set[str]]:
    parent_layer = {"streets": "districts", "communities": "streets", "unit_grids": "communities"}.get(layer)
    return {
        "parent": set(_existing_codes(parent_layer)) if parent_layer else set(),
        "work_grid": set(db.session.scalars(select(WorkGrid.code))) if layer == "unit_grids" else set(),
        "area": set(db.session.scalars(select(Area.code))) if layer == "work_grids" else set(),
        "work_group": set(db.session.scalars(select(WorkGroup.code))) if layer == "work_grids" else set(),
    }


def sliver_m2() -> float:
    """Overlaps and gaps smaller than this are the noise of shared borders (setting ``geo_sliver_m2``)."""
    return current_app.config["SETTINGS"].geo_sliver_m2


def _m2(geom) -> float:
    return 0.0 if geom.is_empty else area_m2(geom)


def _check_overlaps(layer: str, features: list[LayerFeature], problems: list[Problem]) -> None:
    """Two features of the file, or one of the file and a row it does not replace,
    covering the same ground beyond the sliver tolerance."""
    tolerance = sliver_m2()
    replaced = {f.code for f in features}
    others = [
        (f"{name} ({code})" if name != code else code, geom)
        for code, _, name, geom in _existing_rows(layer)
        if code not in replaced and geom is not None
    ]
    geoms = np.array([f.geom for f in features], dtype=object)
    if not len(geoms):
        return
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    for i, j, area in _overlaps(geoms[left[keep]], geoms[right[keep]], left[keep], right[keep], tolerance):
        a, b = features[i].label, features[j].label
        problems.append(
            Problem(
                "geo_overlap",
                {
                    "feature": a,
                    "other": b,
                    "area": area,
                },
            )
        )
    if others:
        existing = np.array([g for _, g in others], dtype=object)
        old, new = tree.query(existing, predicate="intersects")
        for i, j, area in _overlaps(geoms[new], existing[old], new, old, tolerance):
            a = features[i].label
            problems.append(
                Problem(
                    "geo_overlap_existing",
                    {
                        "feature": a,
                        "other": others[j][0],
                        "area": area,
                    },
                )
            )


def _overlaps(a, b, a_index, b_index, tolerance: float):
    """(index in a, index in b, m²) of the pairs whose common ground exceeds the
    tolerance; neighbours that only share a border cost no area computation."""
    if not len(a):
        return
    common = shapely.intersection(a, b)
    for k in np.nonzero(shapely.area(common) > 0)[0]:
        if (area := _m2(common[k])) > tolerance:
            yield int(a_index[k]), int(b_index[k]), round(area)


PARENT_LAYER = {"streets": "districts", "communities": "streets", "unit_grids": "communities"}


def _check_gaps(layer: str, features: list[LayerFeature], problems: list[Problem]) -> None:
    """Warnings: ground of a parent its children (the file's and those that stay)
    leave uncovered, and children reaching outside their parent."""
    tolerance = sliver_m2()
    parents = {code: (name, geom) for code, _, name, geom in _existing_rows(PARENT_LAYER[layer])}
    replaced = {f.code for f in features}
    children: dict[str, list] = defaultdict(list)
    layout = services.CodeLayout.current()
    cut = {"streets": layout.district, "communities": layout.district + layout.street}.get(
        layer, layout.community_length
    )
    for code, _, _, geom in _existing_rows(layer):
        if code not in replaced and code[:cut] in {f.parent for f in features}:
            children[code[:cut]].append(geom)
    for f in features:
        if f.parent not in parents:
            continue
        children[f.parent].append(f.geom)
        outside = _m2(shapely.difference(f.geom, parents[f.parent][1]))
        if outside > tolerance:
            problems.append(
                Problem(
                    "geo_outside_parent",
                    {
                        "feature": f.label,
                        "parent": f"{parents[f.parent][0]} ({f.parent})",
                        "area": round(outside),
                    },
                    error=False,
                )
            )
    for code, geoms in children.items():
        if code not in parents:
            continue
        name, parent_geom = parents[code]
        gap = _m2(shapely.difference(parent_geom, shapely.union_all(geoms)))
        if gap > tolerance:
            problems.append(
                Problem("geo_gap", {"parent": f"{name} ({code})", "area": round(gap)}, error=False)
            )


# ---------------------------------------------------------------- the import


def import_layer(
    layer: str,
    document: dict | str | bytes,
    datum: str,
    *,
    filename: str = "",
    district_code: str | None = None,
    accept_warnings: bool = False,
    actor=None,
) -> dict:
    """Check the file as the preview does, refuse on any error (and on
    warnings unless accepted), then add the new features and replace the
    changed ones; audited as ``geo.import``. Returns the counts."""
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except ValueError:
            raise GridCityError("bad_geojson", detail="not a JSON text") from None
    checked = check_layer(layer, document, datum, district_code)
    if checked.errors:
        raise LayerRefused("geo_import_has_errors", checked.errors)
    if checked.warnings and not accept_warnings:
        raise LayerRefused("geo_import_has_warnings", checked.warnings)
    new = [f for f in checked.features if f.existing_id is None]
    if new:
        _add(layer, new, datum)
    for f in checked.features:
        if f.existing_id is not None:
            _replace(layer, f)
    if layer == "unit_grids" and checked.changed:
        services.mark_grids_changed()
    db.session.flush()
    counts = {"added": checked.added, "changed": checked.changed}
    audit.record(
        "geo.import",
        actor,
        object_kind=LAYER_KIND,
        object_id=LAYERS.index(layer) + 1,
        object_label=translate(f"geo_layer_{layer}", "zh"),
        after={"layer": layer, "file": filename or "—", "datum": datum, **counts},
    )
    return counts


def _collection(features: list[LayerFeature]) -> dict:
    return {"type": "FeatureCollection", "features": [f.raw for f in features]}


def _add(layer: str, features: list[LayerFeature], datum: str) -> None:
    if layer == "districts":
        services.import_districts(_collection(features), datum)
    elif layer == "streets":
        by_district = defaultdict(list)
        for f in features:
            by_district[f.parent].append(f)
        for district, group in by_district.items():
            raws = [{**f.raw, "properties": {**f.props, "code": f.code}} for f in group]
            services.import_streets({"type": "FeatureCollection", "features": raws}, datum, district)
    elif layer == "communities":
        services.import_communities(_collection(features), datum)
    elif layer == "unit_grids":
        services.import_unit_grids(_collection(features), datum)
    else:
        services.import_work_grids(_collection(features), datum)


def _replace(layer: str, f: LayerFeature) -> None:
    row = db.session.get(MODELS[layer], f.existing_id)
    geom = shapely.make_valid(f.geom) if not f.geom.is_valid else f.geom
    if layer == "unit_grids":
        polygon = services.as_multipolygon(geom).geoms[0]
        row.geom, row.area_m2 = polygon, area_m2(polygon)
        work_grid = _text(f.props, "work_grid")
        if work_grid:
            row.work_grid_id = db.session.scalar(select(WorkGrid.id).where(WorkGrid.code == work_grid))
        return
    row.name = f.name
    row.geom = services.as_multipolygon(geom)


def layer_counts() -> dict[str, int]:
    return {layer: db.session.scalar(select(func.count(MODELS[layer].id))) for layer in LAYERS}
