"""``gridcity proactive …``: raise a proactive task (主动治理) through the
same service as the API and the form."""

from __future__ import annotations

import datetime as dt

import click

from gridcity.core.cli import admin_command
from gridcity.core.errors import GridCityError

proactive_group = click.Group("proactive", help="Proactive tasks (主动治理) from hotspots and recurrences.")


@admin_command(proactive_group, "create")
@click.option("--by", "username", required=True, help="the manager raising it (user name)")
@click.option("--title", required=True)
@click.option("--description", default="")
@click.option("--unit", required=True, help="the responsible unit's code")
@click.option("--deadline", required=True, help="YYYY-MM-DD HH:MM, city time")
@click.option("--basis", type=click.Choice(["hotspot", "recurrence"]), required=True)
@click.option("--id", "ref", required=True, help="the hotspot's or recurrence's id")
@click.option("--cases", required=True, help="the basis case numbers (案卷编号), comma-separated")
@click.option("--category", default=None, help="category code; default: the basis cases' own")
def create(username, title, description, unit, deadline, basis, ref, cases, category):
    """Raise a task: a case filed and dispatched at once to the unit."""
    from gridcity.cases.services import case_by_number
    from gridcity.org.services import get_user
    from gridcity.proactive import services
    from gridcity.web.formats import city_zone

    try:
        moment = dt.datetime.strptime(deadline.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=city_zone())
    except ValueError:
        raise GridCityError("bad_request", detail="--deadline is YYYY-MM-DD HH:MM") from None
    ids = tuple(case_by_number(n).id for n in cases.split(",") if n.strip())
    task = services.create_proactive_task(
        get_user(username),
        title,
        description,
        unit,
        moment,
        None,
        services.Basis(basis, ref, ids),
        category=category,
    )
    case = task.case
    return f"raised case {case.number}: dispatched to {case.unit.name}, due {moment:%Y-%m-%d %H:%M}"
