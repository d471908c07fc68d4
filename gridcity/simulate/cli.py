"""``gridcity simulate``: play a working day against a running server."""

from __future__ import annotations

import datetime as dt
import json

import click

from gridcity.simulate.client import DEMO_PASSWORD


def _span(ctx, param, value):
    from gridcity.simulate.day import parse_span

    try:
        return parse_span(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _time(ctx, param, value):
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use HH:MM") from None


@click.command("simulate")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="the running server")
@click.option(
    "--speed",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="simulated seconds per real second (60: an hour a minute)",
)
@click.option(
    "--duration", default="10h", show_default=True, callback=_span, help="simulated span: 90m, 10h, 600s"
)
@click.option("--start", default="08:00", show_default=True, callback=_time, help="simulated start (local)")
@click.option("--seed", type=int, default=1, show_default=True, help="same seed, same day")
@click.option(
    "--rate",
    type=click.FloatRange(min=0.01),
    default=1.0,
    show_default=True,
    help="multiplies the report rate",
)
@click.option("--password", default=DEMO_PASSWORD, help="the demo users' password")
def simulate(url, speed, duration, start, seed, rate, password):
    """Play a working day through the public API: inspectors report in their
    grids, the centers accept, file and dispatch, units handle, inspectors
    check (some fail: rework), cases close. Ends with a summary and, as its
    last line, a JSON object."""
    from gridcity.simulate.client import ApiError
    from gridcity.simulate.day import Config, Simulation

    config = Config(
        url=url, speed=speed, duration_s=duration, seed=seed, rate=rate, start=start, password=password
    )
    click.echo(
        f"simulating {duration / 3600:g} h from {start:%H:%M} at {speed:g}× against {url} "
        f"(about {duration / speed / 60:.1f} real minutes; seed {seed})"
    )
    try:
        summary = Simulation(config, echo=click.echo).run()
    except (ApiError, RuntimeError) as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot reach {url}: {error}") from None
    click.echo(json.dumps(summary, ensure_ascii=False))
