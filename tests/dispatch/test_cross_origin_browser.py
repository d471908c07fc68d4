"""A page served from another port of our host cannot act or read live events
as a signed-in user (issue #14): headless Chromium signs in on the real server,
then opens a page from a second local HTTP server that tries, with the
browser's cookie, to file a report as the inspector, to sign the browser in as
somebody else, to void a case as the operator, to read the API, and to open a
Socket.IO connection — nothing changes and no event is heard. The same socket
code on our own page does hear the event (so the test can tell)."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.simulate.topology import free_port
from tests.dispatch.test_dispatch_browser import place, report, session_for  # noqa: F401 - fixture
from tests.web.test_browser import PASSWORD

pytestmark = pytest.mark.browser

SOCKET_IO = (
    Path(__file__).resolve().parents[2] / "frontend/static/vendor/socket.io-client-4.8.4/socket.io.min.js"
)

# The other site's page: every attempt records what it got in window.results.
ATTACK_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>another site</title>
<script src="/socket.io.min.js"></script></head><body>
<form id="login" method="post" target="sink" enctype="multipart/form-data">
  <input name="username" value="insp002"><input name="password" value="gridcity-demo"></form>
<iframe name="sink"></iframe>
<script>
var q = new URLSearchParams(location.search), target = q.get("target");
var results = window.results = { events: 0 };
function form(fields) { var f = new FormData(); Object.keys(fields).forEach(function (k) { f.append(k, fields[k]); }); return f; }
function send(name, url, body) {
  // A "simple" request: the browser sends it with the cookie, without asking first.
  return fetch(target + url, { method: "POST", mode: "no-cors", credentials: "include", body: body })
    .then(function () { results[name] = "sent"; }, function (e) { results[name] = "failed: " + e; });
}
var report = JSON.stringify({ category: "E0102", lon: +q.get("lon"), lat: +q.get("lat"), description: "forged" });
Promise.all([
  send("report", "/api/v1/reports", form({ data: report })),
  q.get("case") ? send("void", "/api/v1/cases/" + q.get("case") + "/void",
                       form({ data: JSON.stringify({ version: +q.get("version"), reason: "forged" }) })) : null,
  fetch(target + "/api/v1/me", { credentials: "include" })
    .then(function (r) { return r.text(); })
    .then(function (t) { results.read = t; }, function (e) { results.read = "failed: " + e; }),
]).then(function () {
  var login = document.getElementById("login");
  document.querySelector("iframe").onload = function () { results.attempted = true; };
  login.action = target + "/api/v1/login";
  login.submit();
});
var socket = io(target, { withCredentials: true, transports: ["websocket"], reconnection: false });
socket.on("connect", function () { results.socket = "connected"; });
socket.on("connect_error", function (e) { results.socket = "refused: " + e.message; });
socket.on("case", function () { results.events += 1; });
</script></body></html>"""

# The same socket attempt from our own page (the control).
OWN_SOCKET = """() => new Promise(resolve => {
  const own = { events: 0 };
  window.own = own;
  const socket = io({ transports: ["websocket"], reconnection: false });
  socket.on("connect", () => { own.socket = "connected"; resolve(); });
  socket.on("connect_error", e => { own.socket = "refused: " + e.message; resolve(); });
  socket.on("case", () => { own.events += 1; });
})"""


@pytest.fixture(scope="module")
def other_site(tmp_path_factory):
    """A second local HTTP server on another port: the other site's page."""
    folder = tmp_path_factory.mktemp("other-site")
    (folder / "index.html").write_text(ATTACK_PAGE, encoding="utf-8")
    shutil.copy(SOCKET_IO, folder / "socket.io.min.js")
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def signed_in_context(browser, live_server: str, username: str):
    # bypass_csp: wait_for_function evaluates in the page, which our own CSP refuses;
    # the attacker's pages come from another server and are not ours to police.
    context = browser.new_context(base_url=live_server, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{live_server}/")
    return context, page


def who_am_i(page) -> str:
    return page.evaluate("fetch('/api/v1/me').then(r => r.json()).then(me => me.username)")


def case_count(demo_app) -> int:
    with demo_app.app_context():
        count = db.session.scalar(select(func.count(Case.id)))
        db.session.remove()
    return count


def case_state(demo_app, case_id: int) -> str:
    with demo_app.app_context():
        state = db.session.get(Case, case_id).state
        db.session.remove()
    return state


def test_a_page_on_another_port_cannot_act_or_listen_as_the_signed_in_user(
    browser,
    live_server,
    other_site,
    demo_app,
    place,  # noqa: F811 - the imported fixture
):
    inspector_http = session_for(live_server, "insp001")
    target = report(inspector_http, live_server, place)  # a case the operator could void
    inspector, inspector_page = signed_in_context(browser, live_server, "insp001")
    operator, operator_page = signed_in_context(browser, live_server, "operator1")
    try:
        cases_before = case_count(demo_app)
        query = f"target={live_server}&lon={place['lon']}&lat={place['lat']}"

        # The inspector's browser opens the other site: a forged report and a forged sign-in.
        evil_for_inspector = inspector.new_page()
        evil_for_inspector.goto(f"{other_site}/?{query}")
        evil_for_inspector.wait_for_function("window.results && window.results.attempted")
        # The operator's browser: a forged void, a read of the API, and the live feed.
        evil_for_operator = operator.new_page()
        evil_for_operator.goto(f"{other_site}/?{query}&case={target['id']}&version={target['version']}")
        evil_for_operator.wait_for_function("window.results.attempted && window.results.socket")
        operator_page.add_script_tag(url="/static/vendor/socket.io-client-4.8.4/socket.io.min.js")
        operator_page.evaluate(OWN_SOCKET)

        # A report the centres hear of, live.
        report(inspector_http, live_server, place)
        operator_page.wait_for_function("window.own.events > 0", timeout=10000)
        evil_for_operator.wait_for_timeout(500)
        evil = evil_for_operator.evaluate("window.results")
        inspector_evil = evil_for_inspector.evaluate("window.results")

        assert evil_for_operator.evaluate("window.own") is None  # the other page is another origin
        assert operator_page.evaluate("window.own.socket") == "connected"  # the control hears it
        assert evil["socket"].startswith("refused"), evil
        assert evil["events"] == 0
        assert evil["read"].startswith("failed"), evil  # the API answer stays unreadable
        assert inspector_evil["report"] == "sent"  # the forged requests did reach the server…
        assert case_count(demo_app) == cases_before + 1  # …and only our own report was filed
        assert case_state(demo_app, target["id"]) == target["state"]  # not voided
        assert who_am_i(inspector_page) == "insp001"  # not signed in as insp002
        assert who_am_i(operator_page) == "operator1"
    finally:
        inspector.close()
        operator.close()
