"""Backup → restore while reports are being filed: the restored deployment
holds the source's case history and photos as of the backup's moment, and
goes round the closed loop. Also: a tampered archive and a non-empty target
are refused with nothing changed; a photo row without its file is reported."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, select
from sqlalchemy.pool import NullPool

from gridcity.cases import services
from gridcity.cases.models import CaseEvent, Photo
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.ops.backup import case_history_digest, create_backup, restore_backup
from gridcity.org.services import get_user
from tests.cases.conftest import EAST, WEST, city, frozen_clock, jpeg_bytes  # noqa: F401
from tests.ops.support import app_on, closed_loop, emptied, ok, scratch_postgres  # noqa: F401


class Reporter(threading.Thread):
    """Files reports with a photo through the intake service, one commit
    each, until stopped (an inspector on a busy morning)."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.stop, self.filed, self.error = app, threading.Event(), 0, None

    def run(self):
        with self.app.app_context():
            try:
                inspector = get_user("insp2")
                while not self.stop.is_set():
                    report = services.Report(
                        "E0102", EAST[0], EAST[1], photos=[jpeg_bytes()], description="持续上报"
                    )
                    services.submit_report(report, inspector)
                    db.session.commit()
                    self.filed += 1
            except Exception as error:  # noqa: BLE001 - reported by the test
                self.error = error
            finally:
                db.session.remove()

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.filed < count and self.error is None:
            assert time.monotonic() < deadline, f"only {self.filed} reports filed"
            time.sleep(0.01)


