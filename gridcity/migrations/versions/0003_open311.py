"""open311 gateway

Revision ID: 0003_open311
Revises: 0002
Create Date: 2026-11-29 12:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import gridcity.cases.models


revision = '0003_open311'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open311_api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client', sa.String(length=100), nullable=False),
    sa.Column('key_prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('rate_per_minute', sa.Integer(), server_default='60', nullable=False),
    sa.Column('created_at', gridcity.cases.models.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', gridcity.cases.models.UTCDateTime(), nullable=True),
    sa.Column('window_start', gridcity.cases.models.UTCDateTime(), nullable=True),
    sa.Column('window_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_used_at', gridcity.cases.models.UTCDateTime(), nullable=True),
    sa.CheckConstraint('rate_per_minute > 0', name=op.f('ck_open311_api_key_rate_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_open311_api_key_key_hash'))
    )
    with op.batch_alter_table('open311_api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_api_key_client'), ['client'], unique=False)

    op.create_table('open311_attribute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('datatype', sa.String(length=20), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('variable', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('datatype_description', sa.JSON(), nullable=True),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('updated_at', gridcity.cases.models.UTCDateTime(), nullable=False),
    sa.CheckConstraint("datatype IN ('string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist')", name=op.f('ck_open311_attribute_datatype_known')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_open311_attribute_category_id_category'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_attribute')),
    sa.UniqueConstraint('category_id', 'code', name=op.f('uq_open311_attribute_category_id_code'))
    )
    with op.batch_alter_table('open311_attribute', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_attribute_category_id'), ['category_id'], unique=False)

    op.create_table('open311_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('service_notice', sa.Text(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('device_id', sa.String(length=100), nullable=True),
    sa.Column('account_id', sa.String(length=100), nullable=True),
    sa.Column('media_url', sa.String(length=2000), nullable=True),
    sa.Column('address_string', sa.String(length=200), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('created_at', gridcity.cases.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['api_key_id'], ['open311_api_key.id'], name=op.f('fk_open311_request_api_key_id_open311_api_key')),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_open311_request_case_id_case_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_request')),
    sa.UniqueConstraint('case_id', name=op.f('uq_open311_request_case_id')),
    sa.UniqueConstraint('token', name=op.f('uq_open311_request_token'))
    )
    with op.batch_alter_table('open311_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_request_api_key_id'), ['api_key_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('open311_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_request_api_key_id'))

    op.drop_table('open311_request')
    with op.batch_alter_table('open311_attribute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_attribute_category_id'))

    op.drop_table('open311_attribute')
    with op.batch_alter_table('open311_api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_api_key_client'))

    op.drop_table('open311_api_key')
