"""``gridcity scorecards …``: compute, freeze and recompute months; export and
import the indicator definitions (an import is a new definition version)."""

from __future__ import annotations

import json
import time

import click

from gridcity.core.cli import admin_command
from gridcity.core.errors import GridCityError

scorecards_group = click.Group("scorecards", help="Monthly scorecards (绩效评价) and the sanitation contest.")
MONTH = click.option("--month", required=True, help="YYYY-MM (city time)")


def _or_dash(value, spec: str = "") -> str:
    """A figure as text; "—" where there is none (no data: no score, grade or rank)."""
    return "—" if value is None else format(value, spec)


@admin_command(scorecards_group, "compute")
@MONTH
@click.option("--tier", help="print this tier's rows (default: a summary of every tier)")
def compute(month, tier):
    """Compute a month live (nothing is stored) and print it."""
    from gridcity.scorecards.scoring import scores

    started = time.perf_counter()
    result = scores.compute_all(month)
    took = time.perf_counter() - started
    if tier:
        if tier not in result.tables:
            raise GridCityError("bad_request", detail=f"tier must be one of {', '.join(result.tables)}")
        lines = [
            f"{_or_dash(r.rank):>4} {r.subject_code:<20} {r.subject_name:<16} "
            f"{_or_dash(r.score, '.2f'):>6} {_or_dash(r.grade)}"
            for r in result.tables[tier].rows
        ]
        return "\n".join(lines) or "(no rows)"
    lines = [f"{month}: definitions v{result.definition_version}, computed in {took:.2f} s"]
    for name, table in result.tables.items():
        best = table.rows[0] if table.rows else None
        top = (
            f"best {best.subject_code} {_or_dash(best.score, '.2f')} {_or_dash(best.grade)}" if best else "-"
        )
        lines.append(f"  {name:<13} {len(table.rows):>7} rows  {top}")
    cards = [f"{r.street_name} {r.card}" for r in result.contest.rows if r.card]
    lines.append(f"  contest       {len(result.contest.rows):>7} streets  cards: {', '.join(cards) or '-'}")
    return "\n".join(lines)


@admin_command(scorecards_group, "freeze")
@MONTH
@click.option("--reason", default=None, help="kept with the version (default: the month-end freeze)")
def freeze(month, reason):
    """Freeze a month that has ended (version 1, or the next version)."""
    from gridcity.scorecards.snapshots import services

    info = services.freeze_month(month, reason)
    return f"{month} frozen as version {info.version} (definitions v{info.definition_version})"


@admin_command(scorecards_group, "recompute")
@MONTH
@click.option("--reason", required=True, help="why (late corrections…); kept with the version")
def recompute(month, reason):
    """Recompute a frozen month as a new version; the old one stays readable."""
    from gridcity.scorecards.snapshots import services

    info = services.recompute(month, reason)
    return f"{month} recomputed as version {info.version}: {info.reason}"


@admin_command(scorecards_group, "versions")
@MONTH
def versions(month):
    """The frozen versions of a month."""
    from gridcity.scorecards.snapshots import services

    rows = services.versions(month)
    return "\n".join(
        f"v{v.version} {v.frozen_at} definitions v{v.definition_version} {v.reason}" for v in rows
    ) or (f"{month} is not frozen")


@admin_command(scorecards_group, "export-definitions")
@click.option("--version", type=int, help="a stored version (default: the current one)")
def export_definitions(version):
    """Print the indicator definitions as JSON (edit, then import)."""
    from gridcity.scorecards.snapshots import services

    document = services.definitions(version)
    document.pop("counts", None)
    return json.dumps(document, ensure_ascii=False, indent=2)


@admin_command(scorecards_group, "import-definitions")
@click.argument("path")
@click.option("--note", default="", help="what changed")
def import_definitions(path, note):
    """Store edited definitions (JSON file) as a new version."""
    from gridcity.core.cli import read_text as _read
    from gridcity.scorecards.snapshots import services

    try:
        document = json.loads(_read(path))
    except ValueError as error:
        raise GridCityError("bad_request", detail=f"{path} is not JSON: {error}") from None
    version = services.update_definitions(document, None, note)
    return f"indicator definitions version {version} stored"


# ---------------------------------------------------------------- settings versions (考核设置)

settings_group = click.Group(
    "settings",
    help="Assessment settings as versions: indicators, weights, grades, contest items, card rules.",
)
scorecards_group.add_command(settings_group)


def _read_settings(path: str) -> dict:
    from gridcity.core.cli import read_text as _read

    try:
        document = json.loads(_read(path))
    except ValueError as error:
        raise GridCityError("bad_request", detail=f"{path} is not JSON: {error}") from None
    return document


@admin_command(settings_group, "list")
def settings_list():
    """Every settings version: effective month, who, when, note."""
    from gridcity.core.clock import utcnow
    from gridcity.scorecards.counting.engine import month_of
    from gridcity.scorecards.snapshots import settings

    return "\n".join(
        f"v{v['version']:<3} from {settings.effective_text(v['effective_from'], 'en'):<18} "
        f"{v['created_at'][:16]} {v['created_by'] or '-':<12} {'in force ' if v['in_force'] else ''}{v['note']}"
        for v in settings.versions(month_of(utcnow()))
    )


@admin_command(settings_group, "show")
@click.option("--version", type=int, help="a stored version (default: the newest)")
def settings_show(version):
    """Print a version's settings as JSON (edit, then apply)."""
    from gridcity.scorecards.snapshots import settings

    row = settings.get_version(version)
    return json.dumps(settings.settings_of(row), ensure_ascii=False, indent=2)


@admin_command(settings_group, "diff")
@click.argument("path", required=False)
@click.option("--version", type=int, help="a stored version, against its predecessor")
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh")
def settings_diff(path, version, language):
    """What a draft FILE changes against the newest version, or what a
    stored version changed against its predecessor, in words."""
    from gridcity.scorecards.snapshots import settings

    if path:
        _, lines = settings.preview(_read_settings(path), language)
    else:
        row = settings.get_version(version)
        if settings.predecessor(row.version) is None:
            return f"v{row.version} is the first version"
        lines = settings.changes_of(row, language)
    return "\n".join(lines) or "no change"


@admin_command(settings_group, "apply")
@click.argument("path")
@click.option("--effective", required=True, help="YYYY-MM: the first month assessed with it")
@click.option("--note", required=True, help="why; kept with the version")
def settings_apply(path, effective, note):
    """Store a draft FILE as the next version, in force from --effective."""
    from gridcity.scorecards.snapshots import settings

    row = settings.save_version(_read_settings(path), None, note, effective)
    return f"settings version {row.version} stored, in force from {row.effective_from}"
