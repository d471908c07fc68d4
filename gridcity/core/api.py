"""Validation at the edge: each API operation declares what it accepts.

A view decorated with :func:`operation` names pydantic models for its body and
its query string; the request is checked against them before the view (and so
any service) runs, and the view receives the parsed models. A refusal is the
ordinary ``bad_request`` error (its headline in the reader's language) naming
the field. The same declarations feed the served OpenAPI document
(``gridcity/core/openapi.py``).

Two guards hold for every request, declared or not: JSON bodies are bounded
(no NaN / Infinity, no NUL characters, at most :data:`MAX_JSON_DEPTH` levels
deep) by the app's JSON provider, and integer path segments stay inside the
database's integer range (a larger id is simply not found).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from werkzeug.routing import IntegerConverter

from gridcity.core.errors import GridCityError

MAX_JSON_DEPTH = 32
# The databases' INTEGER (PostgreSQL int4; SQLite would take 64 bits, PostgreSQL not).
DB_INT_MAX = 2**31 - 1
# Dates outside this span are typing mistakes, and some would overflow a
# time-zone conversion or the database's timestamp type.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _sane_moment(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if not (EARLIEST <= value < LATEST):
        raise ValueError(f"must lie between {EARLIEST:%Y} and {LATEST:%Y}")
    return value


# The field types the declarations are made of.
Text = Annotated[str, AfterValidator(_no_nul)]
Number = Annotated[float, Field(allow_inf_nan=False)]
# The locator answers positions outside the city (422 bad_position / outside_city).
Lon = Annotated[float, Field(allow_inf_nan=False, description="WGS-84 longitude.")]
Lat = Annotated[float, Field(allow_inf_nan=False, description="WGS-84 latitude.")]
DbInt = Annotated[int, Field(ge=-DB_INT_MAX - 1, le=DB_INT_MAX)]
# An id in a JSON body is a JSON integer ("1" is refused, as a typing mistake).
Id = Annotated[int, Field(ge=1, le=DB_INT_MAX, strict=True)]
Moment = Annotated[dt.datetime, AfterValidator(_sane_moment)]


class Schema(BaseModel):
    """Base of every declared request: unknown fields are ignored (clients
    send more than one operation reads), strings never carry NUL."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _strings_without_nul(cls, value: Any) -> Any:
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, str):
                _no_nul(item)
        return value


class Answer(BaseModel):
    """Base of every declared response: it describes the JSON a view already
    writes (the views serialise with their own helpers; the fuzz test checks
    the two agree). Every key is always written (null when empty) unless a
    field has a default; keys beyond the declared ones may follow."""

    model_config = ConfigDict(extra="allow")


class Ref(Answer):
    """A unit, grid or place by id, code and name."""

    id: int
    code: str
    name: str


class CodeName(Answer):
    code: str
    name: str


class Error(Answer):
    """Every error answer."""

    error: str = Field(description="Message key, e.g. `stale_case`; for plain HTTP errors the status name.")
    message: str = Field(
        description="For a person, in Chinese or English (the `lang` cookie, Accept-Language)."
    )
    details: dict[str, Any] = Field(
        default_factory=dict, description="The message's parameters (absent on plain HTTP errors)."
    )
    request_id: str | None = Field(
        None, description="This request's id, also in the `X-Request-ID` header: quote it to support."
    )


# ---------------------------------------------------------------- the JSON guard


