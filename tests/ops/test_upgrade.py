"""Upgrades: a database from the oldest supported migration, holding a city
and a month of case history, goes to the newest schema and keeps working;
every migration goes down and up again.

The oldest supported revision is the chain's base (0001, the city model): a
deployment of the first release can upgrade. Case tables first exist at the
next revision (0002, the case lifecycle), so the history is written there —
each piece of data at the first revision whose schema holds it, the way a
deployment that lived through those releases would have it. Every later
migration (Open311, patrols, the event counter, the scorecards, the first
overdue mark) then runs over that data. The revisions are read from the
migration scripts, so migrations added later are covered without editing this
(``tests/ops/migration_chain.py``); the old deployment is built by
``tests/ops/old_deployment.py``.
"""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from gridcity.cases import services
from gridcity.cases.history import differences
from gridcity.cases.models import Case
from gridcity.core import clock
from gridcity.core.migrate import upgrade
from gridcity.extensions import db
from gridcity.org.services import get_user
from gridcity.scorecards.snapshots import services as scorecards
from tests.cases.conftest import jpeg_bytes
from tests.ops.migration_chain import chain, counts, revisions_in, schema, tables_of, undo
from tests.ops.old_deployment import build_old_deployment, local
from tests.ops.support import app_on, closed_loop, empty_database, scratch_postgres  # noqa: F401

MONTH = "2026-10"


