"""``gridcity risk``: the overdue-risk model from the command line."""

from __future__ import annotations

import click

from gridcity.core.cli import admin_command

risk_group = click.Group("risk", help="The overdue-risk model (超期风险).")


@admin_command(risk_group, "train")
def train():
    """Train the overdue-risk model now (what the nightly job runs) and score the open cases."""
    from gridcity.risk import services

    run = services.retrain()
    return services.run_summary(run, "en")["message"]