def _check_tree(value: Any, path: str = "body") -> None:
    """Depth and NUL check without recursion (the depth is what is bounded)."""
    stack = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise GridCityError("bad_request", detail=f"body: nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, str):
            if "\x00" in item:
                raise GridCityError("bad_request", detail=f"{where}: must not contain NUL characters")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise GridCityError(
                    "bad_request", detail=f"{where}: NaN and Infinity are not numbers JSON allows"
                )
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    raise GridCityError("bad_request", detail=f"{where}: a key contains a NUL character")
                stack.append((child, key if where == "body" else f"{where}.{key}", depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{n}]", depth + 1) for n, child in enumerate(item))


def loads_bounded(text: str | bytes) -> Any:
    try:
        value = json.loads(text)
    except RecursionError:
        raise GridCityError(
            "bad_request", detail=f"body: nested deeper than {MAX_JSON_DEPTH} levels"
        ) from None
    _check_tree(value)
    return value


class BoundedJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_bounded(s)


class DatabaseIntConverter(IntegerConverter):
    """``<int:…>`` path segments beyond the database's integer match no route."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def install(app: Flask) -> None:
    """Before any blueprint is registered (the converter binds at add_url_rule)."""
    app.json = BoundedJSONProvider(app)
    app.url_map.converters["int"] = DatabaseIntConverter

    @app.before_request
    def _fields_without_nul():
        # PostgreSQL refuses NUL in text; query strings and plain forms (Open311,
        # the sign-in page) reach the database without a declaration.
        fields = request.args.items(multi=True)
        if request.mimetype == "application/x-www-form-urlencoded":
            fields = [*fields, *request.form.items(multi=True)]
        for name, value in fields:
            if "\x00" in name or "\x00" in value:
                raise GridCityError("bad_request", detail=f"{name}: must not contain NUL characters")


# ---------------------------------------------------------------- operations


@dataclass(frozen=True)
class Operation:
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    # Multipart bodies carry the JSON in a ``data`` field beside ``photos`` files.
    photos: bool = False
    # Also accepts an HTML form's fields (sign-in).
    form: bool = False
    # status → what the JSON answer is: a model, or e.g. ``list[Model]``;
    # ``None`` for an answer that is not JSON (an image).
    responses: Mapping[int, Any] = field(default_factory=dict)


def describe(error: ValidationError) -> str:
    """``lon: Input should be a valid number; lat: …`` (pydantic's English)."""
    parts = []
    for problem in error.errors()[:5]:
        where = ".".join(str(p) for p in problem["loc"]) or "body"
        parts.append(f"{where}: {problem['msg']}")
    return "; ".join(parts)


def validate(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise GridCityError("bad_request", detail=describe(error)) from None


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def request_json(photos: bool = False, form: bool = False) -> Any:
    """The body: JSON, or (``photos``) multipart with a JSON ``data`` (or
    ``report``) field; an empty body is an empty object."""
    if photos and request.mimetype == "multipart/form-data":
        raw = request.form.get("data") or request.form.get("report") or "{}"
        try:
            return loads_bounded(raw)
        except ValueError:
            raise GridCityError("bad_request", detail="data: the data field must be JSON") from None
    if form and request.mimetype in FORM_TYPES:
        return request.form.to_dict()
    if not request.get_data():
        return {}
    try:
        return loads_bounded(request.get_data())
    except ValueError:
        raise GridCityError("bad_request", detail="body: the body must be JSON") from None


def query_args(model: type[BaseModel]) -> dict:
    """Query parameters as the model names them (lists for list fields)."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in request.args:
            continue
        values = request.args.getlist(key)
        out[key] = values if getattr(info.annotation, "__origin__", None) is list else values[-1]
    return out


def operation(
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    photos: bool = False,
    form: bool = False,
    responses: Mapping[int, Any] | None = None,
) -> Callable:
    """Validate the request against the declared models, then call the view
    with ``body=`` / ``query=`` the parsed models. ``responses`` declares what
    it answers (for the OpenAPI document)."""
    declared = Operation(body=body, query=query, photos=photos, form=form, responses=dict(responses or {}))

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def run(*args, **kwargs):
            if body is not None:
                data = request_json(photos, form)
                if not isinstance(data, dict):
                    raise GridCityError("bad_request", detail="body: expected a JSON object")
                kwargs["body"] = validate(body, data)
            if query is not None:
                kwargs["query"] = validate(query, query_args(query))
            return view(*args, **kwargs)

        run.operation = declared
        return run

    return wrap


def declared_operation(view: Callable) -> Operation | None:
    """The declaration of a (possibly further wrapped) view."""
    return getattr(view, "operation", None)


def base64_file(content: str) -> bytes:
    """A file a JSON body carries base64-encoded (an import's ``content``)."""
    try:
        return base64.b64decode(content, validate=True)
    except ValueError:
        raise GridCityError("bad_request", detail="content: not base64") from None
