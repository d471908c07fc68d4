"""Prometheus metrics: what each process counts, and the ``/metrics`` page.

Every process keeps its own numbers (no shared state): each web process is
scraped on its own port, and the dedicated scheduler process serves its own on
``GRIDCITY_SCHEDULER_METRICS_PORT``. Counters and histograms move where the
thing happens (a request, a report, a socket, a live event, a job); the case
counts and the database pool are read when scraped. Labels carry names from a
short fixed set (endpoint names, states, sources, job ids), never ids or
personal data.

Reading needs ``Authorization: Bearer <GRIDCITY_METRICS_TOKEN>``; with no
token set, only loopback clients may read.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, make_wsgi_app
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

from gridcity.core.errors import Forbidden
from gridcity.core.i18n import translate

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- what is counted

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUESTS = Counter(
    "gridcity_http_requests",
    "HTTP requests answered, by endpoint (the Flask endpoint name), method and status.",
    ["endpoint", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "gridcity_http_request_duration_seconds",
    "Time from a request's arrival to its answer, by endpoint and method.",
    ["endpoint", "method"],
)
SOCKETS_OPEN = Gauge("gridcity_sockets_open", "Socket.IO connections open on this process.")
SOCKET_DISCONNECTS = Counter(
    "gridcity_socket_disconnects", "Socket.IO connections that ended on this process, by reason.", ["reason"]
)
# The reasons python-socketio names (socketio.Server.reason); anything else is "other".
DISCONNECT_REASONS = frozenset(
    {"client disconnect", "server disconnect", "ping timeout", "transport close", "transport error"}
)
LIVE_PUBLISHED = Counter(
    "gridcity_live_events_published", "Live case events this process handed to Socket.IO after a commit."
)
LIVE_DELIVERED = Counter(
    "gridcity_live_events_delivered", "Live events sent to sockets of this process (one per socket reached)."
)
REPORTS = Counter("gridcity_reports", "New cases made from reports (上报), by source.", ["source"])
JOB_SECONDS = Histogram(
    "gridcity_job_duration_seconds",
    "Run time of a periodic job (the deadline sweeper, the scorecard freeze), by job id.",
    # Not "job": Prometheus gives that label to the scrape target.
    ["name"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
JOB_FAILURES = Counter("gridcity_job_failures", "Periodic job runs that raised, by job id.", ["name"])
JOB_LAST_SUCCESS = Gauge(
    "gridcity_job_last_success_timestamp_seconds",
    "When a job last finished without error (Unix time).",
    ["name"],
)
SCHEDULER_LEADER = Gauge(
    "gridcity_scheduler_leader", "1 while this process holds the scheduler lock and runs the periodic jobs."
)


def count_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    endpoint = endpoint or "unmatched"  # 404s of unknown paths share one series
    method = method if method in HTTP_METHODS else "other"
    REQUESTS.labels(endpoint, method, str(status)).inc()
    REQUEST_SECONDS.labels(endpoint, method).observe(seconds)


def socket_closed(reason: object) -> None:
    SOCKETS_OPEN.dec()
    SOCKET_DISCONNECTS.labels(reason if reason in DISCONNECT_REASONS else "other").inc()


@contextmanager
def job_timer(job_id: str) -> Iterator[None]:
    """Times one run of a periodic job and notes its success or failure."""
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        JOB_FAILURES.labels(job_id).inc()
        raise
    else:
        JOB_LAST_SUCCESS.labels(job_id).set_to_current_time()
    finally:
        JOB_SECONDS.labels(job_id).observe(time.perf_counter() - started)


# ---------------------------------------------------------------- read when scraped


class CaseCounts:
    """Cases by state, and open cases warned (预警) and overdue (超期), from one
    grouped query, reused for ``metrics_cache_seconds`` so that several scrapers
    (or several web processes) do not load the database."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._read_at = -float("inf")
        self._rows: list[tuple[str, int, int, int]] = []

    def collect(self):
        from gridcity.cases import states

        rows = self._rows_cached()
        if rows is None:
            return
        by_state = {state: 0 for state in states.STATES}
        warned = overdue = 0
        for state, count, n_warned, n_overdue in rows:
            by_state[state] = by_state.get(state, 0) + count
            if state in states.OPEN_STATES:
                warned += n_warned
                overdue += n_overdue
        cases = GaugeMetricFamily("gridcity_cases", "Cases by state.", labels=["state"])
        for state, count in sorted(by_state.items()):
            cases.add_metric([state], count)
        yield cases
        yield GaugeMetricFamily(
            "gridcity_cases_warned",
            "Open cases past their warning time (预警), not yet overdue.",
            value=warned,
        )
        yield GaugeMetricFamily(
            "gridcity_cases_overdue", "Open cases past their deadline (超期).", value=overdue
        )

    def _rows_cached(self) -> list[tuple[str, int, int, int]] | None:
        max_age = self.app.config["SETTINGS"].metrics_cache_seconds
        with self._lock:
            if time.monotonic() - self._read_at >= max_age:
                try:
                    self._rows = self._query()
                except SQLAlchemyError:
                    log.warning("case counts for /metrics not read", exc_info=True)
                    return None
                self._read_at = time.monotonic()
            return self._rows

    def _query(self) -> list[tuple[str, int, int, int]]:
        from gridcity.cases.models import Case
        from gridcity.extensions import db

        c = Case.__table__.c
        statement = select(
            c.state,
            func.count(),
            func.sum(case((c.warned.is_(True) & c.overdue.is_(False), 1), else_=0)),
            func.sum(case((c.overdue.is_(True), 1), else_=0)),
        ).group_by(c.state)
        with self.app.app_context(), db.engine.connect() as connection:
            return [(s, int(n), int(w or 0), int(o or 0)) for s, n, w, o in connection.execute(statement)]


