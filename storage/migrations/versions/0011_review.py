"""review: comments at a frame or over a range, with replies, drawings, mentions and
resolution; decisions on takes and movie versions; final renders

A comment belongs to a take or a movie version (exactly one), at a frame of it or over a
range of frames; a reply belongs to its comment. A decision (approved, changes requested,
rejected) is kept with its note: an item's latest is its state. A project may make a
final render wait until every scene's take is approved; each version says whether it was.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("movie_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("frame", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("end_frame", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("drawing", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("mentions", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_comments_movie_id_movies", "movies", ["movie_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_foreign_key(
            "fk_comments_parent_id_comments", "comments", ["parent_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_foreign_key("fk_comments_resolved_by_users", "users", ["resolved_by"], ["id"])
        batch.create_index("ix_comments_take_id", ["take_id"])
        batch.create_index("ix_comments_movie_id", ["movie_id"])
        batch.create_index("ix_comments_project_id", ["project_id"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("take_id", sa.Integer(), sa.ForeignKey("takes.id", ondelete="CASCADE")),
        sa.Column("movie_id", sa.Integer(), sa.ForeignKey("movies.id", ondelete="CASCADE")),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_decisions_project_id", "decisions", ["project_id"])
    op.create_index("ix_decisions_take_id", "decisions", ["take_id"])
    op.create_index("ix_decisions_movie_id", "decisions", ["movie_id"])
    with op.batch_alter_table("projects") as batch:
        batch.add_column(
            sa.Column(
                "final_needs_approval", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("movies") as batch:
        batch.add_column(
            sa.Column("final", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("movies") as batch:
        batch.drop_column("final")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("final_needs_approval")
    for index in ("ix_decisions_movie_id", "ix_decisions_take_id", "ix_decisions_project_id"):
        op.drop_index(index, "decisions")
    op.drop_table("decisions")
    op.execute("DELETE FROM comments WHERE movie_id IS NOT NULL OR parent_id IS NOT NULL")
    with op.batch_alter_table("comments") as batch:
        batch.drop_index("ix_comments_project_id")
        batch.drop_index("ix_comments_movie_id")
        batch.drop_index("ix_comments_take_id")
        batch.drop_constraint("fk_comments_resolved_by_users", type_="foreignkey")
        batch.drop_constraint("fk_comments_parent_id_comments", type_="foreignkey")
        batch.drop_constraint("fk_comments_movie_id_movies", type_="foreignkey")
        for column in (
            "resolved_by", "resolved_at", "mentions", "drawing", "end_frame", "frame",
            "parent_id", "movie_id",
        ):  # fmt: skip
            batch.drop_column(column)
