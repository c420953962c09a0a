"""what was said in a review session: comments, replies and decisions note the session
they were made in (``review_session_id``; none for those made elsewhere), and a closed
session keeps its report as it was when it closed (``review_sessions.report``)

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SAID = ("comments", "decisions")


def upgrade() -> None:
    for table in SAID:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("review_session_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(
                f"fk_{table}_review_session_id_review_sessions", "review_sessions",
                ["review_session_id"], ["id"], ondelete="SET NULL",
            )  # fmt: skip
            batch.create_index(f"ix_{table}_review_session_id", ["review_session_id"])
    with op.batch_alter_table("review_sessions") as batch:
        batch.add_column(sa.Column("report", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_sessions") as batch:
        batch.drop_column("report")
    for table in SAID:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_review_session_id")
            batch.drop_constraint(
                f"fk_{table}_review_session_id_review_sessions", type_="foreignkey"
            )
            batch.drop_column("review_session_id")
