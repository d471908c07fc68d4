"""``gridcity privacy …``: the retention run and a citizen's data requests,
through the same services as the scheduler and the admin API."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from gridcity.core.cli import admin_command

privacy_group = click.Group("privacy", help="Reporter data retention and citizen data requests.")


@admin_command(privacy_group, "anonymise")
@click.option("--dry-run", is_flag=True, help="count what would change, change nothing")
def anonymise(dry_run):
    """Anonymise the reporters of cases finished longer ago than the retention period."""
    from gridcity.extensions import db
    from gridcity.ops.retention import anonymise_reporters, retention_cutoff

    cutoff = retention_cutoff()
    counts = anonymise_reporters(cutoff, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    figures = ", ".join(f"{k} {v}" for k, v in asdict(counts).items())
    verb = "would anonymise" if dry_run else "anonymised"
    return f"{verb} reporters of cases finished before {cutoff:%Y-%m-%d %H:%M} UTC: {figures}"


@admin_command(privacy_group, "export")
@click.argument("phone")
def export(phone):
    """Print (JSON) every case this phone reported, with its contact as stored."""
    from gridcity.ops.citizen_data import export_citizen_data

    return json.dumps(export_citizen_data(phone), ensure_ascii=False, indent=2)


@admin_command(privacy_group, "erase")
@click.argument("phone")
@click.option("--reason", required=True, help="why (the citizen's request…); kept in the audit log")
def erase(phone, reason):
    """Anonymise this phone's reporter on every case now; the cases stay."""
    from gridcity.ops.citizen_data import erase_citizen_data

    result = erase_citizen_data(phone, None, reason)
    return f"erased the contact {result['phone']} from {len(result['cases'])} case(s): {', '.join(result['cases'])}"
