"""the cut: transitions, captions, cards, music, movies

Each scene says how it cuts in (and its captions); a project has title and end cards and a
music bed (an uploaded sound); every render of the movie is kept as a version.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "movies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("media_key", sa.String(length=300), nullable=False),
        sa.Column("captions_srt_key", sa.String(length=300), nullable=False),
        sa.Column("captions_vtt_key", sa.String(length=300), nullable=False),
        sa.Column("otio_key", sa.String(length=300), nullable=False),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("render_s", sa.Double(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_movies_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_movies_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_movies_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_movies")),
        sa.UniqueConstraint("project_id", "version", name=op.f("uq_movies_project_id")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seconds", sa.Double(), nullable=True))

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_card", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("end_card", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("music_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("music_fade_in", sa.Double(), nullable=False, server_default="2")
        )
        batch_op.add_column(
            sa.Column("music_fade_out", sa.Double(), nullable=False, server_default="3")
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_projects_music_id_assets"),
            "assets",
            ["music_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("scenes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("transition", sa.String(length=16), nullable=False, server_default="cut")
        )
        batch_op.add_column(
            sa.Column("transition_seconds", sa.Double(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("captions", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("scenes", schema=None) as batch_op:
        batch_op.drop_column("captions")
        batch_op.drop_column("transition_seconds")
        batch_op.drop_column("transition")

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_projects_music_id_assets"), type_="foreignkey")
        batch_op.drop_column("music_fade_out")
        batch_op.drop_column("music_fade_in")
        batch_op.drop_column("music_id")
        batch_op.drop_column("end_card")
        batch_op.drop_column("title_card")

    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_column("seconds")

    op.drop_table("movies")