class PoolUse:
    """The SQLAlchemy connection pool of this process: size, checked out, overflow."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):
        from gridcity.extensions import db

        with self.app.app_context():
            pool = db.engine.pool
        if not hasattr(pool, "checkedout"):  # e.g. SQLite's in-memory pools
            return
        for name, text, value in (
            ("gridcity_db_pool_size", "Connections the pool keeps open.", pool.size()),
            ("gridcity_db_pool_checked_out", "Connections in use by requests or jobs.", pool.checkedout()),
            ("gridcity_db_pool_checked_in", "Open connections waiting in the pool.", pool.checkedin()),
            # SQLAlchemy counts from -size up; only the connections beyond the size are overflow.
            ("gridcity_db_pool_overflow", "Connections open beyond the pool size.", max(pool.overflow(), 0)),
        ):
            yield GaugeMetricFamily(name, text, value=value)


class _ProcessMetrics:
    """Everything registered in prometheus_client's process-wide registry."""

    def collect(self):
        return REGISTRY.collect()


def build_registry(app: Flask, case_counts: bool = True) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessMetrics())
    registry.register(PoolUse(app))
    if case_counts:
        registry.register(CaseCounts(app))
    return registry


# ---------------------------------------------------------------- who may read


def may_read(token: str, authorization: str, remote_addr: str | None) -> bool:
    if token:
        scheme, _, given = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    try:
        return ipaddress.ip_address(remote_addr or "").is_loopback
    except ValueError:
        return False


bp = Blueprint("ops_metrics", __name__)


@bp.get("/metrics")
def metrics_page():
    settings = current_app.config["SETTINGS"]
    if not may_read(settings.metrics_token, request.headers.get("Authorization", ""), request.remote_addr):
        raise Forbidden("metrics_forbidden")
    body = generate_latest(current_app.extensions["gridcity_metrics"])
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    """The /metrics page of a web process. (Requests are counted by the access
    line's hook in ``request_log``, which already times them.)"""
    from gridcity.extensions import socketio

    app.extensions["gridcity_metrics"] = build_registry(app)
    app.register_blueprint(bp)
    _count_socket_deliveries(socketio.server.manager)


def _count_socket_deliveries(manager) -> None:
    """Count each socket an emit reaches. Every emit of python-socketio's
    managers (from this process or from the message queue) enumerates its
    recipients through ``get_participants``, which custom managers provide."""
    if getattr(manager, "_gridcity_counted", False):
        return
    participants = manager.get_participants

    def counted(namespace, room):
        for participant in participants(namespace, room):
            LIVE_DELIVERED.inc()
            yield participant

    manager.get_participants = counted
    manager._gridcity_counted = True


# ---------------------------------------------------------------- the scheduler process


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # scrapes every few seconds: not worth a line each
        pass


def serve_process_metrics(app: Flask) -> WSGIServer | None:
    """The scheduler process has no web server: serve its metrics on
    ``GRIDCITY_SCHEDULER_METRICS_HOST:PORT`` from a daemon thread, behind the
    same token rule as /metrics."""
    settings = app.config["SETTINGS"]
    if not settings.scheduler_metrics_port:
        return None
    exposition = make_wsgi_app(build_registry(app, case_counts=False))

    def guarded(environ, start_response):
        if may_read(
            settings.metrics_token, environ.get("HTTP_AUTHORIZATION", ""), environ.get("REMOTE_ADDR")
        ):
            return exposition(environ, start_response)
        body = json.dumps(
            {"error": "metrics_forbidden", "message": translate("metrics_forbidden", "en")},
            ensure_ascii=False,
        ).encode()
        start_response(
            "403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    server = make_server(
        settings.scheduler_metrics_host,
        settings.scheduler_metrics_port,
        guarded,
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info(
        "metrics on http://%s:%d/metrics", settings.scheduler_metrics_host, settings.scheduler_metrics_port
    )
    return server
