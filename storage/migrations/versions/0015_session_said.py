"""what was said in a review session: comments, replies and decisions note the session
they were made in (``review_session_id``; none for those made elsewhere), and a closed
session keeps its report as it was when it closed (``review_sessions.report``)

What was said before this revision is given the session it fell in by the rule reports
followed until then (on one of its items, while it was open; the first such session):
the best that can be known of it, and what its report showed.

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
        op.execute(
            f"UPDATE {table} SET review_session_id = (SELECT min(rs.id) FROM review_sessions rs "
            "JOIN review_session_items i ON i.session_id = rs.id "
            f"WHERE (i.take_id = {table}.take_id OR i.movie_id = {table}.movie_id) "
            f"AND {table}.created_at BETWEEN rs.opens_at AND coalesce(rs.closed_at, rs.closes_at))"
        )
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
