"""The ``gridcity`` command (the console script ``gridcity.cli:main``): a
Flask command group over an app made by the factory, whose commands are those
the factory adds (gridcity/cli/commands.py)."""

from __future__ import annotations

from flask.cli import FlaskGroup


def _create_app():
    from gridcity import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=False, help="GridCity administration.")
