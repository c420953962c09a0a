"""trims on the cut, ratings and notes on takes, a user's ended jobs found by index

A scene's selected take can be trimmed in the cut (seconds left out at its start and at
its end), and a creator rates and notes takes while comparing them. Every page asks
every few seconds which of its user's jobs have ended: an index answers that.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scenes") as batch:
        batch.add_column(sa.Column("trim_in", sa.Double(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("trim_out", sa.Double(), nullable=False, server_default="0"))
    with op.batch_alter_table("takes") as batch:
        batch.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
    op.create_index("ix_jobs_creator_finished", "jobs", ["created_by", "finished_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_creator_finished", table_name="jobs")
    with op.batch_alter_table("takes") as batch:
        batch.drop_column("note")
        batch.drop_column("rating")
    with op.batch_alter_table("scenes") as batch:
        batch.drop_column("trim_out")
        batch.drop_column("trim_in")
