"""The commands of ``gridcity`` (gridcity/cli/__init__.py): every admin
operation, calling the same services as the web API. Each command commits
once, or changes nothing on error. The app factory adds them to ``app.cli``
(:func:`register_cli`)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from gridcity.core.cli import admin_command
from gridcity.core.cli import read_text as _read
from gridcity.core.errors import GridCityError
from gridcity.extensions import db

DATUM = click.option(
    "--datum",
    type=click.Choice(["wgs84", "gcj02"]),
    required=True,
    help="Datum of the file's coordinates; stored as WGS-84.",
)

# ------------------------------------------------------------------ db

db_group = click.Group("db", help="Database schema.")


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Bring the database to the newest schema."""
    from gridcity.core.migrate import upgrade

    upgrade(current_app.config["SQLALCHEMY_DATABASE_URI"])
    click.echo("database is at head")


# ------------------------------------------------------------------ geo

geo_group = click.Group("geo", help="Districts, streets, communities, unit grids.")


GEO_DATUM = click.option(
    "--datum",
    type=click.Choice(["wgs84", "gcj02", "bd09"]),
    required=True,
    help="Datum of the file's coordinates; stored as WGS-84.",
)
ACCEPT_WARNINGS = click.option(
    "--accept-warnings",
    is_flag=True,
    help="Import although the check warns (gaps, features outside their parent).",
)


def _import_layer(
    layer: str, path: str, datum: str, accept_warnings: bool, district: str | None = None
) -> str:
    """The console's import (gridcity/geo/layer_import.py): the same check, refused on the same problems."""
    from gridcity.geo.layer_files import read_layer_file
    from gridcity.geo.layer_import import import_layer

    document = read_layer_file(path, Path(path).read_bytes())
    counts = import_layer(
        layer,
        document,
        datum,
        filename=Path(path).name,
        district_code=district,
        accept_warnings=accept_warnings,
    )
    return f"{layer.replace('_', ' ')}: {counts['added']} added, {counts['changed']} changed"


@admin_command(geo_group, "import-districts")
@click.argument("path")
@GEO_DATUM
@ACCEPT_WARNINGS
def import_districts(path, datum, accept_warnings):
    """Districts from GeoJSON or a zipped Shapefile (properties adcode or code, name)."""
    return _import_layer("districts", path, datum, accept_warnings)


@admin_command(geo_group, "import-streets")
@click.argument("path")
@click.option("--district", help="6-digit district code, for files whose codes are the street digits only")
@GEO_DATUM
@ACCEPT_WARNINGS
def import_streets(path, district, datum, accept_warnings):
    """Street offices from GeoJSON or a zipped Shapefile (properties code, name)."""
    return _import_layer("streets", path, datum, accept_warnings, district)


@admin_command(geo_group, "import-communities")
@click.argument("path")
@GEO_DATUM
@ACCEPT_WARNINGS
def import_communities(path, datum, accept_warnings):
    """Communities (code = district + street + community digits)."""
    return _import_layer("communities", path, datum, accept_warnings)


@admin_command(geo_group, "import-unit-grids")
@click.argument("path")
@GEO_DATUM
@ACCEPT_WARNINGS
def import_unit_grids(path, datum, accept_warnings):
    """Unit grids (full code; optional work_grid)."""
    return _import_layer("unit_grids", path, datum, accept_warnings)


@admin_command(geo_group, "export")
@click.argument(
    "layer", type=click.Choice(["districts", "streets", "communities", "unit_grids", "work_grids"])
)
@click.option("--datum", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="file to write (default: print)"
)
def export_layer(layer, datum, output):
    """A layer as GeoJSON in the chosen datum (it imports again as it is)."""
    from gridcity.geo.layer_export import export_layer

    text = json.dumps(export_layer(layer, datum), ensure_ascii=False)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        return f"wrote {output}"
    return text


@admin_command(geo_group, "fishnet")
@click.option("--district", required=True, help="6-digit district code")
@click.option("--size", default=100.0, show_default=True, help="cell size in metres")
def fishnet(district, size):
    """Cut every community of a district into square unit grids."""
    from gridcity.geo.services import cut_unit_grids

    return f"cut {cut_unit_grids(district, size)} unit grids"


