"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage import comments, decisions, members, projects, review_sessions, scenes
from storage.db import Database
from storage.models import Base, User, utcnow
from tests.storage.made_takes import made_take

MODEL = "veo-3.1-fast-generate-001"


def test_the_migrated_database_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # SQLite and PostgreSQL report server defaults their own way: compare what is there
    assert [d for d in differences if d[0] not in ("modify_default",)] == []


def test_changing_the_schema_keeps_every_projects_data(db: Database, owner: User) -> None:
    """SQLite alters a table by rebuilding it: a cascade from the old one's drop must not
    take the projects' scenes, takes and teams with it, going up or down."""
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    (scene,) = scenes.add_scenes(db, owner, pid, [{"prompt": "boats"}])
    take = made_take(db, owner, pid, scene.id, 4.0)
    comments.add_comment(db, owner, take.id, None, "warmer", 3)
    db.migrate("0008", down=True)  # back past every rebuild of users, audit and projects
    db.migrate()
    assert [s.id for s in scenes.list_scenes(db, owner, pid)] == [scene.id]
    assert [t.id for t in scenes.list_takes(db, owner, pid)] == [take.id]
    assert [m.email for m in members.list_members(db, owner, pid)] == [owner.email]


def test_what_was_said_before_sessions_noted_it_is_given_the_session_it_fell_in(
    db: Database, owner: User
) -> None:
    """Migration 0015: a comment or decision made before it, on a session's item while
    the session was open, is in that session's report, as reports said until then."""
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    (scene,) = scenes.add_scenes(db, owner, pid, [{"prompt": "boats"}])
    take = made_take(db, owner, pid, scene.id, 4.0)
    now = utcnow()
    session = review_sessions.create_session(
        db, owner, pid, "Dailies", [(take.id, None)], now - timedelta(minutes=1),
        now + timedelta(days=1),
    )  # fmt: skip
    comments.add_comment(db, owner, take.id, None, "in it", 3, None, None, session.id)
    decisions.decide(db, owner, take.id, None, "approved", "", session.id)
    db.migrate("0014", down=True)  # as it was before: nothing noted the session
    db.migrate()
    said = review_sessions.said_in(db, owner, session.id).said
    assert [(x.kind, x.text) for x in said] == [("comment", "in it"), ("approved", "")]
