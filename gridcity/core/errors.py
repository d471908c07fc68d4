"""Errors that reach a person: an HTTP status and a message in their language."""

from __future__ import annotations

from flask import Flask, jsonify, request
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from gridcity.core.i18n import translate


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


class NotFound(GridCityError):
    status = 404


class Forbidden(GridCityError):
    status = 403


class Conflict(GridCityError):
    status = 409


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(GridCityError)
    def handle_gridcity_error(error: GridCityError):
        # A refusal may carry headers, e.g. Retry-After on a 429.
        return jsonify(error.to_dict()), error.status, getattr(error, "headers", None)

    @app.errorhandler(StaleDataError)
    def handle_stale_write(error: StaleDataError):
        # Someone else changed the row between our read and our write.
        from gridcity.extensions import db

        db.session.rollback()
        return jsonify(Conflict("stale_write").to_dict()), 409

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            body = {"error": error.name.lower().replace(" ", "_"), "message": error.description}
            return jsonify(body), error.code
        return error
