"""The migration chain as the upgrade tests walk it: read from the scripts,
so migrations added later are covered without editing the tests."""

from __future__ import annotations

import re

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from gridcity.core.migrate import alembic_config, upgrade


def chain(url: str) -> list:
    """Every migration script, newest first (a merge after both its parents)."""
    return list(ScriptDirectory.from_config(alembic_config(url)).walk_revisions())


def revisions_in(url: str) -> list[str]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        found = "alembic_version" in inspect(conn).get_table_names()
        current = (
            sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) if found else []
        )
    engine.dispose()
    return current


def first_revision_with(url: str, table_name: str) -> str:
    """Upgrade step by step from the base until ``table_name`` exists."""
    for script in reversed(chain(url)):
        upgrade(url, script.revision)
        if table_name in tables_of(url):
            return script.revision
    raise AssertionError(f"no migration creates {table_name}")


def tables_of(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
    engine.dispose()
    return names


def undo(url: str, script) -> bool:
    """Undo one migration; False if it cannot be undone, which it must say:
    a module-level ``IRREVERSIBLE`` text that its ``downgrade()`` raises,
    changing nothing."""
    reason = getattr(script.module, "IRREVERSIBLE", None)
    if reason:
        with pytest.raises(Exception, match=re.escape(reason)):
            step_down(url, script)
        assert script.revision in revisions_in(url)
        return False
    step_down(url, script)
    assert script.revision not in revisions_in(url), script.revision
    return True


def step_down(url: str, script) -> None:
    """Undo exactly this migration."""
    if script.down_revision is None:
        target = "base"
    elif isinstance(script.down_revision, tuple):  # a merge: back to both parents
        target = script.down_revision[0]
    else:
        target = f"{script.revision}@-1"
    command.downgrade(alembic_config(url), target)


def schema(url: str) -> dict:
    """Tables with their columns, indexes, foreign keys and unique constraints."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        found = inspect(conn)
        result = {
            name: {
                "columns": sorted(
                    (c["name"], c["nullable"], type(c["type"]).__name__) for c in found.get_columns(name)
                ),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(name)
                ),
                "foreign_keys": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in found.get_foreign_keys(name)
                ),
                "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(name)),
            }
            for name in found.get_table_names()
            if name != "spatial_ref_sys"
        }
    engine.dispose()
    return result


def counts(url: str, names) -> dict[str, int]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        result = {n: conn.execute(text(f"SELECT count(*) FROM {n}")).scalar() for n in names}
    engine.dispose()
    return result
