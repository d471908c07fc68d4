"""The privacy settings: the retention period and the roles that get photos'
originals, read from the environment and checked at start-up."""

from __future__ import annotations

import pytest

from gridcity.core.settings import Settings, SettingsError


def test_privacy_settings_from_the_environment():
    settings = Settings.from_env(
        {"GRIDCITY_REPORTER_RETENTION_DAYS": "180", "GRIDCITY_PHOTO_ORIGINAL_ROLES": "admin, manager"}
    )
    assert settings.reporter_retention_days == 180
    assert settings.photo_original_role_set == {"admin", "manager"}
    assert Settings.from_env({}).photo_original_role_set == {
        "operator",
        "shift_leader",
        "dispatcher",
        "manager",
        "admin",
    }


@pytest.mark.parametrize(
    "env,named",
    [
        ({"GRIDCITY_REPORTER_RETENTION_DAYS": "0"}, "GRIDCITY_REPORTER_RETENTION_DAYS"),
        ({"GRIDCITY_REPORTER_RETENTION_DAYS": "a year"}, "GRIDCITY_REPORTER_RETENTION_DAYS"),
        ({"GRIDCITY_PHOTO_ORIGINAL_ROLES": "admin,citizen"}, "GRIDCITY_PHOTO_ORIGINAL_ROLES.*citizen"),
    ],
)
def test_bad_privacy_settings_name_the_variable(env, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)
