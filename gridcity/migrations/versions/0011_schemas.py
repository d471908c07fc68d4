"""case_file.request_digest: a digest of the report a client UUID was first
sent with, so the same Idempotency-Key with another report is refused (422)

Revision ID: 0011_schemas
Revises: 0010_signin
Create Date: 2026-12-06 03:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0011_schemas'
down_revision = "0010_signin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Cases made before have none: a replay of them is answered as before.
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_digest', sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_column('request_digest')
