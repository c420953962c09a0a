"""veo options, assets, budget reservations

Scenes gain every Veo option (person generation, audio, prompt enhancement, first and last
frame, an earlier take to extend); uploaded images and the ingredient library live in
``assets``; a job reserves its estimate against the project budget; a job never records
two takes for one sample.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("media_key", sa.String(length=300), nullable=False),
        sa.Column("mime_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_assets_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_assets_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assets_project_id"), ["project_id"], unique=False)

    op.create_table(
        "scene_references",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scene_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_scene_references_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scene_id"],
            ["scenes.id"],
            name=op.f("fk_scene_references_scene_id_scenes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scene_references")),
        sa.UniqueConstraint("scene_id", "asset_id", name=op.f("uq_scene_references_scene_id")),
    )
    with op.batch_alter_table("scene_references", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scene_references_scene_id"), ["scene_id"], unique=False
        )

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reserved_usd", sa.Double(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("notice", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("scenes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "person_generation",
                sa.String(length=16),
                nullable=False,
                server_default="allow_adult",
            )
        )
        batch_op.add_column(
            sa.Column("generate_audio", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("enhance_prompt", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("first_frame_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_frame_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("extend_take_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_scenes_extend_take_id_takes"),
            "takes",
            ["extend_take_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_scenes_first_frame_id_assets"),
            "assets",
            ["first_frame_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_scenes_last_frame_id_assets"),
            "assets",
            ["last_frame_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("takes", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_takes_job_id"), ["job_id", "sample_index"])


def downgrade() -> None:
    with op.batch_alter_table("takes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_takes_job_id"), type_="unique")

    with op.batch_alter_table("scenes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_scenes_last_frame_id_assets"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_scenes_first_frame_id_assets"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_scenes_extend_take_id_takes"), type_="foreignkey")
        batch_op.drop_column("extend_take_id")
        batch_op.drop_column("last_frame_id")
        batch_op.drop_column("first_frame_id")
        batch_op.drop_column("enhance_prompt")
        batch_op.drop_column("generate_audio")
        batch_op.drop_column("person_generation")

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("notice")
        batch_op.drop_column("reserved_usd")

    with op.batch_alter_table("scene_references", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scene_references_scene_id"))

    op.drop_table("scene_references")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assets_project_id"))

    op.drop_table("assets")
