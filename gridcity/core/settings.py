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
    # Optional basemap tiles; empty means our own boundaries are the only base layer.
    tile_url: str = ""
    # Datum the tile provider draws in: "gcj02" for AMap/Tencent, "wgs84" for OSM.
    tile_datum: str = "wgs84"
    # Digits of district-street-community-sequence in a unit grid code.
    grid_code_layout: str = "6-3-3-3"
    # How often (seconds) a process checks whether the grids changed elsewhere.
    locator_refresh_seconds: float = 2.0
    # "embedded" runs the scheduler inside the web process; "off" leaves it to
    # the dedicated `gridcity scheduler` process.
    scheduler_mode: str = "embedded"
    # How often the deadline sweeper runs.
    sweep_seconds: int = 60
    session_days: int = 30
    # Database connections per process (PostgreSQL): keep pool + overflow at
    # or above the server's threads, and the sum over processes under
    # PostgreSQL's max_connections.
    db_pool_size: int = 10
    db_max_overflow: int = 20
    max_upload_mb: int = 10
    # The most one extension (延期) may add, in the units of the category's
    # deadline clock (hours, working hours or working days).
    max_extension_amount: float = 30.0
    log_level: str = "INFO"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def grid_code_parts(self) -> tuple[int, int, int, int]:
        district, street, community, sequence = (int(p) for p in self.grid_code_layout.split("-"))
        return district, street, community, sequence

    @property
    def grid_code_length(self) -> int:
        return sum(self.grid_code_parts)

    @property
    def resolved_database_url(self) -> str:
        return normalize_database_url(self.database_url) or f"sqlite:///{self.instance_dir / 'gridcity.db'}"

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
        if self.tile_datum not in ("wgs84", "gcj02"):
            raise SettingsError(f"GRIDCITY_TILE_DATUM={self.tile_datum!r}: use wgs84 or gcj02")
        if self.scheduler_mode not in ("embedded", "off"):
            raise SettingsError(f"GRIDCITY_SCHEDULER_MODE={self.scheduler_mode!r}: use embedded or off")
        if not (0 < self.port < 65536):
            raise SettingsError(f"GRIDCITY_PORT={self.port}: not a TCP port")
        if self.locator_refresh_seconds < 0:
            raise SettingsError("GRIDCITY_LOCATOR_REFRESH_SECONDS must not be negative")
        if self.db_pool_size <= 0 or self.db_max_overflow < 0:
            raise SettingsError(
                "GRIDCITY_DB_POOL_SIZE must be positive and GRIDCITY_DB_MAX_OVERFLOW not negative"
            )
        if self.sweep_seconds <= 0:
            raise SettingsError("GRIDCITY_SWEEP_SECONDS must be positive")
        if self.max_upload_mb <= 0:
            raise SettingsError("GRIDCITY_MAX_UPLOAD_MB must be positive")
        if not (0 < self.max_extension_amount <= 1000):
            raise SettingsError("GRIDCITY_MAX_EXTENSION_AMOUNT must be above 0 and at most 1000")


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
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected {type_name.split(' ')[0]}") from None
    return raw
