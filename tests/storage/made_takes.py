"""Takes made through the data layer, as an engine would record them (no files)."""

from __future__ import annotations

from storage import jobs
from storage.contract import Generated, NewTake
from storage.db import Database
from storage.models import Take, User


def made_take(db: Database, actor: User, project_id: int, scene_id: int, seconds: float) -> Take:
    """A draft take of ``seconds`` for the scene, recorded as its job's result."""
    (job,) = jobs.create_generation_jobs(db, actor, project_id, True, [scene_id], 1)
    jobs.claim_job(db, job.id)
    take = NewTake(0, f"takes/{job.id}.mp4", None, seconds, 1280, 720, 24.0, "h264", 1, 7, 0.0)
    made = jobs.complete_job(db, job.id, Generated((take,)))
    assert made
    return made[0]
