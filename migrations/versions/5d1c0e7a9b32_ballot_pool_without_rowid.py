"""ballot pool without rowid on SQLite (a rowid orders the pool as the ballots came)

Revision ID: 5d1c0e7a9b32
Revises: 4e6b2d9c1a57
Create Date: 2026-12-07 15:20:00

"""
from alembic import op


revision = '5d1c0e7a9b32'
down_revision = '4e6b2d9c1a57'
branch_labels = None
depends_on = None


def upgrade():
    # PostgreSQL tables have no rowid: nothing to do there.
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table('ballot_pool', recreate="always", table_kwargs={"sqlite_with_rowid": False}):
        pass


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table('ballot_pool', recreate="always", table_kwargs={"sqlite_with_rowid": True}):
        pass
