"""Projects: create, list, open, rename, archive, and their summary figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storage import audit
from storage.catalog import Catalog
from storage.db import Database
from storage.media import MediaStore, project_prefix
from storage.models import Membership, Project, Role, Scene, Take, User
from storage.permissions import require, role_of
from storage.spending import check_budget
from storage.validation import clean_project


@dataclass(frozen=True)
class ProjectSummary:
    project: Project
    role: Role
    scenes: int
    takes: int
    estimated_cost_usd: float
    seconds: int


def create_project(
    db: Database, actor: User, fields: dict[str, Any], default_model: str
) -> Project:
    cleaned = clean_project(fields, default_model, db.catalog)
    with db.session() as s:
        project = Project(created_by=actor.id, **cleaned)
        s.add(project)
        s.flush()
        s.add(Membership(project_id=project.id, user_id=actor.id, role=Role.owner))
        audit.record(s, actor, "project.created", project.id, name=project.name)
    return project


def get_project(db: Database, actor: User, project_id: int) -> Project:
    with db.session() as s:
        return require(s, actor, project_id, Role.viewer, "opening a project")


def open_project(db: Database, actor: User, project_id: int) -> tuple[Project, Role]:
    """The project and the actor's role on it, for a page to offer only what they may do."""
    with db.session() as s:
        project = require(s, actor, project_id, Role.viewer, "opening a project")
        role = role_of(s, actor, project_id)
        assert role is not None  # require let a member in
        return project, role


def project_values(project: Project) -> dict[str, Any]:
    """The project's fields under their storyboard names (the ones ``clean_project`` takes)."""
    return {
        "name": project.name,
        "description": project.description,
        "model": project.model,
        "aspect_ratio": project.aspect_ratio,
        "resolution": project.resolution,
        "style": project.style,
        "budget": project.budget_usd,
    }


def update_project(db: Database, actor: User, project_id: int, changes: dict[str, Any]) -> Project:
    """Rename or change defaults; the fields not given keep their values."""
    with db.session() as s:
        project = require(s, actor, project_id, Role.owner, "changing a project")
        cleaned = clean_project({**project_values(project), **changes}, project.model, db.catalog)
        for key, value in cleaned.items():
            setattr(project, key, value)
        s.flush()
        check_budget(s, project.id)  # a lowered budget may be 80 % spent already
        audit.record(s, actor, "project.updated", project.id, fields=sorted(changes))
    return project


def set_archived(db: Database, actor: User, project_id: int, archived: bool) -> Project:
    with db.session() as s:
        project = require(s, actor, project_id, Role.owner, "archiving a project")
        project.archived = archived
        audit.record(s, actor, "project.archived" if archived else "project.restored", project.id)
    return project


def _listed(actor: User, include_archived: bool, search: str) -> Select[Project, Role]:
    """The actor's projects whose name holds ``search`` (any case), newest first."""
    query = (
        select(Project, Membership.role)
        .join(Membership, Membership.project_id == Project.id)
        .where(Membership.user_id == actor.id)
        .order_by(Project.created_at.desc(), Project.id.desc())
    )
    if not include_archived:
        query = query.where(Project.archived.is_(False))
    if search.strip():
        query = query.where(Project.name.icontains(search.strip(), autoescape=True))
    return query


def count_projects(
    db: Database, actor: User, include_archived: bool = False, search: str = ""
) -> int:
    """How many projects ``list_projects`` would list with no limit."""
    listed = _listed(actor, include_archived, search).order_by(None).subquery()
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(listed)) or 0


def list_projects(
    db: Database,
    actor: User,
    include_archived: bool = False,
    search: str = "",
    offset: int = 0,
    limit: int | None = None,
) -> list[ProjectSummary]:
    """The actor's projects (those whose name holds ``search``), newest first, from
    ``offset``, at most ``limit``; with counts and the plan's estimated cost, figured for
    the listed projects only."""
    with db.session() as s:
        query = _listed(actor, include_archived, search).offset(offset).limit(limit)
        rows = s.execute(query).all()
        ids = [p.id for p, _ in rows]
        figures = _plan_figures(s, db.catalog, ids)
        takes = dict(
            s.execute(
                select(Scene.project_id, func.count(Take.id))
                .join(Take, Take.scene_id == Scene.id)
                .where(Scene.project_id.in_(ids), Scene.deleted_at.is_(None))
                .group_by(Scene.project_id)
            ).all()
        )
    return [
        ProjectSummary(
            project=project,
            role=Role(role),
            scenes=figures[project.id].scenes,
            takes=takes.get(project.id, 0),
            estimated_cost_usd=round(figures[project.id].cost_usd, 2),
            seconds=figures[project.id].seconds,
        )
        for project, role in rows
    ]


@dataclass
class _PlanFigures:
    scenes: int = 0
    seconds: int = 0
    cost_usd: float = 0.0


def _plan_figures(s: Session, catalog: Catalog, ids: list[int]) -> defaultdict[int, _PlanFigures]:
    """Each project's scenes, seconds and estimated cost, in one grouped pass: a price
    depends only on the model, the resolution and sound, so each such group is priced
    once for all its seconds of takes."""
    figures: defaultdict[int, _PlanFigures] = defaultdict(_PlanFigures)
    groups = s.execute(
        select(
            Scene.project_id,
            Scene.model,
            Scene.resolution,
            Scene.generate_audio,
            func.count(),
            func.sum(Scene.duration),
            func.sum(Scene.duration * Scene.takes),
        )
        .where(Scene.project_id.in_(ids), Scene.deleted_at.is_(None))
        .group_by(Scene.project_id, Scene.model, Scene.resolution, Scene.generate_audio)
    ).all()
    for project_id, model, resolution, audio, scenes, seconds, take_seconds in groups:
        own = figures[project_id]
        own.scenes += scenes
        own.seconds += int(seconds)
        own.cost_usd += catalog.estimate(model, resolution, take_seconds, 1, audio)
    return figures


def project_names(db: Database, actor: User) -> dict[int, str]:
    """The name of each project the actor is a member of, archived ones too."""
    with db.session() as s:
        return dict(
            s.execute(
                select(Project.id, Project.name)
                .join(Membership, Membership.project_id == Project.id)
                .where(Membership.user_id == actor.id)
            ).all()
        )


def delete_project(db: Database, media: MediaStore, actor: User, project_id: int) -> None:
    """The project's rows and then its files (rows first: a file never outlives nothing)."""
    with db.session() as s:
        project = require(s, actor, project_id, Role.owner, "deleting a project")
        audit.record(s, actor, "project.deleted", project_id)  # kept, with the project's name
        s.delete(project)
    media.delete_prefix(project_prefix(project_id))
