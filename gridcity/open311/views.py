"""The Open311 GeoReport v2 endpoint under ``/open311/v2/``: every resource
in ``.json`` and ``.xml``, errors in the spec's ``errors`` document with
404 for what does not exist (an unknown service_code included), 403 for a
missing, unknown or revoked api_key, 429 past a key's rate limit, 503 +
Retry-After when the intake is busy and 400 for everything else.

Resources: discovery, services, services/{code}, requests (GET: filters,
``page``/``page_size``, at most 200 ids in ``service_request_id``; POST:
file, several ``media_url``, resent with the same
``attribute[fixmystreet_id]`` → the first request), requests/{id},
tokens/{token}, servicerequestupdates (GET: FixMyStreet's feed; POST: a
client's update, once per ``update_id``). Answers allow any origin (CORS:
no cookies are read here, writes need an api_key); ``OPTIONS`` names the
methods a path answers."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Response

from gridcity.cases.admission import shed_when_busy
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from gridcity.extensions import db
from gridcity.open311 import keys, queries, services, updates
from gridcity.open311.formats import FORMATS, Items, render, render_errors

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

FMT = "<any(json, xml):fmt>"
_ATTRIBUTE = re.compile(r"^attribute\[(\w+)\](\[\])?$")


def language(req=None) -> str:
    """Chinese unless the client's Accept-Language prefers English."""
    return (req or request).accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def _fmt() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in FORMATS:
        return fmt
    return "json" if request.path.endswith(".json") else "xml"  # XML is the spec's required format


def _status(code: int) -> int:
    return code if code in (403, 404, 405, 429, 503) else 400


@bp.errorhandler(GridCityError)
def refused(error: GridCityError):
    db.session.rollback()
    status = _status(error.status)
    retry_after = getattr(error, "retry_after", None)  # rate limited (429)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return render_errors(_fmt(), status, [(status, error.message(language()))], headers)


def refused_busy(refusal: GridCityError, req) -> Response:
    """The intake is busy (503 + Retry-After), in the spec's errors document.
    Answered before Flask runs (see gridcity.cases.admission): no database."""
    fmt = "json" if req.path.endswith(".json") else "xml"
    headers = {"Retry-After": str(refusal.retry_after)}
    return render_errors(fmt, 503, [(503, refusal.message(language(req)))], headers)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    db.session.rollback()
    status = _status(error.code or 400)
    headers = {k: v for k, v in error.get_headers() if k == "Allow"}
    return render_errors(_fmt(), status, [(status, error.description or error.name)], headers or None)


@bp.before_request
def preflight():
    """``OPTIONS`` (and a browser's CORS preflight): the methods that answer here."""
    if request.method != "OPTIONS":
        return None
    allowed = _methods_here()
    if not allowed:
        raise NotFound(description=translate("open311_no_resource", language(), path=request.path))
    methods = ", ".join([*allowed, "HEAD", "OPTIONS"] if "GET" in allowed else [*allowed, "OPTIONS"])
    response = Response(status=204)
    response.headers["Allow"] = methods
    response.headers["Access-Control-Allow-Methods"] = methods
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept, Accept-Language"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


