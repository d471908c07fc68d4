"""Backup and restore (备份与恢复): one archive holding a consistent moment of
the system while it keeps running.

The archive is a plain tar (photos and PostgreSQL's custom format are already
compressed): the database (``database.dump`` from ``pg_dump --format=custom``,
or ``database.sqlite3``), the photo files under ``media/`` and, last,
``manifest.json`` with every other member's SHA-256 and size, the Alembic
revision, counts and the case-history digest.

Consistency: on PostgreSQL one REPEATABLE READ transaction exports its snapshot;
``pg_dump --snapshot`` dumps exactly that snapshot, and the digest and the list
of photo rows are read in the same transaction. On SQLite the online backup API
copies the file and everything else is read from that copy. Photo files are
written before their row commits and never change afterwards, so every photo
row of the snapshot has its file already; files written later are not part of
the backup. A row whose file is missing is listed in the manifest, not fatal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, inspect, make_url, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from gridcity.cases.models import CaseEvent, Photo
from gridcity.core.errors import GridCityError
from gridcity.core.settings import normalize_database_url
from gridcity.scorecards.models import ContestPhoto
from gridcity.version import __version__

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DUMP_NAMES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
# The history columns every schema since 0002 has; the digest reads only these,
# so an old archive restored before its migrations digests the same way.
DIGEST_COLUMNS = (
    "id",
    "case_id",
    "action",
    "from_state",
    "to_state",
    "actor_id",
    "actor_role",
    "at",
    "note",
    "lon",
    "lat",
    "data",
)
_CHUNK = 1 << 20


# ---------------------------------------------------------------- backup


def create_backup(app, dest: Path | str) -> dict:
    """Write the archive of ``app``'s database and photos to ``dest``; returns
    its manifest. The system may keep taking reports meanwhile."""
    dest = Path(dest)
    settings = app.config["SETTINGS"]
    url = normalize_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    kind = _kind(url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    # Staged beside the archive: /tmp may be too small for a dump.
    with tempfile.TemporaryDirectory(prefix="gridcity-backup-", dir=dest.parent) as staging:
        dump = Path(staging) / DUMP_NAMES[kind]
        snapshot = _dump_postgresql(url, dump) if kind == "postgresql" else _dump_sqlite(url, dump)
        try:
            manifest = _write_archive(partial, dump, snapshot, Path(settings.resolved_media_dir), kind)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, dest)  # a half-written archive never has the final name
    return manifest


def _write_archive(path: Path, dump: Path, snapshot: dict, media_dir: Path, kind: str) -> dict:
    files: dict[str, dict] = {}
    missing = []
    with tarfile.open(path, "w") as tar:
        files[dump.name] = _add_file(tar, dump, dump.name)
        for relative in snapshot["media"]:
            source = media_dir / relative
            if not source.is_file():
                missing.append(relative)
                continue
            files[MEDIA_PREFIX + relative] = _add_file(tar, source, MEDIA_PREFIX + relative)
        manifest = {
            "format_version": FORMAT_VERSION,
            "created_at": snapshot["at"],
            "app_version": __version__,
            "alembic_revision": snapshot["revision"],
            "database_kind": kind,
            "database_file": dump.name,
            "case_history_digest": snapshot["digest"],
            "counts": {**snapshot["counts"], "media_files": len(files) - 1},
            "photos": snapshot["photos"],
            "missing_media": missing,
            "files": files,
        }
        body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
        tar.addfile(info, io.BytesIO(body))
    return manifest


def _dump_postgresql(url: str, dump: Path) -> dict:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                read = _read_snapshot(conn)  # the same snapshot as pg_dump's
                command = ["pg_dump", "--format=custom", f"--snapshot={snapshot_id}", "--file", str(dump)]
                _run(command + ["--dbname", _libpq_url(url)], url, "backup_dump_failed")
        return read
    finally:
        engine.dispose()


def _dump_sqlite(url: str, dump: Path) -> dict:
    source = sqlite3.connect(_sqlite_path(url), timeout=30)
    try:
        copy = sqlite3.connect(dump)
        with copy:
            source.backup(copy)  # the online backup API: one consistent copy
        copy.close()
    finally:
        source.close()
    engine = create_engine(f"sqlite:///{dump}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return _read_snapshot(conn)
    finally:
        engine.dispose()


def _read_snapshot(conn: Connection) -> dict:
    """Digest, counts, revision and photo files as of ``conn``'s snapshot."""
    digest, events = case_history_digest(conn)
    tables = set(inspect(conn).get_table_names())
    photos, media = [], []
    for table in (Photo.__table__, ContestPhoto.__table__):
        if table.name not in tables:
            continue
        rows = conn.execute(
            select(table.c.relative_path, table.c.thumbnail_path, table.c.sha256).order_by(table.c.id)
        )
        for relative, thumbnail, sha in rows:
            photos.append({"path": relative, "sha256": sha})
            media += [relative, thumbnail]
    revision = []
    if "alembic_version" in tables:
        revision = sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    cases = conn.execute(text("SELECT count(*) FROM case_file")).scalar() if "case_file" in tables else 0
    return {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "digest": digest,
        "revision": ",".join(revision),
        "counts": {"cases": cases, "case_events": events, "photos": len(photos)},
        "photos": photos,
        "media": list(dict.fromkeys(media)),  # a photo sent twice is one file
    }


