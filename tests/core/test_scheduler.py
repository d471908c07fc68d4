"""Only one scheduler acts per PostgreSQL database."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from gridcity.core.scheduler import lock_holder, try_leadership
from tests.conftest import requires_postgis
from tests.ops.support import emptied, scratch_postgres  # noqa: F401 - fixture


@requires_postgis
def test_second_scheduler_stands_by_until_the_first_lets_go(postgis_url):
    engine = create_engine(postgis_url, poolclass=NullPool)  # close() really disconnects
    first, second = engine.connect(), engine.connect()
    try:
        assert try_leadership(first)
        first.commit()
        assert not try_leadership(second)
        second.rollback()
        leader = lock_holder(second)
        first.close()  # the leader's process ends, its session with it
        # PostgreSQL frees the lock when that backend has exited, a moment
        # after the client hung up: wait for it (at most 5 s), then take over.
        for _ in range(50):
            if not second.execute(
                text("SELECT 1 FROM pg_stat_activity WHERE pid = :p"), {"p": leader}
            ).first():
                break
            second.rollback()
            time.sleep(0.1)
        assert try_leadership(second), f"the lock is held by backend {lock_holder(second)}, not freed"
    finally:
        second.close()
        engine.dispose()


@requires_postgis
def test_a_scheduler_of_another_database_on_the_server_is_not_ours(postgis_url, scratch_postgres):  # noqa: F811
    """Two cities (or a test and a benchmark) on one PostgreSQL server: the
    health check of one must not report the other's scheduler as its own."""
    ours = create_engine(postgis_url, poolclass=NullPool)
    other = create_engine(emptied(scratch_postgres), poolclass=NullPool)
    with ours.connect() as mine, other.connect() as theirs:
        assert try_leadership(theirs)
        theirs.commit()
        assert lock_holder(mine) is None
        assert lock_holder(theirs) is not None
    ours.dispose()
    other.dispose()


def test_sqlite_has_a_single_scheduler(sqlite_url):
    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        assert try_leadership(connection)
    engine.dispose()
