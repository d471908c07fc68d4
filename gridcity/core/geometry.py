"""Geometry columns that are PostGIS geometries on PostgreSQL and WKB elsewhere.

SQLite here cannot load SpatiaLite, so on SQLite a geometry is stored as plain
WKB bytes; on PostgreSQL the column is a real ``geometry(<type>, 4326)`` and
gets a GiST index from the migrations. Python code always sees Shapely objects.
"""

from __future__ import annotations

import shapely
from geoalchemy2 import Geometry
from geoalchemy2.elements import WKBElement
from sqlalchemy import Index, LargeBinary
from sqlalchemy.types import TypeDecorator

SRID = 4326


class GeometryType(TypeDecorator):
    impl = LargeBinary
    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY", srid: int = SRID) -> None:
        super().__init__()
        self.geometry_type = geometry_type
        self.srid = srid
        # Read by GeoAlchemy2's DDL hooks; our migrations make the indexes.
        self.spatial_index = False
        self.use_N_D_index = False
        self.use_typmod = None
        self.dimension = 2

    def load_dialect_impl(self, dialect):
        if dialect is None:  # GeoAlchemy2's DDL hooks sometimes ask without one
            return LargeBinary()
        if dialect.name == "postgresql":
            # Indexes are created explicitly by the migrations.
            return dialect.type_descriptor(Geometry(self.geometry_type, srid=self.srid, spatial_index=False))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "postgresql":
            return shapely.to_wkb(shapely.set_srid(value, self.srid), hex=True, include_srid=True)
        return shapely.to_wkb(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, WKBElement):
            value = value.data
        if isinstance(value, memoryview):
            value = bytes(value)
        return shapely.from_wkb(value)

    def __repr__(self) -> str:
        return f"GeometryType({self.geometry_type!r}, srid={self.srid})"


def is_postgresql(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if hasattr(session_or_engine, "get_bind") else session_or_engine
    return bind.dialect.name == "postgresql"


def spatial_index(table: str, column: str = "geom") -> Index:
    """A GiST index on PostgreSQL; nothing elsewhere (WKB bytes gain nothing from
    a B-tree, the in-process STRtree does the spatial work there)."""
    return Index(f"ix_{table}_{column}", column, postgresql_using="gist").ddl_if(dialect="postgresql")