def case_history_digest(conn: Connection) -> tuple[str, int]:
    """SHA-256 over every case event (ordered by id, one canonical JSON line
    each) and the number of events. The same history digests the same on
    SQLite and PostgreSQL."""
    digest = hashlib.sha256()
    if "case_event" not in inspect(conn).get_table_names():
        return digest.hexdigest(), 0
    columns = [CaseEvent.__table__.c[name] for name in DIGEST_COLUMNS]
    count = 0
    # Streamed (a server-side cursor on PostgreSQL): years of history need not fit in memory.
    query = select(*columns).order_by(CaseEvent.__table__.c.id).execution_options(yield_per=5000)
    for row in conn.execute(query):
        line = json.dumps(list(row), sort_keys=True, ensure_ascii=False, default=_iso, separators=(",", ":"))
        digest.update(line.encode() + b"\n")
        count += 1
    return digest.hexdigest(), count


def _iso(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    raise TypeError(type(value))


# ---------------------------------------------------------------- verify


def verify_archive(archive: Path | str) -> dict:
    """Check every member against the manifest; returns the manifest, or
    refuses (``backup_invalid``) naming the first member that differs."""
    archive = Path(archive)
    try:
        with tarfile.open(archive, "r") as tar:
            manifest = json.load(tar.extractfile(MANIFEST))
            if manifest.get("format_version") != FORMAT_VERSION:
                raise _invalid(archive, f"format {manifest.get('format_version')!r}")
            expected = dict(manifest["files"])
            if manifest["database_file"] not in DUMP_NAMES.values():
                raise _invalid(archive, f"database file {manifest['database_file']!r}")
            for name in expected:
                if name != manifest["database_file"] and not _safe_media_name(name):
                    raise _invalid(archive, f"member outside the media directory: {name}")
            for member in tar:
                if member.name == MANIFEST:
                    continue
                want = expected.pop(member.name, None)
                if want is None or not member.isfile():
                    raise _invalid(archive, f"unexpected member {member.name}")
                sha, size = _hash_stream(tar.extractfile(member))
                if (sha, size) != (want["sha256"], want["size"]):
                    raise _invalid(archive, f"checksum of {member.name}")
            if expected:
                raise _invalid(archive, f"missing {sorted(expected)[0]}")
    except (tarfile.TarError, KeyError, ValueError, OSError) as error:
        raise _invalid(archive, str(error)) from None
    return manifest


def _safe_media_name(name: str) -> bool:
    """``media/<relative path>`` that stays inside the media directory."""
    parts = Path(name).parts
    return name.startswith(MEDIA_PREFIX) and len(parts) > 1 and not {"..", "/", ""} & set(parts)


def _invalid(archive: Path, detail: str) -> GridCityError:
    return GridCityError("backup_invalid", 400, archive=str(archive), detail=detail)


# ---------------------------------------------------------------- restore


def restore_backup(
    archive: Path | str, database_url: str, media_dir: Path | str, force: bool = False
) -> dict:
    """Rebuild a deployment from ``archive``: verify it (nothing is touched if
    it fails), load the database into an empty one (``force`` empties a
    non-empty one first), copy the photos, check the case-history digest and
    run the migrations up to date. Returns the manifest."""
    from gridcity.core.migrate import upgrade

    manifest = verify_archive(archive)
    url = normalize_database_url(database_url)
    kind = _kind(url)
    if kind != manifest["database_kind"]:
        raise GridCityError("backup_wrong_database", 400, archive_kind=manifest["database_kind"], kind=kind)
    _prepare_empty(url, kind, force)
    media_dir = Path(media_dir)
    with tempfile.TemporaryDirectory(prefix="gridcity-restore-") as staging, tarfile.open(archive) as tar:
        for name, want in manifest["files"].items():
            if name == manifest["database_file"]:
                target = Path(staging) / name
            else:
                target = media_dir.joinpath(*Path(name).parts[1:])
            _extract(tar, name, target, want, archive)
        dump = Path(staging) / manifest["database_file"]
        if kind == "postgresql":
            # --no-comments: COMMENT ON EXTENSION needs the extension's owner.
            command = ["pg_restore", "--no-owner", "--no-comments", "--exit-on-error", "--single-transaction"]
            _run(command + ["--dbname", _libpq_url(url), str(dump)], url, "restore_load_failed")
        else:
            path = Path(_sqlite_path(url))
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(dump, path.with_name(path.name + ".partial"))
            os.replace(path.with_name(path.name + ".partial"), path)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            restored = _read_snapshot(conn)
    finally:
        engine.dispose()
    # The history and the photo rows are the archive's: every event, every photo's hash.
    if (restored["digest"], restored["photos"]) != (manifest["case_history_digest"], manifest["photos"]):
        raise GridCityError("restore_digest_mismatch", 500, events=restored["counts"]["case_events"])
    upgrade(url)
    return manifest


def _prepare_empty(url: str, kind: str, force: bool) -> None:
    if kind == "sqlite":
        Path(_sqlite_path(url)).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            tables = [t for t in inspect(conn).get_table_names() if t != "spatial_ref_sys"]
            if tables and not force:
                raise GridCityError("restore_not_empty", 409, tables=len(tables))
            if kind == "postgresql":
                if tables:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except OperationalError as error:  # no such database, no server, no right
        raise GridCityError("restore_unreachable", 400, detail=str(error.orig).strip()[:300]) from None
    finally:
        engine.dispose()
    if kind == "sqlite" and force:
        path = Path(_sqlite_path(url))
        for leftover in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)