@pytest.fixture
def empty_url(empty_database):  # noqa: F811 - the fixture imported above
    """An empty database with PostGIS where it is PostgreSQL."""
    if empty_database.startswith("postgresql"):
        engine = create_engine(empty_database, poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION postgis"))
        engine.dispose()
    return empty_database


# ---------------------------------------------------------------- the tests

OCTOBER = {  # the district's counts of October 2026, worked out from old_deployment.HISTORY
    "reported": 4,
    "inspector_reported": 4,
    "valid": 3,  # case 3 voided
    "patrol_findings": 0,
    "filed": 2,
    "voided": 1,
    "dispatched": 2,
    "handled": 1,
    "handled_on_time": 1,
    "closed": 1,
    "closed_on_time": 1,
    "overdue": 1,  # case 2
    "overdue_open": 1,  # still open when October ended
    "should_close": 2,
    "rework": 0,
    "extension": 0,
    "suspension": 0,
    "returned": 0,
}


def test_a_database_from_the_oldest_migration_upgrades_and_keeps_working(empty_url, tmp_path):
    build_old_deployment(empty_url)
    heads = sorted(s.revision for s in chain(empty_url) if not s.nextrev)
    assert revisions_in(empty_url) == heads

    with app_on(empty_url, tmp_path / "instance", tmp_path / "media") as app:
        cases = list(db.session.scalars(select(Case).order_by(Case.id)))
        assert [c.state for c in cases] == ["closed", "dispatched", "voided", "reported"]
        # The backfilled columns (event counter, first overdue mark) agree
        # with the history, as the services would have kept them.
        assert {c.id: differences(c) for c in cases} == {1: {}, 2: {}, 3: {}, 4: {}}
        assert [c.event_count for c in cases] == [8, 6, 3, 1] and cases[1].first_overdue_event_id == 14

        # October's scorecard from the upgraded history, then frozen.
        tables = scorecards.compute_scorecards(MONTH)
        (district,) = tables["district"].rows
        assert {k: district.counts[k] for k in OCTOBER} == OCTOBER
        units = {r.subject_code: r.counts for r in tables["unit"].rows}
        assert (units["JD01"]["closed_on_time"], units["HW"]["overdue_open"]) == (1, 1)
        inspectors = {r.subject_code: r.counts["reported"] for r in tables["inspector"].rows}
        assert (inspectors["insp"], inspectors["insp2"]) == (2, 2)
        version = scorecards.freeze_month(MONTH)
        db.session.commit()
        assert version.version == 1
        assert {
            k: scorecards.month_scorecard(MONTH, "district").rows[0].counts[k] for k in OCTOBER
        } == OCTOBER

        # The loop goes on: the overdue case and the waiting report are
        # finished in November, and a new report goes all the way round.
        clock.freeze(local(16, 10, month=11))
        try:
            overdue, waiting = cases[1], cases[3]
            for step in (
                lambda: services.unit_accept(overdue, get_user("hw")),
                lambda: services.handle(overdue, get_user("hw"), "已清理", photos=[jpeg_bytes()]),
                lambda: services.check(overdue, get_user("insp2"), True, photos=[jpeg_bytes()]),
                lambda: services.close(overdue, get_user("lead")),
                lambda: services.accept(waiting, get_user("op")),
                lambda: services.file_case(waiting, get_user("lead")),
                lambda: services.dispatch(waiting, get_user("disp")),
            ):
                step()
                db.session.commit()
            assert (overdue.state, waiting.state, waiting.unit.code) == ("closed", "dispatched", "HW")
            new = closed_loop(app.test_client())
            assert new["state"] == "closed" and new["unit"]["code"] == "JD01"
        finally:
            clock.freeze(None)
        assert all(differences(c) == {} for c in db.session.scalars(select(Case)))
        # October stays as it was frozen; November counts the new work.
        assert {
            k: scorecards.month_scorecard(MONTH, "district").rows[0].counts[k] for k in OCTOBER
        } == OCTOBER
        (november,) = scorecards.compute_scorecards("2026-11")["district"].rows
        assert (november.counts["reported"], november.counts["closed"]) == (1, 2)


def test_every_migration_goes_down_and_up_again_on_a_database_with_data(empty_url, tmp_path):
    """Each migration is undone one at a time, newest first, with the data in
    place: what the older schema holds survives, and upgrading again gives
    the same schema and a history that still replays. Then down to nothing
    and up again. A migration that cannot be undone must say why: a module
    ``IRREVERSIBLE`` text that its ``downgrade()`` raises."""
    first_with_cases = build_old_deployment(empty_url)
    at_head = schema(empty_url)
    kept = ("case_file", "case_event", "case_task", "photo", "app_user", "unit_grid", "category")
    before = counts(empty_url, kept)
    scripts = chain(empty_url)

    for script in scripts:
        if script.revision == first_with_cases or not undo(empty_url, script):
            break
        assert counts(empty_url, kept) == before, f"data lost undoing {script.revision}"
    upgrade(empty_url)
    assert schema(empty_url) == at_head
    assert counts(empty_url, kept) == before
    with app_on(empty_url, tmp_path / "instance") as app:  # noqa: F841
        assert all(differences(c) == {} for c in db.session.scalars(select(Case)))

    for script in scripts:
        if not undo(empty_url, script):
            break
    else:
        assert tables_of(empty_url) == set()
    upgrade(empty_url)
    assert schema(empty_url) == at_head


LOSSY = """\"\"\"Merge duplicate geo revisions (a test's own migration).\"\"\"

from alembic import op

revision = "9999_lossy"
down_revision = {down!r}
branch_labels = None
depends_on = None
IRREVERSIBLE = "the merged rows cannot be told apart again"


def upgrade() -> None:
    op.execute("UPDATE geo_revision SET revision = revision + 1")


def downgrade() -> None:
    raise NotImplementedError(IRREVERSIBLE)
"""


def test_a_migration_that_cannot_be_undone_refuses_and_says_why(empty_url, tmp_path, monkeypatch):
    """The walk above accepts a migration that cannot be undone only if it
    refuses with its reason and leaves the database as it was."""
    from gridcity.core import migrate

    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    heads = tuple(s.revision for s in chain(empty_url) if not s.nextrev)
    (copy / "versions" / "9999_lossy.py").write_text(
        LOSSY.format(down=heads[0] if len(heads) == 1 else heads)
    )
    monkeypatch.setattr(migrate, "MIGRATIONS", copy)
    upgrade(empty_url)
    lossy = chain(empty_url)[0]
    assert lossy.revision == "9999_lossy" and revisions_in(empty_url) == ["9999_lossy"]
    assert undo(empty_url, lossy) is False
    assert revisions_in(empty_url) == ["9999_lossy"]
