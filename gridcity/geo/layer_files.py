"""Layer files for the geography import (gridcity/geo/layer_import.py): a
GeoJSON document from an uploaded GeoJSON file or zipped Shapefile, and the
checked file kept between the preview and the import."""

from __future__ import annotations

import contextlib
import io
import json
import re
import secrets
import time
import zipfile
from pathlib import Path

from flask import current_app

from gridcity.core.errors import GridCityError

# ---------------------------------------------------------------- reading a file


def read_layer_file(filename: str, data: bytes) -> dict:
    """A GeoJSON document from an uploaded file: GeoJSON text, or a zipped
    Shapefile (.shp + .shx + .dbf, optional .prj / .cpg) read with pyshp."""
    if not data or not data.strip():
        raise GridCityError("geo_file_empty")
    if filename.lower().endswith(".zip") or data[:4] == b"PK\x03\x04":
        return _read_zipped_shapefile(data)
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise GridCityError("bad_geojson", detail="not a JSON text") from None


def _read_zipped_shapefile(data: bytes) -> dict:
    import shapefile  # pyshp

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [n for n in archive.namelist() if not n.startswith("__MACOSX")]
    except (zipfile.BadZipFile, ValueError):
        raise GridCityError("geo_bad_zip") from None
    shps = [n for n in names if n.lower().endswith(".shp")]
    if len(shps) != 1:
        raise GridCityError("geo_zip_needs_one_shp", found=len(shps))
    stem = shps[0][:-4]

    def part(extension: str) -> bytes | None:
        for name in names:
            if name[:-4] == stem and name.lower().endswith(extension):
                return archive.read(name)
        return None

    shx, dbf, prj, cpg = part(".shx"), part(".dbf"), part(".prj"), part(".cpg")
    for extension, content in ((".shx", shx), (".dbf", dbf)):
        if content is None:
            raise GridCityError("geo_zip_missing_part", part=extension)
    _check_prj((prj or b"").decode("latin-1"))
    encoding = (cpg or b"").decode("ascii", "ignore").strip() or "utf-8"
    for attempt in (encoding, "gb18030"):
        try:
            reader = shapefile.Reader(
                shp=io.BytesIO(archive.read(shps[0])),
                shx=io.BytesIO(shx),
                dbf=io.BytesIO(dbf),
                encoding=attempt,
            )
            features = [
                {
                    "type": "Feature",
                    "geometry": item.shape.__geo_interface__ if item.shape.points else None,
                    "properties": {k: _cell(v) for k, v in item.record.as_dict().items()},
                }
                for item in reader.iterShapeRecords()
            ]
            return {"type": "FeatureCollection", "features": features}
        except (UnicodeDecodeError, LookupError):
            continue
        except Exception as exc:  # a corrupt shapefile: pyshp raises many kinds
            raise GridCityError("geo_bad_shapefile", detail=str(exc)[:200]) from None
    raise GridCityError("geo_bad_shapefile", detail="the attribute table's text encoding is unknown")


def _check_prj(text: str) -> None:
    """Only longitude / latitude files: a projected .prj (metres) is refused."""
    if not text.strip():
        return
    if text.lstrip().upper().startswith("PROJCS"):
        raise GridCityError("wrong_crs", detail=text[:80])


def _cell(value):
    """A shapefile attribute as the GeoJSON properties have it (a numeric code 440308.0 → "440308")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return value.strip() if isinstance(value, str) else value


# ---------------------------------------------------------------- between preview and import

# A checked file waits here for its import: in the media directory, which every
# web process shares (a form field could not carry it: forms stop at 500 KB).
PENDING_FOLDER = "geo-imports"
PENDING_HOURS = 24
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


def _pending_dir() -> Path:
    return Path(current_app.config["SETTINGS"].resolved_media_dir) / PENDING_FOLDER


def keep_checked_file(document: dict) -> str:
    """Keep a previewed file for its import; the token names it. Files older
    than a day are removed on the way."""
    folder = _pending_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - PENDING_HOURS * 3600
    for old in folder.glob("*.json"):
        with contextlib.suppress(FileNotFoundError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    token = secrets.token_urlsafe(16)
    (folder / f"{token}.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return token


def checked_file(token: str) -> dict:
    """The file kept by :func:`keep_checked_file` (refused when unknown or expired)."""
    path = _pending_dir() / f"{token}.json"
    if not _TOKEN.fullmatch(token or "") or not path.is_file():
        raise GridCityError("geo_preview_expired")
    return json.loads(path.read_text(encoding="utf-8"))


def forget_checked_file(token: str) -> None:
    if _TOKEN.fullmatch(token or ""):
        (_pending_dir() / f"{token}.json").unlink(missing_ok=True)
