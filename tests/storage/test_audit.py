"""The audit log read back: owners read their projects', admins everything; filters; CSV;
a deleted project's history stays."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from storage import audit, jobs, members, projects, scenes, users
from storage.db import Database
from storage.errors import NotFound, PermissionDenied
from storage.media import LocalMediaStore
from storage.models import User


def person(db: Database, email: str, name: str) -> User:
    return users.sign_in(db, "https://idp.example", email, email, name)


def test_owners_read_their_projects_and_admins_read_all(db: Database, tmp_path) -> None:
    admin = person(db, "admin@example.com", "Ada")
    users.set_flags(db, None, admin.email, admin=True)
    mara, ravi = person(db, "mara@example.com", "Mara"), person(db, "ravi@example.com", "Ravi")
    film = projects.create_project(db, mara, {"name": "Harbour"}, "veo-3.1-fast-generate-001")
    scenes.add_scenes(db, mara, film.id, [{"prompt": "boats at dawn"}])
    members.invite(db, mara, film.id, "ravi@example.com", "editor")
    jobs.create_generation_jobs(db, ravi, film.id, True)
    other = projects.create_project(db, ravi, {"name": "Desert"}, "veo-3.1-fast-generate-001")

    mine = audit.find_events(db, mara)
    assert [(e.who, e.action, e.project) for e in mine] == [
        ("Ravi <ravi@example.com>", "queued generation", "Harbour"),
        ("Mara <mara@example.com>", "invited a member", "Harbour"),
        ("Mara <mara@example.com>", "added scenes", "Harbour"),
        ("Mara <mara@example.com>", "created the project", "Harbour"),
    ]  # not Ravi's own project, nor anyone's sign-in
    assert mine[1].details == "email: ravi@example.com, role: editor"
    with pytest.raises(NotFound):  # an editor is not told the audit exists
        audit.find_events(db, mara, project_id=other.id)
    with pytest.raises(PermissionDenied, match="reading the project's audit needs owner"):
        audit.find_events(db, ravi, project_id=film.id)

    users.still_signed_in(db, admin.id, "a login", timedelta(hours=12))  # a new sign-in
    users.still_signed_in(db, admin.id, "a login", timedelta(hours=12))  # a reload: no event
    everything = audit.find_events(db, admin)
    assert [e.action for e in everything].count("signed in") == 1
    assert {e.action for e in everything} >= {"changed a user", "created the project"}
    assert [e.who for e in audit.find_events(db, admin, user_id=ravi.id, action="jobs.queued")] == [
        "Ravi <ravi@example.com>"
    ]
    choices = audit.audit_choices(db, mara)
    assert choices.projects == {film.id: "Harbour"}
    assert set(choices.users.values()) == {"Mara <mara@example.com>", "Ravi <ravi@example.com>"}

    projects.delete_project(db, LocalMediaStore(tmp_path), mara, film.id)
    gone = audit.find_events(db, admin, action="project.deleted")
    assert [(e.who, e.project) for e in gone] == [("Mara <mara@example.com>", "Harbour")]
    assert audit.find_events(db, mara) == []  # no longer an owner of it: only admins read it


def test_the_csv_holds_what_the_page_shows(db: Database) -> None:
    mara = person(db, "mara@example.com", "Mara")
    projects.create_project(db, mara, {"name": 'Say "cut", again'}, "veo-3.1-fast-generate-001")
    rows = list(csv.reader(io.StringIO(audit.events_csv(audit.find_events(db, mara)))))
    assert rows[0] == ["When (UTC)", "Who", "Action", "Project", "Details"]
    assert rows[1][1:] == [
        "Mara <mara@example.com>",
        "created the project",
        'Say "cut", again',
        'name: Say "cut", again',
    ]


def test_a_name_like_a_formula_stays_text_in_the_csv(db: Database) -> None:
    mara = person(db, "mara@example.com", '=HYPERLINK("http://evil")')
    projects.create_project(db, mara, {"name": "+1 cmd"}, "veo-3.1-fast-generate-001")
    row = list(csv.reader(io.StringIO(audit.events_csv(audit.find_events(db, mara)))))[1]
    assert row[1].startswith("'=HYPERLINK") and row[3] == "'+1 cmd"
