"""campaigns: who holds the key to the anonymous ballots (the server, or scrutineers' shares)

Revision ID: e7b3d5a9c1f4
Revises: c3e9a1d5f7b2
Create Date: 2026-12-07 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e7b3d5a9c1f4'
down_revision = 'c3e9a1d5f7b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballot_key_mode', sa.String(length=20), server_default='server', nullable=False))
        batch_op.add_column(sa.Column('scrutineers', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('scrutineer_threshold', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('ballot_public_key', sa.LargeBinary(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('ballot_public_key')
        batch_op.drop_column('scrutineer_threshold')
        batch_op.drop_column('scrutineers')
        batch_op.drop_column('ballot_key_mode')