@bp.after_request
def cors(response: Response) -> Response:
    """Browser clients on any site may read the answers: nothing here reads
    a cookie, and every write needs an api_key."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    return response


def _methods_here() -> list[str]:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    return [m for m in ("GET", "POST") if _routes_elsewhere(adapter, m)]


def _public_base() -> str:
    """Our address as the client wrote it, also behind a proxy that ends
    TLS (X-Forwarded-Proto / -Host), so discovery names a URL that works."""
    scheme = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip() or request.scheme
    host = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip() or request.host
    if scheme not in ("http", "https"):
        scheme = request.scheme
    return f"{scheme}://{host}"


# ---------------------------------------------------------------- resources


@bp.get(f"/discovery.{FMT}")
def discovery(fmt: str):
    url = _public_base() + bp.url_prefix
    return render(fmt, "discovery", queries.discovery(url, language()))


@bp.get(f"/services.{FMT}")
def service_list(fmt: str):
    return render(fmt, "services", queries.service_list(language()))


@bp.get(f"/services/<service_code>.{FMT}")
def service_definition(service_code: str, fmt: str):
    return render(fmt, "service_definition", queries.service_definition(service_code, language()))


@bp.post(f"/requests.{FMT}")
@shed_when_busy(respond=refused_busy)
def post_request(fmt: str):
    """Create a service request (synchronously: the answer carries its id)."""
    form = request.form
    admission = keys.admit(form.get("api_key") or request.args.get("api_key"))
    # The attempt counts against the key even when it is refused or fails below.
    db.session.commit()
    admission.raise_if_over_limit()
    attributes: dict[str, list[str]] = {}
    for name in form:
        match = _ATTRIBUTE.match(name)
        if match:
            attributes.setdefault(match.group(1), []).extend(form.getlist(name))
    submission = services.Submission(
        service_code=form.get("service_code"),
        lat=form.get("lat"),
        long=form.get("long"),
        address_string=form.get("address_string"),
        address_id=form.get("address_id"),
        attributes=attributes,
        email=form.get("email"),
        device_id=form.get("device_id"),
        account_id=form.get("account_id"),
        first_name=form.get("first_name"),
        last_name=form.get("last_name"),
        phone=form.get("phone"),
        description=form.get("description"),
        media_urls=form.getlist("media_url"),
    )
    row = services.file_request(admission.key, submission, language())
    number = row.case.number
    body = {"service_request_id": number, "service_notice": row.service_notice, "account_id": row.account_id}
    db.session.commit()
    return render(fmt, "service_requests", Items("request", [body]))


@bp.get(f"/requests.{FMT}")
def request_list(fmt: str):
    cases = queries.find_requests(request.args)
    return render(fmt, "service_requests", queries.request_documents(cases, language()))


@bp.get(f"/requests/<request_id>.{FMT}")
def request_one(request_id: str, fmt: str):
    case = queries.get_request(request_id)
    return render(fmt, "service_requests", queries.request_documents([case], language()))


@bp.get(f"/tokens/<token>.{FMT}")
def token(token: str, fmt: str):
    return render(fmt, "service_requests", Items("request", [queries.token(token)]))


@bp.get(f"/servicerequestupdates.{FMT}")
def request_updates(fmt: str):
    """FixMyStreet's update feed; an ``api_key`` narrows it to that client's requests."""
    key = None
    if request.args.get("api_key"):
        admission = keys.admit(request.args["api_key"])
        db.session.commit()
        admission.raise_if_over_limit()
        key = admission.key
    return render(fmt, "service_request_updates", queries.updates(request.args, key, language()))


@bp.post(f"/servicerequestupdates.{FMT}")
def post_request_update(fmt: str):
    """A client's update to a request (FixMyStreet's citizen comments and
    "not fixed"), added to the case once per ``update_id``."""
    form = request.form
    admission = keys.admit(form.get("api_key") or request.args.get("api_key"))
    db.session.commit()  # the attempt counts against the key, as for POST requests
    admission.raise_if_over_limit()
    sent = updates.PostedUpdate(
        service_request_id=form.get("service_request_id"),
        update_id=form.get("update_id"),
        status=form.get("status"),
        description=form.get("description"),
        updated_datetime=form.get("updated_datetime"),
        media_urls=form.getlist("media_url") + form.getlist("media_url[]"),
    )
    row = updates.post_update(admission.key, sent, queries.parse_time)
    body = {"update_id": str(row.event_id)}
    db.session.commit()
    return render(fmt, "service_request_updates", Items("request_update", [body]))


@bp.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_a_resource(path: str):
    """Anything else under the prefix answers in the spec's error format."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = [m for m in ("GET", "POST") if m != request.method and _routes_elsewhere(adapter, m)]
    if allowed:
        raise MethodNotAllowed(
            valid_methods=allowed,
            description=translate(
                "open311_method",
                language(),
                method=request.method,
                path=request.path,
                allowed=", ".join(allowed),
            ),
        )
    raise NotFound(description=translate("open311_no_resource", language(), path=request.path))


def _routes_elsewhere(adapter, method: str) -> bool:
    try:
        endpoint, _ = adapter.match(method=method)
    except HTTPException:
        return False
    return endpoint != "open311.not_a_resource"
