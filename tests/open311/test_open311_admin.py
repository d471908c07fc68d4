"""The admin side: issuing, listing and revoking keys and loading service
attributes with the ``gridcity open311`` commands; the migration matches
the models."""

from __future__ import annotations

import json
import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.models import metadata
from gridcity.open311.models import ApiKey, ServiceAttribute
from tests.open311.conftest import east


def test_issue_list_and_revoke_keys_from_the_command_line(o311_city, runner, client):
    issued = runner.invoke(args=["open311", "issue-key", "--client", "盐田随手拍", "--rate", "30"])
    assert issued.exit_code == 0, issued.output
    key = issued.output.splitlines()[1]
    assert key.startswith("o311_") and "only its hash is stored" in issued.output
    row = db.session.scalar(select(ApiKey))
    assert (row.client, row.rate_per_minute, row.key_prefix) == ("盐田随手拍", 30, key[:12])
    assert key not in (row.key_hash, row.key_prefix)  # the key itself is not kept
    form = {"api_key": key, "service_code": "E0102", **east()}
    assert client.post("/open311/v2/requests.json", data=form).status_code == 200

    listed = runner.invoke(args=["open311", "list-keys"])
    assert f"{row.id}\t盐田随手拍\t{key[:12]}…\t30/min" in listed.output and "active" in listed.output

    revoked = runner.invoke(args=["open311", "revoke-key", str(row.id)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert client.post("/open311/v2/requests.json", data=form).status_code == 403
    assert "revoked 2026-11-30 02:00" in runner.invoke(args=["open311", "list-keys"]).output

    missing = runner.invoke(args=["open311", "revoke-key", "999"])
    assert missing.exit_code == 1 and "no key number 999" in missing.output
    bad_rate = runner.invoke(args=["open311", "issue-key", "--client", "x", "--rate", "0"])
    assert bad_rate.exit_code == 1 and "from 1 to 100000" in bad_rate.output


def test_load_attributes_from_a_file_or_the_built_in_set(o311_city, runner, tmp_path):
    path = tmp_path / "attributes.json"
    path.write_text(
        json.dumps(
            {"services": {"E0102": [{"code": "volume", "datatype": "number", "description": "体积"}]}}
        ),
        encoding="utf-8",
    )
    result = runner.invoke(args=["open311", "load-attributes", str(path)])
    assert result.exit_code == 0 and "1 service attributes loaded" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"services": {"Z0000": []}}), encoding="utf-8")
    refused = runner.invoke(args=["open311", "load-attributes", str(bad)])
    assert refused.exit_code == 1 and "Z0000" in refused.output
    builtin = runner.invoke(args=["open311", "load-attributes"])
    assert builtin.exit_code == 0, builtin.output
    codes = set(db.session.scalars(select(ServiceAttribute.code)))
    assert codes == {"volume", "cover_condition", "component_code", "area_m2", "traffic", "depth_cm"}


def test_the_migration_makes_the_open311_tables_as_the_models_say(app):
    with db.engine.connect() as connection, warnings.catch_warnings():
        # Alembic cannot compare expression indexes (the case search's, on
        # PostgreSQL) and says so; they are not the Open311 tables'.
        warnings.filterwarnings("ignore", message=".*expression.*index", category=UserWarning)
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, metadata) if "open311" in repr(d)]
    assert diffs == []
