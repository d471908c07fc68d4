"""How an admin command runs (``gridcity <group> <command>``): in the app
context, one commit on success, a refusal as a clear message. Used by the
commands of every area (gridcity/cli/commands.py, scorecards, privacy)."""

from __future__ import annotations

import functools
from pathlib import Path

import click
from flask.cli import with_appcontext

from gridcity.core.errors import GridCityError
from gridcity.extensions import db


def admin_command(group: click.Group, name: str):
    """A command run in the app context that commits on success and turns a
    refusal into a clear message (exit 1) with a rollback."""

    def decorator(fn):
        @group.command(name)
        @with_appcontext
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
            except GridCityError as error:
                db.session.rollback()
                raise click.ClickException(error.message("en")) from None
            if result is not None:
                click.echo(result)

        return wrapped

    return decorator


def read_text(path: str) -> str:
    """A file given on the command line, as UTF-8 text."""
    return Path(path).read_text(encoding="utf-8")
