"""Files an admin uploads for an import (people, a year's holiday schedule):
their text, however the spreadsheet program saved it."""

from __future__ import annotations

from gridcity.core.errors import GridCityError


def upload_text(data: bytes, refusal: str) -> str:
    """UTF-8 (with or without its byte-order mark), or GB18030 as Chinese Excel
    saves a CSV; anything else is refused with the ``refusal`` message."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise GridCityError(refusal)
