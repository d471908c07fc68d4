"""Security headers on every response: the Content-Security-Policy (with a
per-request nonce for the few deliberate inline blocks), no MIME sniffing, no
framing, and a referrer policy.

The policy has no 'unsafe-inline': pages load their scripts and styles from
``/static/``; only the inspectors' app inlines its CSS and JS (one round trip on
a slow network), and those two blocks carry ``nonce="{{ csp_nonce() }}"``.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def csp_nonce() -> str:
    """This request's nonce (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def tile_source(tile_url: str) -> str | None:
    """The CSP source that lets the map load tiles from ``tile_url``
    (``https://{s}.tile.osm.org/{z}/{x}/{y}.png`` → ``https://*.tile.osm.org``)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.replace("{", "%7B").replace("}", "%7D"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    labels = parts.netloc.split(".")
    if "%7B" in labels[0]:
        labels[0] = "*"  # a subdomain template: {s}.host, a{s}.host
    if any("%7B" in label for label in labels):
        return f"{parts.scheme}:"  # a template deeper in the host: CSP cannot say it more narrowly
    return f"{parts.scheme}://{'.'.join(labels)}"


def content_security_policy(nonce: str | None, tile_url: str | None = None) -> str:
    """The policy (``tile_url``: the application's setting unless given)."""
    if tile_url is None:
        settings = current_app.config["SETTINGS"]
        sources = {tile_source(settings.tile_url), tile_source(settings.tile_label_url)} - {None}
    else:
        sources = {tile_source(tile_url)} - {None}
    tiles = " ".join(sorted(sources))
    inline = f" 'nonce-{nonce}'" if nonce else ""
    directives = [
        "default-src 'self'",
        f"script-src 'self'{inline}",
        f"style-src 'self'{inline}",
        "img-src 'self' data: blob:" + (f" {tiles}" if tiles else ""),
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
    return "; ".join(directives)


def security_headers(tile_url: str) -> dict[str, str]:
    """The headers of an answer made without Flask (no page, so no nonce)."""
    return {"Content-Security-Policy": content_security_policy(None, tile_url), **HEADERS}


def register_security_headers(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = content_security_policy(g.get("csp_nonce"))
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
