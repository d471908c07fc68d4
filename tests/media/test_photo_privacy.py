"""Photos keep their original bytes, but only the centers' staff who may see the
case get them: everyone else gets a copy without the EXIF position, the device
(make, model, maker notes) and XMP, turned upright, made once and kept."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gridcity.media.storage import photo_file, served_photo, store_photo
from tests.cases.conftest import WEST, api, city, frozen_clock  # noqa: F401
from tests.media.test_storage import MB, create_exif, create_image_bytes

MAKE, MODEL, MAKER_NOTE = "Huawei", "ELS-AN00 sn-88231", b"serial 4711-0815"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>22,34.71N</exif:GPSLatitude></x:xmpmeta>'


def phone_photo(fmt: str = "JPEG", orientation: int | None = 6) -> bytes:
    """What a phone sends: GPS, make and model, a maker note, XMP, rotated."""
    exif = create_exif(lat=22.5785, lon=114.2425, orientation=orientation, taken_at="2026:11:30 09:58:00")
    exif[0x010F], exif[0x0110] = MAKE, MODEL
    exif.get_ifd(0x8769)[0x927C] = MAKER_NOTE
    image = Image.new("RGB", (400, 200), "red")
    image.paste((0, 0, 255), (0, 0, 100, 100))  # a blue corner shows which way is up
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes(), **({"xmp": XMP} if fmt in ("JPEG", "WEBP") else {}))
    return out.getvalue()


def metadata_left(data: bytes) -> list[str]:
    """What of the phone's metadata a served file still carries."""
    left = [s for s in (MAKE.encode(), MODEL.encode(), MAKER_NOTE, b"GPSLatitude") if s in data]
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        if exif.get_ifd(0x8825):
            left.append("GPS IFD")
        if 0x010F in exif or 0x0110 in exif:
            left.append("make/model")
        if "xmp" in image.info:
            left.append("XMP")
    return left


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_public_copy_has_no_position_or_device_and_stands_upright(tmp_path, fmt):
    data = phone_photo(fmt)
    assert metadata_left(data)  # the test photo carries what must go
    stored = store_photo(data, tmp_path, max_bytes=10 * MB)

    original = served_photo(tmp_path, stored.relative_path, original=True)
    assert original.read_bytes() == data
    public = served_photo(tmp_path, stored.relative_path, original=False)
    assert public != original and public.parent == original.parent
    assert metadata_left(public.read_bytes()) == []
    with Image.open(public) as image:
        assert image.format == fmt and image.size == (200, 400)  # orientation 6 applied
        assert 0x0112 not in image.getexif()
        r, g, b = image.convert("RGB").getpixel((190, 10))[:3]
        assert b > 200 and r < 60  # the blue corner is now top right
    # Made once, then served as it is; the original stays byte for byte.
    made = public.stat().st_mtime_ns
    assert served_photo(tmp_path, stored.relative_path, original=False).stat().st_mtime_ns == made
    assert photo_file(tmp_path, stored.relative_path).read_bytes() == data


def test_a_jpeg_copy_keeps_its_quality(tmp_path):
    data = create_image_bytes("JPEG", size=(640, 480), exif=create_exif(lat=22.5, lon=114.2))
    stored = store_photo(data, tmp_path, max_bytes=10 * MB)
    public = served_photo(tmp_path, stored.relative_path, original=False).read_bytes()
    with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(public)) as after:
        assert after.quantization == before.quantization
        assert after.size == before.size and not after.getexif().get_ifd(0x8825)


def test_only_center_staff_who_may_see_the_case_download_the_original(app, client, api, city):  # noqa: F811
    def download(url: str) -> tuple[int, bytes, str]:
        response = client.get(url)
        try:
            return response.status_code, response.data, response.headers.get("Cache-Control", "")
        finally:
            response.close()

    data = phone_photo()
    response = api("insp").report(position=WEST, photos=[data])
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    url = case["photos"][0]["url"]

    status, served, cache = download(url)  # the reporter: an inspector of the grid
    assert status == 200 and served != data
    assert metadata_left(served) == []
    assert "private" in cache and "public" not in cache
    assert metadata_left(download(url + "?thumbnail=1")[1]) == []

    for staff in ("disp", "op", "mgr"):
        api(staff)
        status, served, _ = download(url)
        assert status == 200 and served == data, staff
        assert "GPS IFD" in metadata_left(served)

    # A unit handler of the case's unit sees the case, but not the phone's metadata.
    for who, action in (("op", "accept"), ("lead", "file"), ("disp", "dispatch")):
        response = api(who).act(case, action)
        assert response.status_code == 200, response.get_json()
        case = response.get_json()
    api("jd")
    status, served, _ = download(url)
    assert status == 200 and metadata_left(served) == []


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_photo_without_metadata_is_served_as_it_is(tmp_path, fmt):
    data = create_image_bytes(fmt)
    stored = store_photo(data, tmp_path, max_bytes=10 * MB)
    assert served_photo(tmp_path, stored.relative_path, original=False).read_bytes() == data


def test_a_png_text_chunk_is_metadata_too(tmp_path):
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Author", "张三 13812345678")
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(out, "PNG", pnginfo=text)
    stored = store_photo(out.getvalue(), tmp_path, max_bytes=10 * MB)
    public = served_photo(tmp_path, stored.relative_path, original=False).read_bytes()
    assert b"13812345678" not in public and b"Author" not in public