@admin_command(geo_group, "create-area")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--street", "street_code", help="full street code (district + street digits)")
@click.option("--head", "head_username", help="the area head's user name")
def create_area(code, name, street_code, head_username):
    """Create an area (片区); audited, like the console's."""
    from gridcity.geo.organisation import add_area
    from gridcity.geo.services import find_street

    add_area(code, name, find_street(street_code).id if street_code else None, head_username)
    return f"area {code} created"


@admin_command(geo_group, "create-work-group")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--area", "area_code", required=True)
@click.option("--leader", "leader_username", help="the group leader's user name")
def create_work_group(code, name, area_code, leader_username):
    """Create a work group (工作小组); audited, like the console's."""
    from gridcity.geo.models import Area
    from gridcity.geo.organisation import add_work_group, by_code

    add_work_group(code, name, by_code(Area, area_code, "area").id, leader_username)
    return f"work group {code} created"


@admin_command(geo_group, "import-work-grids")
@click.argument("path")
@GEO_DATUM
@ACCEPT_WARNINGS
def import_work_grids(path, datum, accept_warnings):
    """Work grids from polygons (code, name, area, optional work_group);
    unit grids join the work grid holding their representative point."""
    return _import_layer("work_grids", path, datum, accept_warnings)


@admin_command(geo_group, "locate")
@click.argument("lon", type=float)
@click.argument("lat", type=float)
def locate(lon, lat):
    """Which unit grid, community, street, work grid and area hold a point."""
    from gridcity.geo.services import locate

    return json.dumps(locate(lon, lat).to_dict())


# ------------------------------------------------------------------ org

org_group = click.Group("org", help="Responsible units and users.")


@admin_command(org_group, "create-unit")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--kind", required=True)
@click.option("--contact-name")
@click.option("--contact-phone")
def create_unit(code, name, kind, contact_name, contact_phone):
    """Register a responsible unit (责任单位)."""
    from gridcity.org.services import create_unit

    create_unit(code, name, kind, contact_name, contact_phone)
    return f"unit {code} created"