@pytest.fixture
def restore_url(backend, request, tmp_path):
    """An empty database on the same backend to restore into."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'restored' / 'gridcity.db'}"
    return emptied(request.getfixturevalue("scratch_postgres"))


def rows(url, table, ids=None):
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        query = select(table).order_by(table.c.id)
        if ids is not None:
            query = query.where(table.c.id.in_(ids))
        result = [tuple(r) for r in conn.execute(query)]
    engine.dispose()
    return result


def digest_of(url):
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        result = case_history_digest(conn)
    engine.dispose()
    return result


def tables_in(url) -> list[str]:
    path = make_url(url).database
    if url.startswith("sqlite") and not Path(path).exists():
        return []
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        names = [t for t in inspect(conn).get_table_names() if t != "spatial_ref_sys"]
    engine.dispose()
    return names


@pytest.mark.usefixtures("city")
def test_backup_while_reports_are_filed_restores_that_moment_and_runs_the_loop(app, restore_url, tmp_path):
    source_url = app.config["SQLALCHEMY_DATABASE_URI"]
    before = closed_loop(app.test_client())  # a finished case with photos in the history
    assert before["state"] == "closed"

    reporter = Reporter(app)
    reporter.start()
    try:
        reporter.wait_for(3)
        manifest = create_backup(app, tmp_path / "backups" / "b.tar")
        reporter.wait_for(reporter.filed + 3)  # and the system kept taking reports
    finally:
        reporter.stop.set()
        reporter.join()
    assert reporter.error is None, reporter.error

    media = tmp_path / "restored-media"
    restore_backup(tmp_path / "backups" / "b.tar", restore_url, media)

    # The case history: the digest of the restored events is the manifest's,
    # and the restored events are exactly the source's first ones; the
    # source went on past them.
    assert digest_of(restore_url) == (manifest["case_history_digest"], manifest["counts"]["case_events"])
    events = CaseEvent.__table__
    restored_events = rows(restore_url, events)
    assert restored_events == rows(source_url, events, [r[0] for r in restored_events])
    assert len(rows(source_url, events)) > len(restored_events) > 8

    # Photos: every restored row's file is there with its checksum, as listed.
    photos = Photo.__table__
    restored_photos = rows(restore_url, photos)
    assert restored_photos == rows(source_url, photos, [r[0] for r in restored_photos])
    assert len(restored_photos) == manifest["counts"]["photos"] > 4
    listed = {p["path"]: p["sha256"] for p in manifest["photos"]}
    for row in db.session.scalars(select(Photo).where(Photo.id.in_([r[0] for r in restored_photos]))):
        stored = hashlib.sha256((media / row.relative_path).read_bytes()).hexdigest()
        assert stored == row.sha256 == listed[row.relative_path]
        assert (media / row.thumbnail_path).is_file()
    assert manifest["missing_media"] == []

    with app_on(restore_url, tmp_path / "restored-instance", media) as restored:
        client = restored.test_client()
        after = closed_loop(client)
        assert after["state"] == "closed" and after["number"] != before["number"]
        # An old case's photo is served from the restored media directory.
        photo_url = ok(client.get(f"/api/v1/cases/{before['id']}"))["photos"][0]["url"]
        with client.get(photo_url) as served:
            assert served.status_code == 200
            assert hashlib.sha256(served.get_data()).hexdigest() in listed.values()


@pytest.mark.usefixtures("city")
def test_a_tampered_archive_or_a_full_database_is_refused_and_nothing_changes(
    app, restore_url, tmp_path, runner
):
    case = services.submit_report(
        services.Report("E0102", WEST[0], WEST[1], photos=[jpeg_bytes(), jpeg_bytes()]), get_user("insp")
    ).case
    db.session.commit()
    settings = app.config["SETTINGS"]
    lost = db.session.scalars(select(Photo).where(Photo.case_id == case.id)).first()
    (settings.resolved_media_dir / lost.relative_path).unlink()

    result = runner.invoke(args=["backup", "--out", str(tmp_path / "a.tar")])
    assert result.exit_code == 0, result.output
    assert f"missing photo file (listed in the database, not on disk): {lost.relative_path}" in result.output

    # One changed byte in one photo, the manifest left as it was.
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(tmp_path / "a.tar") as src, tarfile.open(tampered, "w") as out:
        changed = False
        for member in src:
            body = src.extractfile(member).read()
            if member.name.startswith("media/") and not changed:
                body, changed = body[:-1] + bytes([body[-1] ^ 1]), True
            out.addfile(member, io.BytesIO(body))
    media = tmp_path / "restored-media"
    refused = runner.invoke(
        args=["restore", str(tampered), "--database-url", restore_url, "--media-dir", str(media)]
    )
    assert refused.exit_code == 1
    assert "invalid or was altered" in refused.output and "nothing was changed" in refused.output
    assert not media.exists()
    assert tables_in(restore_url) == []

    # The running deployment's own database is not empty: refused unless --force.
    with pytest.raises(GridCityError) as error:
        restore_backup(tmp_path / "a.tar", app.config["SQLALCHEMY_DATABASE_URI"], media)
    assert error.value.key == "restore_not_empty"
    assert not media.exists()

    done = runner.invoke(
        args=["restore", str(tmp_path / "a.tar"), "--database-url", restore_url, "--media-dir", str(media)]
    )
    assert done.exit_code == 0, done.output
    assert "database is at head" in done.output


@pytest.mark.parametrize("name", ["media/../../escaped.txt", "/tmp/escaped.txt", "elsewhere/escaped.txt"])
def test_an_archive_reaching_outside_the_media_directory_is_refused(tmp_path, name):
    """Checksums alone prove nothing about a crafted archive: every member
    must land inside the media directory."""
    members = {"database.sqlite3": b"SQLite format 3\x00", name: b"not a photo"}
    manifest = {
        "format_version": 1,
        "database_kind": "sqlite",
        "database_file": "database.sqlite3",
        "case_history_digest": hashlib.sha256().hexdigest(),
        "files": {n: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for n, b in members.items()},
    }
    members["manifest.json"] = json.dumps(manifest).encode()
    archive = tmp_path / "crafted.tar"
    with tarfile.open(archive, "w") as tar:
        for member, body in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    media = tmp_path / "a" / "b" / "media"
    with pytest.raises(GridCityError) as refused:
        restore_backup(archive, f"sqlite:///{tmp_path / 'restored.db'}", media)
    assert refused.value.key == "backup_invalid" and "outside the media directory" in refused.value.message(
        "en"
    )
    assert not list(tmp_path.rglob("escaped.txt")) and not Path("/tmp/escaped.txt").exists()
    assert not (tmp_path / "restored.db").exists()
