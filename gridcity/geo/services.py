"""Geography services: imports, the fishnet cut, unit grid codes, the locator.

Every import validates the whole input before writing anything; the caller's
transaction commits once or rolls back, so a bad file changes nothing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from flask import current_app, has_app_context
from shapely.geometry import MultiPolygon, shape
from sqlalchemy import LargeBinary, create_engine, event, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from gridcity.core.errors import GridCityError, NotFound
from gridcity.core.geometry import is_postgresql
from gridcity.extensions import db
from gridcity.geo.coords import GEOMETRY_DATUMS, area_m2, geometry_to_wgs84
from gridcity.geo.fishnet import Cell, FishnetFrame, fishnet
from gridcity.geo.locator import GridRows, Location, Locator
from gridcity.geo.models import (
    Area,
    Community,
    District,
    GeoRevision,
    Street,
    UnitGrid,
    WorkGrid,
    WorkGroup,
)

# ---------------------------------------------------------------- codes


@dataclass(frozen=True)
class CodeLayout:
    """Digits of district, street, community and sequence in a unit grid code
    (DB11/T 2157-2023: 6-3-3-3; CJ/T 213-2005: 6-3-3-2)."""

    district: int = 6
    street: int = 3
    community: int = 3
    sequence: int = 3

    @classmethod
    def current(cls) -> CodeLayout:
        return cls(*current_app.config["SETTINGS"].grid_code_parts)

    @property
    def length(self) -> int:
        return self.district + self.street + self.community + self.sequence

    @property
    def community_length(self) -> int:
        return self.district + self.street + self.community

    def grid_code(self, community_code: str, sequence: int) -> str:
        if not 1 <= sequence < 10**self.sequence:
            raise GridCityError(
                "bad_code",
                code=f"{community_code}+{sequence}",
                detail=f"a community holds at most {10**self.sequence - 1} unit grids in this code layout",
            )
        return f"{community_code}{sequence:0{self.sequence}d}"

    def check_grid_code(self, code: str) -> str:
        """The community part of a well-formed unit grid code."""
        if not (isinstance(code, str) and code.isdigit() and len(code) == self.length):
            raise GridCityError(
                "bad_code", code=str(code), detail=f"a unit grid code has {self.length} digits"
            )
        return code[: self.community_length]


# ---------------------------------------------------------------- GeoJSON input


def read_features(data: str | bytes | dict, datum: str, repair: bool = True) -> list[tuple[dict, Any]]:
    """(properties, WGS-84 geometry) for every polygonal feature of a GeoJSON
    document, or a clear error. An invalid polygon is repaired unless
    ``repair`` is false (the layer import's check names it instead)."""
    if datum not in GEOMETRY_DATUMS:
        raise GridCityError("bad_datum", datum=datum)
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise GridCityError("bad_geojson", detail=f"not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("type") not in ("FeatureCollection", "Feature"):
        raise GridCityError("bad_geojson", detail="expected a FeatureCollection or a Feature")
    crs_name = str(((data.get("crs") or {}).get("properties") or {}).get("name", ""))
    if crs_name and not any(t in crs_name for t in ("4326", "CRS84", "4490")):
        raise GridCityError("wrong_crs", detail=f"declared crs {crs_name}")
    features = data["features"] if data["type"] == "FeatureCollection" else [data]
    if not isinstance(features, list) or not features:
        raise GridCityError("bad_geojson", detail="no features")
    result = []
    for n, feature in enumerate(features, start=1):
        try:
            geom = shape(feature["geometry"])
        except Exception as exc:  # shapely raises several kinds for bad input
            raise GridCityError("bad_geojson", detail=f"feature {n}: bad geometry ({exc})") from None
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            raise GridCityError(
                "bad_geojson", detail=f"feature {n}: expected a polygon, got {geom.geom_type}"
            )
        minx, miny, maxx, maxy = geom.bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise GridCityError("wrong_crs", detail=f"feature {n} bounds {geom.bounds}")
        if repair and not geom.is_valid:
            geom = shapely.make_valid(geom)
        props = feature.get("properties")
        # Properties that are no object (a list, a number) are as good as none: the codes are then missing.
        result.append((props if isinstance(props, dict) else {}, geometry_to_wgs84(geom, datum)))
    return result


def as_multipolygon(geom) -> MultiPolygon:
    if geom.geom_type == "MultiPolygon":
        return geom
    if geom.geom_type == "Polygon":
        return MultiPolygon([geom])
    return MultiPolygon([g for g in getattr(geom, "geoms", []) if g.geom_type == "Polygon"])


def _property(props: dict, *names: str, feature_no: int) -> str:
    for name in names:
        if props.get(name) not in (None, ""):
            return str(props[name])
    raise GridCityError("bad_geojson", detail=f"feature {feature_no}: property '{names[0]}' is missing")


def _no_duplicates(codes: Iterable[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise GridCityError("duplicate_code", code=code)
        seen.add(code)


# ---------------------------------------------------------------- imports


def import_districts(data, datum: str) -> list[District]:
    """Districts from GeoJSON features with ``adcode``/``code`` and ``name``."""
    features = read_features(data, datum)
    rows = []
    for n, (props, geom) in enumerate(features, start=1):
        code = _property(props, "adcode", "code", feature_no=n)
        if not (code.isdigit() and len(code) == CodeLayout.current().district):
            raise GridCityError("bad_code", code=code, detail="a district code has 6 digits")
        rows.append((code, _property(props, "name", feature_no=n), geom))
    _no_duplicates(code for code, _, _ in rows)
    existing = set(db.session.scalars(select(District.code).where(District.code.in_([r[0] for r in rows]))))
    if existing:
        raise GridCityError("duplicate_code", code=", ".join(sorted(existing)))
    districts = [District(code=c, name=name, geom=as_multipolygon(g)) for c, name, g in rows]
    db.session.add_all(districts)
    db.session.flush()
    return districts


def get_district(code: str) -> District:
    district = db.session.scalar(select(District).where(District.code == code))
    if district is None:
        raise NotFound("not_found", what=f"district {code}")
    return district


def import_streets(data, datum: str, district_code: str) -> list[Street]:
    district = get_district(district_code)
    layout = CodeLayout.current()
    taken = list(db.session.scalars(select(Street.code).where(Street.district_id == district.id)))
    rows = []
    for n, (props, geom) in enumerate(read_features(data, datum), start=1):
        code = _property(props, "code", feature_no=n)[-layout.street :]
        if not (code.isdigit() and len(code) == layout.street):
            raise GridCityError("bad_code", code=code, detail=f"a street code has {layout.street} digits")
        rows.append((code, _property(props, "name", feature_no=n), geom))
    _no_duplicates(taken + [code for code, _, _ in rows])
    streets = [
        Street(district_id=district.id, code=code, name=name, geom=as_multipolygon(geom))
        for code, name, geom in rows
    ]
    db.session.add_all(streets)
    db.session.flush()
    return streets


def find_street(full_code: str) -> Street:
    layout = CodeLayout.current()
    district = get_district(full_code[: layout.district])
    street = db.session.scalar(
        select(Street).where(Street.district_id == district.id, Street.code == full_code[layout.district :])
    )
    if street is not None:
        return street
    raise NotFound("not_found", what=f"street {full_code}")


def import_communities(data, datum: str) -> list[Community]:
    """Communities from features whose ``code`` is district + street + community."""
    layout = CodeLayout.current()
    taken = list(communities_by_full_code())
    rows = []
    for n, (props, geom) in enumerate(read_features(data, datum), start=1):
        code = _property(props, "code", feature_no=n)
        if not (code.isdigit() and len(code) == layout.community_length):
            raise GridCityError(
                "bad_code", code=code, detail=f"a community code has {layout.community_length} digits"
            )
        street = find_street(code[: layout.district + layout.street])
        rows.append((code, street, _property(props, "name", feature_no=n), geom))
    _no_duplicates(taken + [code for code, _, _, _ in rows])
    communities = [
        Community(street_id=street.id, code=code[-layout.community :], name=name, geom=as_multipolygon(geom))
        for code, street, name, geom in rows
    ]
    db.session.add_all(communities)
    db.session.flush()
    return communities


def communities_by_full_code() -> dict[str, Community]:
    return {c.full_code: c for c in db.session.scalars(select(Community))}


def import_unit_grids(data, datum: str) -> int:
    """Unit grids from features with a full ``code``; the community comes from
    the code. Optional ``work_grid`` property names an existing work grid."""
    layout = CodeLayout.current()
    communities = communities_by_full_code()
    work_grids = {w.code: w.id for w in db.session.scalars(select(WorkGrid))}
    rows = []
    for n, (props, geom) in enumerate(read_features(data, datum), start=1):
        code = _property(props, "code", feature_no=n)
        community = communities.get(layout.check_grid_code(code))
        if community is None:
            raise GridCityError("unknown_place", kind="community", code=code[: layout.community_length])
        polygons = as_multipolygon(geom).geoms
        if len(polygons) != 1:
            raise GridCityError("bad_geojson", detail=f"feature {n}: a unit grid is one polygon")
        wg_code = props.get("work_grid")
        if wg_code and wg_code not in work_grids:
            raise GridCityError("unknown_place", kind="work_grid", code=str(wg_code))
        rows.append(
            dict(
                code=code,
                community_id=community.id,
                work_grid_id=work_grids.get(wg_code),
                geom=polygons[0],
                area_m2=area_m2(polygons[0]),
            )
        )
    _no_duplicates(r["code"] for r in rows)
    taken = set(db.session.scalars(select(UnitGrid.code).where(UnitGrid.code.in_([r["code"] for r in rows]))))
    if taken:
        raise GridCityError("duplicate_code", code=", ".join(sorted(taken)[:5]))
    insert_unit_grids(rows)
    return len(rows)


def code_cells(community_code: str, cells: list[Cell]) -> list[tuple[str, Cell]]:
    """Codes for a community's cells: numbered north → south, west → east."""
    layout = CodeLayout.current()
    ordered = sorted(cells, key=lambda c: c.order_key)
    return [(layout.grid_code(community_code, n), cell) for n, cell in enumerate(ordered, start=1)]


def cut_unit_grids(district_code: str, size_m: float = 100.0) -> int:
    """The fishnet cut: every community of the district is cut into square unit
    grids on one lattice, clipped to the community, and coded."""
    district = get_district(district_code)
    if db.session.scalar(
        select(func.count(UnitGrid.id)).join(Community).join(Street).where(Street.district_id == district.id)
    ):
        raise GridCityError("conflict", status=409, detail=f"district {district_code} already has unit grids")
    communities = list(
        db.session.scalars(
            select(Community).join(Street).where(Street.district_id == district.id).order_by(Community.id)
        )
    )
    if not communities:
        raise GridCityError(
            "conflict", status=409, detail=f"district {district_code} has no communities to cut"
        )
    frame = FishnetFrame.around(district.geom, size_m)
    rows = []
    for community in communities:
        for code, cell in code_cells(community.full_code, fishnet(community.geom, size_m, frame)):
            rows.append(
                dict(
                    code=code,
                    community_id=community.id,
                    work_grid_id=None,
                    geom=cell.geom,
                    area_m2=cell.area_m2,
                )
            )
    insert_unit_grids(rows)
    return len(rows)


def insert_unit_grids(rows: list[dict]) -> None:
    """Bulk insert; COPY on PostgreSQL (an order of magnitude faster than
    executemany for city-scale grids)."""
    if not rows:
        return
    session = db.session
    if is_postgresql(session):
        buffer = io.StringIO()
        hexes = shapely.to_wkb(
            shapely.set_srid(np.array([r["geom"] for r in rows]), 4326), hex=True, include_srid=True
        )
        for r, wkb in zip(rows, hexes):
            wg = "" if r["work_grid_id"] is None else str(r["work_grid_id"])
            buffer.write(
                f"{r['code']}\t{r['community_id']}\t{wg or chr(92) + 'N'}\t{r['area_m2']!r}\t{wkb}\n"
            )
        buffer.seek(0)
        raw = session.connection().connection.driver_connection
        with raw.cursor() as cursor:
            cursor.copy_expert(
                "COPY unit_grid (code, community_id, work_grid_id, area_m2, geom) FROM STDIN", buffer
            )
    else:
        session.execute(insert(UnitGrid), rows)
    mark_grids_changed()


# ---------------------------------------------------------------- work grids


def assign_work_grid(work_grid: WorkGrid, unit_grid_ids: list[int]) -> None:
    db.session.execute(
        update(UnitGrid).where(UnitGrid.id.in_(unit_grid_ids)).values(work_grid_id=work_grid.id)
    )
    refresh_work_grid_shape(work_grid)
    mark_grids_changed()


def refresh_work_grid_shape(work_grid: WorkGrid) -> None:
    geoms = list(db.session.scalars(select(UnitGrid.geom).where(UnitGrid.work_grid_id == work_grid.id)))
    work_grid.geom = as_multipolygon(shapely.union_all(geoms)) if geoms else None


# ---------------------------------------------------------------- locator


def mark_grids_changed() -> None:
    """Move the revision counter; after commit this process rebuilds at once,
    the others within ``locator_refresh_seconds``."""
    session = db.session
    moved = session.execute(
        update(GeoRevision).where(GeoRevision.id == 1).values(revision=GeoRevision.revision + 1)
    )
    if moved.rowcount == 0:
        session.add(GeoRevision(id=1, revision=1))
        session.flush()
    session.info["grids_changed"] = True


def _after_commit(session: Session) -> None:
    if session.info.pop("grids_changed", False) and has_app_context():
        locator = current_app.extensions.get("gridcity.locator")
        if locator is not None:
            locator.invalidate()


def _after_rollback(session: Session) -> None:
    session.info.pop("grids_changed", None)


def read_revision(engine=None) -> int:
    with (engine or db.engine).connect() as conn:
        return conn.scalar(select(GeoRevision.revision).where(GeoRevision.id == 1)) or 0


def load_grid_rows(engine=None) -> GridRows:
    # Raw WKB, parsed below in one vectorised call rather than row by row.
    if db.engine.dialect.name == "postgresql":
        geom_col = func.ST_AsBinary(UnitGrid.geom)
    else:
        geom_col = type_coerce(UnitGrid.geom, LargeBinary())
    query = (
        select(
            UnitGrid.id,
            UnitGrid.code,
            geom_col,
            UnitGrid.community_id,
            Community.street_id,
            Street.district_id,
            func.coalesce(UnitGrid.work_grid_id, -1),
            func.coalesce(WorkGrid.area_id, -1),
        )
        .join(Community, UnitGrid.community_id == Community.id)
        .join(Street, Community.street_id == Street.id)
        .outerjoin(WorkGrid, UnitGrid.work_grid_id == WorkGrid.id)
    )
    with (engine or db.engine).connect() as conn:
        rows = conn.execute(query).all()
    columns = list(zip(*rows)) if rows else [[]] * 8
    wkb = [bytes(w) for w in columns[2]]
    return GridRows(
        ids=np.asarray(columns[0], dtype=np.int64),
        codes=list(columns[1]),
        geoms=shapely.from_wkb(np.asarray(wkb, dtype=object)) if wkb else np.array([], dtype=object),
        community_ids=np.asarray(columns[3], dtype=np.int64),
        street_ids=np.asarray(columns[4], dtype=np.int64),
        district_ids=np.asarray(columns[5], dtype=np.int64),
        work_grid_ids=np.asarray(columns[6], dtype=np.int64),
        area_ids=np.asarray(columns[7], dtype=np.int64),
    )


def get_locator() -> Locator:
    app = current_app._get_current_object()
    locator = app.extensions.get("gridcity.locator")
    if locator is None:
        # Its own connections, outside the request pool: a refresh must never
        # wait for a pooled connection held by a request waiting for the index.
        engine = create_engine(
            app.config["SQLALCHEMY_DATABASE_URI"],
            poolclass=NullPool,
            **_locator_engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
        )

        def load_rows() -> GridRows:
            with app.app_context():
                return load_grid_rows(engine)

        def revision() -> int:
            return read_revision(engine)

        locator = Locator(load_rows, revision, app.config["SETTINGS"].locator_refresh_seconds)
        app.extensions["gridcity.locator"] = locator
    return locator


def _locator_engine_options(url: str) -> dict:
    return {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}


def locate(lon: float, lat: float) -> Location:
    """单元网格定位 — the unit grid, community, street, work grid and area at a point."""
    return get_locator().locate(lon, lat)


def locate_in_database(lon: float, lat: float) -> int | None:
    """The same answer as :func:`locate`, from the database itself (PostGIS
    ``ST_Covers`` with the same lowest-code tie-break). PostgreSQL only."""
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    return db.session.scalar(
        select(UnitGrid.id).where(func.ST_Covers(UnitGrid.geom, point)).order_by(UnitGrid.code).limit(1)
    )


def register_session_events() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, t: _after_rollback(s))


# ---------------------------------------------------------------- areas, work groups, work grids


def create_area(
    code: str, name: str, street_code: str | None = None, head_username: str | None = None
) -> Area:
    """片区 — an area of work grids, optionally tied to a street and an area head."""
    if db.session.scalar(select(Area.id).where(Area.code == code)):
        raise GridCityError("duplicate_code", status=409, code=code)
    street_id = find_street(street_code).id if street_code else None
    area = Area(code=code, name=name, street_id=street_id, head_user_id=_user_id(head_username))
    db.session.add(area)
    db.session.flush()
    return area


def create_work_group(code: str, name: str, area_code: str, leader_username: str | None = None) -> WorkGroup:
    """工作小组 — work grids patrolled together under a group leader."""
    if db.session.scalar(select(WorkGroup.id).where(WorkGroup.code == code)):
        raise GridCityError("duplicate_code", status=409, code=code)
    group = WorkGroup(
        code=code, name=name, area_id=_area(area_code).id, leader_user_id=_user_id(leader_username)
    )
    db.session.add(group)
    db.session.flush()
    return group


def import_work_grids(data, datum: str) -> int:
    """Work grids from polygons (properties ``code``, ``name``, ``area``,
    optional ``work_group``); each unit grid joins the work grid that holds its
    representative point. Unit grids outside every polygon keep their work grid."""
    rows = []
    for n, (props, geom) in enumerate(read_features(data, datum), start=1):
        code = _property(props, "code", feature_no=n)
        rows.append(
            (
                code,
                _property(props, "name", feature_no=n),
                _area(_property(props, "area", feature_no=n)),
                props.get("work_group"),
                geom,
            )
        )
    _no_duplicates(code for code, *_ in rows)
    taken = set(db.session.scalars(select(WorkGrid.code).where(WorkGrid.code.in_([r[0] for r in rows]))))
    if taken:
        raise GridCityError("duplicate_code", code=", ".join(sorted(taken)))
    groups = {g.code: g for g in db.session.scalars(select(WorkGroup))}
    for *_, group_code, _ in rows:
        if group_code and group_code not in groups:
            raise GridCityError("unknown_place", kind="work_group", code=str(group_code))
    index = get_locator().index()
    points = shapely.point_on_surface(index.geoms)
    work_grids = []
    for code, name, area, group_code, geom in rows:
        work_grid = WorkGrid(
            code=code, name=name, area_id=area.id, work_group_id=groups[group_code].id if group_code else None
        )
        db.session.add(work_grid)
        db.session.flush()
        shapely.prepare(geom)
        inside = shapely.contains_xy(geom, shapely.get_x(points), shapely.get_y(points))
        assign_work_grid(work_grid, [int(i) for i in index.ids[inside]])
        work_grids.append(work_grid)
    return len(work_grids)


def _area(code: str) -> Area:
    area = db.session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise GridCityError("unknown_place", status=404, kind="area", code=code)
    return area


def _user_id(username: str | None) -> int | None:
    if not username:
        return None
    from gridcity.org.models import User

    user_id = db.session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise NotFound("not_found", what=f"user {username}")
    return user_id
