"""ballot answers without a per-ballot id: nothing stored groups one ballot's answers together

A ballot id let a reader of the database gather a ballot's answers; where rater groups answer different
questions, a group pooled below k was then picked out whole. Counts of ballots come from the answers to
one question (every ballot answers each once) and from the suppression notes.

Revision ID: 8a4f2b6c0d19
Revises: 5d1c0e7a9b32
Create Date: 2026-12-07 15:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '8a4f2b6c0d19'
down_revision = '5d1c0e7a9b32'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ballot_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_answers_ballot'))
        batch_op.drop_column('ballot')


def downgrade():
    # The grouping is gone for good: each answer gets an id of its own.
    with op.batch_alter_table('ballot_answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballot', sa.String(length=32), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_ballot_answers_ballot'), ['ballot'], unique=False)
    op.execute("UPDATE ballot_answers SET ballot = id")
