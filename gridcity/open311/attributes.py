"""The extra fields (attributes) a service asks for: loading their
definitions, and checking a request's answers against them."""

from __future__ import annotations

import datetime as dt
import math
import re

from sqlalchemy import delete, func, select

from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import translate
from gridcity.extensions import db
from gridcity.open311.defaults import DEFAULT_ATTRIBUTES
from gridcity.open311.models import DATATYPES, ServiceAttribute
from gridcity.taxonomy.models import Category
from gridcity.taxonomy.services import get_category

MAX_TEXT = 4000
DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_ATTRIBUTE_CODE = re.compile(r"^\w{1,50}$")


def text_in(texts: dict | str | None, language: str) -> str | None:
    """A ``{"zh": …, "en": …}`` text in ``language``, falling back to the other."""
    if texts is None or isinstance(texts, str):
        return texts
    return texts.get(language) or texts.get("zh") or texts.get("en")


def attributes_of(category_id: int) -> list[ServiceAttribute]:
    return list(
        db.session.scalars(
            select(ServiceAttribute)
            .where(ServiceAttribute.category_id == category_id)
            .order_by(ServiceAttribute.sort_order)
        )
    )


def categories_with_attributes() -> set[int]:
    return set(db.session.scalars(select(ServiceAttribute.category_id).distinct()))


def attributes_changed_at() -> dt.datetime | None:
    return db.session.scalar(select(func.max(ServiceAttribute.updated_at)))


def load_attributes(document: dict | None = None) -> int:
    """Replace the attributes of every service named in the document
    (``{"services": {"C0101": [attribute, …]}}``; default: the built-in
    ones). Validates it all first; returns the number of attributes written."""
    document = DEFAULT_ATTRIBUTES if document is None else document
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict):
        raise _bad_definition("expected an object with a 'services' object")
    checked = {get_category(code).id: _checked(code, attrs) for code, attrs in document["services"].items()}
    now = utcnow()
    count = 0
    for category_id, attributes in checked.items():
        db.session.execute(delete(ServiceAttribute).where(ServiceAttribute.category_id == category_id))
        for order, a in enumerate(attributes, start=1):
            db.session.add(
                ServiceAttribute(
                    category_id=category_id,
                    code=a["code"],
                    datatype=a["datatype"],
                    required=bool(a.get("required", False)),
                    variable=bool(a.get("variable", True)),
                    sort_order=order,
                    description=_texts(a["description"]),
                    datatype_description=_texts(a["datatype_description"])
                    if a.get("datatype_description")
                    else None,
                    values=[{"key": str(v["key"]), "name": _texts(v["name"])} for v in a.get("values", [])],
                    updated_at=now,
                )
            )
            count += 1
    db.session.flush()
    return count


def _bad_definition(detail: str) -> GridCityError:
    return GridCityError("open311_bad_attribute_definition", detail=detail)


def _texts(value) -> dict:
    return {"zh": value, "en": value} if isinstance(value, str) else dict(value)


def _checked(service_code: str, attributes) -> list[dict]:
    if not isinstance(attributes, list):
        raise _bad_definition(f"{service_code}: expected a list of attributes")
    seen: set[str] = set()
    for a in attributes:
        where = f"{service_code}/{a.get('code') if isinstance(a, dict) else a!r}"
        if not isinstance(a, dict) or not _ATTRIBUTE_CODE.match(str(a.get("code", ""))):
            raise _bad_definition(f"{where}: code must be 1-50 letters, digits or _")
        if a["code"] in seen:
            raise _bad_definition(f"{where}: code appears twice")
        seen.add(a["code"])
        if a.get("datatype") not in DATATYPES:
            raise _bad_definition(f"{where}: datatype must be one of {', '.join(DATATYPES)}")
        if not isinstance(a.get("description"), (str, dict)) or not a["description"]:
            raise _bad_definition(f"{where}: a description is required")
        values = a.get("values", [])
        if a["datatype"].endswith("valuelist"):
            keys = [str(v.get("key")) for v in values if isinstance(v, dict) and v.get("name")]
            if not values or len(keys) != len(values) or len(set(keys)) != len(keys):
                raise _bad_definition(f"{where}: a list needs values with distinct keys and names")
        elif values:
            raise _bad_definition(f"{where}: only list datatypes have values")
    return attributes


# ---------------------------------------------------------------- answers


def checked_answers(category: Category, sent: dict[str, list[str]]) -> dict:
    """The attribute answers, checked against the service definition.
    Attributes the definition does not name are kept as sent."""
    answers: dict = {}
    definitions = {a.code: a for a in attributes_of(category.id)}
    for code, values in sent.items():
        values = [v.strip() for v in values if v is not None and v.strip()]
        if code not in definitions:
            if values:
                answers[code] = values if len(values) > 1 else values[0]
            continue
        if values:
            answers[code] = _checked_answer(definitions[code], values)
    for code, a in definitions.items():
        if a.required and a.variable and code not in answers:
            raise GridCityError(
                "open311_missing_attribute", code=code, description=text_in(a.description, "en")
            )
    return answers


def _checked_answer(a: ServiceAttribute, values: list[str]):
    def bad(value: str, detail: str):
        return GridCityError("open311_bad_attribute", code=a.code, value=value[:80], detail=detail)

    keys = [v["key"] for v in a.values]
    if a.datatype == "multivaluelist":
        for v in values:
            if v not in keys:
                raise bad(v, "one of " + ", ".join(keys))
        return values
    if len(values) > 1:
        raise bad(", ".join(values), "one value only")
    value = values[0]
    if a.datatype == "singlevaluelist" and value not in keys:
        raise bad(value, "one of " + ", ".join(keys))
    if a.datatype == "number" and not (DECIMAL.match(value) and math.isfinite(float(value))):
        raise bad(value, "a number")
    if a.datatype == "datetime":
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            raise bad(value, "an ISO 8601 date-time") from None
    if a.datatype == "string" and "\n" in value:
        raise bad(value, "one line")
    if a.datatype in ("string", "text") and len(value) > MAX_TEXT:
        raise bad(value, f"at most {MAX_TEXT} characters")
    return value


def answers_text(category: Category, answers: dict) -> str:
    """The answers to the service's own questions in words for the staff
    (Chinese), appended to the description. A client's internal attributes
    (``fixmystreet_id``, ``easting``…) are kept as attributes only: they are
    nobody's description of the problem, and the description is public."""
    definitions = {a.code: a for a in attributes_of(category.id)}
    parts = []
    for code, value in answers.items():
        a = definitions.get(code)
        if a is None:
            continue
        names = {v["key"]: text_in(v["name"], "zh") for v in a.values}
        shown = [names.get(v, v) for v in (value if isinstance(value, list) else [value])]
        parts.append(f"{text_in(a.description, 'zh')}：{'、'.join(shown)}")
    if not parts:
        return ""
    return f"\n\n{translate('open311_answers', 'zh')}" + "；".join(parts)
