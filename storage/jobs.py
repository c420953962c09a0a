"""Jobs in SQL: the source of truth for what was asked, what ran and how it ended.

A job moves queued -> running -> succeeded | failed | blocked | cancelled. Every move is a
conditional UPDATE, so a cancel and an engine finishing at the same moment cannot both win.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage import audit, catalog
from storage.db import Database
from storage.errors import Conflict, FieldError, InvalidInput, NotFound
from storage.models import Job, JobStatus, Role, Scene, Take, User, utcnow
from storage.permissions import require
from storage.scenes import scene_values
from storage.validation import require_takes

ACTIVE = (JobStatus.queued, JobStatus.running)


def create_generation_jobs(
    db: Database,
    actor: User,
    project_id: int,
    backend: str,
    scene_ids: list[int] | None = None,
    takes: int | None = None,
) -> list[Job]:
    """One queued job per scene (all scenes when ``scene_ids`` is None), saved together."""
    with db.session() as s:
        require(s, actor, project_id, Role.editor, "generating scenes")
        ordered = list(
            s.scalars(select(Scene).where(Scene.project_id == project_id).order_by(Scene.position))
        )
        if scene_ids is None:
            chosen = ordered
        else:
            by_id = {scene.id: scene for scene in ordered}
            missing = [i for i in scene_ids if i not in by_id]
            if missing:
                raise NotFound(f"scene {missing[0]}: not a scene of project {project_id}")
            chosen = [by_id[i] for i in dict.fromkeys(scene_ids)]
        if not chosen:
            raise InvalidInput([FieldError("scenes", "the project has no scenes to generate")])
        jobs = []
        for scene in chosen:
            count = require_takes(scene.takes if takes is None else takes, scene.model)
            job = Job(
                project_id=project_id,
                scene_id=scene.id,
                backend=backend,
                model=scene.model,
                takes=count,
                params=_job_params(scene, ordered),
                estimated_cost_usd=catalog.estimate_cost(scene.model, scene.duration, count),
                created_by=actor.id,
            )
            jobs.append(job)
        s.add_all(jobs)
        s.flush()
        audit.record(s, actor, "jobs.queued", project_id, jobs=[j.id for j in jobs])
    return jobs


def _job_params(scene: Scene, ordered: list[Scene]) -> dict[str, Any]:
    """What the backend renders: a snapshot, so later edits do not change a queued job."""
    params = scene_values(scene)
    params["position"] = scene.position
    index = ordered.index(scene)
    if scene.continuity == "previous" and index > 0:
        previous = ordered[index - 1]
        params["previous"] = {
            "scene_id": previous.id,
            "prompt": previous.prompt,
            "seed": previous.seed,
            "selected_take_id": previous.selected_take_id,
        }
    return params


def get_job(db: Database, job_id: int) -> Job:
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            raise NotFound(f"job {job_id}: no such job")
        return job


def list_jobs(db: Database, actor: User, project_id: int, limit: int = 200) -> list[Job]:
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "viewing jobs")
        return list(
            s.scalars(
                select(Job).where(Job.project_id == project_id).order_by(Job.id.desc()).limit(limit)
            )
        )


def queue_positions(db: Database, job_ids: list[int]) -> dict[int, int]:
    """1-based place in the whole queue of each job that is still queued."""
    with db.session() as s:
        queued = s.scalars(
            select(Job.id).where(Job.status == JobStatus.queued).order_by(Job.id)
        ).all()
    wanted = set(job_ids)
    return {job_id: place for place, job_id in enumerate(queued, 1) if job_id in wanted}


def active_count(db: Database, project_id: int) -> int:
    with db.session() as s:
        return (
            s.scalar(
                select(func.count()).where(Job.project_id == project_id, Job.status.in_(ACTIVE))
            )
            or 0
        )


def cancel_job(db: Database, actor: User, job_id: int) -> Job:
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            raise NotFound(f"job {job_id}: no such job")
        require(s, actor, job.project_id, Role.editor, "cancelling a job")
        if not _move(s, job_id, ACTIVE, status=JobStatus.cancelled, finished_at=utcnow()):
            raise Conflict(
                f"job {job_id} has already {job.status}; only a queued or running job can be cancelled"
            )
        audit.record(s, actor, "job.cancelled", job.project_id, job=job_id)
    return get_job(db, job_id)


def _move(s: Session, job_id: int, from_: tuple[JobStatus, ...], **values: Any) -> bool:
    result = s.execute(update(Job).where(Job.id == job_id, Job.status.in_(from_)).values(**values))
    return result.rowcount == 1


# The engine's side: no acting user, the job row itself carries who asked.


def claim_job(db: Database, job_id: int) -> Job | None:
    """Mark a delivered job running and count the attempt; None if it is no longer wanted."""
    with db.session() as s:
        moved = _move(
            s,
            job_id,
            ACTIVE,
            status=JobStatus.running,
            attempts=Job.attempts + 1,
            started_at=func.coalesce(Job.started_at, utcnow()),
        )
        return s.get(Job, job_id) if moved else None


def save_operation(db: Database, job_id: int, operation_name: str) -> None:
    with db.session() as s:
        s.execute(update(Job).where(Job.id == job_id).values(operation_name=operation_name))


def complete_job(db: Database, job_id: int, takes: list[dict[str, Any]]) -> list[Take] | None:
    """Record the takes and mark the job succeeded together; None if it was cancelled."""
    with db.session() as s:
        if not _move(
            s, job_id, (JobStatus.running,), status=JobStatus.succeeded, finished_at=utcnow()
        ):
            return None
        job = s.get(Job, job_id)
        assert job is not None and job.scene_id is not None
        rows = [Take(scene_id=job.scene_id, job_id=job_id, **fields) for fields in takes]
        s.add_all(rows)
        s.flush()
        scene = s.get(Scene, job.scene_id)
        if scene is not None and scene.selected_take_id is None and rows:
            scene.selected_take_id = rows[0].id
    return rows


def fail_job(
    db: Database, job_id: int, stage: str, reason: str, status: JobStatus = JobStatus.failed
) -> bool:
    with db.session() as s:
        return _move(
            s,
            job_id,
            ACTIVE,
            status=status,
            error_stage=stage,
            error=reason[:4000],
            finished_at=utcnow(),
        )


def find_jobs(db: Database, job_ids: list[int]) -> dict[int, Job]:
    """The jobs that exist among ``job_ids``, in one query."""
    with db.session() as s:
        return {job.id: job for job in s.scalars(select(Job).where(Job.id.in_(job_ids)))}
