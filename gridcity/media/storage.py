"""Photo storage for cases: inspector reports (上报), proof of handling (处置) and checks (核查).

Originals are kept byte for byte under ``media_dir`` by their SHA-256, so the same
photo sent twice (a phone retrying an upload) is one file. Next to it under
``thumbs/`` lives a small JPEG for lists and maps. The EXIF position and capture
time are read as secondary evidence: phones often strip them, so their absence
is never an error (the report's own GPS fix is the primary position).

Those originals are served only to the staff who may see the case and need the
evidence; everyone else gets a copy without metadata (no EXIF position, device,
maker notes or XMP), turned upright, made once and kept beside the original as
``<hash>.public.<ext>`` (:func:`served_photo`).
Crash safety: a file is written to a ``.tmp-*`` name, synced and renamed into
place before the transaction that adds its row commits, so a committed row
always has its file. A file this transaction created is removed again if the
transaction rolls back (unless a committed row uses the same bytes), and
``.tmp-*`` files a killed process left are removed at start and by the
scheduler (:func:`remove_stale_temp_files`).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image, JpegImagePlugin
from pyproj import Geod

from gridcity.core.errors import GridCityError

log = logging.getLogger(__name__)
TEMP_PREFIX = ".tmp-"
# session.info key: the files written during the session's transaction.
_NEW_FILES = "gridcity.media.new_files"

ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp"}

# Pillow format name -> content type. MPO is what Pillow calls a JPEG carrying
# extra frames (many phone cameras write those).
_FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# The openers to try; Pillow's JPEG opener is the one that yields MPO images.
_OPENERS = ["JPEG", "PNG", "WEBP"]
_T = TypeVar("_T")
# EXIF longitude, latitude and DateTimeOriginal, each None when missing or garbled.
_Evidence = tuple[float | None, float | None, datetime | None]

THUMBNAIL_SIZE = 320
THUMBNAIL_DIR = "thumbs"

_TAG_ORIENTATION = 0x0112
_IFD_EXIF = 0x8769
_IFD_GPS = 0x8825
_TAG_DATETIME_ORIGINAL = 0x9003
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4

# EXIF Orientation -> how to turn the stored pixels upright.
_ORIENTATION_FIX = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}


@dataclass(frozen=True)
class StoredPhoto:
    """One stored photo; paths are relative to the media directory."""

    sha256: str
    content_type: str
    width: int
    height: int
    size_bytes: int
    exif_lon: float | None
    exif_lat: float | None
    exif_taken_at: datetime | None
    relative_path: str
    thumbnail_path: str


def store_photo(data: bytes, media_dir: Path, max_bytes: int, max_pixels: int = 50_000_000) -> StoredPhoto:
    """Check ``data`` is a photo we accept, store it by content hash and make its thumbnail.

    Refusals (``GridCityError``): 400 ``photo_empty``; 413 ``photo_too_large``;
    415 ``photo_type`` (not a decodable JPEG/PNG/WebP, judged by content only);
    422 ``photo_too_many_pixels`` (more than ``max_pixels``, or beyond Pillow's
    own decompression-bomb limit, checked from the header before decoding).
    """
    if not data:
        raise GridCityError("photo_empty", 400)
    if len(data) > max_bytes:
        raise GridCityError(
            "photo_too_large",
            413,
            size_mb=len(data) / 2**20,
            limit_mb=round(max_bytes / 2**20, 2),
            max_bytes=max_bytes,
        )

    content_type, width, height, thumbnail, (lon, lat, taken_at) = _decode(data, max_pixels)
    extension = _EXTENSIONS[content_type]
    digest = hashlib.sha256(data).hexdigest()
    fan_out = f"{digest[:2]}/{digest[2:4]}"
    relative_path = f"{fan_out}/{digest}.{extension}"
    thumbnail_path = f"{THUMBNAIL_DIR}/{fan_out}/{digest}.jpg"

    media_dir = Path(media_dir)
    written = []
    if _write_once(media_dir / relative_path, data):
        written.append(media_dir / relative_path)
    if not (media_dir / thumbnail_path).exists():
        out = BytesIO()
        thumbnail.save(out, "JPEG", quality=85, optimize=True)
        if _write_once(media_dir / thumbnail_path, out.getvalue()):
            written.append(media_dir / thumbnail_path)
    _remember_new_files(written)

    return StoredPhoto(
        sha256=digest,
        content_type=content_type,
        width=width,
        height=height,
        size_bytes=len(data),
        exif_lon=lon,
        exif_lat=lat,
        exif_taken_at=taken_at,
        relative_path=relative_path,
        thumbnail_path=thumbnail_path,
    )


def photo_file(media_dir: Path, relative_path: str) -> Path:
    """The file for a stored ``relative_path``; ValueError if it would leave ``media_dir``."""
    root = Path(media_dir).resolve()
    candidate = (root / relative_path).resolve()
    if candidate == root or not candidate.is_relative_to(root):
        raise ValueError(f"photo path outside the media directory: {relative_path!r}")
    return candidate


PUBLIC_SUFFIX = ".public"


def served_photo(media_dir: Path, relative_path: str, *, original: bool) -> Path:
    """The file to send for a stored photo: the original bytes, or (the
    default for anyone but the staff who may see the case) the copy without
    metadata, made on first use."""
    path = photo_file(media_dir, relative_path)
    if original:
        return path
    public = path.with_name(path.stem + PUBLIC_SUFFIX + path.suffix)
    if public.exists():
        return public
    copy = without_metadata(path.read_bytes())
    if copy is None:  # nothing to remove: the original is the public copy
        return path
    _write_once(public, copy)
    return public


def without_metadata(data: bytes) -> bytes | None:
    """The photo re-encoded without EXIF, XMP or comments, upright (the EXIF
    orientation applied), in its own format; None when it carries none of
    them. A JPEG keeps its quantisation tables and subsampling, so it looks
    as the original did; the colour profile stays (it describes colours, not
    people)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        image = Image.open(BytesIO(data), formats=_OPENERS)
        image.load()
        if not _has_metadata(image):
            return None
        kind = "JPEG" if image.format in ("JPEG", "MPO") else image.format
        options: dict[str, Any] = {}
        if kind == "JPEG":
            options = {"qtables": image.quantization, "subsampling": JpegImagePlugin.get_sampling(image)}
        elif kind == "WEBP":
            options = {"quality": 90}
        icc = image.info.get("icc_profile")
        transparency = image.info.get("transparency")
        exif = _read_exif(image)
        orientation = _safe(lambda: int(exif.get(_TAG_ORIENTATION, 1))) if exif is not None else None
        clean = image.copy()  # a plain image: the first frame, nothing of the file's metadata
        for method in _ORIENTATION_FIX.get(orientation or 1, []):
            clean = clean.transpose(method)
        clean.info = {"transparency": transparency} if transparency is not None else {}
        if icc:
            options["icc_profile"] = icc
        out = BytesIO()
        clean.save(out, kind, **options)
        return out.getvalue()


