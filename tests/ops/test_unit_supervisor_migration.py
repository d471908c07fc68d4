"""Migration 0018_unit_supervisor on both databases: the role check admits
the unit supervisor (单位主管) and still refuses an unknown role; going back
refuses while supervisors exist (their role would break the narrower check)
and keeps everyone else."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from gridcity.core.migrate import alembic_config, upgrade
from tests.ops.migration_chain import revisions_in
from tests.ops.support import empty_database, scratch_postgres  # noqa: F401
from tests.ops.test_upgrade import empty_url  # noqa: F401

BEFORE = "0017_search"
ADD_USER = text(
    "INSERT INTO app_user (username, display_name, password_hash, role, unit_id, active, on_duty, failed_logins) "
    "VALUES (:name, :name, 'x', :role, 1, :yes, :yes, 0)"
)


def add_user(url: str, name: str, role: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(ADD_USER, {"name": name, "role": role, "yes": True})
    finally:
        engine.dispose()


def run_sql(url: str, sql: str):
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        result = conn.execute(text(sql)).all() if sql.startswith("SELECT") else conn.execute(text(sql))
    engine.dispose()
    return result


def test_the_role_check_admits_the_supervisor_and_going_back_refuses_while_one_exists(empty_url):  # noqa: F811
    upgrade(empty_url, BEFORE)
    run_sql(
        empty_url,
        "INSERT INTO unit (id, code, name, kind, active) VALUES (1, 'HW', '环卫处', 'sanitation', true)",
    )
    add_user(empty_url, "hw", "unit_handler")
    with pytest.raises(IntegrityError):
        add_user(empty_url, "early", "unit_supervisor")  # not before this revision

    upgrade(empty_url, "0018_unit_supervisor")
    add_user(empty_url, "hwsup", "unit_supervisor")
    with pytest.raises(IntegrityError):
        add_user(empty_url, "boss", "boss")  # still a known role only

    with pytest.raises(RuntimeError, match="unit supervisors exist"):
        command.downgrade(alembic_config(empty_url), BEFORE)
    assert revisions_in(empty_url) == ["0018_unit_supervisor"]

    run_sql(empty_url, "DELETE FROM app_user WHERE role = 'unit_supervisor'")
    command.downgrade(alembic_config(empty_url), BEFORE)
    assert revisions_in(empty_url) == [BEFORE]
    assert run_sql(empty_url, "SELECT username, role FROM app_user") == [("hw", "unit_handler")]
    with pytest.raises(IntegrityError):
        add_user(empty_url, "late", "unit_supervisor")  # the narrower check is back
