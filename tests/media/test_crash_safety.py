"""Photos survive crashes (issue #14 item 12): no ``.tmp-*`` leftovers of a
killed upload stay in the media directory, and a transaction that does not
commit leaves neither a row without its file nor a file without its row."""

from __future__ import annotations

import os
import time

from sqlalchemy import event, exc, func, select
from sqlalchemy.orm import Session

from gridcity.cases.models import Photo
from gridcity.core.scheduler import registered_jobs
from gridcity.extensions import db
from tests.cases.conftest import jpeg_bytes


def media_files(app) -> set[str]:
    root = app.config["SETTINGS"].resolved_media_dir
    return (
        {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()
    )


def leftover(app, name: str, age_seconds: float):
    path = app.config["SETTINGS"].resolved_media_dir / "ab" / "cd" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a photo")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_the_scheduler_removes_what_a_killed_upload_left(app):
    old = leftover(app, ".tmp-k1l3d.jpg", age_seconds=3600)
    fresh = leftover(app, ".tmp-busy.jpg", age_seconds=5)  # another upload, still being written
    kept = leftover(app, "abcd.jpg", age_seconds=3600)
    (job,) = [j for j in registered_jobs(app) if j.id == "remove_stale_uploads"]
    assert job.func() == 1
    assert not old.exists()
    assert fresh.exists() and kept.exists()


def test_a_serving_process_removes_them_at_start(app):
    import psycopg2.extensions

    from gridcity.ops.health import prepare_serving_process

    old = leftover(app, ".tmp-k1l3d.jpg", age_seconds=3600)
    try:
        prepare_serving_process(app, "web")
    finally:
        psycopg2.extensions.set_wait_callback(None)
    assert not old.exists()


def test_a_report_whose_commit_fails_leaves_no_photo_file(app, city, api):
    inspector = api("insp")
    before = media_files(app)

    def fail(session):
        raise exc.OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    event.listen(Session, "before_commit", fail)
    try:
        response = inspector.report(photos=[jpeg_bytes(), jpeg_bytes()])
    finally:
        event.remove(Session, "before_commit", fail)
    assert response.status_code == 503, response.get_json()
    assert media_files(app) == before
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    # Sent again (the outbox does that), it is stored with its files.
    photo = jpeg_bytes()
    ok = inspector.report(photos=[photo])
    assert ok.status_code == 201, ok.get_json()
    for row in db.session.scalars(select(Photo)):
        assert {row.relative_path, row.thumbnail_path} <= media_files(app)


def test_a_rollback_keeps_a_file_that_a_committed_row_shares(app, city, api):
    inspector = api("insp")
    photo = jpeg_bytes()
    assert inspector.report(photos=[photo]).status_code == 201
    files = media_files(app)
    (row,) = db.session.scalars(select(Photo))
    # The same bytes written again by a transaction that then rolls back.
    (app.config["SETTINGS"].resolved_media_dir / row.relative_path).unlink()
    from gridcity.cases.services import _store_photos

    _store_photos([photo])
    db.session.rollback()
    assert media_files(app) == files