# What a file may hold besides its pixels that says nothing about anyone.
_HARMLESS_SEGMENTS = {("APP0", b"JFIF"), ("APP2", b"ICC_PROFILE"), ("APP14", b"Adobe")}
_HARMLESS_INFO = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "icc_profile", "adobe",
                  "adobe_transform", "progressive", "progression", "transparency", "gamma", "srgb",
                  "chromaticity", "aspect", "loop", "background", "duration", "timestamp", "lossless"}  # fmt: skip


def _has_metadata(image: Image.Image) -> bool:
    if image.format == "MPO" or len(_read_exif(image) or ()):
        return True
    for marker, segment in getattr(image, "applist", []):
        if not any(marker == m and segment.startswith(prefix) for m, prefix in _HARMLESS_SEGMENTS):
            return True
    return bool(set(image.info) - _HARMLESS_INFO)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance in metres on WGS-84 (EXIF position vs the reported GPS fix)."""
    _, _, distance = _geod().inv(lon1, lat1, lon2, lat2)
    return float(distance)


@cache
def _geod() -> Geod:
    return Geod(ellps="WGS84")


def _decode(data: bytes, max_pixels: int) -> tuple[str, int, int, Image.Image, _Evidence]:
    """Identify, size-check and decode: type, size, upright RGB thumbnail, EXIF evidence."""
    with warnings.catch_warnings():
        # Pillow warns above Image.MAX_IMAGE_PIXELS and refuses at twice that. Our
        # own max_pixels is the rule, so that warning is silenced (pytest would make
        # it an error); the hard DecompressionBombError still refuses the photo.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        # Pillow grumbles (UserWarning) about corrupt EXIF or MPO metadata; such
        # metadata is common on phones and never a reason to refuse (or to log).
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        # catch_warnings is process-wide, not per thread: if another thread's filters
        # are in force meanwhile, the bomb warning must still end as a 422.
        try:
            image = Image.open(BytesIO(data), formats=_OPENERS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(max_pixels) from None
        except Exception:  # Pillow raises many kinds of errors on hostile input
            raise GridCityError("photo_type", 415) from None
        if image.format not in _FORMATS:
            raise GridCityError("photo_type", 415)
        content_type = _FORMATS[image.format]
        width, height = image.size
        if width * height > max_pixels:
            raise _too_many_pixels(max_pixels, width=width, height=height)
        try:
            # Decoding the whole stream (at reduced scale for a JPEG) is also the
            # proof that the file is a readable picture, not just a valid header.
            image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(max_pixels, width=width, height=height) from None
        except Exception:
            raise GridCityError("photo_type", 415) from None
        exif = _read_exif(image)
        evidence = (*_exif_position(exif), _exif_taken_at(exif))
        return content_type, width, height, _upright_rgb(image, exif), evidence


def _too_many_pixels(max_pixels: int, **size: int) -> GridCityError:
    return GridCityError("photo_too_many_pixels", 422, limit_mp=max_pixels / 1e6, **size)


def _read_exif(image: Image.Image) -> Image.Exif | None:
    try:
        return image.getexif()
    except Exception:  # garbled EXIF is common and never a reason to refuse a photo
        return None


def _upright_rgb(image: Image.Image, exif: Image.Exif | None) -> Image.Image:
    orientation = _safe(lambda: int(exif.get(_TAG_ORIENTATION, 1))) if exif is not None else None
    for method in _ORIENTATION_FIX.get(orientation or 1, []):
        image = image.transpose(method)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas would turn black in a JPEG; put them on white instead.
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode == "I" or image.mode.startswith("I;16"):
        # 16-bit greyscale: scale to 8 bits, a plain RGB conversion would clip it.
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    return image.convert("RGB")


def _exif_position(exif: Image.Exif | None) -> tuple[float | None, float | None]:
    gps = _safe(lambda: exif.get_ifd(_IFD_GPS)) if exif is not None else None
    if not gps:
        return None, None
    lat = _safe(lambda: _degrees(gps.get(_GPS_LAT), gps.get(_GPS_LAT_REF), "N", "S", 90.0))
    lon = _safe(lambda: _degrees(gps.get(_GPS_LON), gps.get(_GPS_LON_REF), "E", "W", 180.0))
    if lat is None or lon is None or (lat == 0.0 and lon == 0.0):
        # (0, 0) is what some cameras write when they have no fix.
        return None, None
    return lon, lat


def _degrees(dms: Any, ref: Any, positive: str, negative: str, limit: float) -> float | None:
    """EXIF degrees/minutes/seconds rationals and a hemisphere letter -> signed decimal degrees."""
    if dms is None:
        return None
    parts = [float(v) for v in (dms if isinstance(dms, tuple | list) else (dms,))]
    if not 1 <= len(parts) <= 3 or not all(math.isfinite(p) and p >= 0 for p in parts):
        return None
    parts += [0.0] * (3 - len(parts))
    value = parts[0] + parts[1] / 60 + parts[2] / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    ref = (ref or positive).strip("\x00 ").upper()[:1] or positive
    if ref not in (positive, negative) or value > limit:
        return None
    return -value if ref == negative else value


def _exif_taken_at(exif: Image.Exif | None) -> datetime | None:
    """DateTimeOriginal as the naive local time the camera wrote."""
    raw = _safe(lambda: exif.get_ifd(_IFD_EXIF).get(_TAG_DATETIME_ORIGINAL)) if exif is not None else None
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:  # "0000:00:00 00:00:00" and other placeholders
        return None


def _safe(read: Callable[[], _T]) -> _T | None:
    try:
        return read()
    except Exception:
        return None


def _write_once(path: Path, content: bytes) -> bool:
    """Write atomically (temp file + rename) unless the file is already there;
    True when this call wrote it.

    Names are content hashes, so an existing file already holds these bytes and
    two concurrent writers of the same photo produce the same result.
    """
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes 0600 files; a web server or proxy may serve these directly.
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
        _sync_directory(path.parent)  # the rename itself survives a power cut
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return True


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temp_files(media_dir: Path, max_age_seconds: float) -> int:
    """Remove the ``.tmp-*`` files older than ``max_age_seconds`` under
    ``media_dir`` (uploads of a process killed mid-write); returns how many."""
    root = Path(media_dir)
    if not root.is_dir():
        return 0
    cutoff = time.time() - max_age_seconds
    removed = 0
    for path in root.rglob(f"{TEMP_PREFIX}*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # another process cleaned it meanwhile
    return removed


def remove_stale_uploads() -> int:
    """The scheduler's job: :func:`remove_stale_temp_files` on the configured directory."""
    from flask import current_app

    settings = current_app.config["SETTINGS"]
    removed = remove_stale_temp_files(settings.resolved_media_dir, settings.media_temp_max_age_seconds)
    if removed:
        log.info("removed %d unfinished upload(s) from the media directory", removed)
    return removed


