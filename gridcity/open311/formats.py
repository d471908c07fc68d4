"""GeoReport v2 documents in XML and JSON from one description.

A document is a root tag and a body: a dict (one element with named
children, a JSON object) or :class:`Items` (a container of one repeated
element, a JSON array — the spec's Spark convention). Values are ``None``
(an empty element, JSON ``null``), bools (``true``/``false``), numbers,
strings, dicts or :class:`Items`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from flask import Response

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MIME_TYPES = {"json": "application/json", "xml": "text/xml"}
# XML 1.0 cannot carry most control characters; text typed elsewhere may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Items:
    """``<container><tag>…</tag><tag>…</tag></container>`` / a JSON array."""

    tag: str
    items: list = field(default_factory=list)


def to_json(body: Any) -> Any:
    if isinstance(body, Items):
        return [to_json(item) for item in body.items]
    if isinstance(body, dict):
        return {key: to_json(value) for key, value in body.items()}
    return body


def _fill(element: ET.Element, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Items):
        for item in value.items:
            _fill(ET.SubElement(element, value.tag), item)
    elif isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = _NOT_XML.sub("", str(value))


def to_xml(root_tag: str, body: Any) -> str:
    root = ET.Element(root_tag)
    _fill(root, body)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def render(fmt: str, root_tag: str, body: Any, status: int = 200, headers: dict | None = None) -> Response:
    """The document as an HTTP response in ``fmt`` (``json`` or ``xml``), UTF-8."""
    if fmt == "json":
        text = json.dumps(to_json(body), ensure_ascii=False)
    else:
        text = to_xml(root_tag, body)
    return Response(text.encode("utf-8"), status=status, headers=headers, content_type=CONTENT_TYPES[fmt])


def render_errors(
    fmt: str, status: int, errors: list[tuple[int, str]], headers: dict | None = None
) -> Response:
    """``<errors><error><code/><description/></error></errors>`` / ``[{code, description}]``."""
    body = Items("error", [{"code": code, "description": description} for code, description in errors])
    return render(fmt, "errors", body, status, headers)
