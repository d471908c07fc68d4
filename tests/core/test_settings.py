"""Settings from GRIDCITY_* variables, and docker-compose kept in step with them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gridcity.core.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_environment_overrides_defaults():
    settings = Settings.from_env(
        {
            "GRIDCITY_PORT": "8080",
            "GRIDCITY_DATABASE_URL": "postgresql://db/x",
            "GRIDCITY_LOCATOR_REFRESH_SECONDS": "0.5",
        }
    )
    assert settings.port == 8080
    assert settings.locator_refresh_seconds == 0.5
    assert settings.resolved_database_url == "postgresql+psycopg2://db/x"
    assert Settings.from_env({}).resolved_database_url.startswith("sqlite:///")


@pytest.mark.parametrize(
    "env,named",
    [
        ({"GRIDCITY_PORT": "eighty"}, "GRIDCITY_PORT"),
        ({"GRIDCITY_PORT": "70000"}, "GRIDCITY_PORT"),
        ({"GRIDCITY_GRID_CODE_LAYOUT": "15"}, "GRIDCITY_GRID_CODE_LAYOUT"),
        ({"GRIDCITY_TILE_DATUM": "bd09"}, "GRIDCITY_TILE_DATUM"),
        ({"GRIDCITY_SCHEDULER_MODE": "sometimes"}, "GRIDCITY_SCHEDULER_MODE"),
        ({"GRIDCITY_GEO_SLIVER_M2": "-1"}, "GRIDCITY_GEO_SLIVER_M2"),
    ],
)
def test_bad_values_name_the_variable(env, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)


def test_every_variable_docker_compose_sets_is_read_by_the_settings():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    ours = [
        s for s in compose["services"].values() if s.get("build") or "gridcity" in str(s.get("image", ""))
    ]
    assert len(ours) >= 2  # web and scheduler at least
    known = Settings.env_names()
    for service in ours:
        env = service.get("environment") or {}
        names = list(env) if isinstance(env, dict) else [e.split("=", 1)[0] for e in env]
        assert names, "our services are configured through the environment"
        assert set(names) <= known, f"not read by Settings: {sorted(set(names) - known)}"