def _remember_new_files(paths: list[Path]) -> None:
    """Tie the files just written to the current transaction: forgotten at
    commit, removed at rollback (see :func:`register_session_events`)."""
    from flask import has_app_context

    if not paths or not has_app_context():
        return
    from gridcity.extensions import db

    db.session.info.setdefault(_NEW_FILES, []).extend(paths)


def register_session_events() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _forget_new_files):
        event.listen(Session, "after_commit", _forget_new_files)
        event.listen(Session, "after_rollback", _remove_new_files)


def _forget_new_files(session) -> None:
    session.info.pop(_NEW_FILES, None)


def _remove_new_files(session) -> None:
    paths = session.info.pop(_NEW_FILES, None)
    if not paths:
        return
    root = _media_root()
    used = _paths_in_use([p.relative_to(root).as_posix() for p in paths]) if root else None
    if used is None:
        return  # cannot tell whether a committed row shares these bytes: keep them
    for path in paths:
        if path.relative_to(root).as_posix() not in used:
            path.unlink(missing_ok=True)


def _media_root() -> Path | None:
    from flask import current_app, has_app_context

    return current_app.config["SETTINGS"].resolved_media_dir if has_app_context() else None


def _paths_in_use(relative_paths: list[str]) -> set[str] | None:
    """Which of these paths committed rows use (the same photo sent by someone
    else), asked on a connection of its own; None if the database cannot say."""
    from sqlalchemy import or_, select
    from sqlalchemy.exc import SQLAlchemyError

    from gridcity.cases.models import Photo
    from gridcity.extensions import db
    from gridcity.scorecards.models import ContestPhoto

    used: set[str] = set()
    try:
        with db.engine.connect() as connection:
            for model in (Photo, ContestPhoto):
                rows = connection.execute(
                    select(model.relative_path, model.thumbnail_path).where(
                        or_(
                            model.relative_path.in_(relative_paths),
                            model.thumbnail_path.in_(relative_paths),
                        )
                    )
                )
                for relative_path, thumbnail_path in rows:
                    used.update((relative_path, thumbnail_path))
    except SQLAlchemyError:
        return None
    return used