@admin_command(org_group, "create-user")
@click.option("--username", required=True)
@click.option("--role", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--name", "display_name")
@click.option("--unit", "unit_code", help="a unit handler's or unit supervisor's unit code")
@click.option("--work-grid", "work_grids", multiple=True, help="an inspector's work grid code")
def create_user(username, role, password, display_name, unit_code, work_grids):
    """Add a user with a role and scope."""
    from gridcity.org.services import create_user

    create_user(username, password, role, display_name, unit_code, list(work_grids))
    return f"user {username} ({role}) created"


@admin_command(org_group, "set-password")
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
def set_password(username, password):
    from gridcity.org.services import set_password

    set_password(username, password)
    return "password changed; the user's sessions ended"


@admin_command(org_group, "deactivate-user")
@click.option("--username", required=True)
def deactivate_user(username):
    """Stop a user from signing in; their open sessions and live sockets end now."""
    from gridcity.org.services import deactivate_user

    deactivate_user(username)
    return f"user {username} deactivated; their sessions ended"


@admin_command(org_group, "unlock-user")
@click.argument("username")
def unlock_user(username):
    """End a user's sign-in lock (after too many wrong passwords) now."""
    from gridcity.org.services import unlock_user

    unlock_user(username)
    return f"user {username} unlocked"


@admin_command(org_group, "update-user")
@click.option("--username", required=True)
@click.option("--name", "display_name")
@click.option("--role")
@click.option("--unit", "unit_code", help="a unit member's unit code")
@click.option("--work-grid", "work_grids", multiple=True, help="an inspector's work grid code (all of them)")
@click.option("--on-duty/--off-duty", default=None)
def update_user(username, display_name, role, unit_code, work_grids, on_duty):
    """Change a user's name, role, unit, work grids or on-duty status (audited)."""
    from gridcity.org.people import update_user

    given = {
        "display_name": display_name,
        "role": role,
        "unit_code": unit_code,
        "work_grid_codes": list(work_grids) or None,
        "on_duty": on_duty,
    }
    update_user(username, None, **{k: v for k, v in given.items() if v is not None})
    return f"user {username} changed"


@admin_command(org_group, "reactivate-user")
@click.option("--username", required=True)
def reactivate_user(username):
    """Let a deactivated user sign in again."""
    from gridcity.org.people import reactivate_user

    reactivate_user(username)
    return f"user {username} reactivated"


@admin_command(org_group, "reset-password")
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
def reset_password(username, password):
    """An initial password the user must change at the next sign-in."""
    from gridcity.org.people import reset_password

    reset_password(username, password)
    return f"password of {username} reset; they change it at the next sign-in"


@admin_command(org_group, "import-users")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--commit", is_flag=True, help="save (all rows or none); without it only check")
def import_users(path, commit):
    """People from a CSV / XLSX file: each row's problems, then (--commit) all or none saved."""
    from gridcity.org import people_import

    rows = people_import.read_sheet(path, Path(path).read_bytes())
    if commit:
        created = people_import.import_people(rows)
        return f"{len(created)} users imported"
    checked = people_import.check_rows(rows, "en")  # the commands speak English
    lines = [f"line {r.line}: " + ("; ".join(r.errors) or "ok") for r in checked]
    db.session.rollback()
    return "\n".join(lines)


# ------------------------------------------------------------------ taxonomy

taxonomy_group = click.Group("taxonomy", help="Categories and responsibility rules.")


@admin_command(taxonomy_group, "load")
@click.argument("path", required=False)
def load_taxonomy(path):
    """Load or update categories (default: the built-in taxonomy)."""
    from gridcity.taxonomy.services import load_taxonomy

    return f"{load_taxonomy(json.loads(_read(path)) if path else None)} categories loaded"


@admin_command(taxonomy_group, "set-rule")
@click.option("--category", required=True, help="category code, e.g. C0101")
@click.option(
    "--place-kind", type=click.Choice(["unit_grid", "work_grid", "street", "district"]), required=True
)
@click.option("--place-id", type=int, required=True)
@click.option("--unit", "unit_code", required=True)
def set_rule(category, place_kind, place_id, unit_code):
    """Make a unit responsible for a category at a place (audited)."""
    from gridcity.taxonomy.rules import put_rule

    put_rule(category, place_kind, place_id, unit_code)
    return "rule set"


@admin_command(taxonomy_group, "remove-rule")
@click.option(
    "--id", "rule_id", type=int, required=True, help="the rule's id (see GET /responsibility-rules)"
)
def remove_rule(rule_id):
    """Remove a responsibility rule (audited)."""
    from gridcity.taxonomy.rules import remove_rule

    remove_rule(rule_id)
    return "rule removed"


@admin_command(taxonomy_group, "set-min-photos")
@click.option("--category", required=True, help="category code, e.g. C0101")
@click.option("--photos", type=int, required=True, help="0 to 9")
def set_min_photos(category, photos):
    """How many photos an inspector's report of a category must carry."""
    from gridcity.taxonomy.editing import edit_category

    edit_category(category, inspector_min_photos=photos)
    return f"{category}: an inspector's report needs {photos} photo(s)"


@admin_command(taxonomy_group, "set-step-deadline")
@click.option("--step", type=click.Choice(["verify", "check", "handle", "escalate"]), required=True)
@click.option("--clock", type=click.Choice(["emergency_hours", "working_hours", "working_days"]))
@click.option("--amount", type=float, help="hours or working days (escalate: hours after the deadline)")
@click.option("--warning", type=float, help="warning point as a fraction of the time, e.g. 0.75")
def set_step_deadline(step, clock, amount, warning):
    """A step's deadline (verify, check), warning point or escalation delay (audited)."""
    from gridcity.cases.deadline_policies import edit_policies

    given = {"step_clock": clock, "step_amount": amount, "warning_fraction": warning}
    edit_policies({step: {field: value for field, value in given.items() if value is not None}})
    return f"{step}: deadline set"


@admin_command(taxonomy_group, "edit-category")
@click.option("--category", required=True, help="category code, e.g. C0101")
@click.option("--name-zh")
@click.option("--name-en")
@click.option("--filing-standard", help="立案标准")
@click.option("--closing-standard", help="结案标准")
@click.option("--urgency", type=click.Choice(["normal", "urgent"]))
@click.option("--deadline-clock", type=click.Choice(["emergency_hours", "working_hours", "working_days"]))
@click.option("--deadline-amount", type=float, help="hours or working days of the handling deadline")
@click.option("--duplicate-radius-m", type=float, help="open cases this close may be duplicates")
def edit_category(category, **fields):
    """Change a category (audited). A new deadline applies from the next dispatch."""
    from gridcity.taxonomy.editing import edit_category

    changes = {field: value for field, value in fields.items() if value is not None}
    edit_category(category, **changes)
    return f"{category}: {', '.join(changes) or 'nothing'} changed"


# ------------------------------------------------------------------ inventory, calendar

components_group = click.Group("components", help="Component inventory (部件).")


@admin_command(components_group, "import")
@click.argument("path")
@click.option("--format", "fmt", type=click.Choice(["csv", "geojson"]), required=True)
@DATUM
@click.option("--check", is_flag=True, help="only check: each record's problems, nothing saved")
def import_components(path, fmt, datum, check):
    """Components from CSV / GeoJSON: all records or none (audited); --check names each one's problems."""
    from gridcity.inventory import importing
    from gridcity.inventory.services import import_components

    if not check:
        return f"imported {import_components(_read(path), fmt, datum)} components"
    checked = importing.check_records(importing.read_records(_read(path), fmt), datum)
    db.session.rollback()
    where = "feature" if fmt == "geojson" else "line"
    return "\n".join(
        f"{where} {c.line}: " + ("; ".join(p.message("en") for p in c.problems) or "ok") for c in checked
    )


@admin_command(components_group, "edit")
@click.argument("code")
@click.option("--state", type=click.Choice(["intact", "damaged", "lost", "occupied"]))
@click.option("--owner", help="owner unit's code ('' for not known)")
@click.option("--maintainer", help="maintainer unit's code ('' for not known)")
@click.option("--lon", type=float)
@click.option("--lat", type=float)
@click.option("--installed-on", help="YYYY-MM-DD ('' for not known)")
def edit_component(code, **fields):
    """Change one component (audited): state, units, position (with --lon and --lat), installation date."""
    from gridcity.inventory import editing

    changes = {field: value for field, value in fields.items() if value is not None}
    editing.edit_component(editing.component_by_code(code), **changes)
    return f"{code}: {', '.join(changes) or 'nothing'} changed"


calendar_group = click.Group("calendar", help="Working calendar.")


@admin_command(calendar_group, "load")
@click.argument("path", required=False)
def load_calendar(path):
    """Office hours, rest days, holidays and make-up workdays (default: built-in)."""
    from gridcity.workcalendar.services import load_calendar

    return f"{load_calendar(json.loads(_read(path)) if path else None)} calendar days loaded"


@admin_command(calendar_group, "office-hours")
@click.argument("periods", nargs=-1, required=True)
def calendar_office_hours(periods):
    """Set the office periods of every working day, e.g. 08:30-12:00 14:00-18:00 (audited)."""
    from gridcity.workcalendar import editing

    pairs = [p.replace("–", "-").partition("-")[::2] for p in periods]  # "08:30-12:00" → ("08:30", "12:00")
    return f"office hours: {editing.office_hours_text(editing.set_office_periods(pairs))}"


@admin_command(calendar_group, "holiday")
@click.argument("day")
@click.argument("name")
def calendar_holiday(day, name):
    """Mark DAY (YYYY-MM-DD) as a public holiday named NAME, e.g. 春节 (audited)."""
    from gridcity.workcalendar import editing

    return f"{editing.mark_day(day, 'holiday', name).day} is a holiday: {name}"


@admin_command(calendar_group, "workday")
@click.argument("day")
@click.argument("name")
def calendar_workday(day, name):
    """Mark DAY, a weekend day, as a make-up workday (调休上班日) named NAME (audited)."""
    from gridcity.workcalendar import editing

    return f"{editing.mark_day(day, 'workday', name).day} is a make-up workday: {name}"


@admin_command(calendar_group, "clear")
@click.argument("day")
def calendar_clear(day):
    """Take DAY's holiday or make-up workday mark off (audited)."""
    from gridcity.workcalendar import editing

    editing.clear_day(day)
    return f"{day} follows the week again"


@admin_command(calendar_group, "import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=int, required=True, help="the year the file's dates must be in")
@click.option(
    "--commit",
    is_flag=True,
    help="save (replacing the year's marks; all rows or none); without it only check",
)
def calendar_import(path, year, commit):
    """A year's official holiday schedule from a CSV / JSON file (date, kind, name): each row's problems, then (--commit) all or none saved."""
    from gridcity.workcalendar import schedule_import

    rows = schedule_import.read_schedule(path, Path(path).read_bytes())
    if commit:
        done = schedule_import.import_schedule(rows, year)
        return f"{year}: {done['holidays']} holidays, {done['workdays']} make-up workdays"
    checked = schedule_import.check_schedule(rows, year, "en")  # the commands speak English
    db.session.rollback()
    return "\n".join(f"line {r.line}: " + ("; ".join(r.errors) or "ok") for r in checked)


# ------------------------------------------------------------------ open311

open311_group = click.Group(
    "open311", help="Open311 GeoReport v2 gateway: client API keys, service attributes."
)


@admin_command(open311_group, "issue-key")
@click.option("--client", required=True, help="who the key is for (shown in lists and on the cases)")
@click.option("--rate", "rate_per_minute", type=int, help="requests per minute  [default: 60]")
def open311_issue_key(client, rate_per_minute):
    """Issue an API key to one client; it is printed once, only its hash is kept."""
    from gridcity.open311.keys import issue_key

    row, key = issue_key(client, rate_per_minute)
    return (
        f"key {row.id} for {row.client} ({row.rate_per_minute} requests a minute):\n{key}\n"
        "hand it over now: only its hash is stored, it cannot be shown again"
    )


@admin_command(open311_group, "update-key")
@click.argument("key_id", type=int)
@click.option("--client", help="the client's new name")
@click.option("--rate", "rate_per_minute", type=int, help="requests per minute")
def open311_update_key(key_id, client, rate_per_minute):
    """Rename a key's client or change its rate limit (audited, as in the admin console)."""
    from gridcity.open311.keys import update_key

    row = update_key(key_id, None, client=client, rate_per_minute=rate_per_minute)
    return f"key {row.id}: {row.client}, {row.rate_per_minute} requests a minute"


@admin_command(open311_group, "revoke-key")
@click.argument("key_id", type=int)
def open311_revoke_key(key_id):
    """Revoke a key (see list-keys for its number); its requests get 403 from now on."""
    from gridcity.open311.keys import revoke_key

    row = revoke_key(key_id)
    return f"key {row.id} of {row.client} revoked at {row.revoked_at:%Y-%m-%d %H:%M} UTC"


@admin_command(open311_group, "list-keys")
def open311_list_keys():
    """Every key issued: number, client, prefix, rate limit, last use, revocation."""
    from gridcity.open311.keys import list_keys

    def when(value) -> str:
        return f"{value:%Y-%m-%d %H:%M}" if value else "-"

    lines = [
        f"{k.id}\t{k.client}\t{k.key_prefix}…\t{k.rate_per_minute}/min\tissued {when(k.created_at)}"
        f"\tlast used {when(k.last_used_at)}\t{'revoked ' + when(k.revoked_at) if k.revoked_at else 'active'}"
        for k in list_keys()
    ]
    return "\n".join(lines) or "no keys issued"


@admin_command(open311_group, "load-attributes")
@click.argument("path", required=False)
def open311_load_attributes(path):
    """Extra fields of services ({"services": {"C0101": [attribute, …]}}; default: built-in)."""
    from gridcity.open311.attributes import load_attributes

    return f"{load_attributes(json.loads(_read(path)) if path else None)} service attributes loaded"


# ------------------------------------------------------------------ demo, serve

demo_group = click.Group("demo", help="The demo city.")


@demo_group.command("load")
@click.option("--seed", default=2026, show_default=True)
@click.option("--if-empty", is_flag=True, help="do nothing when a city is already loaded")
@click.option(
    "--history-months",
    default=3,
    show_default=True,
    help="past months of cases and patrols lived through the services (0: a bare city)",
)
@click.option("--json", "as_json", is_flag=True, help="print the summary as one JSON line (for scripts)")
@with_appcontext
def demo_load(seed, if_empty, history_months, as_json):
    """Build the Yantian demo city (reproducible from the seed), saying how far it has got."""
    import time

    from gridcity.demo.city import build_demo_city, city_is_loaded

    if city_is_loaded():
        if if_empty:
            click.echo("The demo city is already loaded; leaving it as it is.")
            return
        raise click.ClickException("a city is already loaded; use a fresh database")
    started = time.monotonic()
    say = (lambda line: None) if as_json else (lambda line: click.echo(f"  {line}"))
    if not as_json:
        click.echo(f"Loading the Yantian demo city (seed {seed}); the first run takes a few minutes:")
    summary = build_demo_city(seed, progress=say)
    db.session.commit()
    if history_months > 0:
        from gridcity.demo.history import load_history

        summary["history"] = load_history(history_months, seed, progress=say)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    history = summary.get("history") or {}
    cases = history.get("cases", 0)
    click.echo(
        f"Demo city ready in {time.monotonic() - started:.0f} s: {summary['unit_grids']:,} unit grids, "
        f"{summary['work_grids']} work grids, {summary['units']} units, "
        f"{sum(len(v) for v in summary['users'].values())} people"
        + (
            f"; {cases:,} past cases ({history.get('closed', 0):,} closed, "
            f"{history.get('voided', 0):,} voided, {history.get('merged', 0):,} merged) in "
            f"{', '.join(history.get('months', []))}, scorecards frozen."
            if history
            else "."
        )
    )


@demo_group.command("logins")
@with_appcontext
def demo_logins():
    """Print the URL and every demo login, grouped by role, with what each can try."""
    from gridcity.demo.city import DEMO_PASSWORD
    from gridcity.demo.logins import logins_by_role

    settings = current_app.config["SETTINGS"]
    click.echo(f"\nGridCity: http://{settings.host}:{settings.port}/")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}), in the order a case goes round:")
    for group in logins_by_role():
        zh, en = group["role"]
        click.echo(f"\n{en} {zh} — {group['try']}")
        for line in group["lines"]:
            click.echo(f"    {line}")
    base = f"http://{settings.host}:{settings.port}"
    click.echo(
        f"\nCitizens 市民 — {base}/p/ (no account: a phone number and its one-time code, which the"
        " development sender prints in this console); the public map at /p/map"
    )
    click.echo("\nFollow one case around the loop: README, 'Five minutes: one case around the loop'.")


