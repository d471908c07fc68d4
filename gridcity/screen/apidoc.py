"""The wall screen's operation in the OpenAPI document (listed by
``gridcity/core/openapi.py``)."""

from __future__ import annotations


def screen_operations() -> list:
    from gridcity.core.apidoc import Op, ok
    from gridcity.screen.views import SCREEN_ROLES

    return [
        Op("get", "/screen", "screen_api.screen_state",
           "The wall screen (大屏): today's figures, the month's on-time rate, worst units, contest, latest events",
           ok(), SCREEN_ROLES,
           description="The page /screen/ loads it, draws the open cases from /dispatch/map, applies live `case` "
                       "events after `seq` and loads both again after a reconnect. No personal data."),
    ]  # fmt: skip
