"""deleted scenes and assets wait for an undo

A deleted scene or library asset is marked, not removed: an undo brings it back with its
takes, its links and its file; what stays deleted longer than the undo window is purged.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("scenes", "assets"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # what waits for an undo is deleted for good, as every delete was before this revision
    op.execute("UPDATE scenes SET selected_take_id = NULL WHERE deleted_at IS NOT NULL")
    op.execute("DELETE FROM scenes WHERE deleted_at IS NOT NULL")
    op.execute("DELETE FROM assets WHERE deleted_at IS NOT NULL")
    for table in ("assets", "scenes"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("deleted_at")
