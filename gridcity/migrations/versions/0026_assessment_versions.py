"""assessment settings as versions (issue 17 item 6): each indicator set
version also carries the contest's check items and card rules and the month
it takes effect from; the unversioned contest_item / contest_card_rule rows
are carried over into the versions (the current rules, in force from the
beginning) and their tables dropped

Revision ID: 0026_assessment_versions
Revises: 0025_component_dates
Create Date: 2026-12-07 15:30:00.000000
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0026_assessment_versions"
down_revision = "0025_component_dates"
branch_labels = None
depends_on = None

BEGINNING = "0000-01"


def _load(value):
    return json.loads(value) if isinstance(value, str) else value


def _current_rules(conn) -> dict | None:
    """The active contest items and card rules as a version's ``contest_rules``
    (None when never seeded: the defaults apply)."""
    items = conn.execute(
        sa.text(
            "SELECT code, name_zh, name_en, points, category_codes, patrol_deductions, is_default "
            "FROM contest_item WHERE active ORDER BY position, id"
        )
    ).all()
    if not items:
        return None
    rules = conn.execute(sa.text("SELECT kind, value FROM contest_card_rule WHERE active ORDER BY id")).all()
    return {
        "items": [
            {
                "code": r.code,
                "name_zh": r.name_zh,
                "name_en": r.name_en,
                "points": float(r.points),
                "category_codes": _load(r.category_codes) or [],
                "patrol_deductions": _load(r.patrol_deductions) or {},
                "is_default": bool(r.is_default),
            }
            for r in items
        ],
        "card_rules": [{"kind": r.kind, "value": float(r.value)} for r in rules],
    }


def upgrade() -> None:
    with op.batch_alter_table("indicator_set") as batch:
        batch.add_column(sa.Column("contest_rules", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("effective_from", sa.String(length=7), server_default=BEGINNING, nullable=False)
        )
    conn = op.get_bind()
    rules = _current_rules(conn)
    if rules is not None:
        # Until now every month used the one set of contest rules: every
        # existing version carries them (all in force from the beginning, so
        # the newest stays the one each month uses).
        table = sa.table("indicator_set", sa.column("contest_rules", sa.JSON()))
        conn.execute(table.update().values(contest_rules=rules))
    op.drop_table("contest_item")
    op.drop_table("contest_card_rule")


def downgrade() -> None:
    # The older schema knows one set of contest rules and no effective months:
    # the newest version's rules come back as the rows, and every version is
    # in force at once again (the newest one), as before this migration.
    op.create_table(
        "contest_card_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_card_rule")),
    )
    op.create_table(
        "contest_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("category_codes", sa.JSON(), nullable=False),
        sa.Column("patrol_deductions", sa.JSON(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_item")),
        sa.UniqueConstraint("code", name=op.f("uq_contest_item_code")),
    )
    conn = op.get_bind()
    # The older schema has one set of rules: the newest version's.
    newest = conn.execute(
        sa.text("SELECT contest_rules FROM indicator_set ORDER BY version DESC LIMIT 1")
    ).scalar()
    rules = _load(newest)
    if rules:
        items = sa.table(
            "contest_item",
            sa.column("code"),
            sa.column("name_zh"),
            sa.column("name_en"),
            sa.column("points"),
            sa.column("category_codes", sa.JSON()),
            sa.column("patrol_deductions", sa.JSON()),
            sa.column("is_default"),
            sa.column("position"),
            sa.column("active"),
        )
        conn.execute(
            items.insert(),
            [
                {
                    **{k: i[k] for k in ("code", "name_zh", "name_en", "points", "is_default")},
                    "category_codes": i["category_codes"],
                    "patrol_deductions": i["patrol_deductions"],
                    "position": n,
                    "active": True,
                }
                for n, i in enumerate(rules["items"])
            ],
        )
        card_rules = sa.table("contest_card_rule", sa.column("kind"), sa.column("value"), sa.column("active"))
        if rules["card_rules"]:
            conn.execute(card_rules.insert(), [{**r, "active": True} for r in rules["card_rules"]])
    with op.batch_alter_table("indicator_set") as batch:
        batch.drop_column("effective_from")
        batch.drop_column("contest_rules")
