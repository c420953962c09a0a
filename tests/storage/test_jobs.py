"""A project budget refuses queueing that would exceed it, even from many callers at once."""

from __future__ import annotations

import threading

import pytest

from storage import jobs, projects, scenes
from storage.db import Database
from storage.errors import BudgetExceeded
from storage.models import JobStatus, User

MODEL = "veo-3.1-fast-generate-001"  # 8 s of 720p with sound: 0.10 x 8 = $0.80 a take


def budgeted(db: Database, owner: User, budget: float, scene_count: int = 1) -> int:
    pid = projects.create_project(db, owner, {"name": "Film", "budget": budget}, MODEL).id
    scenes.add_scenes(
        db, owner, pid, [{"prompt": f"shot {i}", "duration": 8} for i in range(scene_count)]
    )
    return pid


def test_queueing_past_the_budget_is_refused_with_what_is_left(db: Database, owner: User) -> None:
    pid = budgeted(db, owner, budget=2.0)
    jobs.create_generation_jobs(db, owner, pid, False, takes=2)  # $1.60 reserved
    with pytest.raises(BudgetExceeded) as err:
        jobs.create_generation_jobs(db, owner, pid, False, takes=1)
    assert str(err.value).startswith(
        "budget: queueing 1 job(s) would cost an estimated $0.80, but 'Film' has $0.40 left "
        "of its $2.00 budget ($1.60 spent or reserved)"
    )
    # the animatic bills nothing, so drafts are never refused
    jobs.create_generation_jobs(db, owner, pid, True, takes=4)


def test_a_job_that_ends_without_takes_gives_its_reservation_back(
    db: Database, owner: User
) -> None:
    pid = budgeted(db, owner, budget=0.80)
    (job,) = jobs.create_generation_jobs(db, owner, pid, False)
    jobs.claim_job(db, job.id)
    jobs.fail_job(db, job.id, "veo", "invalid argument")
    (again,) = jobs.create_generation_jobs(db, owner, pid, False)
    # cancelled after Veo accepted it: the generation is billed all the same
    jobs.claim_job(db, again.id)
    jobs.save_operation(db, again.id, "projects/p/locations/l/operations/1")
    jobs.cancel_job(db, owner, again.id)
    assert jobs.get_job(db, again.id).status == JobStatus.cancelled
    with pytest.raises(BudgetExceeded):
        jobs.create_generation_jobs(db, owner, pid, False)


def test_concurrent_queueing_never_overspends(db: Database, owner: User) -> None:
    pid = budgeted(db, owner, budget=0.80 * 3)
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def queue() -> None:
        start.wait()
        try:
            jobs.create_generation_jobs(db, owner, pid, False)
            outcomes.append("queued")
        except BudgetExceeded:
            outcomes.append("refused")

    threads = [threading.Thread(target=queue) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["queued"] * 3 + ["refused"] * 5
    assert len(jobs.list_jobs(db, owner, pid)) == 3


def test_a_scene_change_made_for_a_job_is_saved_with_it_or_not_at_all(
    db: Database, owner: User
) -> None:
    pid = budgeted(db, owner, budget=1.0, scene_count=2)
    first, second = scenes.list_scenes(db, owner, pid)
    continued = {second.id: {"continuity": "previous"}}
    jobs.create_generation_jobs(db, owner, pid, False, [first.id])  # $0.80 of the $1.00
    with pytest.raises(BudgetExceeded):
        jobs.create_generation_jobs(db, owner, pid, False, [second.id], changes=continued)
    assert scenes.get_scene(db, owner, second.id).continuity == "none"
    (job,) = jobs.create_generation_jobs(db, owner, pid, True, [second.id], changes=continued)
    assert scenes.get_scene(db, owner, second.id).continuity == "previous"
    assert job.params["continuity"] == "previous"  # the job is made with the change
    # a change made once, for these jobs only: the job has it, the scene keeps its own
    scenes.update_scene(db, owner, second.id, {"continuity": "none"})
    once = {second.id: {"continuity": "previous"}}
    (job,) = jobs.create_generation_jobs(db, owner, pid, True, [second.id], once=once)
    assert job.params["continuity"] == "previous"
    assert scenes.get_scene(db, owner, second.id).continuity == "none"
    with pytest.raises(BudgetExceeded):  # and a refusal keeps nothing of it either
        jobs.create_generation_jobs(db, owner, pid, False, [second.id], once=once)
    assert scenes.get_scene(db, owner, second.id).continuity == "none"
