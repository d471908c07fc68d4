"""Only one scheduler acts per PostgreSQL database."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from gridcity.core.scheduler import try_leadership
from tests.conftest import requires_postgis


@requires_postgis
def test_second_scheduler_stands_by_until_the_first_lets_go(postgis_url):
    engine = create_engine(postgis_url, poolclass=NullPool)  # close() really disconnects
    first, second = engine.connect(), engine.connect()
    try:
        assert try_leadership(first)
        first.commit()
        assert not try_leadership(second)
        second.rollback()
        first.close()  # the leader's process ends, its session with it
        assert try_leadership(second)
    finally:
        second.close()
        engine.dispose()


def test_sqlite_has_a_single_scheduler(sqlite_url):
    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        assert try_leadership(connection)
    engine.dispose()
