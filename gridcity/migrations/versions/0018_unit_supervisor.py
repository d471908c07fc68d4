"""app_user: the unit supervisor role (单位主管), to whom overdue cases are
escalated (督办) — the role check constraint admits 'unit_supervisor'
(issue 15, item 3)

Revision ID: 0018_unit_supervisor
Revises: 0017_search
Create Date: 2026-12-07 02:30:00.000000
"""

from alembic import op


revision = "0018_unit_supervisor"
down_revision = "0017_search"
branch_labels = None
depends_on = None

# Spelled out, not read from the models: a migration states the schema of
# its own revision, whatever roles the code has later.
ROLES_BEFORE = ("inspector", "operator", "shift_leader", "dispatcher", "unit_handler", "manager", "admin")
ROLES_AFTER = (*ROLES_BEFORE[:5], "unit_supervisor", *ROLES_BEFORE[5:])
NAME = "ck_app_user_role_known"


def _role_check(roles) -> str:
    return "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"


def _replace_check(roles) -> None:
    # PostgreSQL alters the table in place; SQLite cannot alter a CHECK, so
    # batch mode copies the table (its reflection does not carry the old
    # CHECK over, hence the drop is PostgreSQL's only).
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(NAME), "app_user", type_="check")
        op.create_check_constraint(op.f(NAME), "app_user", _role_check(roles))
        return
    with op.batch_alter_table("app_user", schema=None, recreate="always") as batch_op:
        batch_op.create_check_constraint(op.f(NAME), _role_check(roles))


def upgrade() -> None:
    _replace_check(ROLES_AFTER)


def downgrade() -> None:
    # A supervisor would break the narrower check: refuse rather than lose people.
    if op.get_bind().exec_driver_sql("SELECT count(*) FROM app_user WHERE role = 'unit_supervisor'").scalar():
        raise RuntimeError(
            "unit supervisors exist: change their role or deactivate and remove them before downgrading"
        )
    _replace_check(ROLES_BEFORE)
