"""``gridcity public …``: the citizens' blocklist, their valid-report counts
and the step notices, through the same services as the API."""

from __future__ import annotations

import click

from gridcity.core.cli import admin_command

public_group = click.Group("public", help="The citizens' app: blocklist, report counts, step notices.")


@admin_command(public_group, "block")
@click.argument("phone")
@click.option("--reason", required=True, help="why; kept in the audit log")
def block(phone, reason):
    """Refuse this phone's codes and reports from now on (audited)."""
    from gridcity.public.limits import block_phone

    citizen = block_phone(phone, None, reason)
    return f"blocked citizen {citizen.id}"


@admin_command(public_group, "unblock")
@click.argument("phone")
@click.option("--note", default="", help="why; kept in the audit log")
def unblock(phone, note):
    """Take this phone off the blocklist (audited)."""
    from gridcity.public.limits import unblock_phone

    citizen = unblock_phone(phone, None, note)
    return f"unblocked citizen {citizen.id}"


@admin_command(public_group, "counts")
def counts():
    """Reports and valid reports per citizen (phones masked), tab-separated."""
    from gridcity.public.limits import citizen_counts

    lines = ["phone\treports\tvalid\tme_too\tblocked"]
    lines += [
        f"{c.phone}\t{c.reports}\t{c.valid}\t{c.me_too}\t{'yes' if c.blocked else 'no'}"
        for c in citizen_counts()
    ]
    return "\n".join(lines)


@admin_command(public_group, "notify")
def notify():
    """Send the step notices due (one message per public step to each citizen who asked)."""
    from gridcity.public.follow import send_step_notices

    return f"sent {send_step_notices()} message(s)"
