"""One settings object: defaults in code, overrides from ``GRIDCITY_*`` variables.

Every setting is a typed field of :class:`Settings`. ``Settings.from_env`` parses
the environment once, validates it, and raises :class:`SettingsError` with a
message naming the variable when something is off.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "GRIDCITY_"
REPO_ROOT = Path(__file__).resolve().parents[2]


class SettingsError(ValueError):
    """A setting from the environment or the config mapping is not valid."""


GRID_CODE_LAYOUT_RE = re.compile(r"^\d+-\d+-\d+-\d+$")
ORIGIN_RE = re.compile(r"^https?://[^/\s,]+$")


@dataclass(frozen=True)
class Settings:
    # Where the embedded database, the secret key and media live by default.
    instance_dir: Path = REPO_ROOT / "instance"
    database_url: str = ""
    secret_key: str = ""
    media_dir: Path | None = None
    frontend_dir: Path = REPO_ROOT / "frontend"
    # Socket.IO message queue shared by several web processes (empty: one process).
    redis_url: str = ""
    # The Redis pub/sub channel of that queue: one per deployment (or test) sharing a Redis.
    socketio_channel: str = "gridcity"
    host: str = "127.0.0.1"
    port: int = 5000
    timezone: str = "Asia/Shanghai"
    # The basemap (README "Basemap"): OpenStreetMap's standard tiles unless set;
    # empty switches tiles off (the maps then say no basemap is available and
    # draw our own boundaries only; the tests run so).
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    # Datum the tile provider draws in: "gcj02" for AMap/Tencent (our WGS-84
    # data is shifted to it for drawing), "wgs84" for OSM and 天地图 (CGCS2000).
    tile_datum: str = "wgs84"
    # Shown in the map's corner, as the provider's terms require (plain text).
    tile_attribution: str = "© OpenStreetMap contributors"
    # What {s} in the URLs stands for, one character each (天地图 "01234567", AMap "1234").
    tile_subdomains: str = "abc"
    # A second tile layer drawn over the first: the labels of a provider that
    # serves them apart (天地图 cva_w); empty: none.
    tile_label_url: str = ""
    tile_max_zoom: int = 19
    # Digits of district-street-community-sequence in a unit grid code.
    grid_code_layout: str = "6-3-3-3"
    # How often (seconds) a process checks whether the grids changed elsewhere.
    locator_refresh_seconds: float = 2.0
    # A geography import's check ignores overlaps and gaps smaller than this
    # (m²): the noise where two neighbours' borders were drawn apart.
    geo_sliver_m2: float = 50.0
    # "embedded" runs the scheduler inside the web process; "off" leaves it to
    # the dedicated `gridcity scheduler` process.
    scheduler_mode: str = "embedded"
    # How often the deadline sweeper runs.
    sweep_seconds: int = 60
    # How often a standby `gridcity scheduler` tries to take the lock.
    scheduler_standby_seconds: float = 10.0
    session_days: int = 30
    # Session cookie's Secure flag: "auto" sets it on requests that arrived over
    # HTTPS (directly or per X-Forwarded-Proto), "on" always, "off" never.
    secure_cookies: str = "auto"
    # Other origins (scheme://host[:port], comma-separated) our pages are served
    # from; the request's own origin is always allowed. Everything else may
    # neither change state with the session cookie nor open a live socket.
    allowed_origins: str = ""
    # Database connections per process (PostgreSQL): keep pool + overflow at
    # or above the server's threads, and the sum over processes under
    # PostgreSQL's max_connections.
    db_pool_size: int = 10
    db_max_overflow: int = 20
    # Failing fast when the database is gone or hangs (README "Settings"):
    # libpq's connect timeout, the server's statement_timeout (0: none; the
    # serving processes also give up on a silent connection 1 s after it), the
    # wait for a free pooled connection, SQLite's wait for a write lock.
    db_connect_timeout_seconds: float = 3.0
    db_statement_timeout_seconds: float = 10.0
    db_pool_timeout_seconds: float = 5.0
    db_lock_timeout_seconds: float = 10.0
    # The Retry-After of a 503 while the database cannot answer.
    db_retry_after_seconds: int = 5
    # How long a web process waits at start for the database before it serves.
    db_wait_at_start_seconds: float = 20.0
    # Each /readyz check (database, Redis) gives up after this long.
    health_timeout_seconds: float = 2.0
    # A photo's temp file older than this is a killed upload: removed at
    # start and by the scheduler.
    media_temp_max_age_seconds: int = 300
    max_upload_mb: int = 10
    # The most one extension (延期) may add, in the units of the category's
    # deadline clock (hours, working hours or working days).
    max_extension_amount: float = 30.0
    # A proactive task's (主动治理) form proposes a deadline this many days ahead.
    proactive_default_days: int = 7
    # A report on a component (部件) takes the component's position; the
    # reporter's fix must be within this many metres of it.
    component_report_radius_m: float = 300.0
    log_level: str = "INFO"
    # Privacy: reporters' names and phones are anonymised this many days after
    # their case closed (or was voided / merged); the case and its history stay.
    reporter_retention_days: int = 365
    # Roles that get a photo's original bytes (EXIF position, device) when they
    # may see its case; everyone else gets the copy without that metadata.
    photo_original_roles: str = "operator,shift_leader,dispatcher,manager,admin"
    # Roles that see a hotline caller's phone number whole (they call back);
    # every other role sees it masked (138****5678).
    caller_phone_roles: str = "operator,shift_leader"
    # Operations (issue #19): "text" or "json" log lines (one JSON object per line).
    log_format: str = "text"
    # Bearer token a scraper must send to read /metrics; empty: only clients on
    # this machine (loopback) may read it.
    metrics_token: str = ""
    # How long the case counts of /metrics are reused, so scrapes stay cheap.
    metrics_cache_seconds: float = 15.0
    # Where the dedicated scheduler process serves its own /metrics (port 0: not served).
    scheduler_metrics_host: str = "127.0.0.1"
    scheduler_metrics_port: int = 0
    # Sign-in throttling: this many wrong passwords in a row lock an account
    # for login_lock_minutes (an admin may unlock it sooner) ...
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    # ... and this many refused sign-ins from one address within
    # login_address_window_minutes refuse that address until the window moves on.
    login_address_max_failures: int = 30
    login_address_window_minutes: int = 15
    # How many proxies in front of us set X-Forwarded-For (nginx: 1), so the
    # address counted is the client's and not the proxy's.
    proxy_count: int = 0
    password_min_length: int = 10
    # Live events: a process hands them to a background publisher; at most
    # this many wait for the message queue (the oldest are dropped past it,
    # and clients get them back by resyncing).
    live_queue_size: int = 10000
    # Connect / read timeout of the publisher's Redis connection.
    redis_timeout_seconds: float = 1.0
    # Engine.IO heartbeats: a ping every interval; a socket silent for the
    # timeout after it is closed. Generous, so a busy CPU delays rather than drops.
    socketio_ping_interval: float = 25.0
    socketio_ping_timeout: float = 60.0
    # A socket with more packets than this waiting to be written is lagging:
    # it gets the latest state per case once it has caught up, not every event.
    live_lag_packets: int = 20
    # Report intake (POST /api/v1/reports, Open311 POST requests): at most this
    # many at once per process, fewer while recent ones take over a third of
    # the budget; a report that finds no place waits a fifth of the budget at
    # most, then is answered 503 with Retry-After (gridcity.cases.admission).
    intake_max_inflight: int = 12
    intake_latency_budget_ms: int = 1000
    intake_retry_after_seconds: int = 5
    # The TrueType font (.ttf, or the first face of a .ttc) the PDF reports
    # embed, so Chinese shows in any viewer (Debian: fonts-wqy-microhei).
    pdf_font_path: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    # The wall screen (大屏) sets the month's on-time closure rate against this
    # target, in percent (no table holds one; the city's own goal).
    screen_on_time_target: float = 90.0
    # Its hotspot board: decision support's hotspots (gridcity/analysis) of the
    # last ``screen_hotspot_days`` local days, the whole city, worked out again
    # at most every ``screen_hotspot_seconds`` per process (every screen reloads
    # its boards each minute; a city's month of cases takes seconds).
    screen_hotspot_days: int = 30
    screen_hotspot_seconds: int = 300
    # Overdue risk (gridcity/risk): the local hour after which the nightly
    # retraining runs (once a day), the least history it trains on (finished or
    # already late dispatches, and of those the late ones), the days held out
    # to check it, how often the open cases' risks are scored again, the
    # levels 高 / 中 (percent; below: 低) and the least weight (log-odds) a
    # factor needs to be named in the drawer.
    risk_train_hour: int = 2
    risk_min_history: int = 200
    risk_min_late: int = 20
    risk_holdout_days: int = 30
    risk_score_seconds: int = 600
    risk_high_percent: float = 50.0
    risk_medium_percent: float = 20.0
    risk_factor_min_weight: float = 0.1
    # Decision support (决策建议, gridcity/analysis): a hotspot is at least
    # ``analysis_min_cases`` cases of one category, each within
    # ``analysis_eps_m`` metres and ``analysis_eps_days`` days of a neighbour
    # (DBSCAN); a case recurs (反复发生) when its category came back to the
    # same unit grid (or component) within ``analysis_recurrence_days`` of a
    # close. Each can be overridden per request.
    analysis_eps_m: float = 100.0
    analysis_eps_days: float = 7.0
    analysis_min_cases: int = 5
    analysis_recurrence_days: int = 30
    # The citizens' app (/p/, issue 18, gridcity/public): how one-time codes
    # reach a phone: "console" (development: logged, the last code per phone
    # kept for tests) or "gateway" (an HTTP POST to public_sms_gateway_url with
    # the bearer token, JSON {"phone", "text"}; README "Citizens' app").
    public_sms_sender: str = "console"
    public_sms_gateway_url: str = ""
    public_sms_gateway_token: str = ""
    # A code lasts this long and may be tried this often.
    public_code_minutes: int = 10
    public_code_max_attempts: int = 5
    # Reports without a confirmed phone (off unless the city allows them).
    public_anonymous_reports: bool = False
    # Abuse limits: codes asked per phone per hour, reports (and "me too") per
    # phone per hour and per day, and per address per hour (answered 429).
    public_codes_per_phone_hour: int = 5
    public_codes_per_address_hour: int = 20
    public_reports_per_phone_hour: int = 5
    public_reports_per_phone_day: int = 10
    public_reports_per_address_hour: int = 20
    # A citizen's signed-in cookie lasts this many days.
    public_session_days: int = 30
    # Citizens may ask for a message on each public step of their report;
    # its link starts with this address (e.g. https://city.example.cn).
    public_step_notices: bool = True
    public_base_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def grid_code_parts(self) -> tuple[int, int, int, int]:
        district, street, community, sequence = (int(p) for p in self.grid_code_layout.split("-"))
        return district, street, community, sequence

    @property
    def grid_code_length(self) -> int:
        return sum(self.grid_code_parts)

    @property
    def allowed_origin_list(self) -> tuple[str, ...]:
        return tuple(o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip())

    @property
    def resolved_database_url(self) -> str:
        return normalize_database_url(self.database_url) or f"sqlite:///{self.instance_dir / 'gridcity.db'}"

    @property
    def photo_original_role_set(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.photo_original_roles.split(",") if r.strip())

    @property
    def caller_phone_role_set(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.caller_phone_roles.split(",") if r.strip())

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir or self.instance_dir / "media"

    @classmethod
    def env_names(cls) -> set[str]:
        """The environment variables this object reads."""
        return {ENV_PREFIX + f.name.upper() for f in dataclasses.fields(cls) if f.name != "extra"}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name == "extra":
                continue
            name = ENV_PREFIX + f.name.upper()
            if name in environ:
                values[f.name] = _parse(name, environ[name], f.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name in ("instance_dir", "media_dir", "frontend_dir"):
            if isinstance(values.get(name), str):
                values[name] = Path(values[name]).expanduser().resolve()
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if not GRID_CODE_LAYOUT_RE.match(self.grid_code_layout):
            raise SettingsError(
                f"GRIDCITY_GRID_CODE_LAYOUT={self.grid_code_layout!r}: expected four digit "
                "counts like 6-3-3-3 (district-street-community-sequence)"
            )
        for name in ("tile_url", "tile_label_url"):
            url = getattr(self, name)
            if url and not (url.startswith(("https://", "http://", "/")) and "{z}" in url):
                raise SettingsError(
                    f"GRIDCITY_{name.upper()}={url!r}: expected an http(s) URL template with "
                    "{z}, {x} and {y} (or empty for none)"
                )
        if not (1 <= self.tile_max_zoom <= 22):
            raise SettingsError(f"GRIDCITY_TILE_MAX_ZOOM={self.tile_max_zoom}: use 1-22")
        if self.tile_datum not in ("wgs84", "gcj02"):
            raise SettingsError(f"GRIDCITY_TILE_DATUM={self.tile_datum!r}: use wgs84 or gcj02")
        if self.scheduler_mode not in ("embedded", "off"):
            raise SettingsError(f"GRIDCITY_SCHEDULER_MODE={self.scheduler_mode!r}: use embedded or off")
        if not (0 <= self.risk_train_hour <= 23):
            raise SettingsError(f"GRIDCITY_RISK_TRAIN_HOUR={self.risk_train_hour}: use an hour 0-23")
        if not (0 < self.risk_medium_percent < self.risk_high_percent <= 100):
            raise SettingsError(
                f"GRIDCITY_RISK_MEDIUM_PERCENT={self.risk_medium_percent:g} and GRIDCITY_RISK_HIGH_PERCENT="
                f"{self.risk_high_percent:g}: expected 0 < medium < high ≤ 100"
            )
        if self.risk_min_history < 2 or self.risk_min_late < 1 or self.risk_score_seconds < 1:
            raise SettingsError(
                "GRIDCITY_RISK_MIN_HISTORY (≥ 2), GRIDCITY_RISK_MIN_LATE (≥ 1) and "
                "GRIDCITY_RISK_SCORE_SECONDS (≥ 1) are out of range"
            )
        if not (0 < self.screen_on_time_target <= 100):
            raise SettingsError(
                f"GRIDCITY_SCREEN_ON_TIME_TARGET={self.screen_on_time_target}: a percentage above 0, at most 100"
            )
        if not (1 <= self.screen_hotspot_days <= 366) or self.screen_hotspot_seconds < 0:
            raise SettingsError(
                "GRIDCITY_SCREEN_HOTSPOT_DAYS (1–366) and GRIDCITY_SCREEN_HOTSPOT_SECONDS (≥ 0) are out of range"
            )
        if self.analysis_eps_m <= 0 or self.analysis_eps_days <= 0:
            raise SettingsError("GRIDCITY_ANALYSIS_EPS_M and GRIDCITY_ANALYSIS_EPS_DAYS must be positive")
        if self.analysis_min_cases < 2 or self.analysis_recurrence_days < 1:
            raise SettingsError(
                "GRIDCITY_ANALYSIS_MIN_CASES must be at least 2 and GRIDCITY_ANALYSIS_RECURRENCE_DAYS at least 1"
            )
        if self.public_sms_sender not in ("console", "gateway"):
            raise SettingsError(
                f"GRIDCITY_PUBLIC_SMS_SENDER={self.public_sms_sender!r}: use console or gateway"
            )
        if self.public_sms_sender == "gateway" and not self.public_sms_gateway_url.startswith(
            ("https://", "http://")
        ):
            raise SettingsError("GRIDCITY_PUBLIC_SMS_GATEWAY_URL: the gateway sender needs an http(s) URL")
        if (
            min(
                self.public_code_minutes,
                self.public_code_max_attempts,
                self.public_codes_per_phone_hour,
            self.public_codes_per_address_hour,
                self.public_reports_per_phone_hour,
                self.public_reports_per_phone_day,
                self.public_reports_per_address_hour,
                self.public_session_days,
            )
            < 1
        ):
            raise SettingsError("GRIDCITY_PUBLIC_* limits and durations must be at least 1")
        if not (0 < self.port < 65536):
            raise SettingsError(f"GRIDCITY_PORT={self.port}: not a TCP port")
        if self.locator_refresh_seconds < 0:
            raise SettingsError("GRIDCITY_LOCATOR_REFRESH_SECONDS must not be negative")
        if self.geo_sliver_m2 < 0:
            raise SettingsError("GRIDCITY_GEO_SLIVER_M2 must not be negative")
        if self.db_pool_size <= 0 or self.db_max_overflow < 0:
            raise SettingsError(
                "GRIDCITY_DB_POOL_SIZE must be positive and GRIDCITY_DB_MAX_OVERFLOW not negative"
            )
        if self.scheduler_standby_seconds <= 0:
            raise SettingsError("GRIDCITY_SCHEDULER_STANDBY_SECONDS must be positive")
        if self.sweep_seconds <= 0:
            raise SettingsError("GRIDCITY_SWEEP_SECONDS must be positive")
        if self.db_connect_timeout_seconds <= 0 or self.db_pool_timeout_seconds <= 0:
            raise SettingsError(
                "GRIDCITY_DB_CONNECT_TIMEOUT_SECONDS and GRIDCITY_DB_POOL_TIMEOUT_SECONDS must be positive"
            )
        if self.db_statement_timeout_seconds < 0 or self.db_wait_at_start_seconds < 0:
            raise SettingsError(
                "GRIDCITY_DB_STATEMENT_TIMEOUT_SECONDS and GRIDCITY_DB_WAIT_AT_START_SECONDS must not be negative"
            )
        if self.db_lock_timeout_seconds <= 0 or self.db_retry_after_seconds <= 0:
            raise SettingsError(
                "GRIDCITY_DB_LOCK_TIMEOUT_SECONDS and GRIDCITY_DB_RETRY_AFTER_SECONDS must be positive"
            )
        if self.health_timeout_seconds <= 0 or self.media_temp_max_age_seconds <= 0:
            raise SettingsError(
                "GRIDCITY_HEALTH_TIMEOUT_SECONDS and GRIDCITY_MEDIA_TEMP_MAX_AGE_SECONDS must be positive"
            )
        if self.secure_cookies not in ("auto", "on", "off"):
            raise SettingsError(f"GRIDCITY_SECURE_COOKIES={self.secure_cookies!r}: use auto, on or off")
        bad = [o for o in self.allowed_origin_list if not ORIGIN_RE.match(o)]
        if bad:
            raise SettingsError(
                f"GRIDCITY_ALLOWED_ORIGINS: {', '.join(bad)} is not an origin like https://gc.example.cn"
            )
        if self.max_upload_mb <= 0:
            raise SettingsError("GRIDCITY_MAX_UPLOAD_MB must be positive")
        if self.reporter_retention_days <= 0:
            raise SettingsError("GRIDCITY_REPORTER_RETENTION_DAYS must be positive")
        from gridcity.org.models import Role

        unknown = self.photo_original_role_set - {r.value for r in Role}
        if unknown:
            raise SettingsError(
                f"GRIDCITY_PHOTO_ORIGINAL_ROLES: unknown role(s) {', '.join(sorted(unknown))}; "
                f"use a comma list of {', '.join(r.value for r in Role)}"
            )
        unknown = self.caller_phone_role_set - {r.value for r in Role}
        if unknown:
            raise SettingsError(
                f"GRIDCITY_CALLER_PHONE_ROLES: unknown role(s) {', '.join(sorted(unknown))}; "
                f"use a comma list of {', '.join(r.value for r in Role)}"
            )
        if self.log_format not in ("text", "json"):
            raise SettingsError(f"GRIDCITY_LOG_FORMAT={self.log_format!r}: use text or json")
        if self.metrics_cache_seconds < 0:
            raise SettingsError("GRIDCITY_METRICS_CACHE_SECONDS must not be negative")
        if not (0 <= self.scheduler_metrics_port < 65536):
            raise SettingsError(
                f"GRIDCITY_SCHEDULER_METRICS_PORT={self.scheduler_metrics_port}: not a TCP port"
            )
        for name in (
            "login_max_failures",
            "login_lock_minutes",
            "login_address_max_failures",
            "login_address_window_minutes",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"GRIDCITY_{name.upper()} must be positive")
        if self.proxy_count < 0:
            raise SettingsError("GRIDCITY_PROXY_COUNT must not be negative")
        if self.password_min_length < 6:
            raise SettingsError("GRIDCITY_PASSWORD_MIN_LENGTH must be at least 6")
        self._validate_live()

    def _validate_live(self) -> None:
        positive = (
            "live_queue_size",
            "redis_timeout_seconds",
            "socketio_ping_interval",
            "socketio_ping_timeout",
            "live_lag_packets",
            "intake_max_inflight",
            "intake_latency_budget_ms",
            "intake_retry_after_seconds",
            "component_report_radius_m",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()} must be positive")
        if not (0 < self.max_extension_amount <= 1000):
            raise SettingsError("GRIDCITY_MAX_EXTENSION_AMOUNT must be above 0 and at most 1000")
        if not (1 <= self.proactive_default_days <= 366):
            raise SettingsError("GRIDCITY_PROACTIVE_DEFAULT_DAYS must be 1 to 366")


def normalize_database_url(url: str) -> str:
    """The stack's driver is psycopg2; SQLAlchemy 2.1 would pick psycopg 3 for
    a bare ``postgresql://`` URL."""
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg2://" + url[len(bare) :]
    return url


def _parse(name: str, raw: str, type_name: Any) -> Any:
    type_name = str(type_name)
    try:
        if type_name.startswith("int"):
            return int(raw)
        if type_name.startswith("float"):
            return float(raw)
        if type_name.startswith("Path"):
            return Path(raw).expanduser().resolve() if raw else None
        if type_name.startswith("bool"):
            if raw.strip().lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
                raise ValueError(raw)
            return raw.strip().lower() in ("1", "true", "yes", "on")
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected {type_name.split(' ')[0]}") from None
    return raw
