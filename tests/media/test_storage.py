"""Case photo storage: type and size checks, content-addressed files, thumbnails, EXIF."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime
from io import BytesIO

import pytest
from PIL import Image, ImageFile
from PIL.TiffImagePlugin import IFDRational

from gridcity.core.errors import GridCityError
from gridcity.media.storage import ALLOWED_TYPES, distance_m, photo_file, store_photo

MB = 2**20


def create_image_bytes(fmt: str, size=(400, 200), mode="RGB", exif: Image.Exif | None = None) -> bytes:
    image = Image.new(mode, size, "red" if mode == "RGB" else None)
    # A gradient so that encoders produce real data and different images differ.
    for x in range(0, size[0], 7):
        image.putpixel((x, x % size[1]), (0, 0, 255) if mode == "RGB" else (0, 0, 255, 0))
    out = BytesIO()
    # As bytes: the PNG writer skips an Exif object whose IFD0 is empty (GPS-only EXIF).
    image.save(out, fmt, **({"exif": exif.tobytes()} if exif is not None else {}))
    return out.getvalue()


def create_exif(lat=None, lon=None, orientation=None, taken_at=None) -> Image.Exif:
    """EXIF with a GPS IFD (0x8825) written through Pillow's own API."""
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if lat is not None:
        gps = exif.get_ifd(0x8825)
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = _dms(abs(lat))
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = _dms(abs(lon))
    if taken_at is not None:
        exif.get_ifd(0x8769)[0x9003] = taken_at
    return exif


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600 * 10000)
    return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 10000)


