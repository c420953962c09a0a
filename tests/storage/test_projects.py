"""Listing projects: figures from one grouped pass, a page at a time, found by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage import jobs, projects, scenes
from storage.contract import Generated, NewTake
from storage.db import Database
from storage.models import Scene, User

# Scenes of mixed models, resolutions, sound, lengths and takes; two share a price group.
MIXED = [
    {"model": "veo-3.1-generate-001", "resolution": "1080p", "generate_audio": True,
     "duration": 8, "takes": 2},
    {"model": "veo-3.1-generate-001", "resolution": "4k", "generate_audio": False,
     "duration": 4, "takes": 1},
    {"model": "veo-3.1-generate-001", "resolution": "1080p", "generate_audio": True,
     "duration": 6, "takes": 3},
    {"model": "veo-3.0-fast-generate-001", "resolution": "720p", "generate_audio": True,
     "duration": 8, "takes": 1},
    {"model": "veo-3.1-lite-generate-001", "resolution": "1080p", "generate_audio": False,
     "duration": 4, "takes": 4},
    {"model": "veo-3.1-fast-generate-001", "resolution": "4k", "generate_audio": True,
     "duration": 6, "takes": 2},
]  # fmt: skip
MODEL = "veo-3.1-fast-generate-001"


def make_project(db: Database, owner: User, name: str, plan: list[dict[str, Any]]) -> int:
    pid = projects.create_project(db, owner, {"name": name}, MODEL).id
    if plan:
        scenes.add_scenes(
            db, owner, pid, [{"prompt": f"shot {n}", **s} for n, s in enumerate(plan)]
        )
    return pid


def give_takes(db: Database, owner: User, project_id: int) -> None:
    """Each scene's job done, with its takes (rows only)."""
    for job in jobs.create_generation_jobs(db, owner, project_id, drafts=True):
        jobs.claim_job(db, job.id)
        made = tuple(
            NewTake(n, f"t{job.id}-{n}.mp4", None, 4.0, 1280, 720, 24.0, "h264", 1, None, 0.0)
            for n in range(job.takes)
        )
        jobs.complete_job(db, job.id, Generated(made))


def per_project_figures(db: Database, project_id: int) -> tuple[int, int, float]:
    """The old computation: every scene of the project, each priced on its own."""
    with db.session() as s:
        own = s.scalars(select(Scene).where(Scene.project_id == project_id)).all()
    cost = sum(
        db.catalog.estimate(r.model, r.resolution, r.duration, r.takes, r.generate_audio)
        for r in own
    )
    return len(own), sum(r.duration for r in own), round(cost, 2)


def test_the_grouped_figures_equal_each_scene_priced_on_its_own(db: Database, owner: User) -> None:
    made = {
        "mixed": make_project(db, owner, "mixed", MIXED),
        "first half": make_project(db, owner, "first half", MIXED[:3]),
        "second half": make_project(db, owner, "second half", MIXED[3:]),
        "empty": make_project(db, owner, "empty", []),
    }
    give_takes(db, owner, made["first half"])
    listed = {s.project.name: s for s in projects.list_projects(db, owner)}
    assert set(listed) == set(made)
    for name, pid in made.items():
        summary = listed[name]
        figures = (summary.scenes, summary.seconds, summary.estimated_cost_usd)
        assert figures == per_project_figures(db, pid), name
    # at list prices: 6.4 + 2.4 + 7.2 + 1.2 + 0.8 + 3.6
    assert listed["mixed"].estimated_cost_usd == 21.6
    assert listed["first half"].takes == 2 + 1 + 3
    assert listed["mixed"].takes == listed["empty"].takes == 0


def test_a_page_of_the_list_and_the_count_agree(db: Database, owner: User, stranger: User) -> None:
    for n in range(1, 8):
        make_project(db, owner, f"Harbour {n}" if n % 2 else f"Lighthouse {n}", MIXED[:1])
    projects.create_project(db, stranger, {"name": "Harbour of another"}, MODEL)
    names = [s.project.name for s in projects.list_projects(db, owner, offset=2, limit=3)]
    assert names == ["Harbour 5", "Lighthouse 4", "Harbour 3"]
    assert projects.count_projects(db, owner) == 7
    found = projects.list_projects(db, owner, search=" harbour ")
    assert [s.project.name for s in found] == ["Harbour 7", "Harbour 5", "Harbour 3", "Harbour 1"]
    assert projects.count_projects(db, owner, search="HARBOUR") == 4
    assert projects.count_projects(db, owner, search="100%") == 0  # searched as typed
    assert projects.list_projects(db, owner, offset=6, limit=3)[0].scenes == 1


def test_archived_projects_are_counted_only_when_asked_and_named_for_charts(
    db: Database, owner: User, stranger: User
) -> None:
    kept = make_project(db, owner, "Kept", [])
    shelved = make_project(db, owner, "Shelved", [])
    projects.set_archived(db, owner, shelved, True)
    projects.create_project(db, stranger, {"name": "Not mine"}, MODEL)
    assert projects.count_projects(db, owner) == 1
    assert projects.count_projects(db, owner, include_archived=True) == 2
    assert projects.project_names(db, owner) == {kept: "Kept", shelved: "Shelved"}
