"""A user hears of their own work that ended since they last looked, and of nobody else's."""

from __future__ import annotations

from storage import jobs, projects, scenes
from storage.contract import Generated
from storage.db import Database
from storage.models import JobKind, JobStatus, User, utcnow
from storage.notices import ended_since
from tests.storage.made_takes import made_take


def test_ended_work_is_named_with_what_it_made_or_why_it_failed(
    db: Database, owner: User, stranger: User
) -> None:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, "veo-3.1-fast-generate-001").id
    quay, keeper = scenes.add_scenes(
        db,
        owner,
        pid,
        [{"title": "Quay", "prompt": "a quay"}, {"title": "Keeper", "prompt": "a man"}],
    )
    since = utcnow()
    made_take(db, owner, pid, quay.id, 4.0)
    (failing,) = jobs.create_generation_jobs(db, owner, pid, True, [keeper.id], 1)
    jobs.claim_job(db, failing.id)
    jobs.fail_job(db, failing.id, "download", "the file never came")
    (empty,) = jobs.create_generation_jobs(db, owner, pid, True, [keeper.id], 1)
    jobs.claim_job(db, empty.id)
    jobs.complete_job(db, empty.id, Generated((), "both samples were blocked"))

    ended = ended_since(db, owner, since)
    assert [(e.scene, e.kind, e.status, e.made, e.stage) for e in ended] == [
        ("Quay", JobKind.generate, JobStatus.succeeded, 1, None),
        ("Keeper", JobKind.generate, JobStatus.failed, 0, "download"),
        ("Keeper", JobKind.generate, JobStatus.succeeded, 0, None),
    ]
    assert ended[1].reason == "the file never came" and ended[0].project == "Harbour"
    assert ended_since(db, owner, ended[-1].finished_at) == []
    assert ended_since(db, stranger, since) == []
    assert ended[2].reason == "both samples were blocked"  # what a success left out