def create_png_header(width: int, height: int) -> bytes:
    """A PNG that only claims its size: a valid IHDR, a token IDAT, no pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


def refusal(data: bytes, tmp_path, **kwargs) -> GridCityError:
    with pytest.raises(GridCityError) as info:
        store_photo(data, tmp_path, kwargs.pop("max_bytes", 10 * MB), **kwargs)
    assert not any(tmp_path.rglob("*.*")), "a refused photo must leave no file behind"
    return info.value


def test_allowed_types():
    assert ALLOWED_TYPES == {"image/jpeg", "image/png", "image/webp"}


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_stores_original_bytes_by_hash_with_thumbnail(tmp_path, fmt, content_type, extension):
    data = create_image_bytes(fmt)
    photo = store_photo(data, tmp_path, max_bytes=10 * MB)

    assert photo.content_type == content_type
    assert (photo.width, photo.height, photo.size_bytes) == (400, 200, len(data))
    assert len(photo.sha256) == 64
    assert photo.relative_path == f"{photo.sha256[:2]}/{photo.sha256[2:4]}/{photo.sha256}.{extension}"
    assert photo.thumbnail_path == f"thumbs/{photo.sha256[:2]}/{photo.sha256[2:4]}/{photo.sha256}.jpg"
    assert photo_file(tmp_path, photo.relative_path).read_bytes() == data
    with Image.open(photo_file(tmp_path, photo.thumbnail_path)) as thumb:
        assert thumb.format == "JPEG"
        assert thumb.mode == "RGB"
        assert thumb.size == (320, 160)
    assert (photo.exif_lon, photo.exif_lat, photo.exif_taken_at) == (None, None, None)


def test_same_photo_twice_is_one_file(tmp_path):
    data = create_image_bytes("JPEG")
    first = store_photo(data, tmp_path, max_bytes=10 * MB)
    second = store_photo(data, tmp_path, max_bytes=10 * MB)

    assert first == second
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == sorted([first.relative_path, first.thumbnail_path])  # no temp files left either


def test_type_is_decided_by_content_not_name(tmp_path):
    png = create_image_bytes("PNG")
    photo = store_photo(png, tmp_path, max_bytes=10 * MB)
    assert photo.content_type == "image/png"
    assert photo.relative_path.endswith(".png")


def test_transparent_png_gets_a_white_background_in_the_thumbnail(tmp_path):
    image = Image.new("RGBA", (100, 50), (255, 0, 0, 0))
    out = BytesIO()
    image.save(out, "PNG")
    photo = store_photo(out.getvalue(), tmp_path, max_bytes=10 * MB)
    with Image.open(photo_file(tmp_path, photo.thumbnail_path)) as thumb:
        assert thumb.size == (100, 50)  # never enlarged
        assert thumb.getpixel((50, 25)) >= (250, 250, 250)


def test_empty_is_refused(tmp_path):
    error = refusal(b"", tmp_path)
    assert (error.key, error.status) == ("photo_empty", 400)


def test_over_the_byte_cap_is_refused_with_the_limit_in_mb(tmp_path):
    data = create_image_bytes("PNG")
    data += b"\0" * (2 * MB - len(data) + 1)
    error = refusal(data, tmp_path, max_bytes=2 * MB)
    assert (error.key, error.status) == ("photo_too_large", 413)
    assert "2 MB" in error.message("en")
    assert "2 MB" in error.message("zh")


def test_gif_is_refused(tmp_path):
    error = refusal(create_image_bytes("GIF"), tmp_path)
    assert (error.key, error.status) == ("photo_type", 415)
    for language in ("en", "zh"):
        assert all(name in error.message(language) for name in ("JPEG", "PNG", "WebP"))


def test_text_renamed_jpg_is_refused(tmp_path):
    # store_photo never sees a file name or a declared type: only the bytes count.
    data = ("这不是照片 / not a photo\n" * 20).encode()
    error = refusal(data, tmp_path)
    assert (error.key, error.status) == ("photo_type", 415)


def test_truncated_jpeg_is_refused(tmp_path):
    data = create_image_bytes("JPEG", size=(800, 600))
    error = refusal(data[: len(data) // 2], tmp_path)
    assert (error.key, error.status) == ("photo_type", 415)


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8000, 8000),  # over our cap, under Pillow's: our own header check
        (9500, 9500),  # Pillow's DecompressionBombWarning range
        (20000, 20000),  # Pillow's DecompressionBombError range
    ],
)
def test_too_many_pixels_is_refused_from_the_header(tmp_path, monkeypatch, width, height):
    def no_decoding(self):
        raise AssertionError("the pixels must not be decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    error = refusal(create_png_header(width, height), tmp_path, max_pixels=50_000_000)
    assert (error.key, error.status) == ("photo_too_many_pixels", 422)
    assert "50" in error.message("en")


def test_pixel_cap_is_a_parameter(tmp_path):
    error = refusal(create_image_bytes("JPEG"), tmp_path, max_pixels=399 * 200)
    assert (error.key, error.status) == ("photo_too_many_pixels", 422)
    assert store_photo(create_image_bytes("JPEG"), tmp_path, 10 * MB, max_pixels=400 * 200).width == 400


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_exif_gps_and_capture_time_are_read(tmp_path, fmt):
    exif = create_exif(lat=22.5795, lon=114.2405, taken_at="2026:11:29 08:15:30")
    photo = store_photo(create_image_bytes(fmt, exif=exif), tmp_path, max_bytes=10 * MB)
    assert photo.exif_lat == pytest.approx(22.5795, abs=1e-6)
    assert photo.exif_lon == pytest.approx(114.2405, abs=1e-6)
    assert photo.exif_taken_at == datetime(2026, 11, 29, 8, 15, 30)


def test_southern_and_western_positions_are_negative(tmp_path):
    exif = create_exif(lat=-33.8568, lon=-70.6483)
    photo = store_photo(create_image_bytes("JPEG", exif=exif), tmp_path, max_bytes=10 * MB)
    assert photo.exif_lat == pytest.approx(-33.8568, abs=1e-6)
    assert photo.exif_lon == pytest.approx(-70.6483, abs=1e-6)


def test_garbled_exif_is_ignored(tmp_path):
    exif = create_exif(taken_at="0000:00:00 00:00:00")
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "Q", (IFDRational(1, 0), IFDRational(2), IFDRational(3))
    photo = store_photo(create_image_bytes("JPEG", exif=exif), tmp_path, max_bytes=10 * MB)
    assert (photo.exif_lon, photo.exif_lat, photo.exif_taken_at) == (None, None, None)


def test_broken_exif_segment_does_not_refuse_the_photo(tmp_path):
    data = create_image_bytes("JPEG")
    garbage = b"Exif\0\0II*\0\xff\xff\xff\x7f" + b"\x13" * 40
    app1 = b"\xff\xe1" + struct.pack(">H", len(garbage) + 2) + garbage
    photo = store_photo(data[:2] + app1 + data[2:], tmp_path, max_bytes=10 * MB)
    assert photo.content_type == "image/jpeg"
    assert (photo.exif_lon, photo.exif_lat, photo.exif_taken_at) == (None, None, None)
    assert photo_file(tmp_path, photo.thumbnail_path).is_file()


def test_thumbnail_respects_exif_orientation(tmp_path):
    data = create_image_bytes("JPEG", size=(400, 200), exif=create_exif(orientation=6))
    photo = store_photo(data, tmp_path, max_bytes=10 * MB)
    assert (photo.width, photo.height) == (400, 200)  # as stored
    with Image.open(photo_file(tmp_path, photo.thumbnail_path)) as thumb:
        assert thumb.size == (160, 320)


def test_distance_between_points_a_thousandth_degree_apart():
    assert distance_m(114.2405, 22.5795, 114.2405, 22.5805) == pytest.approx(110.7, abs=0.3)
    assert distance_m(114.2405, 22.5795, 114.2405, 22.5795) == 0.0


@pytest.mark.parametrize("path", ["../x", "ab/../../x", "/etc/passwd", "", "."])
def test_photo_file_refuses_paths_leaving_the_media_dir(tmp_path, path):
    with pytest.raises(ValueError):
        photo_file(tmp_path / "media", path)


def test_photo_file_refuses_symlinks_out_of_the_media_dir(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "ab").symlink_to(tmp_path)
    with pytest.raises(ValueError):
        photo_file(media, "ab/secret.jpg")


def test_photo_file_finds_a_stored_photo(tmp_path):
    photo = store_photo(create_image_bytes("JPEG"), tmp_path, max_bytes=10 * MB)
    assert photo_file(tmp_path, photo.relative_path) == (tmp_path / photo.relative_path).resolve()


def test_a_lost_thumbnail_is_made_again(tmp_path):
    data = create_image_bytes("WEBP")
    photo = store_photo(data, tmp_path, max_bytes=10 * MB)
    photo_file(tmp_path, photo.thumbnail_path).unlink()
    assert store_photo(data, tmp_path, max_bytes=10 * MB) == photo
    assert photo_file(tmp_path, photo.thumbnail_path).is_file()
