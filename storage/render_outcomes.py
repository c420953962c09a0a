"""Telling whoever queued a render how it ended: the version that is ready, or why there
is none. Written in the transaction that records the end, like every inbox entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storage.inbox import tell
from storage.models import Job, Movie, Project, User
from storage.webhooks import announce, payload


def told_ready(s: Session, job: Job, movie: Movie) -> None:
    kind = "final cut" if movie.final else "draft cut"
    text = f"Version {movie.version} of '{_name(s, job)}' is ready ({kind}, {movie.duration:.0f} s)"
    _tell(s, job, "render.finished", text, movie.id, version=movie.version, final=movie.final)


def told_failed(s: Session, job: Job, reason: str) -> None:
    text = f"Your render of '{_name(s, job)}' failed, so there is no new version: {reason}"
    _tell(s, job, "render.failed", text, None, reason=reason)


def _tell(s: Session, job: Job, event: str, text: str, movie_id: int | None, **more: Any) -> None:
    tell(s, None, [job.created_by], job.project_id, "render", text, movie_id=movie_id)
    said = payload(s.get(User, job.created_by), text, movie_id=movie_id, job_id=job.id, **more)
    announce(s, job.project_id, event, said)


def _name(s: Session, job: Job) -> str:
    project = s.get(Project, job.project_id)
    return project.name if project else ""