def _extract(tar: tarfile.TarFile, name: str, target: Path, want: dict, archive) -> None:
    """Copy one member out, checking its checksum again on the way."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    source = _Hashing(tar.extractfile(name))
    with open(partial, "wb") as out:
        shutil.copyfileobj(source, out, _CHUNK)
    if (source.hexdigest(), source.size) != (want["sha256"], want["size"]):
        partial.unlink()
        raise _invalid(Path(archive), f"checksum of {name}")
    os.replace(partial, target)


# ---------------------------------------------------------------- plumbing


class _Hashing:
    """A file object that hashes what is read through it."""

    def __init__(self, raw):
        self.raw, self.sha, self.size = raw, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data

    def hexdigest(self) -> str:
        return self.sha.hexdigest()


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict:
    info = tar.gettarinfo(str(path), arcname=name)
    with open(path, "rb") as raw:
        source = _Hashing(raw)
        tar.addfile(info, source)
    return {"sha256": source.hexdigest(), "size": source.size}


def _hash_stream(stream) -> tuple[str, int]:
    source = _Hashing(stream)
    while source.read(_CHUNK):
        pass
    return source.hexdigest(), source.size


def _kind(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in DUMP_NAMES:
        raise GridCityError("backup_unsupported_database", 400, kind=name)
    return name


def _sqlite_path(url: str) -> str:
    return make_url(url).database


def _libpq_url(url: str) -> str:
    """The URL for pg_dump / pg_restore: no driver, no password (that goes
    through the environment, not the process list)."""
    return make_url(url).set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(command: list[str], url: str, error_key: str) -> None:
    env = dict(os.environ)
    password = make_url(url).password
    if password:
        env["PGPASSWORD"] = password
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise GridCityError("backup_tool_missing", 500, tool=command[0]) from None
    if done.returncode != 0:
        raise GridCityError(error_key, 500, detail=(done.stderr or done.stdout).strip()[-500:])
