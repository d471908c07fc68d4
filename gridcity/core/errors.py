"""Errors that reach a person: an HTTP status and a message in their language."""

from __future__ import annotations

import logging
from html import escape

from flask import Flask, current_app, jsonify, request
from sqlalchemy import exc
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from gridcity.core.i18n import translate

log = logging.getLogger(__name__)


class GridCityError(Exception):
    """A refusal a user can act on. ``key`` names the message in the catalogue."""

    status = 400

    def __init__(self, key: str, status: int | None = None, **params) -> None:
        self.key = key
        self.params = params
        if status is not None:
            self.status = status
        super().__init__(translate(key, "en", **params))

    def message(self, language: str | None = None) -> str:
        return translate(self.key, language, **self.params)

    def to_dict(self, language: str | None = None) -> dict:
        details = {k: v for k, v in self.params.items() if isinstance(v, (str, int, float, bool))}
        return {"error": self.key, "message": self.message(language), "details": details}


class FieldError(GridCityError):
    """A refused value, naming the form field it belongs beside (``details.field`` in the API)."""

    def __init__(self, field: str, key: str, **params) -> None:
        super().__init__(key, field=field, **params)
        self.field = field


class NotFound(GridCityError):
    status = 404


class Forbidden(GridCityError):
    status = 403


class Conflict(GridCityError):
    status = 409


def register_error_handlers(app: Flask) -> None:
    from gridcity.core.request_id import request_id  # quoted in every error body

    @app.errorhandler(GridCityError)
    def handle_gridcity_error(error: GridCityError):
        # A refusal may carry headers, e.g. Retry-After on a 429.
        body = {**error.to_dict(), "request_id": request_id()}
        return jsonify(body), error.status, getattr(error, "headers", None)

    @app.errorhandler(StaleDataError)
    def handle_stale_write(error: StaleDataError):
        # Someone else changed the row between our read and our write.
        from gridcity.extensions import db

        db.session.rollback()
        return jsonify({**Conflict("stale_write").to_dict(), "request_id": request_id()}), 409

    @app.errorhandler(exc.DBAPIError)
    @app.errorhandler(exc.TimeoutError)
    def handle_database_unavailable(error: exc.SQLAlchemyError):
        from gridcity.core.database import is_unavailable

        if not is_unavailable(error):
            raise error  # a bug, not an outage: the usual 500 (and its log)
        return database_unavailable(error)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            body = {"error": error.name.lower().replace(" ", "_"), "message": error.description}
            body["request_id"] = request_id()
            return jsonify(body), error.code
        return error


def database_unavailable(error: BaseException):
    """503 + Retry-After while the database is gone, hangs or is locked: the
    request did nothing (its transaction is rolled back), so a retry is safe."""
    from gridcity.extensions import db

    log.warning("database unavailable: %s: %s", type(error).__name__, str(error).splitlines()[0])
    try:
        db.session.rollback()
    except exc.SQLAlchemyError:
        db.session.close()  # the connection is gone too: give it back as it is
    seconds = current_app.config["SETTINGS"].db_retry_after_seconds
    refusal = GridCityError("database_unavailable", 503, retry_after=seconds)
    headers = {"Retry-After": str(seconds)}
    if request.path.startswith(("/api/", "/open311/")) or request.accept_mimetypes.best == "application/json":
        return jsonify(refusal.to_dict()), 503, headers
    from gridcity.core.i18n import current_language
    from gridcity.web.ui_text import ui_text

    language = current_language()
    title = escape(ui_text("outage.title", language))
    page = (
        f'<!doctype html><html lang="{language}"><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><h1>{title}</h1><p>{escape(refusal.message(language))}</p>"
        f'<p><a href="">{escape(ui_text("outage.reload", language))}</a></p></html>'
    )
    return page, 503, {**headers, "Content-Type": "text/html; charset=utf-8"}
