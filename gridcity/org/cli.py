"""The ``gridcity org`` unit commands and the ``gridcity geo`` organisation
commands (areas, work groups, work grids): the same services as the admin
console (gridcity/org/units.py, gridcity/geo/organisation.py), each change
audited. gridcity/cli/commands.py adds them to its ``org`` and ``geo`` groups."""

from __future__ import annotations

import click

from gridcity.core.cli import admin_command

# Holders only: register_cli moves their commands into the real groups.
unit_commands = click.Group("org")
organisation_commands = click.Group("geo")


def _street_id(full_code: str | None):
    if full_code is None:
        return None
    if full_code == "":
        return ""
    from gridcity.geo.services import find_street

    return find_street(full_code).id


def _given(**values) -> dict:
    return {k: v for k, v in values.items() if v is not None}


@admin_command(unit_commands, "update-unit")
@click.option("--code", required=True, help="the unit's code")
@click.option("--name")
@click.option("--kind")
@click.option("--contact-name")
@click.option("--contact-phone")
@click.option("--street", help="a street office's street (full code; '' for none)")
def update_unit(code, name, kind, contact_name, contact_phone, street):
    """Change a responsible unit's name, kind, contacts or street (audited)."""
    from gridcity.org import units

    unit = units.unit_by_code(code)
    changes = _given(name=name, kind=kind, contact_name=contact_name, contact_phone=contact_phone)
    if street is not None:
        changes["street_id"] = _street_id(street)
    units.edit_unit(unit.id, None, **changes)
    return f"unit {code} changed"


@admin_command(unit_commands, "deactivate-unit")
@click.option("--code", required=True)
def deactivate_unit(code):
    """Stop dispatching to a unit (refused while responsibility rules name it); never deleted."""
    from gridcity.org import units

    units.deactivate_unit(units.unit_by_code(code).id)
    return f"unit {code} deactivated: no new dispatches or rules go to it; its cases stay"


@admin_command(unit_commands, "reactivate-unit")
@click.option("--code", required=True)
def reactivate_unit(code):
    """Let a deactivated unit take cases again."""
    from gridcity.org import units

    units.reactivate_unit(units.unit_by_code(code).id)
    return f"unit {code} reactivated"


@admin_command(organisation_commands, "update-area")
@click.option("--code", required=True)
@click.option("--name")
@click.option("--street", help="full street code; '' for none")
@click.option("--head", help="the area head's user name; '' for none")
def update_area(code, name, street, head):
    """Change an area's (片区) name, street or head (audited)."""
    from gridcity.geo import organisation
    from gridcity.geo.models import Area

    area = organisation.by_code(Area, code, "area")
    changes = _given(name=name, head=head)
    if street is not None:
        changes["street_id"] = _street_id(street)
    organisation.edit_area(area.id, None, **changes)
    return f"area {code} changed"


@admin_command(organisation_commands, "update-work-group")
@click.option("--code", required=True)
@click.option("--name")
@click.option("--area", "area_code")
@click.option("--leader", help="the group leader's user name; '' for none")
def update_work_group(code, name, area_code, leader):
    """Change a work group's (工作小组) name, area or leader (audited)."""
    from gridcity.geo import organisation
    from gridcity.geo.models import Area, WorkGroup

    group = organisation.by_code(WorkGroup, code, "work_group")
    changes = _given(name=name, leader=leader)
    if area_code is not None:
        changes["area_id"] = organisation.by_code(Area, area_code, "area").id
    organisation.edit_work_group(group.id, None, **changes)
    return f"work group {code} changed"


@admin_command(organisation_commands, "create-work-grid")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--area", "area_code", required=True)
@click.option("--work-group", "group_code")
def create_work_grid(code, name, area_code, group_code):
    """Create an empty work grid (工作网格); give it unit grids with assign-unit-grids."""
    from gridcity.geo import organisation
    from gridcity.geo.models import Area, WorkGroup

    area = organisation.by_code(Area, area_code, "area")
    group = organisation.by_code(WorkGroup, group_code, "work_group").id if group_code else None
    organisation.add_work_grid(code, name, area.id, group)
    return f"work grid {code} created"


@admin_command(organisation_commands, "update-work-grid")
@click.option("--code", required=True)
@click.option("--name")
@click.option("--area", "area_code")
@click.option("--work-group", "group_code", help="'' for none")
def update_work_grid(code, name, area_code, group_code):
    """Change a work grid's name, area or work group (audited)."""
    from gridcity.geo import organisation
    from gridcity.geo.models import Area, WorkGrid, WorkGroup

    work_grid = organisation.by_code(WorkGrid, code, "work_grid")
    changes = _given(name=name)
    if area_code is not None:
        changes["area_id"] = organisation.by_code(Area, area_code, "area").id
    if group_code is not None:
        changes["work_group_id"] = (
            organisation.by_code(WorkGroup, group_code, "work_group").id if group_code else None
        )
    organisation.edit_work_grid(work_grid.id, None, **changes)
    return f"work grid {code} changed"


@admin_command(organisation_commands, "assign-unit-grids")
@click.option("--work-grid", "code", required=True)
@click.argument("unit_grids", nargs=-1)
@click.option("--add", "mode", flag_value="add", default=True, help="add these unit grids (default)")
@click.option("--remove", "mode", flag_value="remove", help="take these unit grids out")
@click.option("--set", "mode", flag_value="set", help="these are all its unit grids")
@click.option("--confirm-moves", is_flag=True, help="take unit grids from other work grids")
def assign_unit_grids(code, unit_grids, mode, confirm_moves):
    """Give a work grid unit grids (by code); moving one from another work
    grid needs --confirm-moves. Shapes and the locator follow (audited)."""
    from gridcity.geo import organisation
    from gridcity.geo.models import WorkGrid

    work_grid = organisation.by_code(WorkGrid, code, "work_grid")
    named = organisation.unit_grid_ids_by_codes(list(unit_grids))
    current = organisation.unit_grid_ids_of(work_grid.id)
    wanted = {
        "add": sorted(set(current) | set(named)),
        "remove": sorted(set(current) - set(named)),
        "set": named,
    }[mode]
    done = organisation.assign_unit_grids(work_grid.id, wanted, confirm_moves, None)
    moved = sum(len(m["unit_grids"]) for m in done["moved_from"])
    return (
        f"work grid {code}: {done['before']} → {done['after']} unit grids "
        f"({len(done['added'])} added, {len(done['removed'])} removed, {moved} moved from other work grids)"
    )
