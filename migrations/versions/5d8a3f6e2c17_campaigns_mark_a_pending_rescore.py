"""Campaigns mark a rescoring that waits for a background job

Revision ID: 5d8a3f6e2c17
Revises: 9c2e7d41b5a8
Create Date: 2026-11-23 05:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5d8a3f6e2c17'
down_revision = '9c2e7d41b5a8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rescore_requested_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('rescore_requested_at')