@click.command("serve")
@with_appcontext
def serve():
    """Run the web server (Flask-SocketIO, threading) on the configured host/port."""
    from gridcity.ops.request_log import configure_logging

    settings = current_app.config["SETTINGS"]
    app = current_app._get_current_object()
    configure_logging(settings)
    # The flask CLI marks its process so that app.run() does nothing; this
    # command is the server, so clear the mark.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    from gridcity.ops.health import prepare_serving_process

    prepare_serving_process(app, "web")
    if settings.scheduler_mode == "embedded":
        from gridcity.core.scheduler import start_embedded

        start_embedded(app)
    _serve_embedded(app, settings)


def _serve_embedded(app, settings) -> None:
    """The one-machine server (ARCHITECTURE: one process, threading +
    simple-websocket): Werkzeug's threaded server, made directly rather than
    through ``socketio.run``/``app.run``, whose banner warns against a
    development server that this documented embedded mode is not used as (the
    scaled-out topology runs gunicorn, README "Production topology"). Its
    per-request lines would repeat our own access log."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # The app as socketio.run serves it: Flask-SocketIO's middleware in front.
    server = make_server(settings.host, settings.port, app, threaded=True)
    click.echo(f"GridCity is serving on http://{settings.host}:{settings.port}/ (Ctrl+C stops it)")
    server.serve_forever()


@click.command("scheduler")
@with_appcontext
def scheduler():
    """Run the periodic jobs (one acting copy per database, others stand by)."""
    from gridcity.core.scheduler import run_scheduler
    from gridcity.ops.metrics import serve_process_metrics
    from gridcity.ops.request_log import configure_logging

    app = current_app._get_current_object()
    configure_logging(app.config["SETTINGS"])
    serve_process_metrics(app)  # also while standing by: it says which copy leads
    run_scheduler(app)


# ------------------------------------------------------------------ backup


@click.command("backup")
@click.option(
    "--out", "out", type=click.Path(dir_okay=False), help="archive to write (default: <instance>/backups/…)"
)
@with_appcontext
def backup(out):
    """Write a consistent archive of the database and the photos (safe while running)."""
    from gridcity.ops.backup import create_backup

    settings = current_app.config["SETTINGS"]
    if out is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = settings.instance_dir / "backups" / f"gridcity-{stamp}.tar"
    try:
        manifest = create_backup(current_app, Path(out))
    except GridCityError as error:
        raise click.ClickException(error.message("en")) from None
    counts = manifest["counts"]
    click.echo(
        f"{out}: revision {manifest['alembic_revision']}, {counts['cases']} cases, "
        f"{counts['case_events']} case events, {counts['photos']} photos, {counts['media_files']} files"
    )
    click.echo(f"case history digest {manifest['case_history_digest']}")
    for path in manifest["missing_media"]:
        click.echo(f"missing photo file (listed in the database, not on disk): {path}", err=True)


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--database-url", help="the database to rebuild (default: this deployment's)")
@click.option(
    "--media-dir", type=click.Path(file_okay=False), help="where the photos go (default: this deployment's)"
)
@click.option("--force", is_flag=True, help="overwrite a database that is not empty")
@with_appcontext
def restore(archive, database_url, media_dir, force):
    """Rebuild a deployment from an archive: verify, load, check, migrate."""
    from gridcity.ops.backup import restore_backup

    settings = current_app.config["SETTINGS"]
    try:
        manifest = restore_backup(
            archive,
            database_url or current_app.config["SQLALCHEMY_DATABASE_URI"],
            Path(media_dir) if media_dir else settings.resolved_media_dir,
            force=force,
        )
    except GridCityError as error:
        raise click.ClickException(error.message("en")) from None
    counts = manifest["counts"]
    click.echo(
        f"restored {counts['cases']} cases, {counts['case_events']} case events (digest checked), "
        f"{counts['media_files']} files (checksums checked); database is at head"
    )


def register_cli(app: Flask) -> None:
    from gridcity.org.cli import organisation_commands, unit_commands

    for holder, group in ((unit_commands, org_group), (organisation_commands, geo_group)):
        for command in holder.commands.values():  # units, areas, work groups, work grids
            group.add_command(command)
    for group in (
        db_group,
        geo_group,
        org_group,
        taxonomy_group,
        components_group,
        calendar_group,
        demo_group,
        open311_group,
    ):
        app.cli.add_command(group)
    app.cli.add_command(serve)
    app.cli.add_command(scheduler)
    app.cli.add_command(backup)
    app.cli.add_command(restore)
    from gridcity.scorecards.presentation.cli import scorecards_group

    app.cli.add_command(scorecards_group)
    from gridcity.ops.privacy_cli import privacy_group

    app.cli.add_command(privacy_group)
    from gridcity.proactive.cli import proactive_group

    app.cli.add_command(proactive_group)
    from gridcity.risk.cli import risk_group

    app.cli.add_command(risk_group)
    from gridcity.simulate.cli import simulate

    app.cli.add_command(simulate)
    from gridcity.public.cli import public_group

    app.cli.add_command(public_group)  # the citizens' app: blocklist, counts, step notices
