"""The words the OpenAPI document's operation tables are written in: an
operation's row (:class:`Op`), its success answer (:func:`ok`), schema
shorthand (:func:`schema`) and bodies (:func:`json_body`). gridcity/core/openapi.py
assembles the document; each area's ``apidoc.py`` writes its rows with these,
so it need not import the document (which lists it)."""

from __future__ import annotations

from dataclasses import dataclass, field

Spec = str | dict | tuple  # see schema()


SCALARS = {
    "int": {"type": "integer"},
    "number": {"type": "number"},
    "str": {"type": "string"},
    "bool": {"type": "boolean"},
    "date-time": {"type": "string", "format": "date-time"},
    "object": {"type": "object"},
}


def schema(spec: Spec) -> dict:
    """A JSON Schema from a short spec: ``"int"``, ``"str?"`` (nullable),
    ``"#Unit"`` (a component), ``"[#Unit]"`` (an array of); a dict is taken as
    it is; a ``(spec, description)`` pair adds a description."""
    if isinstance(spec, tuple):
        inner, description = spec
        return {**schema(inner), "description": description}
    if isinstance(spec, dict):
        return spec
    if spec.endswith("?"):
        inner = schema(spec[:-1])
        if set(inner) <= {"type", "format"}:
            return {**inner, "type": [inner["type"], "null"]}
        return nullable(inner)
    if spec.startswith("["):
        return {"type": "array", "items": schema(spec[1:-1])}
    if spec.startswith("#"):
        return {"$ref": f"#/components/schemas/{spec[1:]}"}
    return dict(SCALARS[spec])


def nullable(spec: Spec) -> dict:
    return {"anyOf": [schema(spec), {"type": "null"}]}


def json_body(spec: Spec, *also: str) -> dict:
    """A required body of one schema, as JSON (and the other media types named)."""
    return {"required": True, "content": {m: {"schema": schema(spec)} for m in ("application/json", *also)}}


ANY = ()  # any signed-in user
PUBLIC = None  # no session needed


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # under /api/v1, OpenAPI-style
    endpoint: str  # the Flask endpoint serving it, used as operationId
    summary: str
    ok: dict[int, str]  # status: description (the schema is the view's declaration)
    roles: tuple | None = ANY
    params: list = field(default_factory=list)
    body: dict | None = None
    errors: dict[int, str] = field(default_factory=dict)
    description: str = ""
    media: tuple[str, ...] = ("application/json",)


def ok(text: str = "OK", status: int = 200) -> dict[int, str]:
    """A success answer's description; what it is comes from the view's
    declaration (``@operation(responses=…)``)."""
    return {status: text}
