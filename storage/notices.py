"""What a user hears about when their work ends: each job they queued that finished since
they last looked, with the names a notice needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Job, JobKind, JobStatus, Membership, Movie, Project, Scene, Take, User


@dataclass(frozen=True)
class Ended:
    job_id: int
    kind: JobKind
    status: JobStatus
    project: str
    scene: str | None  # the scene's title; None for a render
    made: int  # takes made, or the movie's version for a render
    stage: str | None  # where it failed
    reason: str | None  # why it failed, or what a success could not make
    finished_at: datetime


def ended_since(db: Database, actor: User, since: datetime, limit: int = 100) -> list[Ended]:
    """The actor's jobs that ended after ``since``, oldest first (at most ``limit``), in
    projects they are still a member of: one who left is told nothing more of it."""
    with db.session() as s:
        rows = s.execute(
            select(Job, Project.name, Scene.title)
            .join(Project, Project.id == Job.project_id)
            .join(
                Membership,
                (Membership.project_id == Job.project_id) & (Membership.user_id == actor.id),
            )
            .outerjoin(Scene, Scene.id == Job.scene_id)
            .where(Job.created_by == actor.id, Job.finished_at > since)
            .order_by(Job.finished_at)
            .limit(limit)
        ).all()
        if not rows:  # the usual answer, every few seconds on every open page
            return []
        ids = [job.id for job, _, _ in rows]
        counted = s.execute(
            select(Take.job_id, func.count()).where(Take.job_id.in_(ids)).group_by(Take.job_id)
        )
        takes = {job_id: count for job_id, count in counted if job_id is not None}
        versions = dict(
            s.execute(select(Movie.job_id, Movie.version).where(Movie.job_id.in_(ids))).all()
        )
        return [
            Ended(
                job_id=job.id,
                kind=JobKind(job.kind),
                status=JobStatus(job.status),
                project=project,
                scene=scene,
                made=versions.get(job.id, 0)
                if job.kind == JobKind.render
                else takes.get(job.id, 0),
                stage=job.error_stage,
                reason=job.error or job.notice,  # a success may say what it left out
                finished_at=job.finished_at,
            )
            for job, project, scene in rows
            if job.finished_at is not None
        ]
