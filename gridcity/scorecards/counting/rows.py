"""Many integer rows from the database as one numpy matrix, fast.

A city month is about a million case events; as Python tuples they would
cost more than the query that makes them. On PostgreSQL the rows come as a
binary ``COPY``: every column is a ``bigint`` that is never NULL, so every
row has the same width and numpy reads the whole answer in place. SQLite
(the embedded database: a district, not a city) returns ordinary rows.

Times travel as they are: a ``timestamp`` is eight bytes in a binary COPY too
(microseconds since 2000-01-01, ``-infinity`` the smallest), which the
matrix turns into microseconds since 1970 (:func:`moment`).
"""

from __future__ import annotations

import io
import threading
from contextlib import contextmanager

import numpy as np
from sqlalchemy import TIMESTAMP, BigInteger, case, cast, func, literal
from sqlalchemy.sql import Select

from gridcity.extensions import db

# A binary COPY starts with an 11-byte signature, a 4-byte flags field and a
# 4-byte header-extension length (zero), and ends with a 2-byte -1.
_HEADER, _TRAILER = 19, 2


# A binary timestamp counts from 2000-01-01; the matrix from 1970-01-01.
_Y2K_US = 946_684_800 * 1_000_000
_NO_TIME = np.iinfo(np.int64).min  # -infinity


def moment(column, text: bool = False):
    """A UTC time — a time column, or (``text``) an ISO text with its offset
    as an event's JSON keeps it — as the matrix reads it: whole microseconds
    since 1970, exactly, -1 when absent. Its column's index goes in
    :func:`int_matrix`'s ``times``.

    PostgreSQL sends the timestamp itself (``-infinity`` when absent); SQLite's
    text times are split into whole seconds (``strftime('%s')``, which also
    reads the ``+00:00`` of a time kept in JSON) and their six digits of
    microseconds."""
    if db.session.get_bind().dialect.name == "postgresql":
        kind = TIMESTAMP(timezone=text)
        value = cast(column, kind) if text else column
        return func.coalesce(value, cast(literal("-infinity"), kind))
    fraction = case(
        (func.substr(column, 20, 1) == ".", cast(func.substr(column, 21, 6), BigInteger)), else_=0
    )
    return cast(
        func.coalesce(cast(func.strftime("%s", column), BigInteger) * 1_000_000 + fraction, -1), BigInteger
    )


_through = threading.local()


@contextmanager
def through(connection):
    """This thread's matrices are read through ``connection`` (a DB-API
    connection in a transaction of its own: :func:`.log.parallel_readers`)
    instead of the session's."""
    _through.connection = connection
    try:
        yield
    finally:
        _through.connection = None


def int_matrix(query: Select, width: int, times: tuple[int, ...] = ()) -> np.ndarray:
    """The rows of ``query`` (``width`` columns, each a ``bigint`` never NULL,
    or :func:`moment` for the columns ``times``) as an ``(n, width)`` int64
    matrix."""
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        rows = session.execute(query).all()
        return np.array(rows, dtype=np.int64).reshape(-1, width)
    compiled = query.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    # The parameters as the driver gets them from an ordinary execute (a UTC
    # time column's type turns aware times into naive UTC ones).
    processors = compiled._bind_processors
    params = {k: processors[k](v) if k in processors else v for k, v in compiled.params.items()}
    # The DBAPI connection of the session's transaction (settings made with
    # SET LOCAL hold for the COPY too), unless this thread reads through another.
    connection = getattr(_through, "connection", None) or session.connection().connection.dbapi_connection
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        statement = cursor.mogrify(str(compiled), params)
        cursor.copy_expert(b"COPY (" + statement + b") TO STDOUT WITH (FORMAT binary)", buffer)
    data = buffer.getbuffer()
    # Each row: its field count (int16), then per field a length (int32, 8)
    # and the value (int64), all big-endian: read as strided views in place.
    size = 2 + 12 * width
    n = (len(data) - _HEADER - _TRAILER) // size
    if len(data) != _HEADER + n * size + _TRAILER:
        raise ValueError("the COPY rows are not all 8-byte columns without NULL")

    def view(dtype: str, offset: int, shape: tuple) -> np.ndarray:
        return np.ndarray(
            shape, dtype=dtype, buffer=data, offset=_HEADER + offset, strides=(size, 12)[: len(shape)]
        )

    if not n:
        return np.zeros((0, width), dtype=np.int64)
    if np.any(view(">i2", 0, (n,)) != width) or np.any(view(">i4", 2, (n, width)) != 8):
        raise ValueError("the COPY rows are not all 8-byte columns without NULL")
    matrix = np.asfortranarray(view(">i8", 6, (n, width)), dtype=np.int64)  # a column at a time after
    for j in times:
        matrix[:, j] = np.where(matrix[:, j] == _NO_TIME, -1, matrix[:, j] + _Y2K_US)
    return matrix
