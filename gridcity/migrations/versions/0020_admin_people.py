"""The admin console's people (issue 17): a user whose password an admin
reset must choose their own at the next sign-in

Revision ID: 0020_admin_people
Revises: 0019_field_app
Create Date: 2026-12-07 07:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "0020_admin_people"
down_revision = "0019_field_app"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing users keep the passwords they have.
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.text("false"))
        )
    # A person's history on their page is read by object.
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_object", ["object_kind", "object_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_object")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
