"""Jobs in SQL: the source of truth for what was asked, what ran and how it ended.

A job moves queued -> running -> succeeded | failed | blocked | cancelled. Every move is a
conditional UPDATE, so a cancel and an engine finishing at the same moment cannot both win.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from storage import audit, catalog
from storage.assets import references_for
from storage.db import Database
from storage.errors import BudgetExceeded, Conflict, FieldError, InvalidInput, NotFound
from storage.models import (
    Asset,
    AssetKind,
    Job,
    JobStatus,
    Project,
    Role,
    Scene,
    Take,
    User,
    utcnow,
)
from storage.permissions import require
from storage.scenes import scene_estimate, scene_values
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
    """One queued job per scene (all scenes when ``scene_ids`` is None), saved together.

    A billed backend reserves each job's estimate against the project budget in the same
    transaction, under a lock on the project row, so queueing from several studios or
    CLIs at the same moment can never overspend.
    """
    with db.session() as s:
        lock_project(s, project_id)
        project = require(s, actor, project_id, Role.editor, "generating scenes")
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
        billed = backend in catalog.BILLED_BACKENDS
        jobs = []
        for scene in chosen:
            count = require_takes(scene.takes if takes is None else takes, scene.model)
            estimate = scene_estimate(scene, count)
            jobs.append(
                Job(
                    project_id=project_id,
                    scene_id=scene.id,
                    backend=backend,
                    model=scene.model,
                    takes=count,
                    params=_job_params(s, scene, ordered),
                    estimated_cost_usd=estimate,
                    reserved_usd=estimate if billed else 0.0,
                    created_by=actor.id,
                )
            )
        if billed and project.budget_usd is not None:
            _check_budget(s, project, sum(j.reserved_usd for j in jobs), len(jobs))
        s.add_all(jobs)
        s.flush()
        audit.record(s, actor, "jobs.queued", project_id, jobs=[j.id for j in jobs])
    return jobs


def lock_project(s: Session, project_id: int) -> None:
    """Serialise budget checks of one project: a row lock on PostgreSQL, and on SQLite the
    database write lock, taken by this first write before anything is read."""
    s.execute(update(Project).where(Project.id == project_id).values(budget_usd=Project.budget_usd))


def committed_usd(s: Session, project_id: int) -> float:
    """What the project has spent or reserved: finished jobs' cost, live jobs' estimates."""
    return float(
        s.scalar(
            select(func.coalesce(func.sum(Job.reserved_usd), 0.0)).where(
                Job.project_id == project_id
            )
        )
        or 0.0
    )


def spent_or_reserved(db: Database, actor: User, project_id: int) -> float:
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "viewing the budget")
        return committed_usd(s, project_id)


def _check_budget(s: Session, project: Project, wanted: float, count: int) -> None:
    assert project.budget_usd is not None
    committed = committed_usd(s, project.id)
    left = max(0.0, project.budget_usd - committed)
    if wanted > left + 1e-9:
        raise BudgetExceeded(
            f"budget: queueing {count} job(s) would cost an estimated ${wanted:,.2f}, but "
            f"'{project.name}' has ${left:,.2f} left of its ${project.budget_usd:,.2f} budget "
            f"(${committed:,.2f} spent or reserved); raise the budget or queue fewer takes"
        )


def _job_params(s: Session, scene: Scene, ordered: list[Scene]) -> dict[str, Any]:
    """What the backend renders: a snapshot, so later edits do not change a queued job.

    The previous scene's take is looked up when the job runs, not now, so "generate all"
    can chain scenes that have no takes yet.
    """
    params = scene_values(scene)
    params["position"] = scene.position
    for name in ("first_frame", "last_frame"):
        asset = s.get(Asset, params.pop(f"{name}_id") or 0)
        if asset is not None:
            params[name] = {"media_key": asset.media_key, "mime_type": asset.mime_type}
    extend = s.get(Take, params.pop("extend_take_id") or 0)
    if extend is not None:
        params["extend_take"] = {"take_id": extend.id, "media_key": extend.media_key}
    params["references"] = [
        {
            "name": asset.name,
            "media_key": asset.media_key,
            "mime_type": asset.mime_type,
            "reference_type": "style" if asset.kind == AssetKind.style else "asset",
        }
        for asset in references_for(s, scene)
    ]
    index = ordered.index(scene)
    if scene.continuity != "none" and index > 0:
        previous = ordered[index - 1]
        params["previous"] = {
            "scene_id": previous.id,
            "title": previous.title,
            "prompt": previous.prompt,
            "seed": previous.seed,
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
        if not move_job(
            s,
            job_id,
            ACTIVE,
            status=JobStatus.cancelled,
            finished_at=utcnow(),
            reserved_usd=_reservation_after(JobStatus.cancelled),
        ):
            raise Conflict(
                f"job {job_id} has already {job.status}; only a queued or running job can be cancelled"
            )
        audit.record(s, actor, "job.cancelled", job.project_id, job=job_id)
    return get_job(db, job_id)


# Stages at which Veo itself reported that nothing was produced, so nothing is billed.
UNBILLED_STAGES = ("veo", "safety")


def _reservation_after(status: JobStatus, stage: str | None = None) -> Any:
    """What a job that ends without takes still counts against the budget.

    Nothing, if Veo never accepted it or said it produced nothing; otherwise its estimate
    stays reserved (cancelled, timed out, failed while saving: Google may bill it). A
    submission whose answer was lost ("unconfirmed") may have been accepted, so it keeps it.
    """
    if stage == "unconfirmed":
        return Job.reserved_usd
    if status == JobStatus.blocked or stage in UNBILLED_STAGES:
        return 0.0
    return case((Job.operation_name.is_(None), 0.0), else_=Job.reserved_usd)


def move_job(s: Session, job_id: int, from_: tuple[JobStatus, ...], **values: Any) -> bool:
    result = s.execute(update(Job).where(Job.id == job_id, Job.status.in_(from_)).values(**values))
    return result.rowcount == 1


# The engine's side: no acting user, the job row itself carries who asked.


def claim_job(db: Database, job_id: int) -> Job | None:
    """Mark a delivered job running and count the attempt; None if it is no longer wanted."""
    with db.session() as s:
        moved = move_job(
            s,
            job_id,
            ACTIVE,
            status=JobStatus.running,
            attempts=Job.attempts + 1,
            started_at=func.coalesce(Job.started_at, utcnow()),
        )
        return s.get(Job, job_id) if moved else None


def save_operation(db: Database, job_id: int, operation_name: str) -> None:
    """Record the remote operation the moment it exists; from now on it may be billed, so
    its estimate is reserved again even if the job was cancelled meanwhile."""
    with db.session() as s:
        s.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                operation_name=operation_name,
                submitted_at=utcnow(),
                reserved_usd=Job.estimated_cost_usd,
            )
        )


def complete_job(
    db: Database, job_id: int, takes: list[dict[str, Any]], notice: str | None = None
) -> list[Take] | None:
    """Record the takes and mark the job succeeded together; None if it was cancelled.

    The job's reservation becomes what its takes cost; ``notice`` says what it lacks (the
    samples a safety filter kept back).
    """
    with db.session() as s:
        if not move_job(
            s,
            job_id,
            (JobStatus.running,),
            status=JobStatus.succeeded,
            finished_at=utcnow(),
            reserved_usd=round(sum(t["cost_usd"] for t in takes), 4),
            notice=notice,
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
        return move_job(
            s,
            job_id,
            ACTIVE,
            status=status,
            error_stage=stage,
            error=reason[:4000],
            finished_at=utcnow(),
            reserved_usd=_reservation_after(status, stage),
        )


def find_jobs(db: Database, job_ids: list[int]) -> dict[int, Job]:
    """The jobs that exist among ``job_ids``, in one query."""
    with db.session() as s:
        return {job.id: job for job in s.scalars(select(Job).where(Job.id.in_(job_ids)))}


def selected_take(db: Database, scene_id: int) -> tuple[Take | None, bool]:
    """A scene's selected take, and whether a job of that scene is still queued or running
    (so a scene that continues from it can wait for its take instead of failing)."""
    with db.session() as s:
        scene = s.get(Scene, scene_id)
        take = s.get(Take, scene.selected_take_id) if scene and scene.selected_take_id else None
        pending = s.scalar(
            select(func.count()).where(Job.scene_id == scene_id, Job.status.in_(ACTIVE))
        )
        return take, bool(pending)
