"""The field app (issue 16): a case records whether its position was placed
by hand and the component (部件) it is about; a category says how many photos
an inspector's report must carry (default one)

Revision ID: 0019_field_app
Revises: 0018_unit_supervisor
Create Date: 2026-12-07 06:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "0019_field_app"
down_revision = "0018_unit_supervisor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Cases before this revision were placed from a fix and name no component.
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position_by_hand", sa.Boolean(), nullable=False, server_default=sa.text("false")))
        batch_op.add_column(sa.Column("component_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_case_file_component_id"), ["component_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_case_file_component_id_component"), "component", ["component_id"], ["id"])
    # Existing categories take the cities' usual rule: one photo from an inspector.
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inspector_min_photos", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_column("inspector_min_photos")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_case_file_component_id_component"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_case_file_component_id"))
        batch_op.drop_column("component_id")
        batch_op.drop_column("position_by_hand")
