"""Pages for slow phone links (the inspectors' app /m/ and the citizens' app
/p/): their scripts and styles inlined and minified, the page gzipped."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import rcssmin
import rjsmin
from flask import Response, current_app, request
from markupsafe import Markup


@functools.lru_cache(maxsize=16)
def minified(text: str, kind: str) -> str:
    """The sources without comments and layout: on a slow link every
    compressed kilobyte is some 20 ms before the form is usable."""
    return rjsmin.jsmin(text) if kind == "js" else rcssmin.cssmin(text)


def static_dir(folder: str) -> Path:
    return Path(current_app.static_folder) / folder


def inline(folder: str, names: tuple[str, ...]) -> Markup:
    """The files ``names`` (all .js or all .css, ours, under frontend/static/
    ``folder``) as one minified text for a <script> or <style> element;
    "</" cannot close the element early."""
    text = "\n".join((static_dir(folder) / n).read_text(encoding="utf-8") for n in names)
    kind = names[0].rsplit(".", 1)[-1]
    return Markup(minified(text, kind).replace("</script", "<\\/script").replace("</style", "<\\/style"))


def compressed(body: str, mimetype: str = "text/html", cache_control: str = "no-cache") -> Response:
    """``body`` gzipped when the browser takes it (pages differ by cookie:
    the language, the signed-in user)."""
    data = body.encode("utf-8")
    response = Response(mimetype=mimetype)
    if "gzip" in request.accept_encodings:
        data = gzip.compress(data, compresslevel=6)
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding, Cookie"
    response.headers["Cache-Control"] = cache_control
    response.set_data(data)
    return response
